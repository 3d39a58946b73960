"""Changing a unit's entries safely, in plain SQL on either connection (:mod:`app.storage.sql`).

Every change is one transaction holding the new value and its audit row. A locked (signed) revision is never
changed: editing it opens the next revision, which starts as a copy and supersedes it. An open form saves each
keystroke through this without SQLAlchemy; commands and imports call it with their session.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from decimal import Decimal
from types import EllipsisType
from typing import Any

from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.compute import EMPTY, Entry
from app.engine.numbers import NumberError, check_places, parse_decimal, to_text
from app.engine.periods import Period
from app.engine.timefmt import utcnow
from app.storage import reads
from app.storage.calendar import entry_refusal_for
from app.storage.sql import Source, first, in_list, insert, rows, run

DRAFT = "draft"
LOCKED = "locked"
# Longest explanation (情况说明) accepted, in characters: a paragraph or two, as on the printed form.
MAX_EXPLANATION = 2000
FIELDS = ("value", "numerator", "denominator", "explanation")


class EntryError(ValueError):
    """A change that cannot be accepted; the message says why in Chinese."""


def current_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name on some service accounts
        return "unknown"


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
    for field in ("value", "numerator", "denominator"):
        figure = getattr(change, field)
        if figure is not ... and figure is not None and not isinstance(figure, Decimal):
            raise TypeError(f"expected Decimal for {field}, got {type(figure).__name__}")
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


_AUDIT = (
    'INSERT INTO audit_log (at, "user", action, submission_id, unit_code, period, revision, indicator_code, field, '
    "old, new, detail) VALUES (:at, :user, :action, :submission, :unit, :period, :revision, :indicator, :field, "
    ":old, :new, :detail)"
)


@dataclass(frozen=True)
class _Revision:
    id: int
    revision: int
    period: str


def _audit(
    source: Source,
    user: str,
    action: str,
    sub: _Revision,
    unit_code: str,
    indicator: str = "",
    field: str = "",
    old: str | None = None,
    new: str | None = None,
    detail: str = "",
) -> None:
    params = {"at": utcnow(), "user": user, "action": action, "submission": sub.id, "unit": unit_code}
    params.update(period=sub.period, revision=sub.revision, indicator=indicator, field=field, old=old, new=new)
    run(source, _AUDIT, {**params, "detail": detail})


# A new revision starts as a copy of the last, moved to the catalog written into (a newer version of the template
# keeps the values of the indicators it still has). A derived indicator's figure is computed: a value an earlier
# version let the clerk type is not kept, but its explanation is.
_COPY_VALUES = (
    "INSERT INTO submission_values (submission_id, indicator_id, value, numerator, denominator, explanation, "
    "updated_at, updated_by) "
    "SELECT :new, ni.id, CASE WHEN ni.kind = 'derived' THEN NULL ELSE v.value END, "
    "CASE WHEN ni.kind = 'derived' THEN NULL ELSE v.numerator END, "
    "CASE WHEN ni.kind = 'derived' THEN NULL ELSE v.denominator END, v.explanation, :now, v.updated_by "
    "FROM submission_values v JOIN indicators oi ON oi.id = v.indicator_id "
    "JOIN indicators ni ON ni.catalog_id = :catalog AND ni.code = oi.code "
    "WHERE v.submission_id = :old ORDER BY v.id"
)


def editable_revision(
    source: Source,
    catalog: int,
    unit: int,
    unit_code: str,
    period: Period,
    user: str,
    latest: reads.Latest | None,
) -> _Revision:
    """The draft revision to write into: the open one, or a new revision that starts as a copy of the last.

    A new revision is opened after the last one was locked, and also when the city issued a new version of the
    template since: the draft then moves to the new catalog, keeping the values of indicators it still has.
    ``latest`` is :func:`reads.latest` of the catalog's system.
    """
    if latest is not None and latest.status == DRAFT and latest.catalog_id == catalog:
        return _Revision(latest.id, latest.revision, str(period))
    revision = 1 if latest is None else latest.revision + 1
    new_id = insert(
        source,
        "INSERT INTO submissions (catalog_id, unit_id, period, revision, status, created_at) "
        "VALUES (:catalog, :unit, :period, :revision, :status, :now)",
        {"catalog": catalog, "unit": unit, "period": str(period), "revision": revision, "status": DRAFT}
        | {"now": utcnow()},
    )
    new = _Revision(new_id, revision, str(period))
    if latest is None:
        _audit(source, user, "create", new, unit_code)
        return new
    run(source, _COPY_VALUES, {"new": new.id, "now": utcnow(), "catalog": catalog, "old": latest.id})
    same = latest.catalog_id == catalog
    reason = f"由第 {latest.revision} 版修订" if same else f"第 {latest.revision} 版改用新版模板"
    _audit(source, user, "open_revision", new, unit_code, detail=reason)
    return new


def apply_and_read(
    source: Source,
    spec: CatalogSpec,
    unit_code: str,
    period: Period,
    changes: list[Change],
    user: str | None = None,
    action: str = "edit",
) -> tuple[int, dict[str, Entry]]:
    """Apply ``changes`` to the unit's open revision with one audit row per changed field, and read the changed
    indicators' entries as they now stand in the revision written (what an open form shows again after an edit).

    All or nothing within the caller's transaction. Returns how many fields actually changed, and the entries.
    """
    user = user or current_user()
    found = first(
        source,
        "SELECT id FROM catalogs WHERE code = :code AND version = :version AND year = :year",
        {"code": spec.code, "version": spec.version, "year": spec.year},
    )
    unit = reads.unit_id(source, unit_code)
    if found is None or unit is None:
        raise EntryError(f"单位 {unit_code} 或指标体系 {spec.code} 不存在")
    catalog = int(found[0])
    if period.year != spec.year:
        raise EntryError(f"报告期 {period} 不属于 {spec.year} 年度的指标体系")
    if action != "demo":  # the demo's figures are its story, entered before its periods closed
        refusal = entry_refusal_for(source, spec, unit_code, period)
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
    latest = reads.latest(source, unit, period, spec.code)
    current = {} if latest is None else reads.entries(source, latest.id, wanted)
    if not any(_differs(current.get(c.indicator, EMPTY), c) for c in changes):
        return 0, current  # nothing changes: in particular a locked revision is not reopened for it
    codes, code_params = in_list("code", wanted)
    ids: dict[str, int] = dict(
        rows(
            source,
            f"SELECT code, id FROM indicators WHERE catalog_id = :catalog AND code IN {codes}",
            {"catalog": catalog, **code_params},
        )
    )
    sub = editable_revision(source, catalog, unit, unit_code, period, user, latest)
    listed, id_params = in_list("indicator", ids.values())
    existing: dict[int, dict[str, Any]] = {
        r[0]: {"id": r[1], "value": reads.dec(r[2]), "numerator": reads.dec(r[3]), "denominator": reads.dec(r[4]),
               "explanation": r[5]}
        for r in rows(
            source,
            "SELECT indicator_id, id, value, numerator, denominator, explanation FROM submission_values "
            f"WHERE submission_id = :submission AND indicator_id IN {listed}",
            {"submission": sub.id, **id_params},
        )
    }  # fmt: skip
    changed = 0
    now = utcnow()
    for change in changes:
        indicator = ids[change.indicator]
        row = existing.get(indicator)
        if row is None:
            made = insert(
                source,
                "INSERT INTO submission_values (submission_id, indicator_id, explanation, updated_at, updated_by) "
                "VALUES (:submission, :indicator, '', :now, :user)",
                {"submission": sub.id, "indicator": indicator, "now": now, "user": user},
            )
            row = existing[indicator] = {"id": made, "value": None, "numerator": None, "denominator": None}
            row["explanation"] = ""
        for field in FIELDS:
            new = getattr(change, field)
            if new is ...:
                continue
            old = row[field]
            if field == "explanation":
                new = str(new).strip()
                if new == (old or ""):
                    continue
            elif old == new and (old is None or to_text(old) == to_text(new)):
                continue
            row[field] = new
            _audit(source, user, action, sub, unit_code, change.indicator, field, _text(old), _text(new))
            changed += 1
        figures = {f: _text(row[f]) for f in ("value", "numerator", "denominator")}
        run(
            source,
            "UPDATE submission_values SET value = :value, numerator = :numerator, denominator = :denominator, "
            "explanation = :explanation, updated_at = :now, updated_by = :user WHERE id = :id",
            {**figures, "explanation": row["explanation"] or "", "now": now, "user": user, "id": row["id"]},
        )
    return changed, reads.entries(source, sub.id, wanted)


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
