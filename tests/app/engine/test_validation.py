"""Validation of a unit's figures: ranges, ratios, year-to-date, change thresholds, rules, explanations."""

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.engine.catalog import CatalogSpec
from app.engine.compute import Computed, Entry
from app.engine.periods import Period
from app.engine.progress import Status
from app.engine.selfcheck import CheckResult
from app.engine.validation import ERROR, NO_HISTORY, WARNING, History, Message, validate_indicator
from app.storage.db import Database
from app.storage.store import Change, apply_changes
from app.templates.spec import spec_from_document
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio

D = Decimal


def texts(result: CheckResult, code: str, level: str) -> list[str]:
    return [m.text for m in result.by_code[code].messages if m.level == level]


def explain(db: Database, spec: CatalogSpec, unit: str, period: str, **texts_: str) -> None:
    with db.transaction() as session:
        changes = [Change(code, explanation=text) for code, text in texts_.items()]
        apply_changes(session, spec, unit, Period.parse(period), changes, "tester")


# ---------------------------------------------------------------- ranges


def test_value_within_range_has_no_message(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A", max="150")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="60")
    result = check(db, D1, "2023Q2")
    assert result.by_code["A"].messages == []
    assert result.errors == []
    assert result.can_sign


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("151", "大于上限 150"), ("-1", "小于下限 0")],
)
def test_value_outside_range_is_an_error(db: Database, tmp_path: Path, value: str, fragment: str) -> None:
    spec = store_template(db, document([indicator("A", max="150")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A=value)
    result = check(db, D1, "2023Q2")
    assert any(fragment in t for t in texts(result, "A", ERROR))
    assert not result.can_sign


def test_range_bounds_are_inclusive_and_removable(db: Database, tmp_path: Path) -> None:
    spec = store_template(
        db, document([indicator("A", min="10", max="20", accumulation="level"), indicator("N", min=None)]), tmp_path
    )
    enter(db, spec, D1, "2023Q2", A="10", N="-5")
    enter(db, spec, D2, "2023Q2", A="20")
    assert texts(check(db, D1, "2023Q2"), "A", ERROR) == []
    assert texts(check(db, D1, "2023Q2"), "N", ERROR) == []  # no lower bound
    assert texts(check(db, D2, "2023Q2"), "A", ERROR) == []


def test_ratio_numerator_above_denominator_is_an_error(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=("41", "40"))
    enter(db, spec, D2, "2023Q2", B=("40", "40"))
    bad = check(db, D1, "2023Q2")
    assert texts(bad, "B", ERROR) == ["分子（分子量）不能大于分母（分母量）"]
    assert not bad.can_sign
    assert texts(check(db, D2, "2023Q2"), "B", ERROR) == []  # 100 % is allowed


@pytest.mark.parametrize(
    ("parts", "fragment"),
    [(("-1", "40"), "分子（分子量）不能为负数"), (("-1", "-40"), "分母（分母量）不能为负数")],
)
def test_negative_ratio_parts_are_errors(db: Database, tmp_path: Path, parts: tuple[str, str], fragment: str) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=parts)
    result = check(db, D1, "2023Q2")
    assert fragment in texts(result, "B", ERROR)
    assert not result.can_sign


def test_one_ratio_part_alone_is_an_error() -> None:
    spec = spec_from_document(document([ratio("B")]))
    ind = spec.by_code["B"]
    messages = validate_indicator(ind, Entry(numerator=D(3)), Computed({"B": None}, {}), NO_HISTORY)
    assert [m.text for m in messages] == ["分子和分母须同时填写"]


def test_too_many_decimals_in_a_stored_value_is_an_error() -> None:
    # the store refuses these; a value that arrives another way (an older database) is still caught
    spec = spec_from_document(document([indicator("A")]))
    ind = spec.by_code["A"]
    messages = validate_indicator(ind, Entry(value=D("1.5")), Computed({"A": D("1.5")}, {}), NO_HISTORY)
    assert any(m.level == ERROR and "应为整数" in m.text for m in messages)  # 0 decimal places: a whole number
    messages = validate_indicator(ind, Entry(value=D("2.000")), Computed({"A": D("2.000")}, {}), NO_HISTORY)
    assert messages == []


# ---------------------------------------------------------------- year-to-date


def test_cumulative_value_falling_from_q1_to_q2_is_an_error(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), indicator("L", accumulation="level")]), tmp_path)
    enter(db, spec, D1, "2023Q1", A="30", L="80")
    enter(db, spec, D1, "2023Q2", A="29", L="70")
    result = check(db, D1, "2023Q2")
    assert any("累计值不应减少" in t for t in texts(result, "A", ERROR))
    assert texts(result, "L", ERROR) == []  # a level figure may fall
    assert not result.can_sign


