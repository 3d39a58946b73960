"""Submissions, values and the audit log: reading a unit's entries and changing them safely.

Every change is one transaction holding the new value and its audit row. A locked (signed) revision is never
changed: editing it opens the next revision, which starts as a copy and supersedes it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from types import EllipsisType

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.compute import EMPTY, Entry
from app.engine.numbers import NumberError, check_places, parse_decimal, to_text
from app.engine.periods import Period
from app.storage.calendar import entry_refusal_for
from app.storage.db import Database
from app.storage.models import AuditEntry, Catalog, Indicator, Submission, Unit, Value, utcnow

DRAFT = "draft"
# Longest explanation (情况说明) accepted, in characters: a paragraph or two, as on the printed form.
MAX_EXPLANATION = 2000
LOCKED = "locked"


class EntryError(ValueError):
    """A change that cannot be accepted; the message says why in Chinese."""


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name on some service accounts
        return "unknown"


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
_ENTRIES = (
    select(Indicator.code, Value.value, Value.numerator, Value.denominator, Value.explanation)
    .join(Indicator, Indicator.id == Value.indicator_id)
    .where(Value.submission_id == bindparam("submission"))
)
_ENTRIES_OF_CODES = _ENTRIES.where(Indicator.code.in_(bindparam("codes", expanding=True)))


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


def load_entries(
    session: Session,
    unit_code: str,
    period: Period,
    codes: Iterable[str] | None = None,
    catalog_code: str | None = None,
) -> dict[str, Entry]:
    """Indicator code → entry of the unit's latest revision for the period (only ``codes`` if given) under the
    indicator system ``catalog_code`` (see :func:`latest_submission`)."""
    unit = unit_by_code(session, unit_code)
    if unit is None:
        return {}
    sub = latest_submission(session, unit, period, catalog_code)
    if sub is None:
        return {}
    return entries_of(session, sub, codes)


def entries_of(session: Session, sub: Submission, codes: Iterable[str] | None = None) -> dict[str, Entry]:
    if codes is None:
        rows = session.execute(_ENTRIES, {"submission": sub.id})
    else:
        rows = session.execute(_ENTRIES_OF_CODES, {"submission": sub.id, "codes": list(codes)})
    return {code: Entry(v, n, d, e or "") for code, v, n, d, e in rows}


@dataclass(frozen=True)
class Change:
    """One requested change of one indicator. Fields left as ``...`` are not touched."""

    indicator: str
    value: Decimal | EllipsisType | None = ...
    numerator: Decimal | EllipsisType | None = ...
    denominator: Decimal | EllipsisType | None = ...
    explanation: str | EllipsisType = ...


def parse_input(ind: IndicatorSpec, field: str, text: str | None) -> Decimal | None:
    """Turn what a clerk typed for ``field`` (value / numerator / denominator) into a checked Decimal.

    Empty text clears the field. Too many decimal places is an error, never rounded away.
    """
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    if field == "value" and ind.unit == "%" and text.endswith(("%", "％")):
        text = text[:-1]  # “84%” in a percent cell means 84, as Excel shows it
    value = parse_decimal(text, lenient=True)
    places = ind.decimals
    what = ind.name
    if field == "numerator" and ind.numerator is not None:
        places, what = ind.numerator.decimals, f"{ind.name}的分子（{ind.numerator.name}）"
    elif field == "denominator" and ind.denominator is not None:
        places, what = ind.denominator.decimals, f"{ind.name}的分母（{ind.denominator.name}）"
    check_places(value, places, what)
    return value


def _check_change(ind: IndicatorSpec, change: Change) -> None:
    if ind.kind == "derived" and any(x is not ... for x in (change.value, change.numerator, change.denominator)):
        raise EntryError(f"{ind.name}是计算型指标，由公式自动计算，不能直接填写")
    if ind.kind == "ratio" and change.value is not ...:
        raise EntryError(f"{ind.name}是比率型指标，请分别填写分子和分母")
    if ind.kind == "base" and (change.numerator is not ... or change.denominator is not ...):
        raise EntryError(f"{ind.name}不是比率型指标，没有分子和分母")
    for field, places in (
        ("value", ind.decimals),
        ("numerator", ind.numerator.decimals if ind.numerator else 0),
        ("denominator", ind.denominator.decimals if ind.denominator else 0),
    ):
        v = getattr(change, field)
        if isinstance(v, Decimal):
            try:
                check_places(v, places, ind.name)
            except NumberError as exc:
                raise EntryError(str(exc)) from exc


def editable_submission(
    session: Session,
    catalog: Catalog,
    unit: Unit,
    period: Period,
    user: str,
    latest: Submission | EllipsisType | None = ...,
) -> Submission:
    """The draft revision to write into: the open one, or a new revision that starts as a copy of the last.

    A new revision is opened after the last one was locked, and also when the city issued a new version of the
    template since: the draft then moves to the new catalog, keeping the values of indicators it still has.
    ``latest`` is :func:`latest_submission` of ``catalog.code`` when the caller has just read it.
    """
    sub = latest_submission(session, unit, period, catalog.code) if latest is ... else latest
    if sub is not None and sub.status == DRAFT and sub.catalog_id == catalog.id:
        return sub
    revision = 1 if sub is None else sub.revision + 1
    new = Submission(catalog_id=catalog.id, unit_id=unit.id, period=str(period), revision=revision, status=DRAFT)
    session.add(new)
    session.flush()
    if sub is None:
        _audit(session, user, "create", new, unit.code)
        session.flush()
        return new
    targets = {
        code: (indicator_id, kind)
        for code, indicator_id, kind in session.execute(
            select(Indicator.code, Indicator.id, Indicator.kind).where(Indicator.catalog_id == catalog.id)
        )
    }
    source_codes = dict(
        session.execute(select(Indicator.id, Indicator.code).where(Indicator.catalog_id == sub.catalog_id)).all()
    )
    for old in session.scalars(select(Value).where(Value.submission_id == sub.id)):
        target = targets.get(source_codes.get(old.indicator_id, ""))
        if target is None:
            continue  # the indicator is no longer in the template
        indicator_id, kind = target
        # A derived indicator's figure is computed: a value an earlier version let the clerk type is not kept,
        # but its explanation is.
        figures = kind != "derived"
        session.add(
            Value(
                submission_id=new.id,
                indicator_id=indicator_id,
                value=old.value if figures else None,
                numerator=old.numerator if figures else None,
                denominator=old.denominator if figures else None,
                explanation=old.explanation,
                updated_by=old.updated_by,
            )
        )
    reason = f"由第 {sub.revision} 版修订" if sub.catalog_id == catalog.id else f"第 {sub.revision} 版改用新版模板"
    _audit(session, user, "open_revision", new, unit.code, detail=reason)
    session.flush()
    return new


def apply_changes(
    session: Session,
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


def apply_and_read(
    session: Session,
    spec: CatalogSpec,
    unit_code: str,
    period: Period,
    changes: list[Change],
    user: str | None = None,
    action: str = "edit",
) -> tuple[int, dict[str, Entry]]:
    """:func:`apply_changes`, and the changed indicators' entries as they now stand in the revision written
    (what an open form shows again after an edit), read in the same transaction."""
    user = user or current_user()
    catalog = session.scalar(
        select(Catalog).where(Catalog.code == spec.code, Catalog.version == spec.version, Catalog.year == spec.year)
    )
    unit = unit_by_code(session, unit_code)
    if catalog is None or unit is None:
        raise EntryError(f"单位 {unit_code} 或指标体系 {spec.code} 不存在")
    if period.year != spec.year:
        raise EntryError(f"报告期 {period} 不属于 {spec.year} 年度的指标体系")
    if action != "demo":  # the demo's figures are its story, entered before its periods closed
        refusal = entry_refusal_for(session, spec, unit_code, period)
        if refusal is not None:
            raise EntryError(refusal)
    for change in changes:
        ind = spec.by_code.get(change.indicator)
        if ind is None:
            raise EntryError(f"指标代码 {change.indicator} 不存在")
        _check_change(ind, change)
        touches_figures = any(x is not ... for x in (change.value, change.numerator, change.denominator))
        if touches_figures and not spec.entered_at(ind, unit_code):
            raise EntryError(f"{ind.name}由下级单位的填报汇总得出，{unit_code} 不能直接填写")
    wanted = list({c.indicator for c in changes})
    latest = latest_submission(session, unit, period, spec.code)
    current = {} if latest is None else entries_of(session, latest, wanted)
    if not any(_differs(current.get(c.indicator, EMPTY), c) for c in changes):
        return 0, current  # nothing changes: in particular a locked revision is not reopened for it
    ids = dict(
        session.execute(
            select(Indicator.code, Indicator.id).where(Indicator.catalog_id == catalog.id, Indicator.code.in_(wanted))
        ).all()
    )
    sub = editable_submission(session, catalog, unit, period, user, latest)
    existing = {
        v.indicator_id: v
        for v in session.scalars(
            select(Value).where(
                Value.submission_id == sub.id, Value.indicator_id.in_([ids[c.indicator] for c in changes])
            )
        )
    }
    changed = 0
    now = utcnow()
    for change in changes:
        row = existing.get(ids[change.indicator])
        if row is None:
            row = Value(submission_id=sub.id, indicator_id=ids[change.indicator], explanation="")
            session.add(row)
            existing[row.indicator_id] = row
        for field in ("value", "numerator", "denominator", "explanation"):
            new = getattr(change, field)
            if new is ...:
                continue
            old = getattr(row, field)
            if field == "explanation":
                new = str(new).strip()
                if new == (old or ""):
                    continue
            elif old == new and (old is None or to_text(old) == to_text(new)):
                continue
            setattr(row, field, new)
            _audit(session, user, action, sub, unit.code, change.indicator, field, _text(old), _text(new))
            changed += 1
        row.updated_at, row.updated_by = now, user
    session.flush()
    return changed, entries_of(session, sub, wanted)


def _differs(entry: Entry, change: Change) -> bool:
    """Whether ``change`` would alter ``entry`` as written (2.00 → 2 is a change)."""
    for field in ("value", "numerator", "denominator"):
        new = getattr(change, field)
        if new is not ... and to_text(new) != to_text(getattr(entry, field)):
            return True
    return change.explanation is not ... and str(change.explanation).strip() != entry.explanation


def _text(v: object) -> str | None:
    if v is None:
        return None
    return to_text(v) if isinstance(v, Decimal) else str(v)


def _audit(
    session: Session,
    user: str,
    action: str,
    sub: Submission,
    unit_code: str,
    indicator: str = "",
    field: str = "",
    old: str | None = None,
    new: str | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditEntry(
            user=user,
            action=action,
            submission_id=sub.id,
            unit_code=unit_code,
            period=sub.period,
            revision=sub.revision,
            indicator_code=indicator,
            field=field,
            old=old,
            new=new,
            detail=detail,
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


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    status: str
    created_at: str
    locked_at: str | None
    locked_by: str | None
    returned_reason: str | None = None


def revisions(session: Session, unit_code: str, period: Period) -> list[RevisionInfo]:
    unit = unit_by_code(session, unit_code)
    if unit is None:
        return []
    rows = session.scalars(
        select(Submission)
        .where(Submission.unit_id == unit.id, Submission.period == str(period))
        .order_by(Submission.revision)
    )
    return [RevisionInfo(s.revision, s.status, s.created_at, s.locked_at, s.locked_by, s.returned_reason) for s in rows]


@dataclass(frozen=True)
class AuditRow:
    at: str
    user: str
    action: str
    revision: int | None
    field: str
    old: str | None
    new: str | None
    detail: str


def audit_trail(session: Session, unit_code: str, period: Period, indicator: str | None = None) -> list[AuditRow]:
    """The audit log of a unit and period, or of one indicator's cell, oldest first."""
    query = select(AuditEntry).where(AuditEntry.unit_code == unit_code, AuditEntry.period == str(period))
    if indicator is not None:
        query = query.where(AuditEntry.indicator_code == indicator)
    return [
        AuditRow(a.at, a.user, a.action, a.revision, a.field, a.old, a.new, a.detail)
        for a in session.scalars(query.order_by(AuditEntry.id))
    ]


def count_audit(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def city_code(db: Database) -> str:
    """The code of the top unit (the city) of the database."""
    with db.session() as session:
        code = session.scalar(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    if code is None:
        raise LookupError("数据库中没有单位")
    return code
