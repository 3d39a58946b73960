"""Plain SQL run on either kind of connection the program holds.

The desktop reads and saves an open form straight through SQLite (importing SQLAlchemy's ORM and the models is
most of a window's start); every other path holds a SQLAlchemy session, on SQLite or PostgreSQL. Queries written
once with ``:name`` parameters run on both: sqlite3 takes that style itself, and SQLAlchemy's ``text()`` turns it
into the server driver's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy.orm import Session
    from sqlalchemy.sql.elements import TextClause

Source: TypeAlias = "Session | sqlite3.Connection"
Params: TypeAlias = Mapping[str, Any]

# Parsing a text() statement costs about as much as running a small query; each distinct statement is made once.
_TEXTS: dict[str, TextClause] = {}


def _text(sql: str) -> TextClause:
    clause = _TEXTS.get(sql)
    if clause is None:
        from sqlalchemy import text

        clause = _TEXTS[sql] = text(sql)
    return clause


def rows(source: Source, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """Every row of ``sql``."""
    if isinstance(source, sqlite3.Connection):
        return source.execute(sql, params or {}).fetchall()
    # A text() statement does not flush the session by itself: what the caller added must be seen.
    source.flush()
    return [tuple(row) for row in source.execute(_text(sql), params or {})]


def first(source: Source, sql: str, params: Params | None = None) -> tuple[Any, ...] | None:
    """The first row of ``sql``, or None."""
    found = rows(source, sql, params)
    return found[0] if found else None


def run(source: Source, sql: str, params: Params | None = None) -> None:
    """A statement that returns nothing."""
    if isinstance(source, sqlite3.Connection):
        source.execute(sql, params or {})
        return
    source.flush()
    source.execute(_text(sql), params or {})


def insert(source: Source, sql: str, params: Params) -> int:
    """Run an ``INSERT`` of one row and return the new row's id."""
    if isinstance(source, sqlite3.Connection):
        # lastrowid works with every SQLite a Windows Python may bring; RETURNING needs 3.35 or later.
        row_id = source.execute(sql, params).lastrowid
        assert row_id is not None
        return row_id
    source.flush()
    if source.get_bind().dialect.name == "sqlite":
        result: Any = source.execute(_text(sql), params)  # a CursorResult, which knows the row's id
        return int(result.lastrowid)
    found = rows(source, f"{sql} RETURNING id", params)
    return int(found[0][0])


def run_many(source: Source, sql: str, params: list[dict[str, Any]]) -> None:
    """One statement for each set of ``params``."""
    if not params:
        return
    if isinstance(source, sqlite3.Connection):
        source.executemany(sql, params)
        return
    source.flush()
    source.execute(_text(sql), params)


def in_list(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """``(:name0, :name1, …)`` and its parameters, for an ``IN`` over ``values`` (both drivers take it)."""
    params = {f"{name}{i}": v for i, v in enumerate(values)}
    return "(" + ", ".join(f":{key}" for key in params) + ")" if params else "(NULL)", params