def test_cumulative_value_equal_or_rising_is_fine(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    enter(db, spec, D1, "2023Q1", A="30")
    enter(db, spec, D1, "2023Q2", A="60")
    enter(db, spec, D2, "2023Q1", A="30")
    enter(db, spec, D2, "2023Q2", A="50")
    assert texts(check(db, D1, "2023Q2"), "A", ERROR) == []
    assert texts(check(db, D2, "2023Q2"), "A", ERROR) == []


def test_q1_is_not_compared_with_last_years_q4_for_year_to_date(db: Database, tmp_path: Path) -> None:
    spec22 = store_template(db, document([indicator("A")], year=2022), tmp_path, "t2022.json")
    spec23 = store_template(db, document([indicator("A")]), tmp_path, "t2023.json")
    enter(db, spec22, D1, "2022Q4", A="100")
    enter(db, spec23, D1, "2023Q1", A="25")
    assert texts(check(db, D1, "2023Q1"), "A", ERROR) == []


def test_year_to_date_fall_at_city_level(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    enter(db, spec, D1, "2023Q1", A="30")
    enter(db, spec, D2, "2023Q1", A="30")
    enter(db, spec, D1, "2023Q2", A="40")  # D2 has not reported Q2: the city total falls 60 → 40
    assert any("累计值不应减少" in t for t in texts(check(db, CITY, "2023Q2"), "A", ERROR))


# ---------------------------------------------------------------- change thresholds


def test_level_change_against_the_previous_quarter_beyond_threshold_is_a_warning(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("L", accumulation="level", change_threshold="10")]), tmp_path)
    enter(db, spec, D1, "2023Q1", L="70")
    enter(db, spec, D1, "2023Q2", L="80")  # +14.3 %
    enter(db, spec, D2, "2023Q1", L="80")
    enter(db, spec, D2, "2023Q2", L="88")  # +10 %: not beyond
    result = check(db, D1, "2023Q2")
    assert texts(result, "L", WARNING) == ["较上期（70）变化 14.3%，超过 10% 的提示阈值"]
    assert result.errors == []
    assert not result.can_sign  # a warning needs an explanation
    assert [ic.spec.code for ic in result.missing_explanations] == ["L"]
    assert texts(check(db, D2, "2023Q2"), "L", WARNING) == []

    explain(db, spec, D1, "2023Q2", L="新增监测点位，口径调整")
    after = check(db, D1, "2023Q2")
    assert texts(after, "L", WARNING)  # still shown
    assert after.missing_explanations == []
    assert after.can_sign


def test_a_fall_beyond_threshold_is_a_warning_too(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("L", accumulation="level", change_threshold="10")]), tmp_path)
    enter(db, spec, D1, "2023Q1", L="100")
    enter(db, spec, D1, "2023Q2", L="85")  # −15 %, still on track (expected 80)
    assert texts(check(db, D1, "2023Q2"), "L", WARNING) == ["较上期（100）变化 -15.0%，超过 10% 的提示阈值"]


