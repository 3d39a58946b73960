"""Shared fixtures: a fresh database migrated to head for each test, and helpers to fill it.

``any_db`` is the same for SQLite and PostgreSQL: tests that take it run against both (see ``tests/pg.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.storage.db import Database
from tests.pg import PgServer, in_ci, pg_server


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "test.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PgServer]:
    """The PostgreSQL test server; skipped when none can be started here, a failure under CI."""
    try:
        with pg_server() as server:
            yield server
    except RuntimeError as exc:
        if in_ci():
            pytest.fail(f"CI 必须能连接 PostgreSQL：{exc}")
        pytest.skip(f"没有可用的 PostgreSQL：{exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """A fresh database at head, once as a SQLite file and once on the PostgreSQL server."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        Database(path).close()
        yield path
        return
    server: PgServer = request.getfixturevalue("postgresql")
    url = server.fresh()
    yield url
    server.drop(url)


@pytest.fixture
def any_db(database_location: Path | str) -> Iterator[Database]:
    database = Database(database_location)
    yield database
    database.close()
