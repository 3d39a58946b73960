"""What an open form reads, in plain SQL on either connection (:mod:`app.storage.sql`), without SQLAlchemy.

The window's first form is read through these before SQLAlchemy is ever imported; the ORM paths (commands, the
city, the intake service) call the same functions with their session, so each query exists once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from app.engine.calendar import Window
from app.engine.catalog import CapPacing, CatalogSpec, IndicatorSpec, Part, RuleSpec, TargetSpec, UnitSpec
from app.engine.compute import Entry
from app.engine.periods import Period
from app.storage.sql import Source, first, in_list, rows


def dec(text: Any) -> Decimal | None:
    """A number as stored (exact text), back as a Decimal."""
    return None if text is None else Decimal(str(text))


# ------------------------------------------------------------------ catalogs

CATALOG_COLUMNS = (
    "id, code, name, version, year, baseline_year, demo, issuer, description, intake_url, "
    "cap_warning_margin, cap_alarm_margin"
)


def catalog_id_for_year(source: Source, year: int) -> int | None:
    """The newest imported catalog of ``year``."""
    row = first(
        source,
        "SELECT id FROM catalogs WHERE year = :year ORDER BY imported_at DESC, id DESC LIMIT 1",
        {"year": year},
    )
    return None if row is None else int(row[0])


def available_years(source: Source) -> list[int]:
    return [int(y) for (y,) in rows(source, "SELECT DISTINCT year FROM catalogs ORDER BY year")]


_INDICATORS = (
    "SELECT id, code, name, field, tier, unit_label, decimals, kind, frequency, accumulation, direction, "
    "aggregation, assessed, formula, numerator_name, numerator_unit, numerator_decimals, denominator_name, "
    "denominator_unit, denominator_decimals, scale, min_value, max_value, change_threshold, description "
    "FROM indicators WHERE catalog_id = :catalog ORDER BY sort_order"
)
# The file's order: the content hash covers it, so an exported template must hash like the imported one.
_TARGETS = (
    "SELECT t.indicator_id, t.unit_id, t.period, t.target, t.baseline, t.milestone_q1, t.milestone_q2, "
    "t.milestone_q3 FROM targets t JOIN indicators i ON i.id = t.indicator_id WHERE i.catalog_id = :catalog "
    "ORDER BY t.id"
)
_RULES = (
    'SELECT code, "left", op, "right", level, message FROM validation_rules WHERE catalog_id = :catalog '
    "ORDER BY sort_order"
)
_WINDOWS = "SELECT period, opens, due, closes FROM catalog_periods WHERE catalog_id = :catalog ORDER BY sort_order"
# The hierarchy as this catalog's template gave it, not as a later template may have changed it.
_LISTED = "SELECT unit_id, name, parent_unit_id FROM catalog_units WHERE catalog_id = :catalog ORDER BY sort_order, id"


def spec_of(source: Source, catalog_id: int) -> CatalogSpec | None:
    """The engine's :class:`CatalogSpec` of a stored catalog, as its template gave it; None if there is none."""
    head = first(source, f"SELECT {CATALOG_COLUMNS} FROM catalogs WHERE id = :catalog", {"catalog": catalog_id})
    if head is None:
        return None
    _, code, name, version, year, baseline_year, demo, issuer, description, intake_url, warn, alarm = head
    params = {"catalog": catalog_id}
    ind_rows = rows(source, _INDICATORS, params)
    code_by_id = {r[0]: r[1] for r in ind_rows}
    unit_code = dict(rows(source, "SELECT id, code FROM units"))
    units = [
        UnitSpec(unit_code[unit], unit_name, unit_code.get(parent))
        for unit, unit_name, parent in rows(source, _LISTED, params)
    ]
    targets = {
        (code_by_id[ind], unit_code[unit], period): TargetSpec(
            dec(target),
            dec(baseline),
            {q: Decimal(v) for q, v in ((1, m1), (2, m2), (3, m3)) if v is not None},
        )
        for ind, unit, period, target, baseline, m1, m2, m3 in rows(source, _TARGETS, params)
    }
    rules = [RuleSpec(*r) for r in rows(source, _RULES, params)]
    windows = [
        Window(Period.parse(p), dt.date.fromisoformat(o), dt.date.fromisoformat(d), dt.date.fromisoformat(c))
        for p, o, d, c in rows(source, _WINDOWS, params)
    ]
    return CatalogSpec(
        code=code,
        name=name,
        version=version,
        year=int(year),
        baseline_year=int(baseline_year),
        demo=bool(demo),
        issuer=issuer,
        description=description,
        units=units,
        indicators=[_indicator(r) for r in ind_rows],
        targets=targets,
        rules=rules,
        intake_url=intake_url,
        cap_pacing=None if warn is None else CapPacing(Decimal(warn), dec(alarm)),
        calendar={str(w.period): w for w in windows},
    )


def _indicator(r: tuple[Any, ...]) -> IndicatorSpec:
    (_, code, name, field, tier, unit, decimals, kind, frequency, accumulation, direction, aggregation, assessed,
     formula, num_name, num_unit, num_decimals, den_name, den_unit, den_decimals, scale, lo, hi, change,
     description) = r  # fmt: skip
    return IndicatorSpec(
        code=code,
        name=name,
        field=field,
        tier=tier,
        unit=unit,
        decimals=int(decimals),
        kind=kind,
        frequency=frequency,
        accumulation=accumulation,
        direction=direction,
        aggregation=aggregation,
        assessed=bool(assessed),
        formula=formula,
        numerator=None if num_name is None else Part(num_name, num_unit or "", int(num_decimals or 0)),
        denominator=None if den_name is None else Part(den_name, den_unit or "", int(den_decimals or 0)),
        scale=dec(scale),
        min_value=dec(lo),
        max_value=dec(hi),
        change_threshold=dec(change),
        description=description,
    )


