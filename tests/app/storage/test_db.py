"""Opening the database: safety pragmas, where the file lives, and a clear refusal of files that are no database."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.cli.main import main
from app.storage import db as app_db
from app.storage.db import SCHEMA_HEAD, Database, DatabaseError, current_revision, default_db_path, open_database
from app.storage.models import Unit, Value


@pytest.mark.parametrize(("pragma", "expected"), [("journal_mode", "wal"), ("foreign_keys", 1), ("synchronous", 2)])
def test_pragmas_are_in_effect_on_every_connection(db: Database, pragma: str, expected: object) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql(f"PRAGMA {pragma}").scalar() == expected
    with db.session() as session:
        assert session.execute(text(f"PRAGMA {pragma}")).scalar() == expected


def test_busy_timeout_waits_for_another_writer(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.add(Value(submission_id=999, indicator_id=999, explanation=""))
        session.flush()


def test_a_failed_transaction_saves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Unit(code="X1", name="试点区"))
        session.flush()
        raise RuntimeError("boom")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Unit)) == 0


def test_a_new_database_is_at_head_and_sound(db: Database) -> None:
    assert current_revision(db.engine) == SCHEMA_HEAD
    assert db.integrity_check() == "ok"


def test_another_programs_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    import hashlib
    import sqlite3

    path = tmp_path / "其他程序.db"
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        other.execute("INSERT INTO customers (name) VALUES ('张三')")
        other.commit()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseError, match=r"不是填报通的数据库.*未作任何修改"):
        Database(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    with contextlib.closing(sqlite3.connect(path)) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_missing_folder_is_created(tmp_path: Path) -> None:
    database = Database(tmp_path / "a" / "b" / "tianbao.db")
    database.close()
    assert (tmp_path / "a" / "b" / "tianbao.db").is_file()


# ---------------------------------------------------------------- where the file is


def test_tianbao_db_overrides_the_default_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANBAO_DB", str(tmp_path / "env.db"))
    assert default_db_path() == tmp_path / "env.db"


def test_default_path_is_in_the_user_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANBAO_DB", raising=False)
    path = default_db_path()
    assert path.name == "tianbao.db"
    assert path.parent == app_db.data_dir()
    assert "Tianbao" in str(path.parent)


def test_empty_tianbao_db_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANBAO_DB", "")
    assert default_db_path().name == "tianbao.db"


def test_open_database_without_a_path_uses_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_db, "default_db_path", lambda: tmp_path / "patched.db")
    database = open_database()
    try:
        assert database.path == tmp_path / "patched.db"
    finally:
        database.close()


def test_cli_uses_tianbao_db_and_db_flag_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_db, flag_db = tmp_path / "env.db", tmp_path / "flag.db"
    monkeypatch.setenv("TIANBAO_DB", str(env_db))
    assert main(["--db", str(flag_db), "units"]) == 0
    assert flag_db.is_file() and not env_db.exists()
    assert main(["units"]) == 0
    assert env_db.is_file()
    capsys.readouterr()


# ---------------------------------------------------------------- files that are not a database


def _garbage(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.db"
    path.write_bytes(os.urandom(16384))
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    path.write_text("这不是数据库\n" * 500, encoding="utf-8")
    return path


def _truncated(tmp_path: Path) -> Path:
    source = tmp_path / "source.db"
    Database(source).close()
    path = tmp_path / "truncated.db"
    path.write_bytes(source.read_bytes()[:1000])
    return path


@pytest.mark.parametrize("make", [_garbage, _text, _truncated], ids=["random bytes", "text", "truncated"])
def test_a_file_that_is_no_database_gives_a_chinese_error_and_is_left_alone(
    tmp_path: Path, make: Callable[[Path], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)
    before = path.read_bytes()
    with pytest.raises(DatabaseError) as info:
        Database(path)
    assert "数据库" in str(info.value) and str(path) in str(info.value)
    assert path.read_bytes() == before

    assert main(["--db", str(path), "units"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("错误：数据库")
    assert "Traceback" not in captured.err
    assert path.read_bytes() == before


def test_a_folder_given_as_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(DatabaseError, match="无法打开"):
        Database(tmp_path / "folder.db")


def test_a_file_in_the_way_of_the_data_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x", encoding="utf-8")
    with pytest.raises(DatabaseError, match="无法创建数据文件夹"):
        Database(tmp_path / "blocker" / "tianbao.db")


def test_a_folder_name_with_percent_signs_and_question_marks_is_taken_as_it_is(tmp_path: Path) -> None:
    # Read as a URL, "%41" would become "A" and "?" would end the path: the file would land elsewhere.
    folder = tmp_path / ("报送 100%41 完成#" + ("" if os.name == "nt" else "?"))  # Windows forbids "?" in names
    database = Database(folder / "tianbao.db")
    try:
        assert database.integrity_check() == "ok"
    finally:
        database.close()
    assert (folder / "tianbao.db").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder.name]


def test_a_commit_that_fails_is_rolled_back_and_the_file_stays_writable(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "填报.db"
    Database(path).close()
    db = Database(path)  # up to date: opened without SQLAlchemy, written through its plain connection
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"), db.writing() as source:
        assert isinstance(source, sqlite3.Connection)
        # A deferred check fails only at COMMIT, as a full disk would: the commit itself fails.
        source.execute("PRAGMA defer_foreign_keys=ON")
        source.execute(
            "INSERT INTO submission_values (submission_id, indicator_id, explanation, updated_at, updated_by) "
            "VALUES (999, 999, '', '2026-01-01T00:00:00.000+00:00', '张三')"
        )
    assert not db.plain().in_transaction
    other = Database(path)  # another writer is not kept waiting by a transaction left open
    with other.writing() as source:
        source.execute("INSERT INTO units (code, name, sort_order) VALUES ('X1', '试点区', 0)")  # type: ignore[union-attr]
    other.close()
    with db.reading() as source:
        assert source.execute("SELECT code FROM units").fetchall() == [("X1",)]  # type: ignore[union-attr]
        assert source.execute("SELECT COUNT(*) FROM submission_values").fetchone() == (0,)  # type: ignore[union-attr]
    with pytest.raises(RuntimeError, match="inside another"), db.reading(), db.writing():
        pass
    db.close()


def test_a_file_taken_out_of_wal_elsewhere_is_put_back_on_open(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "copied.db"
    Database(path).close()
    with contextlib.closing(sqlite3.connect(path)) as outside:
        outside.execute("PRAGMA journal_mode=DELETE")
    Database(path).close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
