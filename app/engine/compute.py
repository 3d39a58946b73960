"""From what a clerk entered to each indicator's value: ratios divided out, formulas evaluated."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.formula import EvaluationError
from app.engine.numbers import CONTEXT


@dataclass(frozen=True)
class Entry:
    """What is held for one indicator: the value, or numerator and denominator, and the explanation.

    For a derived indicator ``value`` is normally empty (it is computed); an aggregated derived indicator
    whose rule is ``sum``/``max``/``min`` carries the aggregated value here.
    """

    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    explanation: str = ""
    incomplete: bool = False  # aggregated formula whose inputs do not yet cover every unit: no figure


EMPTY = Entry()


@dataclass(frozen=True)
class Computed:
    values: dict[str, Decimal | None]
    errors: dict[str, str]  # indicator code → why it could not be computed


def ratio_value(ind: IndicatorSpec, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator ÷ denominator × scale; ``None`` while either part is missing.

    Raises :class:`EvaluationError` for a zero denominator.
    """
    if numerator is None or denominator is None:
        return None
    if denominator == 0:
        raise EvaluationError(f"{ind.name}：分母（{ind.denominator.name if ind.denominator else '分母'}）为 0")
    scale = ind.scale if ind.scale is not None else Decimal(100)
    return CONTEXT.divide(CONTEXT.multiply(numerator, scale), denominator)


def compute_values(
    catalog: CatalogSpec, entries: Mapping[str, Entry], baselines: Mapping[str, Decimal | None]
) -> Computed:
    """The value of every indicator of ``catalog`` given the entries of one unit and period."""
    values: dict[str, Decimal | None] = {}
    errors: dict[str, str] = {}
    for ind in catalog.evaluation_order:
        _compute_one(ind, entries.get(ind.code, EMPTY), values, errors, baselines)
    return Computed(values, errors)


def recompute_values(
    catalog: CatalogSpec,
    entries: Mapping[str, Entry],
    baselines: Mapping[str, Decimal | None],
    previous: Computed,
    changed: Iterable[str],
) -> Computed:
    """:func:`compute_values` after the entries of ``changed`` indicators changed, given ``previous``, the result
    before: only those indicators and the formulas that read them (directly or through another formula) are
    computed again; every other value is the one ``previous`` holds, which it would compute to again."""
    values: dict[str, Decimal | None] = {}
    errors: dict[str, str] = {}
    touched = set(changed)
    for ind in catalog.evaluation_order:
        code = ind.code
        if code in touched or (ind.parsed is not None and not ind.parsed.refs.isdisjoint(touched)):
            touched.add(code)
            _compute_one(ind, entries.get(code, EMPTY), values, errors, baselines)
        else:
            values[code] = previous.values.get(code)
            if code in previous.errors:
                errors[code] = previous.errors[code]
    return Computed(values, errors)


def _compute_one(
    ind: IndicatorSpec,
    entry: Entry,
    values: dict[str, Decimal | None],
    errors: dict[str, str],
    baselines: Mapping[str, Decimal | None],
) -> None:
    try:
        if ind.kind == "base":
            values[ind.code] = entry.value
        elif ind.kind == "ratio":
            values[ind.code] = ratio_value(ind, entry.numerator, entry.denominator)
        elif entry.incomplete:
            values[ind.code] = None
        elif entry.value is not None:
            values[ind.code] = entry.value
        else:
            assert ind.parsed is not None
            values[ind.code] = ind.parsed.evaluate(values, baselines)
    except EvaluationError as exc:
        values[ind.code] = None
        errors[ind.code] = f"无法计算：{exc}"
