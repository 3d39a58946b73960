"""Progress against targets (“时间过半、任务过半”): expected value, completion and status of one indicator.

This module is the only place where a status is decided; the grid, the exports and the city report all ask it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from app.engine.catalog import CapPacing, IndicatorSpec, TargetSpec
from app.engine.numbers import CONTEXT, quantize
from app.engine.periods import Period


class Status(StrEnum):
    EXCEEDED = "exceeded"
    COMPLETED = "completed"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    MISSING = "missing"
    WITHIN_CAP = "within_cap"
    CAP_WARNING = "cap_warning"
    OVER_CAP = "over_cap"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.EXCEEDED: "超额完成",
    Status.COMPLETED: "已完成",
    Status.ON_TRACK: "按序推进",
    Status.BEHIND: "滞后",
    Status.MISSING: "未填报",
    Status.WITHIN_CAP: "达标",
    Status.CAP_WARNING: "预警",
    Status.OVER_CAP: "超标",
}

# Background and text colour of each status wherever it is shown (form, chart, exports): green done, blue on
# track, red behind, grey missing; a ceiling in the three colours of the national energy "barometer" (晴雨表):
# green within pace, yellow ahead of pace, red exceeded.
STATUS_COLORS: dict[Status, tuple[str, str]] = {
    Status.EXCEEDED: ("#c8ecd2", "#0f5c2a"),
    Status.COMPLETED: ("#dff3e4", "#1b6e37"),
    Status.ON_TRACK: ("#dceafb", "#1d4f91"),
    Status.BEHIND: ("#fbdcdc", "#a11d1d"),
    Status.MISSING: ("#eeeeee", "#666666"),
    Status.WITHIN_CAP: ("#dff3e4", "#1b6e37"),
    Status.CAP_WARNING: ("#fdf0c2", "#7a5200"),
    Status.OVER_CAP: ("#fbdcdc", "#a11d1d"),
}

# Statuses that need a written explanation before signing.
NEEDS_EXPLANATION = frozenset({Status.BEHIND, Status.CAP_WARNING, Status.OVER_CAP})


@dataclass(frozen=True)
class Progress:
    """Where one indicator stands: the figures compared (rounded to its decimals) and the verdict."""

    status: Status | None  # None: not assessed (input data without a target)
    target: Decimal | None  # the target that applies to the period (quarter target for quarterly ones)
    expected: Decimal | None  # expected value at the end of the period
    completion: Decimal | None  # percent of the way from baseline to target, one decimal
    expected_completion: Decimal | None = None  # the same measure for the expected value (chart marker)


def expected_value(ind: IndicatorSpec, annual: TargetSpec, period: Period) -> Decimal | None:
    """Expected value of an annual indicator at the end of ``period``.

    The template's milestone for the quarter if there is one, else ``B + (T − B) × q / 4`` with B = 0 for
    cumulative indicators and last year's value for level ones.
    """
    if annual.target is None:
        return None
    q = period.quarters_elapsed
    if q < 4 and q in annual.milestones:
        return annual.milestones[q]
    if q == 4:
        return annual.target
    base = _baseline(ind, annual)
    if base is None:
        return None
    return CONTEXT.add(base, CONTEXT.divide(CONTEXT.multiply(annual.target - base, Decimal(q)), Decimal(4)))


def _baseline(ind: IndicatorSpec, annual: TargetSpec) -> Decimal | None:
    if ind.is_cumulative:
        return Decimal(0)
    return annual.baseline


def _better(ind: IndicatorSpec, a: Decimal, b: Decimal) -> bool:
    """Whether ``a`` is strictly better than ``b`` in the indicator's direction."""
    return a < b if ind.direction == "lower" else a > b


def applicable_target(
    ind: IndicatorSpec, period: Period, annual: TargetSpec | None, quarter: TargetSpec | None
) -> TargetSpec | None:
    """The target entry a period is judged against: a quarterly indicator's quarter target, else the year's.

    In the annual period a quarterly indicator uses its annual entry, or else its Q4 target.
    """
    if ind.is_quarterly:
        if period.is_annual:
            return annual if annual is not None and annual.target is not None else quarter
        return quarter
    return annual


