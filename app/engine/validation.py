"""Validation of one unit's figures for one period: errors block signing, warnings need an explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.engine.catalog import CatalogSpec, IndicatorSpec, RuleSpec
from app.engine.compute import Computed, Entry
from app.engine.formula import EvaluationError
from app.engine.numbers import CONTEXT, NumberError, check_places, fmt, quantize

ERROR = "error"
WARNING = "warning"

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "=": lambda a, b: a == b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
}


@dataclass(frozen=True)
class Message:
    level: str  # "error" or "warning"
    text: str
    indicator: str | None = None  # the cell a check panel jumps to
    rule: str | None = None


@dataclass(frozen=True)
class History:
    """Values of the periods a check compares against (each ``None`` when not reported)."""

    previous_in_year: Mapping[str, Decimal | None]
    previous: Mapping[str, Decimal | None]
    last_year: Mapping[str, Decimal | None]
    annual: bool = False  # the period checked is a whole year


NO_HISTORY = History({}, {}, {})


def validate_indicator(ind: IndicatorSpec, entry: Entry, computed: Computed, history: History) -> list[Message]:
    """Checks of one indicator on its own: types and decimals, ranges, year-to-date, change thresholds."""
    out: list[Message] = []

    def error(text: str) -> None:
        out.append(Message(ERROR, text, ind.code))

    def warning(text: str) -> None:
        out.append(Message(WARNING, text, ind.code))

    if ind.code in computed.errors:
        error(computed.errors[ind.code])
    parts = [("value", entry.value, ind.decimals, "数值")] if ind.kind == "base" else []
    if ind.kind == "ratio":
        parts += [
            (
                "numerator",
                entry.numerator,
                ind.numerator.decimals if ind.numerator else 0,
                f"分子（{_part(ind, 'n')}）",
            ),
            (
                "denominator",
                entry.denominator,
                ind.denominator.decimals if ind.denominator else 0,
                f"分母（{_part(ind, 'd')}）",
            ),
        ]
    for _field, number, places, what in parts:
        if number is not None:
            try:
                check_places(number, places, what)
            except NumberError as exc:
                error(str(exc))
    if ind.kind == "ratio":
        num, den = entry.numerator, entry.denominator
        if (num is None) != (den is None):
            error("分子和分母须同时填写")
        if num is not None and num < 0 and (ind.min_value is None or ind.min_value >= 0):
            error(f"分子（{_part(ind, 'n')}）不能为负数")
        if den is not None and den < 0:
            error(f"分母（{_part(ind, 'd')}）不能为负数")
    value = computed.values.get(ind.code)
    if value is None:
        return out
    # Ranges hold for the exact value: 100.04 % must not pass as 100.0 % because of rounding.
    if ind.min_value is not None and value < ind.min_value:
        error(f"数值 {fmt(value, ind.decimals)} 小于下限 {ind.min_value}")
    if ind.max_value is not None and value > ind.max_value:
        if ind.kind == "ratio" and ind.max_value == (ind.scale if ind.scale is not None else 100):
            error(f"分子（{_part(ind, 'n')}）不能大于分母（{_part(ind, 'd')}）")
        else:
            error(f"数值 {fmt(value, ind.decimals)} 大于上限 {ind.max_value}")
    earlier = history.previous_in_year.get(ind.code)
    # Compared as shown: a year-to-date total that only differs beyond its decimals has not fallen.
    if ind.is_cumulative and earlier is not None and quantize(value, ind.decimals) < quantize(earlier, ind.decimals):
        error(f"累计值 {fmt(value, ind.decimals)} 小于上一季度的 {fmt(earlier, ind.decimals)}，累计值不应减少")
    if ind.change_threshold is not None:
        comparisons = [("同期", history.last_year.get(ind.code))]
        # For the year the previous period is last year: one comparison, not the same one twice.
        if not ind.is_cumulative and not history.annual:
            # A year-to-date total always grows quarter on quarter; only level figures compare with the last one.
            comparisons.insert(0, ("上期", history.previous.get(ind.code)))
        for label, old in comparisons:
            change = _change_percent(value, old)
            if change is not None and abs(change) > ind.change_threshold:
                shown_old = fmt(old, ind.decimals)
                warning(f"较{label}（{shown_old}）变化 {fmt(change, 1)}%，超过 {ind.change_threshold}% 的提示阈值")
    return out


def _part(ind: IndicatorSpec, which: str) -> str:
    part = ind.numerator if which == "n" else ind.denominator
    return part.name if part else ("分子" if which == "n" else "分母")


def _change_percent(new: Decimal, old: Decimal | None) -> Decimal | None:
    if old is None or old == 0:
        return None
    return CONTEXT.divide(CONTEXT.multiply(new - old, Decimal(100)), abs(old))


def validate_rules(catalog: CatalogSpec, computed: Computed, baselines: Mapping[str, Decimal | None]) -> list[Message]:
    """Cross-indicator rules of the template; a rule is skipped while a value it reads is missing."""
    out: list[Message] = []
    for rule in catalog.rules:
        message = _check_rule(catalog, rule, computed, baselines)
        if message is not None:
            out.append(message)
    return out


def _check_rule(
    catalog: CatalogSpec, rule: RuleSpec, computed: Computed, baselines: Mapping[str, Decimal | None]
) -> Message | None:
    try:
        left = rule.left_formula.evaluate(computed.values, baselines)
        right = rule.right_formula.evaluate(computed.values, baselines)
    except EvaluationError as exc:
        return Message(ERROR, f"规则 {rule.code} 无法计算：{exc}", _anchor(catalog, rule), rule.code)
    if left is None or right is None:
        return None
    places = max(
        (catalog.by_code[c].decimals for c in rule.left_formula.refs | rule.right_formula.refs if c in catalog.by_code),
        default=6,
    )
    if _OPS[rule.op](quantize(left, places), quantize(right, places)):
        return None
    detail = f"（{fmt(left, places)} {rule.op} {fmt(right, places)} 不成立）"
    return Message(rule.level, rule.message + detail, _anchor(catalog, rule), rule.code)


def _anchor(catalog: CatalogSpec, rule: RuleSpec) -> str | None:
    """The indicator a rule's message belongs to: the first one its left side reads, in catalog order."""
    refs = rule.left_formula.refs | rule.left_formula.base_refs or rule.right_formula.refs
    for ind in catalog.indicators:
        if ind.code in refs:
            return ind.code
    return None
