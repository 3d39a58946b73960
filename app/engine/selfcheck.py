"""The self-check of one unit and period: values, progress, validation, counts and the summary sentence.

The same function serves a district (its own entries) and the city (its children aggregated), so the grid,
the exports and the city report all show one truth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from app.engine.aggregation import aggregate
from app.engine.catalog import CatalogSpec, IndicatorSpec, UnitSpec
from app.engine.compute import EMPTY, Computed, Entry, compute_values, recompute_values
from app.engine.narrative import summarize
from app.engine.numbers import fmt
from app.engine.periods import Period
from app.engine.progress import NEEDS_EXPLANATION, Progress, Status, classify
from app.engine.validation import ERROR, WARNING, History, Message, validate_indicator, validate_rules

EntryLoader = Callable[[str, Period], Mapping[str, Entry]]


class Figures:
    """Entries and computed values of any unit and period; parents are aggregated from their children.

    Results are memoised, so a check that looks at the previous quarter and last year loads each once.
    """

    def __init__(self, catalog: CatalogSpec, load: EntryLoader) -> None:
        self.catalog = catalog
        self._load = load
        self._entries: dict[tuple[str, Period], dict[str, Entry]] = {}
        self._computed: dict[tuple[str, Period], Computed] = {}
        self.contributors: dict[tuple[str, Period], dict[str, list[str]]] = {}

    def replace_entries(self, unit: str, period: Period, changed: Mapping[str, Entry]) -> None:
        """Take ``changed`` entries of a unit and period as they now stand in the database (after an edit)."""
        current = self.entries(unit, period)
        before = self._computed.get((unit, period))
        self.forget(unit, period)
        entries = self._entries[(unit, period)] = {**current, **changed}
        if before is not None and not self.catalog.children_of(unit):
            # Only what the edit reaches is computed again.
            baselines = self.catalog.baselines(unit)
            self._computed[(unit, period)] = recompute_values(self.catalog, entries, baselines, before, changed)

    def forget(self, unit: str, period: Period) -> None:
        """Drop what is cached for ``unit`` and ``period`` (after an edit), and for the units above it."""
        code: str | None = unit
        while code is not None:
            self._entries.pop((code, period), None)
            self._computed.pop((code, period), None)
            self.contributors.pop((code, period), None)
            parent = self.catalog.unit(code)
            code = parent.parent if parent else None

    def entries(self, unit: str, period: Period) -> dict[str, Entry]:
        key = (unit, period)
        if key not in self._entries:
            own = dict(self._load(unit, period))
            children = self.catalog.children_of(unit)
            if children:
                agg = aggregate(self.catalog, {c: self.entries(c, period) for c in children}, own)
                self._entries[key] = agg.entries
                self.contributors[key] = agg.contributors
            else:
                self._entries[key] = own
        return self._entries[key]

    def computed(self, unit: str, period: Period) -> Computed:
        key = (unit, period)
        if key not in self._computed:
            self._computed[key] = compute_values(self.catalog, self.entries(unit, period), self.catalog.baselines(unit))
        return self._computed[key]

    def values(self, unit: str, period: Period) -> dict[str, Decimal | None]:
        return self.computed(unit, period).values


@dataclass(frozen=True)
class IndicatorCheck:
    spec: IndicatorSpec
    entry: Entry
    value: Decimal | None
    previous: Decimal | None  # 上期值
    progress: Progress
    messages: list[Message]
    contributors: list[str] | None  # for aggregated units: children that reported it

    @property
    def status(self) -> Status | None:
        return self.progress.status

    # Cached: a check is immutable, and an open form keeps the checks an edit did not touch, so the panels that
    # ask after every edit find most answers already there.
    @cached_property
    def explanation_required(self) -> bool:
        return self.progress.status in NEEDS_EXPLANATION or any(m.level == WARNING for m in self.messages)

    @cached_property
    def explanation_missing(self) -> bool:
        return self.explanation_required and not self.entry.explanation.strip()


@dataclass(frozen=True)
class CheckResult:
    catalog: CatalogSpec
    unit: UnitSpec
    period: Period
    aggregated: bool
    indicators: list[IndicatorCheck]
    rule_messages: list[Message]
    counts: dict[Status, int]
    summary: str
    by_code: dict[str, IndicatorCheck] = field(repr=False)
    # The indicators whose figure could not be computed (their check says why): a later re-check redoes them.
    compute_errors: frozenset[str] = field(default=frozenset(), repr=False)

    @cached_property
    def messages(self) -> list[Message]:
        return [m for ic in self.indicators for m in ic.messages] + self.rule_messages

    @cached_property
    def errors(self) -> list[Message]:
        return [m for m in self.messages if m.level == ERROR]

    @cached_property
    def warnings(self) -> list[Message]:
        return [m for m in self.messages if m.level == WARNING]

    @cached_property
    def missing_explanations(self) -> list[IndicatorCheck]:
        warned = {m.indicator for m in self.rule_messages if m.level == WARNING}
        return [ic for ic in self.indicators if ic.explanation_missing or self._rule_needs(ic, warned)]

    def _rule_needs(self, ic: IndicatorCheck, warned: set[str | None]) -> bool:
        return ic.spec.code in warned and not ic.entry.explanation.strip()

    @cached_property
    def filled(self) -> tuple[int, int]:
        """(indicators with a value, indicators due), counting only what a clerk enters."""
        due = [ic for ic in self.indicators if ic.spec.entered]
        return sum(1 for ic in due if ic.value is not None), len(due)

    @property
    def can_sign(self) -> bool:
        return not self.errors and not self.missing_explanations

    def blocking_reasons(self) -> list[str]:
        reasons = [f"错误：{m.text}" for m in self.errors]
        reasons += [f"需填写情况说明：{ic.spec.name}" for ic in self.missing_explanations]
        return reasons


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    """Equal as written (2.00 is not 2: what the clerk typed is shown back)."""
    return a is b or (a is not None and b is not None and str(a) == str(b))


def _unchanged(old: IndicatorCheck, entry: Entry, value: Decimal | None, contributors: list[str] | None) -> bool:
    e = old.entry
    if e is entry and old.value is value and old.contributors is contributors:
        return True  # the very objects of the earlier check (what an edit did not reach)
    return (
        _same(old.value, value)
        and _same(e.value, entry.value)
        and _same(e.numerator, entry.numerator)
        and _same(e.denominator, entry.denominator)
        and e.explanation == entry.explanation
        and old.contributors == contributors
    )


def run_check(figures: Figures, unit_code: str, period: Period, previous: CheckResult | None = None) -> CheckResult:
    """Check ``unit_code`` for ``period`` against its targets and the template's rules.

    ``previous`` is an earlier check of the same unit and period with the same history (an open form after an
    edit): an indicator whose entry, value and computation error are unchanged keeps its earlier verdict, so
    an edit re-checks only what it touched and what reads it.
    """
    catalog = figures.catalog
    unit = catalog.unit(unit_code)
    if unit is None:
        raise KeyError(unit_code)
    entries = figures.entries(unit_code, period)
    computed = figures.computed(unit_code, period)
    before = period.previous_in_year()
    history = History(
        previous_in_year=figures.values(unit_code, before) if before else {},
        # Another year's values are matched to this catalog by indicator code.
        previous=figures.values(unit_code, period.previous()),
        last_year=figures.values(unit_code, period.same_period_last_year()),
        annual=period.is_annual,
    )
    contributors = figures.contributors.get((unit_code, period))
    checks: list[IndicatorCheck] = []
    reusable = previous is not None and previous.unit.code == unit_code and previous.period == period
    # Whether any indicator's status moved: if none did, the counts and the summary sentence stand as they were.
    moved = not reusable or previous is None or len(previous.indicators) != len(catalog.indicators)
    kept = previous.by_code if reusable and previous is not None else {}
    failed_before = previous.compute_errors if previous is not None else frozenset()
    values, errors = computed.values, computed.errors
    for ind in catalog.indicators:
        code = ind.code
        value = values.get(code)
        entry = entries.get(code, EMPTY)
        mine = None if contributors is None else contributors.get(code, [])
        old = kept.get(code)
        # The identity test first, inline: after an edit it holds for all but a few of hundreds of indicators.
        if (
            old is not None
            and code not in errors
            and code not in failed_before
            and (
                (old.entry is entry and old.value is value and old.contributors is mine)
                or _unchanged(old, entry, value, mine)
            )
        ):
            checks.append(old)
            continue
        annual = catalog.annual_target(ind.code, unit_code)
        quarter_period = Period(period.year, period.quarter or 4)
        quarter = catalog.target_for(ind.code, unit_code, quarter_period) if ind.is_quarterly else None
        progress = classify(ind, period, value, annual, quarter, catalog.cap_pacing)
        if not moved:
            assert previous is not None
            old = previous.by_code.get(ind.code)
            moved = old is None or old.status != progress.status
        messages = validate_indicator(ind, entry, computed, history)
        if progress.status == Status.BEHIND:
            messages.append(Message(WARNING, f"进度滞后：{_fmt_gap(ind, value, progress)}", ind.code))
        elif progress.status == Status.OVER_CAP:
            messages.append(Message(WARNING, f"超出控制目标：{_fmt_gap(ind, value, progress)}", ind.code))
        elif progress.status == Status.CAP_WARNING:
            messages.append(Message(WARNING, f"超出进度预警：{_fmt_gap(ind, value, progress)}", ind.code))
        checks.append(
            IndicatorCheck(
                spec=ind,
                entry=entry,
                value=value,
                previous=history.previous.get(ind.code),
                progress=progress,
                messages=messages,
                contributors=mine,
            )
        )
    rule_messages = validate_rules(catalog, computed, catalog.baselines(unit_code))
    if moved or previous is None:
        counts = {s: 0 for s in Status}
        assessed: list[tuple[str, bool, Status]] = []
        for ic in checks:
            status = ic.progress.status
            if status is not None:
                counts[status] += 1
                assessed.append((ic.spec.name, ic.spec.is_quarterly, status))
        summary = summarize(assessed)
    else:
        counts, summary = previous.counts, previous.summary
    return CheckResult(
        catalog=catalog,
        unit=unit,
        period=period,
        aggregated=bool(catalog.children_of(unit_code)),
        indicators=checks,
        rule_messages=rule_messages,
        counts=counts,
        summary=summary,
        by_code={ic.spec.code: ic for ic in checks},
        compute_errors=frozenset(errors),
    )


def _fmt_gap(ind: IndicatorSpec, value: Decimal | None, progress: Progress) -> str:
    compare = progress.expected if progress.expected is not None else progress.target
    label = "预期进度值" if not ind.is_quarterly else "本季度目标"
    if ind.direction == "cap":
        # 超标 is measured against the ceiling itself, 预警 against the pace that leads up to it.
        ahead = progress.status == Status.CAP_WARNING and progress.expected is not None
        label, compare = ("按进度控制值", progress.expected) if ahead else ("控制目标", progress.target)
    return f"本期 {fmt(value, ind.decimals)}{ind.unit}，{label} {fmt(compare, ind.decimals)}{ind.unit}"
