"""Small reads for commands that start, print a few lines and end: straight from SQLite, without SQLAlchemy.

Importing SQLAlchemy's ORM and the models costs a command like ``units`` most of its time. These reads go through
:func:`app.storage.db.read_connection` when the database file is already up to date; otherwise the database is
first opened once as usual (:class:`app.storage.db.Database` creates, migrates or refuses it), so the answer is
the same either way. A database server is read through SQLAlchemy, as every command reaches one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import NamedTuple

from app.storage.db import Database, DatabaseError, read_connection


class UnitRow(NamedTuple):
    code: str
    name: str
    parent_code: str | None


def _connection(path: Path) -> sqlite3.Connection:
    conn = read_connection(path)
    if conn is None:
        Database(path).close()  # creates, migrates or refuses the file, with its message
        conn = read_connection(path)
    if conn is None:
        raise DatabaseError(f"数据库 {path} 无法读取")
    return conn


def _rows(location: Path | str, sql: str) -> list[tuple[object, ...]]:
    if not isinstance(location, Path):  # a database server: through SQLAlchemy, as every command reaches one
        from sqlalchemy import text

        db = Database(location)
        try:
            with db.engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            db.close()
    connection = _connection(location)
    try:
        return connection.execute(sql).fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(f"数据库 {location} 无法读取：{exc}") from exc
    finally:
        connection.close()


def units(location: Path | str) -> list[UnitRow]:
    """The reporting units in their order (the city first), each with its parent's code."""
    rows = _rows(
        location,
        "SELECT u.code, u.name, p.code FROM units u LEFT JOIN units p ON p.id = u.parent_id "
        "ORDER BY u.sort_order, u.id",
    )
    return [UnitRow(str(code), str(name), None if parent is None else str(parent)) for code, name, parent in rows]
