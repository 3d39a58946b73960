"""Light commands load only what they use: ``units`` reads the database without SQLAlchemy, ``verify`` of a
workbook needs no database, no ORM and no JSON Schema library, and neither needs Qt, reportlab or pyHanko.
Each runs as the real program in its own process, which then reports the libraries it had loaded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.cli.main import main
from app.demo import DEMO_PASSPHRASE
from tests.child import run_python

UNIT = "520103"
HEAVY = (
    "sqlalchemy",
    "alembic",
    "openpyxl",
    "reportlab",
    "pyhanko",
    "jsonschema",
    "PySide6",
    "multiprocessing",
    "httpx",
)
# Runs main.py as the program does, then prints which of HEAVY it loaded.
PROBE = (
    "import json, runpy, sys\n"
    "sys.argv = ['main.py', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_path('main.py', run_name='__main__')\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    f"print(json.dumps({{'exit': code, 'loaded': sorted(m for m in {HEAVY!r} if m in sys.modules)}}))\n"
)


def probe(*args: str) -> tuple[int, list[str], str]:
    out = run_python(PROBE, *args)
    report = json.loads(out.strip().splitlines()[-1])
    return report["exit"], report["loaded"], out


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("light")
    db = folder / "demo.db"
    secret = folder / "p.txt"
    secret.write_text(DEMO_PASSPHRASE, encoding="utf-8")
    assert main(["--db", str(db), "demo"]) == 0
    assert main(["--db", str(db), "sign", "--unit", UNIT, "--period", "2023Q2", "--passphrase-file", str(secret)]) == 0
    xlsx = folder / f"{UNIT}.xlsx"
    assert main(["--db", str(db), "export", "--unit", UNIT, "--period", "2023Q2", "--xlsx", str(xlsx)]) == 0
    return db, xlsx


def test_units_loads_no_orm(signed: tuple[Path, Path]) -> None:
    db, _ = signed
    code, loaded, out = probe("--db", str(db), "units")
    assert code == 0
    assert f"{UNIT}\t云岩区\t上级 520100" in out
    assert loaded == []


def test_verify_of_a_workbook_loads_no_database_and_no_schema_library(signed: tuple[Path, Path]) -> None:
    db, xlsx = signed
    code, loaded, out = probe("--db", str(db), "verify", str(xlsx))
    assert code == 0
    assert "有效" in out
    assert loaded == []


def test_check_of_a_district_loads_no_orm(signed: tuple[Path, Path]) -> None:
    db, _ = signed
    code, loaded, out = probe("--db", str(db), "check", "--unit", UNIT, "--period", "2023Q2")
    assert code == 0
    assert "云岩区" in out and "填报期" in out
    assert loaded == []


def test_the_outbox_listing_loads_no_orm_and_no_keys(signed: tuple[Path, Path]) -> None:
    db, _ = signed
    code, loaded, out = probe("--db", str(db), "outbox")
    assert code == 0
    assert "待上报" in out and "云岩区 2023Q2 第 1 版" in out
    assert loaded == []
    code, loaded, out = probe("--db", str(db), "outbox", "--json")
    assert code == 0 and loaded == []
    listed = json.loads("\n".join(out.strip().splitlines()[:-1]))  # the last line is the probe's report
    assert [(s["state"], s["unit"]["code"], s["revision"]) for s in listed["submissions"]] == [("pending", UNIT, 1)]


def test_help_loads_nothing_heavy() -> None:
    code, loaded, _ = probe("--help")
    assert code == 0
    assert loaded == []


def test_units_on_a_missing_database_creates_it_as_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "new.db"
    assert main(["--db", str(db), "units"]) == 0
    assert capsys.readouterr().out == ""
    assert db.exists()


def test_units_on_another_programs_database_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
        conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.close()
    assert main(["--db", str(db), "units"]) == 2
    assert "不是填报通的数据库" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]
    conn.close()


def test_units_on_an_older_schema_migrates_it_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.storage.db import Database, make_engine, migrate

    db = tmp_path / "old.db"
    engine = make_engine(db)
    migrate(engine, "0001")
    engine.dispose()
    assert main(["--db", str(db), "units"]) == 0
    assert capsys.readouterr().out == ""
    database = Database(db)  # now at the newest schema: opens without migrating
    database.close()
