"""Submissions, values and the audit log through the ORM: what commands, imports and the city use.

Reading and changing a unit's entries is written once, in plain SQL (:mod:`app.storage.reads`,
:mod:`app.storage.entries`), and offered here with a session as well.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.engine.catalog import CatalogSpec
from app.engine.compute import Entry
from app.engine.periods import Period
from app.storage import reads
from app.storage.db import Database
from app.storage.entries import (
    DRAFT,
    LOCKED,
    MAX_EXPLANATION,
    Change,
    EntryError,
    apply_and_read,
    current_user,
    parse_input,
)
from app.storage.models import AuditEntry, Catalog, Submission, Unit, utcnow
from app.storage.reads import AuditRow, RevisionInfo, audit_trail, load_entries, revisions
from app.storage.sql import Source

# Offered here too: callers that hold a session import what they read and change entries with from this one module.
__all__ = [
    "DRAFT",
    "LOCKED",
    "MAX_EXPLANATION",
    "AuditRow",
    "Change",
    "EntryError",
    "RevisionInfo",
    "apply_and_read",
    "apply_changes",
    "audit_trail",
    "catalog_for_year",
    "city_code",
    "count_audit",
    "current_user",
    "entries_of",
    "latest_submission",
    "load_entries",
    "lock_submission",
    "parse_input",
    "revisions",
    "unit_by_code",
]


def catalog_for_year(session: Session, year: int) -> Catalog | None:
    """The newest imported catalog for ``year``."""
    return session.scalar(
        select(Catalog).where(Catalog.year == year).order_by(Catalog.imported_at.desc(), Catalog.id.desc()).limit(1)
    )


# The statements an edit runs, built once: building a statement costs about as much as running it on SQLite.
_UNIT_BY_CODE = select(Unit).where(Unit.code == bindparam("code"))
_LATEST = (
    select(Submission)
    .join(Catalog, Catalog.id == Submission.catalog_id)
    .where(Submission.unit_id == bindparam("unit"), Submission.period == bindparam("period"))
    .where(Catalog.year == bindparam("year"))
    .order_by(Submission.revision.desc())
    .limit(1)
)
_LATEST_OF_CODE = _LATEST.where(Catalog.code == bindparam("code"))


def unit_by_code(session: Session, code: str) -> Unit | None:
    unit: Unit | None = session.scalar(_UNIT_BY_CODE, {"code": code})
    return unit


def latest_submission(
    session: Session, unit: Unit, period: Period, catalog_code: str | None = None
) -> Submission | None:
    """The highest revision of ``unit``'s report for ``period`` under the indicator system ``catalog_code``.

    Any version of that system counts (a newer version carries the figures on); another system's figures —
    the demo catalog's, say — never do. ``None`` looks at every system of the year.
    """
    params = {"unit": unit.id, "period": str(period), "year": period.year}
    if catalog_code is None:
        latest: Submission | None = session.scalar(_LATEST, params)
    else:
        latest = session.scalar(_LATEST_OF_CODE, {**params, "code": catalog_code})
    return latest


def entries_of(session: Session, sub: Submission, codes: Iterable[str] | None = None) -> dict[str, Entry]:
    return reads.entries(session, sub.id, codes)


def apply_changes(
    session: Source,
    spec: CatalogSpec,
    unit_code: str,
    period: Period,
    changes: list[Change],
    user: str | None = None,
    action: str = "edit",
) -> int:
    """Apply ``changes`` to the unit's open revision with one audit row per changed field.

    All or nothing within the caller's transaction. Returns how many fields actually changed.
    """
    return apply_and_read(session, spec, unit_code, period, changes, user, action)[0]


def _audit(session: Session, user: str, action: str, sub: Submission, unit_code: str) -> None:
    session.add(
        AuditEntry(
            user=user,
            action=action,
            submission_id=sub.id,
            unit_code=unit_code,
            period=sub.period,
            revision=sub.revision,
        )
    )


def lock_submission(
    session: Session,
    unit_code: str,
    period: Period,
    user: str | None = None,
    payload_hash: str | None = None,
    signature: str | None = None,
    catalog_code: str | None = None,
) -> Submission:
    """Freeze the unit's open revision: from now on it never changes; edits open the next revision."""
    user = user or current_user()
    unit = unit_by_code(session, unit_code)
    sub = None if unit is None else latest_submission(session, unit, period, catalog_code)
    if sub is None:
        raise EntryError(f"单位 {unit_code} 在 {period} 没有可锁定的填报")
    if sub.status != DRAFT:
        raise EntryError(f"第 {sub.revision} 版已锁定，不能重复锁定")
    sub.status, sub.locked_at, sub.locked_by = LOCKED, utcnow(), user
    sub.payload_hash, sub.signature = payload_hash, signature
    _audit(session, user, "lock", sub, unit_code)
    session.flush()
    return sub


def count_audit(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def city_code(db: Database) -> str:
    """The code of the top unit (the city) of the database."""
    with db.session() as session:
        code = session.scalar(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    if code is None:
        raise LookupError("数据库中没有单位")
    return code