def test_cumulative_is_not_compared_with_the_previous_quarter(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A", change_threshold="10")]), tmp_path)
    enter(db, spec, D1, "2023Q1", A="25")
    enter(db, spec, D1, "2023Q2", A="50")
    assert texts(check(db, D1, "2023Q2"), "A", WARNING) == []


def test_change_against_the_same_period_last_year(db: Database, tmp_path: Path) -> None:
    """Needs last year's catalog: a second template for 2022 with the same units imports next to 2023's."""
    ind = indicator("A", change_threshold="20")
    spec22 = store_template(db, document([ind], year=2022), tmp_path, "t2022.json")
    spec23 = store_template(db, document([ind]), tmp_path, "t2023.json")
    assert (spec22.year, spec23.year) == (2022, 2023)
    assert [u.code for u in spec22.units] == [u.code for u in spec23.units] == [CITY, D1, D2]
    enter(db, spec22, D1, "2022Q2", A="50")
    enter(db, spec22, D2, "2022Q2", A="50")
    enter(db, spec23, D1, "2023Q2", A="61")  # +22 %
    enter(db, spec23, D2, "2023Q2", A="60")  # +20 %: not beyond
    result = check(db, D1, "2023Q2")
    assert texts(result, "A", WARNING) == ["较同期（50）变化 22.0%，超过 20% 的提示阈值"]
    assert result.by_code["A"].explanation_required
    assert texts(check(db, D2, "2023Q2"), "A", WARNING) == []
    # the city compares its own totals: 121 against 100
    assert texts(check(db, CITY, "2023Q2"), "A", WARNING) == ["较同期（100）变化 21.0%，超过 20% 的提示阈值"]
    # and last year's check still works with last year's catalog
    assert check(db, D1, "2022Q2").catalog.year == 2022
    assert check(db, D1, "2022Q2").by_code["A"].value == D(50)


def test_no_history_or_zero_history_gives_no_change_warning(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("L", accumulation="level", change_threshold="10")]), tmp_path)
    enter(db, spec, D1, "2023Q2", L="80")
    enter(db, spec, D2, "2023Q1", L="0")
    enter(db, spec, D2, "2023Q2", L="80")
    assert texts(check(db, D1, "2023Q2"), "L", WARNING) == []
    assert texts(check(db, D2, "2023Q2"), "L", WARNING) == []


def test_threshold_boundary_is_strict() -> None:
    spec = spec_from_document(document([indicator("L", accumulation="level", change_threshold="10")]))
    ind = spec.by_code["L"]

    def warnings(new: str, old: str) -> list[Message]:
        history = History({}, {"L": D(old)}, {})
        out = validate_indicator(ind, Entry(value=D(new)), Computed({"L": D(new)}, {}), history)
        return [m for m in out if m.level == WARNING]

    assert warnings("110", "100") == []
    assert len(warnings("110.0001", "100")) == 1
    assert warnings("90", "100") == []
    assert len(warnings("89", "100")) == 1


# ---------------------------------------------------------------- cross-indicator rules


def _rules_doc(level: str = "error") -> dict[str, Any]:
    return document(
        [indicator("G", name="绿色餐厅数"), indicator("T", name="餐厅总数")],
        rules=[
            {
                "code": "R01",
                "left": "G",
                "op": "<=",
                "right": "T",
                "level": level,
                "message": "绿色餐厅数不能超过餐厅总数",
            }
        ],
    )


def test_error_rule_broken_blocks_signing(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_doc("error"), tmp_path)
    enter(db, spec, D1, "2023Q2", G="62", T="60")
    result = check(db, D1, "2023Q2")
    assert [(m.level, m.rule, m.indicator) for m in result.rule_messages] == [(ERROR, "R01", "G")]
    assert result.rule_messages[0].text == "绿色餐厅数不能超过餐厅总数（62 <= 60 不成立）"
    assert not result.can_sign


def test_rule_holding_gives_no_message(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_doc("error"), tmp_path)
    enter(db, spec, D1, "2023Q2", G="60", T="60")
    assert check(db, D1, "2023Q2").rule_messages == []


def test_warning_rule_needs_an_explanation_on_its_indicator(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_doc("warning"), tmp_path)
    enter(db, spec, D1, "2023Q2", G="62", T="60")
    result = check(db, D1, "2023Q2")
    assert [(m.level, m.rule) for m in result.rule_messages] == [(WARNING, "R01")]
    assert result.errors == []
    assert [ic.spec.code for ic in result.missing_explanations] == ["G"]
    assert not result.can_sign
    explain(db, spec, D1, "2023Q2", G="含新开业餐厅，总数下季度更新")
    assert check(db, D1, "2023Q2").can_sign


