"""The completeness matrix of one period: every unit under the city against every indicator, and the city figures.

One catalog load and one shared :class:`~app.engine.selfcheck.Figures` serve every unit: the city's aggregation reads
the same children's entries the unit rows show, so a cell of the matrix, the city figure and the drill-down to
each unit's contribution all come from one set of numbers (and from the same check the form and exports use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from app.engine.calendar import Punctuality, TimelinessSummary, summarize_timeliness
from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.periods import Period
from app.engine.progress import Status
from app.engine.selfcheck import CheckResult, Figures, run_check
from app.storage.calendar import punctuality_for
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.form import ordered_indicators
from app.storage.store import catalog_for_year, latest_submission, load_entries, unit_by_code

# How a parent's figure is formed from its children (PRODUCT.md §3.3).
RULES = ("sum", "ratio", "formula", "max", "min", "none")


class CompletenessError(LookupError):
    """The matrix cannot be built (no template for the year, unknown unit); the message is in Chinese."""


@dataclass(frozen=True)
class UnitRow:
    """One unit's line of the matrix: its submission and the status and value of every indicator."""

    code: str
    name: str
    revision: int | None  # latest revision of the period, None: nothing submitted
    submission_status: str | None  # 'draft' / 'locked' / 'returned'; None: no submission at all
    filled: int  # indicators with a value, of those a clerk enters
    due: int
    statuses: dict[str, Status | None]  # indicator code → status (None: not assessed)
    values: dict[str, Decimal | None]
    counts: dict[Status, int]
    aggregated: bool = False  # the parent (city) row: figures aggregated from the children

    @property
    def missing(self) -> bool:
        """No submission at all for the period (a parent's row is aggregated, never missing)."""
        return not self.aggregated and self.submission_status is None


class Contribution(NamedTuple):
    """What one unit puts into a parent's figure of one indicator."""

    code: str
    name: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    status: Status | None


@dataclass(frozen=True)
class CityFigure:
    """The parent's figure of one indicator and how it was formed."""

    indicator: IndicatorSpec
    rule: str  # sum / ratio / formula / max / min / none
    value: Decimal | None
    numerator: Decimal | None  # for ratio indicators: the sum of the counted units' numerators
    denominator: Decimal | None
    status: Status | None
    target: Decimal | None
    expected: Decimal | None
    contributors: list[str]  # units whose figures went into it (those with a value / all inputs)


@dataclass(frozen=True)
class Matrix:
    spec: CatalogSpec
    period: Period
    parent: str  # the aggregating unit (the city)
    indicators: list[IndicatorSpec]  # display order
    rows: list[UnitRow]  # the parent first, then its children in template order
    city: CheckResult  # the parent's own check: aggregated figures, statuses, summary sentence
    results: dict[str, CheckResult] = field(repr=False)  # unit code → its check
    # 按时 / 逾期 N 天 / 未报 of each child unit, by when the city received it; empty without a calendar for the period
    timeliness: dict[str, Punctuality] = field(default_factory=dict)

    @property
    def city_row(self) -> UnitRow:
        return self.rows[0]

    @property
    def unit_rows(self) -> list[UnitRow]:
        """The children's rows (without the parent)."""
        return self.rows[1:]

    @property
    def missing_units(self) -> list[UnitRow]:
        return [r for r in self.unit_rows if r.missing]

    @property
    def fields(self) -> list[str]:
        """Fields of the indicators, in display order."""
        seen: list[str] = []
        for ind in self.indicators:
            if ind.field not in seen:
                seen.append(ind.field)
        return seen

    @property
    def summary(self) -> str:
        return self.city.summary

    @property
    def timeliness_summary(self) -> TimelinessSummary | None:
        """The counts and 按时报送率 of the child units, or None when the template dates no window for the period."""
        if not self.timeliness:
            return None
        return summarize_timeliness(self.timeliness[r.code] for r in self.unit_rows)

    def row(self, code: str) -> UnitRow:
        for r in self.rows:
            if r.code == code:
                return r
        raise KeyError(code)

    def submission_counts(self) -> dict[str | None, int]:
        """How many child units are in each submission state (None: not submitted)."""
        out: dict[str | None, int] = {}
        for r in self.unit_rows:
            out[r.submission_status] = out.get(r.submission_status, 0) + 1
        return out

    def indicator_counts(self, code: str) -> dict[Status, int]:
        """How many child units have each status for indicator ``code`` (a unit not assessed is not counted)."""
        counts = {s: 0 for s in Status}
        for r in self.unit_rows:
            status = r.statuses.get(code)
            if status is not None:
                counts[status] += 1
        return counts

    def contributions(self, code: str) -> list[Contribution]:
        """Every child unit's figure of indicator ``code``: value, numerator and denominator, status."""
        self.spec.by_code[code]  # KeyError for an unknown indicator
        out = []
        for r in self.unit_rows:
            ic = self.results[r.code].by_code[code]
            out.append(Contribution(r.code, r.name, ic.value, ic.entry.numerator, ic.entry.denominator, ic.status))
        return out

    def city_figure(self, code: str) -> CityFigure:
        ic = self.city.by_code[code]
        ind = ic.spec
        return CityFigure(
            indicator=ind,
            rule=ind.aggregation,
            value=ic.value,
            numerator=ic.entry.numerator,
            denominator=ic.entry.denominator,
            status=ic.status,
            target=ic.progress.target,
            expected=ic.progress.expected,
            contributors=list(ic.contributors or []),
        )


def completeness(db: Database, period: Period, parent: str | None = None) -> Matrix:
    """The matrix of ``period`` for ``parent`` (by default the root unit, the city) and its child units.

    The catalog is loaded once and every unit is checked from one shared figures cache in one session.
    """
    with db.session() as session:
        catalog = catalog_for_year(session, period.year)
        if catalog is None:
            raise CompletenessError(f"还没有导入 {period.year} 年度的指标模板")
        spec = load_spec(session, catalog)
        if parent is None:
            roots = [u for u in spec.units if u.parent is None]
            if not roots:
                raise CompletenessError(f"{spec.name} 中没有单位")
            parent = roots[0].code
        elif spec.unit(parent) is None:
            raise CompletenessError(f"单位 {parent} 不在 {spec.name} 中")
        figures = Figures(spec, lambda u, p: load_entries(session, u, p, catalog_code=spec.code))
        codes = [parent, *spec.children_of(parent)]
        results: dict[str, CheckResult] = {}
        rows: list[UnitRow] = []
        for code in codes:
            result = run_check(figures, code, period)
            results[code] = result
            unit = unit_by_code(session, code)
            sub = None if unit is None else latest_submission(session, unit, period, spec.code)
            filled, due = result.filled
            rows.append(
                UnitRow(
                    code=code,
                    name=result.unit.name,
                    revision=None if sub is None else sub.revision,
                    submission_status=None if sub is None else sub.status,
                    filled=filled,
                    due=due,
                    statuses={ic.spec.code: ic.status for ic in result.indicators},
                    values={ic.spec.code: ic.value for ic in result.indicators},
                    counts=dict(result.counts),
                    aggregated=result.aggregated,
                )
            )
        timeliness = punctuality_for(session, spec, period, codes[1:])
    indicators = ordered_indicators(spec)
    return Matrix(
        spec=spec,
        period=period,
        parent=parent,
        indicators=indicators,
        rows=rows,
        city=results[parent],
        results=results,
        timeliness=timeliness,
    )
