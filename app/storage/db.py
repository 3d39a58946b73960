"""Opening the database: SQLite pragmas for safety, schema migrations on open, sessions.

The default file lives in the per-user data folder; ``--db PATH`` or ``TIANBAO_DB`` override it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

APP_NAME = "Tianbao"
# The newest migration; checked against the scripts by a test. Knowing it here lets an up-to-date
# database open without importing Alembic, which would cost start-up time.
SCHEMA_HEAD = "0004"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class DatabaseError(RuntimeError):
    """The database file cannot be used; the message says why in Chinese."""


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    env = os.environ.get("TIANBAO_DB")
    if env:
        return Path(env)
    return data_dir() / "tianbao.db"


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit that returned survives a power cut or a killed process.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def make_engine(path: Path) -> Engine:
    # Built, not parsed from text: as a URL, "%41" in a folder name would be read as "A" and a "?" would end the path.
    engine = create_engine(URL.create("sqlite", database=str(path)), future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")).first()
        if not exists:
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def _has_tables(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' LIMIT 1")).first() is not None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic, keeping every row."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.connect() as connection:
        # SQLite rebuilds a table to alter it; with foreign keys on, dropping the old copy would delete or
        # orphan the rows that point at it. Keys are switched off for the migration and checked after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseError(f"数据库升级后有 {len(broken)} 条记录的关联失效，升级已撤销")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


class Database:
    """An open database file with its migrated schema."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"无法创建数据文件夹 {self.path.parent}：{exc}") from exc
        self.engine = make_engine(self.path)
        try:
            revision = current_revision(self.engine)
            if revision is None and _has_tables(self.engine):
                raise DatabaseError(f"{self.path} 不是填报通的数据库（其中已有别的程序的数据表），未作任何修改")
            if revision != SCHEMA_HEAD:
                migrate(self.engine)
        except Exception as exc:
            self.engine.dispose()
            if isinstance(exc, DatabaseError):
                raise
            raise DatabaseError(f"数据库 {self.path} 无法打开或升级：{exc}") from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self._sessions() as session, session.begin():
            yield session

    def integrity_check(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())

    def close(self) -> None:
        self.engine.dispose()


def open_database(path: Path | str | None = None) -> Database:
    return Database(Path(path) if path is not None else default_db_path())