def classify(
    ind: IndicatorSpec,
    period: Period,
    value: Decimal | None,
    annual: TargetSpec | None,
    quarter: TargetSpec | None = None,
    pacing: CapPacing | None = None,
) -> Progress:
    """Decide the status of ``value`` for ``ind`` in ``period``.

    ``annual`` is the year's target entry; ``quarter`` the entry for the period's quarter (quarterly
    indicators; for the annual period pass the Q4 entry). Values and targets are compared after rounding to
    the indicator's decimals. ``pacing`` holds the template's margins for a cumulative ceiling (defaults when
    None).
    """
    if not ind.assessed:
        return Progress(None, None, None, None)
    places = ind.decimals
    entry = applicable_target(ind, period, annual, quarter)
    target = None if entry is None or entry.target is None else quantize(entry.target, places)
    if ind.is_quarterly:
        expected = target
    elif annual is not None:
        raw = expected_value(ind, annual, period)
        expected = None if raw is None else quantize(raw, places)
    else:
        expected = None
    if value is None:
        return Progress(Status.MISSING, target, expected, None)
    v = quantize(value, places)
    completion = _completion(ind, v, target, annual)
    expected_completion = None if expected is None else _completion(ind, expected, target, annual)
    if target is None:
        # The template import makes sure every assessed indicator has its targets; a stored gap (a unit added
        # to the hierarchy later) is shown as behind so that it is seen, not passed over.
        return Progress(Status.BEHIND, None, expected, completion, expected_completion)
    if ind.direction == "cap":
        status = _cap_status(ind, period, v, target, expected, pacing or CapPacing())
        return Progress(status, target, expected, completion, expected_completion)
    if ind.is_quarterly:
        status = Status.BEHIND if _better(ind, target, v) else Status.COMPLETED
        return Progress(status, target, expected, completion, expected_completion)
    if _better(ind, v, target):
        status = Status.EXCEEDED
    elif v == target:
        status = Status.COMPLETED
    elif expected is not None and not _better(ind, expected, v):
        status = Status.ON_TRACK
    else:
        status = Status.BEHIND
    return Progress(status, target, expected, completion, expected_completion)


def _cap_status(
    ind: IndicatorSpec, period: Period, v: Decimal, target: Decimal, expected: Decimal | None, pacing: CapPacing
) -> Status:
    """A ceiling: 超标 only when the ceiling itself is exceeded (or certainly will be), 预警 when a cumulative
    figure runs ahead of the pro-rated pace, 达标 otherwise."""
    if v > target:
        return Status.OVER_CAP
    running = ind.is_cumulative and not ind.is_quarterly and period.quarters_elapsed < 4 and expected is not None
    if not running:
        return Status.WITHIN_CAP  # a level ceiling, a quarter's own ceiling, or the year's final figure
    assert expected is not None
    if v == target:
        # The whole year's allowance used with quarters still to run: what is consumed next overruns it.
        return Status.OVER_CAP
    if pacing.alarm_margin is not None and v > _over_pace(expected, pacing.alarm_margin):
        return Status.OVER_CAP
    if v > _over_pace(expected, pacing.warning_margin):
        return Status.CAP_WARNING
    return Status.WITHIN_CAP


def _over_pace(expected: Decimal, margin: Decimal) -> Decimal:
    """The pro-rated pace raised by ``margin`` percent."""
    return CONTEXT.multiply(expected, CONTEXT.add(Decimal(1), CONTEXT.divide(margin, Decimal(100))))


def _completion(ind: IndicatorSpec, v: Decimal, target: Decimal | None, annual: TargetSpec | None) -> Decimal | None:
    """完成率: share of the way from the baseline to the target, in percent (value ÷ target when B = 0)."""
    if target is None:
        return None
    base = Decimal(0)
    if not ind.is_quarterly and not ind.is_cumulative and annual is not None and annual.baseline is not None:
        base = annual.baseline
    if ind.direction == "cap":
        base = Decimal(0)
    span = target - base
    if span == 0:
        return None
    return quantize(CONTEXT.divide(CONTEXT.multiply(v - base, Decimal(100)), span), 1)
