"""Small reads for commands that start, print a few lines and end: straight from SQLite, without SQLAlchemy.

Importing SQLAlchemy's ORM and the models costs a command like ``units`` most of its time. These reads go through
:func:`app.storage.db.read_connection` when the database is already up to date; otherwise the database is first
opened once as usual (:class:`app.storage.db.Database` creates, migrates or refuses it), so the answer is the
same either way.
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


def units(path: Path) -> list[UnitRow]:
    """The reporting units in their order (the city first), each with its parent's code."""
    conn = _connection(path)
    try:
        rows = conn.execute(
            "SELECT u.code, u.name, p.code FROM units u LEFT JOIN units p ON p.id = u.parent_id "
            "ORDER BY u.sort_order, u.id"
        ).fetchall()
    except sqlite3.Error as exc:
        raise DatabaseError(f"数据库 {path} 无法读取：{exc}") from exc
    finally:
        conn.close()
    return [UnitRow(str(code), str(name), None if parent is None else str(parent)) for code, name, parent in rows]
