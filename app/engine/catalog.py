"""The catalog as plain data: indicators, units, targets and rules of one template.

Everything that computes (progress, validation, aggregation) works on these dataclasses, whether they came from
a template file or from the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import NamedTuple

from app.engine.calendar import Window
from app.engine.formula import Formula, parse
from app.engine.periods import Period

FIELD_ORDER = ("总体指标", "绿色生产", "绿色消费", "绿色生活", "绿色文明", "能耗双控", "项目支撑", "基础数据")


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    parent: str | None


@dataclass(frozen=True)
class Part:
    """Numerator or denominator of a ratio indicator."""

    name: str
    unit: str
    decimals: int


@dataclass(frozen=True)
class IndicatorSpec:
    code: str
    name: str
    field: str
    tier: str
    unit: str
    decimals: int
    kind: str
    frequency: str
    accumulation: str
    direction: str
    aggregation: str
    assessed: bool = True
    formula: str | None = None
    numerator: Part | None = None
    denominator: Part | None = None
    scale: Decimal | None = None
    min_value: Decimal | None = Decimal(0)
    max_value: Decimal | None = None
    change_threshold: Decimal | None = None
    description: str = ""

    @cached_property
    def parsed(self) -> Formula | None:
        return parse(self.formula) if self.formula else None

    @property
    def is_quarterly(self) -> bool:
        return self.frequency == "quarterly"

    @property
    def is_cumulative(self) -> bool:
        return self.accumulation == "cumulative"

    @property
    def entered(self) -> bool:
        """Whether a clerk types this indicator (derived ones are computed)."""
        return self.kind != "derived"


class TargetSpec(NamedTuple):
    """Target, baseline and quarter milestones (quarter → expected value) of one indicator, unit and period.

    A named tuple rather than a dataclass: a large template holds tens of thousands and builds them quickly.
    """

    target: Decimal | None
    baseline: Decimal | None = None
    milestones: Mapping[int, Decimal] = MappingProxyType({})


@dataclass(frozen=True)
class RuleSpec:
    code: str
    left: str
    op: str
    right: str
    level: str
    message: str

    @cached_property
    def left_formula(self) -> Formula:
        return parse(self.left)

    @cached_property
    def right_formula(self) -> Formula:
        return parse(self.right)


@dataclass(frozen=True)
class CapPacing:
    """How a cumulative ceiling is judged mid-year, in percent over the pro-rated pace (the template may set them).

    Ahead of the pace by more than ``warning_margin`` is 预警 (yellow); by more than ``alarm_margin`` (when set)
    the ceiling is taken as certain to be overrun, 超标 (red), as it is when the ceiling itself is exceeded.
    """

    warning_margin: Decimal = Decimal(0)
    alarm_margin: Decimal | None = None


@dataclass
class CatalogSpec:
    code: str
    name: str
    version: str
    year: int
    baseline_year: int
    demo: bool
    issuer: str
    description: str
    units: list[UnitSpec]
    indicators: list[IndicatorSpec]
    targets: dict[tuple[str, str, str], TargetSpec]
    rules: list[RuleSpec]
    # The city's intake service the districts upload to; None: submissions travel as files only.
    intake_url: str | None = None
    cap_pacing: CapPacing | None = None  # None: the template leaves the defaults
    calendar: dict[str, Window] = field(default_factory=dict)
    _baselines: dict[str, dict[str, Decimal | None]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def by_code(self) -> dict[str, IndicatorSpec]:
        return {ind.code: ind for ind in self.indicators}

    @cached_property
    def evaluation_order(self) -> list[IndicatorSpec]:
        """Indicators ordered so that every formula comes after the indicators it reads (the template import
        has refused cycles). Iterative, so a long chain of formulas cannot exhaust Python's recursion."""
        order: list[IndicatorSpec] = []
        done: set[str] = set()
        for start in self.indicators:
            stack = [(start, False)]
            while stack:
                ind, expanded = stack.pop()
                if expanded:
                    order.append(ind)
                    continue
                if ind.code in done:
                    continue
                done.add(ind.code)
                stack.append((ind, True))
                refs = sorted(ind.parsed.refs, reverse=True) if ind.parsed is not None else []
                stack.extend((self.by_code[r], False) for r in refs if r in self.by_code and r not in done)
        return order

    def target_for(self, indicator: str, unit: str, period: Period) -> TargetSpec | None:
        return self.targets.get((indicator, unit, str(period)))

    def annual_target(self, indicator: str, unit: str) -> TargetSpec | None:
        return self.targets.get((indicator, unit, str(self.year)))

    def baselines(self, unit: str) -> Mapping[str, Decimal | None]:
        """Baseline value of every indicator for ``unit`` (what ``base(CODE)`` reads); computed once per unit."""
        cached = self._baselines.get(unit)
        if cached is None:
            cached = {}
            for ind in self.indicators:
                annual = self.annual_target(ind.code, unit)
                cached[ind.code] = annual.baseline if annual else None
            self._baselines[unit] = cached
        return MappingProxyType(cached)

    def entered_at(self, ind: IndicatorSpec, unit: str) -> bool:
        """Whether ``unit`` types ``ind``'s figures: never a formula's; at a parent unit only what is not
        aggregated from its children (aggregation ``none``)."""
        return ind.entered and (ind.aggregation == "none" or not self.children_of(unit))

    def window(self, period: Period) -> Window | None:
        """The reporting window of ``period``, or None when the template has no calendar for it."""
        return self.calendar.get(str(period))

    def children_of(self, unit: str) -> list[str]:
        return [u.code for u in self.units if u.parent == unit]

    def unit(self, code: str) -> UnitSpec | None:
        for u in self.units:
            if u.code == code:
                return u
        return None
