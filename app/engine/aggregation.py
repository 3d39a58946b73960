"""A parent unit's figures from its children, with each indicator's aggregation rule.

The rule works on what the children entered, not on their rounded percentages: a ratio is the sum of the
numerators over the sum of the denominators, and a formula is recomputed from the aggregated inputs, so the
city figure equals what the city would compute from all the districts' raw numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.compute import EMPTY, Entry, compute_values
from app.engine.numbers import CONTEXT


@dataclass(frozen=True)
class Aggregated:
    """The parent's entries, ready for :func:`app.engine.compute.compute_values`, and who contributed."""

    entries: dict[str, Entry]
    contributors: dict[str, list[str]]  # indicator code → child unit codes that had a value


def aggregate(
    catalog: CatalogSpec,
    children: Mapping[str, Mapping[str, Entry]],
    own: Mapping[str, Entry],
) -> Aggregated:
    """Combine ``children`` (child unit code → its entries) into the parent's entries.

    ``own`` are the parent's own entries: used for indicators aggregated with ``none`` (the parent enters
    its own figure) and for the parent's explanations.
    """
    child_values = {
        code: compute_values(catalog, entries, catalog.baselines(code)).values for code, entries in children.items()
    }
    result: dict[str, Entry] = {}
    contributors: dict[str, list[str]] = {}
    for ind in catalog.indicators:
        mine = own.get(ind.code, EMPTY)
        if ind.aggregation == "none":
            result[ind.code] = mine
            contributors[ind.code] = []
            continue
        rows = [(code, entries.get(ind.code, EMPTY)) for code, entries in children.items()]
        if ind.aggregation == "formula":
            # Computed later from the aggregated inputs. Those must cover the same units, or the result mixes
            # partial and full sums (energy of 10 districts over GDP of 11): until every unit has every input,
            # the parent has no figure.
            assert ind.parsed is not None
            inputs = sorted(ind.parsed.refs)
            complete = [c for c, _ in rows if all(child_values[c].get(ref) is not None for ref in inputs)]
            contributors[ind.code] = complete
            incomplete = len(complete) < len(rows)
            result[ind.code] = Entry(explanation=mine.explanation, incomplete=incomplete)
            continue
        if ind.aggregation == "ratio":
            parts = [(c, e) for c, e in rows if e.numerator is not None and e.denominator is not None]
            contributors[ind.code] = [c for c, _ in parts]
            if parts:
                num = _sum(e.numerator for _, e in parts)
                den = _sum(e.denominator for _, e in parts)
                result[ind.code] = Entry(numerator=num, denominator=den, explanation=mine.explanation)
            else:
                result[ind.code] = Entry(explanation=mine.explanation)
            continue
        present = [(c, child_values[c].get(ind.code)) for c, _ in rows]
        have = [(c, v) for c, v in present if v is not None]
        contributors[ind.code] = [c for c, _ in have]
        result[ind.code] = _combine(ind, have, dict(rows), mine.explanation)
    return Aggregated(result, contributors)


def _combine(ind: IndicatorSpec, have: list[tuple[str, Decimal]], rows: dict[str, Entry], explanation: str) -> Entry:
    if not have:
        return Entry(explanation=explanation)
    if ind.aggregation == "sum":
        return Entry(value=_sum(v for _, v in have), explanation=explanation)
    pick = max if ind.aggregation == "max" else min
    code, best = pick(have, key=lambda cv: cv[1])
    if ind.kind == "ratio":
        chosen = rows[code]
        return Entry(numerator=chosen.numerator, denominator=chosen.denominator, explanation=explanation)
    return Entry(value=best, explanation=explanation)


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    total = Decimal(0)
    for v in values:
        if v is not None:
            total = CONTEXT.add(total, v)
    return total