def spec_for_year(source: Source, year: int) -> CatalogSpec | None:
    """The :class:`CatalogSpec` of the newest catalog of ``year``."""
    catalog = catalog_id_for_year(source, year)
    return None if catalog is None else spec_of(source, catalog)


def units_of_year(source: Source, year: int) -> list[tuple[str, str, bool]]:
    """(code, name, has children) of the units the newest catalog of ``year`` lists, in its order."""
    catalog = catalog_id_for_year(source, year)
    if catalog is None:
        return []
    found = rows(
        source,
        "SELECT u.code, cu.name, EXISTS (SELECT 1 FROM catalog_units c WHERE c.catalog_id = cu.catalog_id "
        "AND c.parent_unit_id = cu.unit_id) FROM catalog_units cu JOIN units u ON u.id = cu.unit_id "
        "WHERE cu.catalog_id = :catalog ORDER BY cu.sort_order, cu.id",
        {"catalog": catalog},
    )
    return [(code, name, bool(children)) for code, name, children in found]


# ------------------------------------------------------------------ submissions and their values


class Latest(NamedTuple):
    """The newest revision of a unit's report for a period."""

    id: int
    catalog_id: int
    revision: int
    status: str


def unit_id(source: Source, code: str) -> int | None:
    row = first(source, "SELECT id FROM units WHERE code = :code", {"code": code})
    return None if row is None else int(row[0])


_LATEST = (
    "SELECT s.id, s.catalog_id, s.revision, s.status FROM submissions s JOIN catalogs c ON c.id = s.catalog_id "
    "WHERE s.unit_id = :unit AND s.period = :period AND c.year = :year{code} ORDER BY s.revision DESC LIMIT 1"
)
_LATEST_ANY = _LATEST.format(code="")
_LATEST_OF_CODE = _LATEST.format(code=" AND c.code = :code")


def latest(source: Source, unit: int, period: Period, catalog_code: str | None = None) -> Latest | None:
    """The highest revision of ``unit``'s report for ``period`` under the indicator system ``catalog_code``.

    Any version of that system counts (a newer version carries the figures on); another system's figures —
    the demo catalog's, say — never do. ``None`` looks at every system of the year.
    """
    params: dict[str, Any] = {"unit": unit, "period": str(period), "year": period.year}
    if catalog_code is None:
        row = first(source, _LATEST_ANY, params)
    else:
        row = first(source, _LATEST_OF_CODE, {**params, "code": catalog_code})
    return None if row is None else Latest(int(row[0]), int(row[1]), int(row[2]), str(row[3]))


_ENTRIES = (
    "SELECT i.code, v.value, v.numerator, v.denominator, v.explanation FROM submission_values v "
    "JOIN indicators i ON i.id = v.indicator_id WHERE v.submission_id = :submission"
)


def entries(source: Source, submission: int, codes: Iterable[str] | None = None) -> dict[str, Entry]:
    """Indicator code → entry of one revision (only ``codes`` if given)."""
    sql, params = _ENTRIES, {"submission": submission}
    if codes is not None:
        listed, more = in_list("code", codes)
        sql, params = f"{sql} AND i.code IN {listed}", {**params, **more}
    return {code: Entry(dec(v), dec(n), dec(d), e or "") for code, v, n, d, e in rows(source, sql, params)}


def load_entries(
    source: Source,
    unit_code: str,
    period: Period,
    codes: Iterable[str] | None = None,
    catalog_code: str | None = None,
) -> dict[str, Entry]:
    """Indicator code → entry of the unit's latest revision for the period (only ``codes`` if given) under the
    indicator system ``catalog_code`` (see :func:`latest`)."""
    unit = unit_id(source, unit_code)
    found = None if unit is None else latest(source, unit, period, catalog_code)
    return {} if found is None else entries(source, found.id, codes)


def has_submission(source: Source, unit_code: str, period: Period) -> bool:
    unit = unit_id(source, unit_code)
    return unit is not None and latest(source, unit, period) is not None


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    status: str
    created_at: str
    locked_at: str | None
    locked_by: str | None
    returned_reason: str | None = None


def revisions(source: Source, unit_code: str, period: Period) -> list[RevisionInfo]:
    found = rows(
        source,
        "SELECT s.revision, s.status, s.created_at, s.locked_at, s.locked_by, s.returned_reason FROM submissions s "
        "JOIN units u ON u.id = s.unit_id WHERE u.code = :unit AND s.period = :period ORDER BY s.revision",
        {"unit": unit_code, "period": str(period)},
    )
    return [RevisionInfo(int(r[0]), *r[1:]) for r in found]


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


def audit_trail(source: Source, unit_code: str, period: Period, indicator: str | None = None) -> list[AuditRow]:
    """The audit log of a unit and period, or of one indicator's cell, oldest first."""
    sql = 'SELECT at, "user", action, revision, field, old, new, detail FROM audit_log WHERE unit_code = :unit '
    sql += "AND period = :period"
    params: dict[str, Any] = {"unit": unit_code, "period": str(period)}
    if indicator is not None:
        sql += " AND indicator_code = :indicator"
        params["indicator"] = indicator
    return [AuditRow(*r) for r in rows(source, sql + " ORDER BY id", params)]