def test_rule_is_skipped_while_a_value_is_missing(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_doc("error"), tmp_path)
    enter(db, spec, D1, "2023Q2", G="62")
    result = check(db, D1, "2023Q2")
    assert result.rule_messages == []


def test_rules_with_formulas_and_other_operators(db: Database, tmp_path: Path) -> None:
    doc = document(
        [indicator("A"), indicator("B")],
        rules=[
            {"code": "R1", "left": "A", "op": "=", "right": "B * 2", "level": "error", "message": "A 应为 B 的两倍"},
            {"code": "R2", "left": "A - B", "op": ">", "right": "0", "level": "warning", "message": "A 应大于 B"},
            {"code": "R3", "left": "A", "op": "<", "right": "base(A)", "level": "warning", "message": "低于基期"},
        ],
    )
    # A's baseline is absent (cumulative default targets carry none): R3 is skipped
    spec = store_template(db, doc, tmp_path)
    enter(db, spec, D1, "2023Q2", A="20", B="10")
    enter(db, spec, D2, "2023Q2", A="20", B="20")
    assert check(db, D1, "2023Q2").rule_messages == []
    assert [m.rule for m in check(db, D2, "2023Q2").rule_messages] == ["R1", "R2"]


def test_rule_dividing_by_zero_is_an_error_not_a_crash(db: Database, tmp_path: Path) -> None:
    doc = document(
        [indicator("A"), indicator("B")],
        rules=[{"code": "R1", "left": "A / B", "op": "<=", "right": "1", "level": "warning", "message": "比例"}],
    )
    spec = store_template(db, doc, tmp_path)
    enter(db, spec, D1, "2023Q2", A="1", B="0")
    messages = check(db, D1, "2023Q2").rule_messages
    assert len(messages) == 1 and messages[0].level == ERROR and "无法计算" in messages[0].text


# ---------------------------------------------------------------- explanations for behind and over cap


def test_a_ceiling_exceeded_is_over_cap_and_named_against_the_ceiling(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), indicator("K", direction="cap")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="50", K="101")  # the year's ceiling of 100 already passed at mid-year
    result = check(db, D1, "2023Q2")
    assert result.by_code["K"].status is Status.OVER_CAP
    assert texts(result, "K", WARNING) == ["超出控制目标：本期 101个，控制目标 100个"]
    assert "1项超出控制目标（指标K）" in result.summary


def test_behind_needs_an_explanation_before_signing(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), indicator("K", direction="cap")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="49", K="51")  # expected 50; cap of 100 pro-rated to 50
    result = check(db, D1, "2023Q2")
    assert result.by_code["A"].status is Status.BEHIND
    assert result.by_code["K"].status is Status.CAP_WARNING
    assert texts(result, "A", WARNING) == ["进度滞后：本期 49个，预期进度值 50个"]
    assert texts(result, "K", WARNING) == ["超出进度预警：本期 51个，按进度控制值 50个"]
    assert result.errors == []
    assert {ic.spec.code for ic in result.missing_explanations} == {"A", "K"}
    assert not result.can_sign
    assert "需填写情况说明：指标A" in result.blocking_reasons()

    explain(db, spec, D1, "2023Q2", A="项目集中在下半年开工")
    partial = check(db, D1, "2023Q2")
    assert [ic.spec.code for ic in partial.missing_explanations] == ["K"]
    assert not partial.can_sign

    explain(db, spec, D1, "2023Q2", K="   ")  # blanks are no explanation
    assert not check(db, D1, "2023Q2").can_sign
    explain(db, spec, D1, "2023Q2", K="新增产能已报备")
    assert check(db, D1, "2023Q2").can_sign


def test_on_track_needs_no_explanation(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="50")
    result = check(db, D1, "2023Q2")
    assert result.by_code["A"].status is Status.ON_TRACK
    assert not result.by_code["A"].explanation_required
    assert result.can_sign


def test_errors_block_signing_even_when_explained(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=("41", "40"))
    explain(db, spec, D1, "2023Q2", B="统计口径不同")
    result = check(db, D1, "2023Q2")
    assert result.missing_explanations == []
    assert not result.can_sign
    assert any(r.startswith("错误：") for r in result.blocking_reasons())
