"""Progress against targets: expected values by quarter, and the status at each boundary."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.engine.catalog import CapPacing, IndicatorSpec, TargetSpec
from app.engine.periods import Period
from app.engine.progress import NEEDS_EXPLANATION, Status, applicable_target, classify, expected_value
from app.storage.db import Database
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator

D = Decimal
Q1, Q2, Q3, Q4, YEAR = (Period(2023, 1), Period(2023, 2), Period(2023, 3), Period(2023, 4), Period(2023))


def spec(**over: Any) -> IndicatorSpec:
    fields: dict[str, Any] = {
        "code": "A",
        "name": "指标A",
        "field": "绿色生产",
        "tier": "core",
        "unit": "个",
        "decimals": 0,
        "kind": "base",
        "frequency": "annual",
        "accumulation": "cumulative",
        "direction": "higher",
        "aggregation": "sum",
    }
    fields.update(over)
    return IndicatorSpec(**fields)


def target(t: str | None, baseline: str | None = None, **milestones: str) -> TargetSpec:
    return TargetSpec(
        None if t is None else D(t),
        None if baseline is None else D(baseline),
        {int(k[1]): D(v) for k, v in milestones.items()},
    )


def status(
    ind: IndicatorSpec, period: Period, value: str | None, annual: TargetSpec | None, **kw: Any
) -> Status | None:
    return classify(ind, period, None if value is None else D(value), annual, **kw).status


CUM = spec()
LEVEL = spec(accumulation="level", unit="%", decimals=2)
T100 = target("100")
LEVEL_T = target("100", baseline="60")


# ---------------------------------------------------------------- expected value


@pytest.mark.parametrize(("period", "expected"), [(Q1, "25"), (Q2, "50"), (Q3, "75"), (Q4, "100"), (YEAR, "100")])
def test_default_expected_for_cumulative_starts_from_zero(period: Period, expected: str) -> None:
    # a baseline on a cumulative indicator does not move the start: year-to-date starts at 0
    assert expected_value(CUM, target("100", baseline="80"), period) == D(expected)
    assert classify(CUM, period, D(1), T100).expected == D(expected)


@pytest.mark.parametrize(("period", "expected"), [(Q1, "70"), (Q2, "80"), (Q3, "90"), (Q4, "100"), (YEAR, "100")])
def test_default_expected_for_level_starts_from_the_baseline(period: Period, expected: str) -> None:
    assert expected_value(LEVEL, LEVEL_T, period) == D(expected)
    assert classify(LEVEL, period, D(1), LEVEL_T).expected == D(expected)


def test_default_expected_for_a_falling_level_indicator() -> None:
    lower = spec(accumulation="level", direction="lower", decimals=1)
    annual = target("6", baseline="10")
    assert [expected_value(lower, annual, p) for p in (Q1, Q2, Q3, Q4)] == [D("9"), D("8"), D("7"), D("6")]


def test_level_without_baseline_has_no_expected_value_mid_year() -> None:
    assert expected_value(LEVEL, target("100"), Q2) is None
    assert expected_value(LEVEL, target("100"), Q4) == D("100")


@pytest.mark.parametrize(("period", "expected"), [(Q1, "10"), (Q2, "30"), (Q3, "70"), (Q4, "100"), (YEAR, "100")])
def test_template_milestones_replace_the_default(period: Period, expected: str) -> None:
    annual = target("100", Q1="10", Q2="30", Q3="70")
    assert expected_value(CUM, annual, period) == D(expected)
    level = target("100", baseline="60", Q1="61", Q2="62", Q3="90")
    level_expected = {Q1: "61", Q2: "62", Q3: "90", Q4: "100", YEAR: "100"}[period]
    assert expected_value(LEVEL, level, period) == D(level_expected)


def test_only_the_quarters_with_a_milestone_are_replaced() -> None:
    annual = target("100", Q2="30")
    assert [expected_value(CUM, annual, p) for p in (Q1, Q2, Q3, Q4)] == [D(25), D(30), D(75), D(100)]


def test_status_follows_the_milestone() -> None:
    annual = target("100", Q2="30")
    assert status(CUM, Q2, "30", annual) is Status.ON_TRACK
    assert status(CUM, Q2, "29", annual) is Status.BEHIND
    # without the milestone 30 would be behind the default 50
    assert status(CUM, Q2, "30", T100) is Status.BEHIND


def test_expected_value_is_rounded_half_up_to_the_indicator_decimals() -> None:
    annual = target("10")  # Q1 default 2.5 → 3 with 0 decimals
    progress = classify(CUM, Q1, D(2), annual)
    assert progress.expected == D(3)
    assert progress.status is Status.BEHIND
    assert status(CUM, Q1, "3", annual) is Status.ON_TRACK


# ---------------------------------------------------------------- higher, cumulative


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q2, "101", Status.EXCEEDED),
        (Q2, "100", Status.COMPLETED),
        (Q2, "99", Status.ON_TRACK),
        (Q2, "50", Status.ON_TRACK),  # exactly the expected value
        (Q2, "49", Status.BEHIND),  # one unit below it
        (Q2, "0", Status.BEHIND),
        (Q1, "25", Status.ON_TRACK),
        (Q1, "24", Status.BEHIND),
        (Q3, "75", Status.ON_TRACK),
        (Q3, "74", Status.BEHIND),
        (Q4, "100", Status.COMPLETED),
        (Q4, "99", Status.BEHIND),
        (Q4, "101", Status.EXCEEDED),
        (YEAR, "100", Status.COMPLETED),
        (YEAR, "99", Status.BEHIND),
        (YEAR, "101", Status.EXCEEDED),
    ],
)
def test_higher_cumulative_boundaries(period: Period, value: str, expected: Status) -> None:
    assert status(CUM, period, value, T100) is expected


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q2, "100.01", Status.EXCEEDED),
        (Q2, "100.00", Status.COMPLETED),
        (Q2, "99.99", Status.ON_TRACK),
        (Q2, "50.00", Status.ON_TRACK),
        (Q2, "49.99", Status.BEHIND),
        (YEAR, "99.99", Status.BEHIND),
        (YEAR, "100.01", Status.EXCEEDED),
    ],
)
def test_one_unit_of_the_last_decimal_decides(period: Period, value: str, expected: Status) -> None:
    assert status(spec(decimals=2), period, value, T100) is expected


@pytest.mark.parametrize(
    ("value", "at_year", "at_q2"),
    [
        ("99.995", Status.COMPLETED, Status.COMPLETED),  # rounds half up to 100.00
        ("99.994", Status.BEHIND, Status.ON_TRACK),  # rounds to 99.99
        ("100.004", Status.COMPLETED, Status.COMPLETED),
        ("100.005", Status.EXCEEDED, Status.EXCEEDED),  # rounds to 100.01
        ("49.995", Status.BEHIND, Status.ON_TRACK),  # 50.00 is exactly expected at Q2
        ("49.994", Status.BEHIND, Status.BEHIND),
    ],
)
def test_value_is_rounded_to_the_indicator_decimals_before_comparing(
    value: str, at_year: Status, at_q2: Status
) -> None:
    ind = spec(decimals=2)
    assert status(ind, YEAR, value, target("100.00")) is at_year
    assert status(ind, Q2, value, target("100.00")) is at_q2


def test_target_is_rounded_too() -> None:
    # a target written with more places than the indicator shows is judged as shown
    assert status(spec(decimals=0), YEAR, "100", target("100.4")) is Status.COMPLETED


# ---------------------------------------------------------------- higher, level


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q2, "100.01", Status.EXCEEDED),
        (Q2, "100.00", Status.COMPLETED),
        (Q2, "80.00", Status.ON_TRACK),  # 60 + (100 − 60) × 2/4
        (Q2, "79.99", Status.BEHIND),
        (Q1, "70.00", Status.ON_TRACK),
        (Q1, "69.99", Status.BEHIND),
        (Q3, "90.00", Status.ON_TRACK),
        (Q3, "89.99", Status.BEHIND),
        (Q4, "99.99", Status.BEHIND),
        (YEAR, "100", Status.COMPLETED),
    ],
)
def test_higher_level_boundaries(period: Period, value: str, expected: Status) -> None:
    assert status(LEVEL, period, value, LEVEL_T) is expected


# ---------------------------------------------------------------- lower, level


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q2, "5.9", Status.EXCEEDED),  # strictly below the target is better
        (Q2, "6.0", Status.COMPLETED),
        (Q2, "6.1", Status.ON_TRACK),
        (Q2, "8.0", Status.ON_TRACK),  # 10 + (6 − 10) × 2/4
        (Q2, "8.1", Status.BEHIND),
        (Q1, "9.0", Status.ON_TRACK),
        (Q1, "9.1", Status.BEHIND),
        (YEAR, "6.1", Status.BEHIND),
        (YEAR, "6", Status.COMPLETED),
        (YEAR, "5.9", Status.EXCEEDED),
    ],
)
def test_lower_level_boundaries(period: Period, value: str, expected: Status) -> None:
    lower = spec(accumulation="level", direction="lower", decimals=1)
    assert status(lower, period, value, target("6", baseline="10")) is expected


# ---------------------------------------------------------------- cap


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q1, "25.00", Status.WITHIN_CAP),  # exactly at the pro-rated pace: green
        (Q1, "25.01", Status.CAP_WARNING),  # ahead of the pace, well within the ceiling: yellow, not 超标
        (Q2, "50.00", Status.WITHIN_CAP),
        (Q2, "50.004", Status.WITHIN_CAP),  # rounds to 50.00
        (Q2, "50.005", Status.CAP_WARNING),
        (Q2, "50.01", Status.CAP_WARNING),
        (Q2, "0", Status.WITHIN_CAP),
        (Q3, "75.01", Status.CAP_WARNING),
        (Q3, "99.99", Status.CAP_WARNING),
        (Q3, "100.00", Status.OVER_CAP),  # the year's allowance used with a quarter to run: certain to be overrun
        (Q2, "100.01", Status.OVER_CAP),  # the ceiling itself exceeded
        (YEAR, "100.00", Status.WITHIN_CAP),  # the year's figure exactly at the ceiling
        (YEAR, "100.01", Status.OVER_CAP),
    ],
)
def test_cumulative_cap_is_paced_like_the_barometer(period: Period, value: str, expected: Status) -> None:
    cap = spec(direction="cap", decimals=2)
    assert status(cap, period, value, T100) is expected


def test_cumulative_cap_follows_milestones() -> None:
    cap = spec(direction="cap")
    annual = target("100", Q2="60")
    assert status(cap, Q2, "60", annual) is Status.WITHIN_CAP
    assert status(cap, Q2, "61", annual) is Status.CAP_WARNING


@pytest.mark.parametrize(
    ("warning", "alarm", "value", "expected"),
    [
        ("5", None, "52.50", Status.WITHIN_CAP),  # 5 % over the pace of 50 is tolerated
        ("5", None, "52.51", Status.CAP_WARNING),
        ("0", "20", "60.00", Status.CAP_WARNING),  # 20 % over the pace: still a warning
        ("0", "20", "60.01", Status.OVER_CAP),  # beyond it the template treats overrunning the year as certain
        ("5", "20", "99.99", Status.OVER_CAP),
    ],
)
def test_cap_pacing_margins_come_from_the_template(
    warning: str, alarm: str | None, value: str, expected: Status
) -> None:
    cap = spec(direction="cap", decimals=2)
    pacing = CapPacing(D(warning), None if alarm is None else D(alarm))
    assert classify(cap, Q2, D(value), T100, pacing=pacing).status is expected


@pytest.mark.parametrize(
    ("period", "value", "expected"),
    [
        (Q1, "4.9", Status.WITHIN_CAP),  # above the straight line 3.5 but under the ceiling that always holds
        (Q1, "5.0", Status.WITHIN_CAP),
        (Q1, "5.1", Status.OVER_CAP),
        (Q3, "5.0", Status.WITHIN_CAP),
        (YEAR, "5.1", Status.OVER_CAP),
    ],
)
def test_level_cap_holds_all_year(period: Period, value: str, expected: Status) -> None:
    cap = spec(direction="cap", accumulation="level", decimals=1)
    assert status(cap, period, value, target("5", baseline="3")) is expected


def test_behind_warning_and_over_cap_need_an_explanation() -> None:
    assert {Status.BEHIND, Status.CAP_WARNING, Status.OVER_CAP} == NEEDS_EXPLANATION


# ---------------------------------------------------------------- quarterly


QUARTERLY = spec(frequency="quarterly")


def quarters() -> dict[Period, TargetSpec]:
    return {Period(2023, q): target(str(10 * q)) for q in (1, 2, 3, 4)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("20", Status.COMPLETED), ("21", Status.COMPLETED), ("500", Status.COMPLETED), ("19", Status.BEHIND)],
)
def test_quarterly_indicator_meets_or_beats_its_quarter_target(value: str, expected: Status) -> None:
    progress = classify(QUARTERLY, Q2, D(value), None, quarters()[Q2])
    assert progress.status is expected
    assert progress.target == D(20)
    assert progress.expected == D(20)


def test_quarterly_indicator_is_judged_against_the_quarter_not_the_year() -> None:
    q = quarters()
    assert status(QUARTERLY, Q1, "10", target("40"), quarter=q[Q1]) is Status.COMPLETED
    assert status(QUARTERLY, Q3, "29", target("40"), quarter=q[Q3]) is Status.BEHIND


def test_quarterly_lower_indicator() -> None:
    lower = spec(frequency="quarterly", accumulation="level", direction="lower")
    assert status(lower, Q2, "20", None, quarter=target("20")) is Status.COMPLETED
    assert status(lower, Q2, "19", None, quarter=target("20")) is Status.COMPLETED
    assert status(lower, Q2, "21", None, quarter=target("20")) is Status.BEHIND


def test_quarterly_indicator_rounds_before_comparing() -> None:
    ind = spec(frequency="quarterly", decimals=1)
    assert status(ind, Q2, "19.95", None, quarter=target("20")) is Status.COMPLETED
    assert status(ind, Q2, "19.94", None, quarter=target("20")) is Status.BEHIND


def test_quarterly_indicator_in_the_annual_period() -> None:
    q4 = target("40")
    # with an annual entry, the year is judged against it
    assert status(QUARTERLY, YEAR, "45", target("50"), quarter=q4) is Status.BEHIND
    assert status(QUARTERLY, YEAR, "50", target("50"), quarter=q4) is Status.COMPLETED
    # without one, against the Q4 target
    assert status(QUARTERLY, YEAR, "45", None, quarter=q4) is Status.COMPLETED
    assert status(QUARTERLY, YEAR, "39", None, quarter=q4) is Status.BEHIND


def test_applicable_target() -> None:
    annual, q2 = target("50"), target("20")
    assert applicable_target(QUARTERLY, Q2, annual, q2) is q2
    assert applicable_target(QUARTERLY, YEAR, annual, q2) is annual
    assert applicable_target(QUARTERLY, YEAR, None, q2) is q2
    assert applicable_target(QUARTERLY, YEAR, target(None, baseline="3"), q2) is q2
    assert applicable_target(CUM, Q2, annual, q2) is annual


def test_annual_period_uses_the_annual_target() -> None:
    progress = classify(CUM, YEAR, D(80), target("100", Q3="70"))
    assert progress.target == D(100)
    assert progress.expected == D(100)
    assert progress.status is Status.BEHIND


# ---------------------------------------------------------------- missing, not assessed, completion


@pytest.mark.parametrize("ind", [CUM, LEVEL, QUARTERLY, spec(direction="cap")])
def test_no_value_is_missing(ind: IndicatorSpec) -> None:
    annual = LEVEL_T if ind is LEVEL else T100
    progress = classify(ind, Q2, None, annual, target("20"))
    assert progress.status is Status.MISSING
    assert progress.target is not None
    assert progress.completion is None


def test_not_assessed_has_no_status_even_with_a_value() -> None:
    basic = spec(tier="basic", assessed=False)
    for value in (None, D(0), D(1000)):
        progress = classify(basic, Q2, value, target(None, baseline="5"))
        assert progress.status is None
        assert progress.target is None and progress.expected is None and progress.completion is None


def test_missing_target_is_shown_as_behind_not_hidden() -> None:
    assert status(CUM, Q2, "50", None) is Status.BEHIND


@pytest.mark.parametrize(
    ("ind", "annual", "value", "completion"),
    [
        (CUM, T100, "50", "50.0"),
        (CUM, target("3"), "1", "33.3"),
        (CUM, target("3"), "2", "66.7"),  # half up
        (LEVEL, LEVEL_T, "80", "50.0"),  # share of the way from the baseline 60 to 100
        (LEVEL, LEVEL_T, "100", "100.0"),
        (spec(direction="cap"), target("100", baseline="90"), "40", "40.0"),  # a cap is measured from 0
    ],
)
def test_completion_percent(ind: IndicatorSpec, annual: TargetSpec, value: str, completion: str) -> None:
    assert classify(ind, Q2, D(value), annual).completion == D(completion)


def test_status_labels_are_chinese() -> None:
    assert Status.EXCEEDED.label == "超额完成"
    assert Status.COMPLETED.label == "已完成"
    assert Status.ON_TRACK.label == "按序推进"
    assert Status.BEHIND.label == "滞后"
    assert Status.MISSING.label == "未填报"
    assert Status.WITHIN_CAP.label == "达标"
    assert Status.OVER_CAP.label == "超标"


# ---------------------------------------------------------------- through a stored template and the self-check


def test_milestones_and_quarter_targets_from_a_stored_template(db: Database, tmp_path: Path) -> None:
    targets: list[dict[str, Any]] = []
    for unit in (CITY, D1, D2):
        targets.append(
            {"indicator": "A", "unit": unit, "period": "2023", "target": "100", "milestones": {"Q1": "10", "Q2": "30"}}
        )
        targets += [
            {"indicator": "Q", "unit": unit, "period": f"2023Q{q}", "target": str(10 * q)} for q in (1, 2, 3, 4)
        ]
    spec = store_template(db, document([indicator("A"), indicator("Q", frequency="quarterly")], targets), tmp_path)
    enter(db, spec, D1, "2023Q2", A="30", Q="20")
    enter(db, spec, D2, "2023Q2", A="29", Q="19")
    enter(db, spec, D1, "2023Q3", A="75")  # no Q3 milestone: default 75
    enter(db, spec, D1, "2023", Q="40")  # the year of a quarterly indicator without an annual entry: Q4's target
    enter(db, spec, D2, "2023", Q="39")
    d1, d2 = check(db, D1, "2023Q2"), check(db, D2, "2023Q2")
    assert (d1.by_code["A"].progress.expected, d1.by_code["A"].status) == (D(30), Status.ON_TRACK)
    assert d2.by_code["A"].status is Status.BEHIND
    assert (d1.by_code["Q"].progress.target, d1.by_code["Q"].status) == (D(20), Status.COMPLETED)
    assert d2.by_code["Q"].status is Status.BEHIND
    assert check(db, D1, "2023Q3").by_code["A"].progress.expected == D(75)
    assert check(db, D1, "2023").by_code["Q"].status is Status.COMPLETED
    assert check(db, D2, "2023").by_code["Q"].status is Status.BEHIND
    # the city: 59 ≥ its milestone 30 at Q2, 39 ≥ its Q2 target 20
    city = check(db, CITY, "2023Q2")
    assert city.by_code["A"].status is Status.ON_TRACK
    assert city.by_code["Q"].status is Status.COMPLETED
