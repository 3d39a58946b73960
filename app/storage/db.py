"""Opening the database: SQLite pragmas for safety, schema migrations on open, sessions.

The default file lives in the per-user data folder; ``--db PATH`` or ``TIANBAO_DB`` override it. A city whose
intake service runs several workers or machines gives a PostgreSQL URL instead
(``postgresql+psycopg://user:password@host/name``): the same models and the same migrations.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from app.storage.sql import Source

# SQLAlchemy is imported where a database is opened, not with this module: a command that only reads a little
# (``units``) or needs no database at all (``verify``) starts without it (``read_connection``).

APP_NAME = "Tianbao"
# The newest migration; checked against the scripts by a test. Knowing it here lets an up-to-date
# database open without importing Alembic, which would cost start-up time.
SCHEMA_HEAD = "0007"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# Taken by every process that migrates a PostgreSQL database, so that workers starting together migrate once.
_PG_MIGRATION_LOCK = 5_202_301


class DatabaseError(RuntimeError):
    """The database file cannot be used; the message says why in Chinese."""


def is_url(location: Path | str) -> bool:
    """Whether ``location`` names a database server (``postgresql+psycopg://…``) rather than a file."""
    return isinstance(location, str) and "://" in location


def server_url(location: str) -> str:
    """The SQLAlchemy URL of a server database; only PostgreSQL (through psycopg) is supported."""
    scheme, _, rest = location.partition("://")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    raise DatabaseError(f"不支持的数据库地址“{scheme}://…”：请给出数据库文件，或 postgresql+psycopg:// 开头的地址")


def data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    env = os.environ.get("TIANBAO_DB")
    if env and not is_url(env):
        return Path(env)
    return data_dir() / "tianbao.db"


def default_db_location() -> Path | str:
    """``TIANBAO_DB`` as given (a file or a server URL), else the file in the data folder."""
    env = os.environ.get("TIANBAO_DB")
    return env if env and is_url(env) else default_db_path()


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # Per connection, and changing nothing in the file: WAL, which is kept in the file itself, is switched on
        # only once the file is known to be this program's (Database.__init__).
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit that returned survives a power cut or a killed process.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def make_engine(path: Path) -> Engine:
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import URL

    # Built, not parsed from text: as a URL, "%41" in a folder name would be read as "A" and a "?" would end the path.
    engine = create_engine(URL.create("sqlite", database=str(path)), future=True)
    event.listen(engine, "connect", _on_connect)
    return engine


def make_server_engine(url: str) -> Engine:
    from sqlalchemy import create_engine

    # pre_ping: a connection the server dropped (restart, idle timeout) is replaced instead of failing a request.
    return create_engine(server_url(url), future=True, pool_pre_ping=True, pool_size=10, max_overflow=10)


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            exists = (
                conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'")).first()
                is not None
            )
        else:
            exists = inspect(conn).has_table("alembic_version")
        if not exists:
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return None if row is None else str(row[0])


def _has_tables(engine: Engine) -> bool:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            return bool(inspect(conn).get_table_names())
        return conn.execute(text("SELECT 1 FROM sqlite_master WHERE type='table' LIMIT 1")).first() is not None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic, keeping every row."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine.dialect.name != "sqlite":
        _migrate_server(engine, config, revision)
        return
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


def _migrate_server(engine: Engine, config: Any, revision: str) -> None:
    """PostgreSQL: the whole upgrade in one transaction (its DDL is transactional), one process at a time."""
    from alembic import command
    from sqlalchemy import text

    with engine.connect() as connection, connection.begin():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


class Database:
    """An open database (a file, or a PostgreSQL server) with its migrated schema.

    An up-to-date database file opens without SQLAlchemy: the engine is made when a session is first asked for,
    and :meth:`reading` reads through plain SQLite until then (the window's first form is shown that way).
    """

    def __init__(self, location: Path | str) -> None:
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._local = threading.local()
        self._plain: list[sqlite3.Connection] = []
        self._plain_lock = threading.Lock()
        if is_url(location):
            url = str(location)
            if url.startswith("sqlite:///"):
                location = Path(url.removeprefix("sqlite:///"))
        self.server = is_url(location)
        if self.server:
            # A server database has no file; its keys live by default in the data folder, as keys beside a
            # database file do (default_keys_dir of this path).
            self.path = data_dir() / "server-database"
            self._engine = make_server_engine(str(location))
            self.location = self._engine.url.render_as_string(hide_password=True)
        else:
            self.path = Path(location)
            self.location = str(self.path)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"无法创建数据文件夹 {self.path.parent}：{exc}") from exc
            ready = read_connection(self.path)
            if ready is not None:
                try:
                    journal = ready.execute("PRAGMA journal_mode").fetchone()
                finally:
                    ready.close()
                if journal is not None and str(journal[0]).lower() == "wal":
                    # This program's file at the current schema, as it keeps it: nothing to create, migrate,
                    # refuse or set (a file copied or changed elsewhere, out of WAL, takes the way below).
                    return
            self._engine = make_engine(self.path)
        engine = self._engine
        try:
            revision = current_revision(engine)
            if revision is None and _has_tables(engine):
                raise DatabaseError(f"{self.location} 不是填报通的数据库（其中已有别的程序的数据表），未作任何修改")
            if revision != SCHEMA_HEAD:
                migrate(engine)
            if engine.dialect.name == "sqlite":
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        except Exception as exc:
            engine.dispose()
            if isinstance(exc, DatabaseError):
                raise
            raise DatabaseError(f"数据库 {self.location} 无法打开或升级：{exc}") from exc

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.path)
        return self._engine

    @property
    def is_sqlite(self) -> bool:
        return not self.server

    def session(self) -> Session:
        if self._sessions is None:
            from sqlalchemy.orm import sessionmaker

            self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self.session() as session, session.begin():
            yield session

    def plain(self) -> sqlite3.Connection:
        """This thread's own plain SQLite connection to the file (not for a server database).

        Autocommit: :meth:`reading` and :meth:`writing` open the transactions; settings as for every connection.
        """
        assert not self.server, "a server database is reached through SQLAlchemy"
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # Used by this thread only; close() may come from another one once it is done.
            conn = sqlite3.connect(self.path, timeout=5.0, isolation_level=None, check_same_thread=False)
            _on_connect(conn, None)
            self._local.conn = conn
            with self._plain_lock:
                self._plain.append(conn)
        return conn

    @contextmanager
    def reading(self) -> Iterator[Source]:
        """Something to read from in one snapshot: the plain connection of a file, else a session."""
        if self.server:
            with self.session() as session:
                yield session
            return
        conn = self.plain()
        if conn.in_transaction:  # inside an outer reading() or writing(): its snapshot holds
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            _end(conn, "COMMIT")

    @contextmanager
    def writing(self) -> Iterator[Source]:
        """Something to write through, committed together or not at all: the plain connection of a file (its write
        lock taken at once, so the reads in between see what is being changed), else a session."""
        if self.server:
            with self.transaction() as session:
                yield session
            return
        conn = self.plain()
        if conn.in_transaction:
            raise RuntimeError("writing() inside another reading() or writing() of the same thread")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            _end(conn, "ROLLBACK")
            raise
        _end(conn, "COMMIT")

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ("ok" when sound); a server checks its own storage."""
        from sqlalchemy import text

        with self.engine.connect() as conn:
            if not self.is_sqlite:
                return "ok" if conn.execute(text("SELECT 1")).scalar() == 1 else "unreachable"
            return str(conn.execute(text("PRAGMA integrity_check")).scalar())

    def close(self) -> None:
        """Close the database; other threads that used it (each with its own connection) must be done with it."""
        with self._plain_lock:
            plain, self._plain = self._plain, []
        for conn in plain:
            conn.close()
        self._local = threading.local()
        if self._engine is not None:
            self._engine.dispose()


def _end(conn: sqlite3.Connection, how: str) -> None:
    """End the connection's transaction (COMMIT or ROLLBACK) so that it never stays open: a COMMIT that fails
    (a full disk) is rolled back, keeping the write lock from no one; SQLite may have rolled back by itself."""
    try:
        if conn.in_transaction:
            conn.execute(how)
    except sqlite3.Error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def read_connection(path: Path) -> sqlite3.Connection | None:
    """A read-only SQLite connection to an existing, up-to-date database file, without loading SQLAlchemy;
    ``None`` when the file is missing, not this program's or of an older schema (or cannot be opened so) — then
    open it with :class:`Database`, which creates, migrates or refuses it with the right message."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except (sqlite3.Error, ValueError):
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        row = None
    if row is None or row[0] != SCHEMA_HEAD:
        conn.close()
        return None
    return conn


def open_database(location: Path | str | None = None) -> Database:
    """The database at ``location`` (a file or a server URL), else the default one."""
    if location is None:
        return Database(default_db_location())
    return Database(location if is_url(location) else Path(location))
