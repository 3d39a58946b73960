"""Properties over many generated numbers: ratio aggregation, lossless storage, text forms, rounding."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.engine.aggregation import aggregate
from app.engine.catalog import CatalogSpec
from app.engine.compute import Entry, compute_values
from app.engine.numbers import CONTEXT, NumberError, check_places, parse_decimal, quantize, to_text
from app.engine.periods import Period
from app.engine.selfcheck import CheckResult
from app.storage.catalogs import load_spec
from app.storage.checks import check_unit
from app.storage.db import Database
from app.storage.store import Change, apply_changes, catalog_for_year, load_entries
from app.templates.spec import spec_from_document
from tests.app.helpers import store_template
from tests.app.sample_templates import D1, document, indicator, ratio

FAST = settings(max_examples=60, deadline=None)


@st.composite
def decimals_with_places(draw: st.DrawFn, max_places: int, max_int_digits: int = 15, signed: bool = True) -> Decimal:
    """A decimal written with 0…``max_places`` places (trailing zeros included), as a clerk could type it."""
    negative = signed and draw(st.booleans())
    whole = draw(st.integers(min_value=0, max_value=10**max_int_digits - 1))
    places = draw(st.integers(min_value=0, max_value=max_places))
    frac = draw(st.text(alphabet="0123456789", min_size=places, max_size=places))
    text = f"{'-' if negative else ''}{whole}" + (f".{frac}" if places else "")
    return Decimal(text)


def positive(max_places: int) -> st.SearchStrategy[Decimal]:
    return decimals_with_places(max_places, signed=False).filter(lambda d: d > 0)


# ---------------------------------------------------------------- (1) ratio of sums

RATIO_SPEC = spec_from_document(document([ratio("B")]))  # numerator and denominator with 2 places


@FAST
@given(
    st.lists(
        st.tuples(decimals_with_places(2, signed=False), positive(2)),
        min_size=1,
        max_size=12,
    )
)
def test_ratio_aggregation_is_the_ratio_of_the_sums(parts: list[tuple[Decimal, Decimal]]) -> None:
    children = {f"U{i:02d}": {"B": Entry(numerator=n, denominator=d)} for i, (n, d) in enumerate(parts)}
    agg = aggregate(RATIO_SPEC, children, {})
    sum_n = sum((n for n, _ in parts), Decimal(0))
    sum_d = sum((d for _, d in parts), Decimal(0))
    # the parts are summed exactly (no rounding in a sum of exact inputs)
    assert agg.entries["B"].numerator == sum_n
    assert agg.entries["B"].denominator == sum_d
    assert agg.contributors["B"] == sorted(children)
    value = compute_values(RATIO_SPEC, agg.entries, {}).values["B"]
    assert value == CONTEXT.divide(CONTEXT.multiply(sum_n, Decimal(100)), sum_d)
    # and it is the percentage of the sums to far more than the shown places: |v·Σd − 100·Σn| is tiny
    assert value is not None
    assert abs(value * sum_d - 100 * sum_n) <= sum_d * Decimal("1e-50")


# ---------------------------------------------------------------- (2) store → load → check → text


@pytest.fixture(scope="module")
def stored() -> Iterator[Database]:
    """One database for the module (Hypothesis runs many examples per test; a fixture per example is not allowed)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "props.db")
        r = {**ratio("R"), "denominator": {"name": "分母量", "unit": "万平方米", "decimals": 4}, "max": None}
        doc = document(
            [
                indicator("A0", decimals=0, min=None),
                indicator("A2", decimals=2, min=None),
                indicator("A6", decimals=6, min=None),
                r,
            ]
        )
        store_template(db, doc, Path(tmp))
        yield db
        db.close()


PERIOD = Period(2023, 2)


def _spec(db: Database) -> CatalogSpec:
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        return load_spec(session, catalog)


@pytest.mark.parametrize(("code", "places"), [("A0", 0), ("A2", 2), ("A6", 6)])
def test_any_value_within_its_places_survives_store_load_and_export(stored: Database, code: str, places: int) -> None:
    spec = _spec(stored)

    @FAST
    @given(decimals_with_places(places, max_int_digits=20))
    def roundtrip(x: Decimal) -> None:
        check_places(x, places)  # the generator keeps within the declared places
        with stored.transaction() as session:
            apply_changes(session, spec, D1, PERIOD, [Change(code, value=x)], "prop")
        with stored.session() as session:
            loaded = load_entries(session, D1, PERIOD)[code].value
            checked = check_unit(session, D1, PERIOD).by_code[code].value
        assert loaded is not None and checked is not None
        assert loaded == x
        assert loaded.as_tuple() == x.as_tuple()  # the same digits and exponent: nothing rounded or normalised
        assert to_text(loaded) == to_text(x)
        assert to_text(checked) == to_text(x)

    roundtrip()


def test_any_ratio_parts_survive_store_load_and_export(stored: Database) -> None:
    spec = _spec(stored)

    @FAST
    @given(decimals_with_places(2, signed=False), positive(4))
    def roundtrip(n: Decimal, d: Decimal) -> None:
        with stored.transaction() as session:
            apply_changes(session, spec, D1, PERIOD, [Change("R", numerator=n, denominator=d)], "prop")
        with stored.session() as session:
            entry = load_entries(session, D1, PERIOD)["R"]
            checked = check_unit(session, D1, PERIOD).by_code["R"]
        assert entry.numerator is not None and entry.denominator is not None
        assert (to_text(entry.numerator), to_text(entry.denominator)) == (to_text(n), to_text(d))
        assert (to_text(checked.entry.numerator), to_text(checked.entry.denominator)) == (to_text(n), to_text(d))
        assert checked.value == CONTEXT.divide(CONTEXT.multiply(n, Decimal(100)), d)

    roundtrip()


# ---------------------------------------------------------------- (3) text form parses back


@st.composite
def finite_decimals(draw: st.DrawFn, digits: int = 40, exponents: tuple[int, int] = (-40, 40)) -> Decimal:
    sign = draw(st.sampled_from(["", "-"]))
    coefficient = draw(st.integers(min_value=0, max_value=10**digits - 1))
    exponent = draw(st.integers(min_value=exponents[0], max_value=exponents[1]))
    return Decimal(f"{sign}{coefficient}E{exponent}")


# What the program accepts at all: 20 whole digits and 10 decimal places (app.engine.numbers, template schema).
def accepted_decimals() -> st.SearchStrategy[Decimal]:
    return finite_decimals(digits=20, exponents=(-10, 0))


@FAST
@given(accepted_decimals())
def test_text_form_parses_back_to_the_same_number(x: Decimal) -> None:
    text = to_text(x)
    assert text is not None
    assert "E" not in text and "e" not in text
    back = parse_decimal(text)
    assert back == x
    assert to_text(parse_decimal(text)) == to_text(back)  # stable once written


@FAST
@given(accepted_decimals())
def test_lenient_parse_reads_thousands_separators_back(x: Decimal) -> None:
    assert parse_decimal(format(x, ",f"), lenient=True) == x


@FAST
@given(st.decimals(allow_nan=False, allow_infinity=False, places=10, min_value=-(10**12), max_value=10**12))
def test_hypothesis_decimals_parse_back(x: Decimal) -> None:
    text = to_text(x)
    assert text is not None
    assert parse_decimal(text) == x


@FAST
@given(finite_decimals(digits=40, exponents=(-40, 40)))
def test_numbers_beyond_the_accepted_digits_are_refused_not_rounded(x: Decimal) -> None:
    text = to_text(x)
    assert text is not None
    whole, _, fraction = text.lstrip("-").partition(".")
    if len(whole.lstrip("0")) <= 20 and len(fraction) <= 10:
        assert parse_decimal(text) == x
    else:
        with pytest.raises(NumberError, match="位数过多"):
            parse_decimal(text)


# ---------------------------------------------------------------- (4) rounding


# Up to 50 integer digits: with 6 places that stays within the 60 significant digits of the context.
@FAST
@given(finite_decimals(digits=30, exponents=(-30, 20)), st.integers(min_value=0, max_value=6))
def test_quantize_is_idempotent_and_within_half_a_unit(x: Decimal, places: int) -> None:
    q = quantize(x, places)
    assert quantize(q, places) == q
    assert q.as_tuple().exponent == -places
    unit = Decimal(1).scaleb(-places)
    error = abs(q - x)
    assert error <= unit / 2
    if error == unit / 2:  # a tie goes away from zero
        assert abs(q) > abs(x)


@FAST
@given(decimals_with_places(6))
def test_values_within_the_places_are_not_changed_by_quantize(x: Decimal) -> None:
    assert quantize(x, 6) == x


# ---------------------------------------------------------------- (n) recomputing only what an edit reaches

CHAIN_SPEC = spec_from_document(
    document(
        [
            indicator("A", decimals=2),
            indicator("Z", decimals=2),
            ratio("B"),
            indicator("F", kind="derived", decimals=2, accumulation="level", aggregation="formula", formula="A / Z"),
            indicator("G", kind="derived", decimals=2, accumulation="level", aggregation="formula", formula="F + B"),
            indicator(
                "H", kind="derived", decimals=2, accumulation="level", aggregation="formula", formula="base(A) - G"
            ),
            indicator("K", kind="derived", decimals=2, accumulation="level", aggregation="formula", formula="Z * 2"),
        ]
    )
)

entries_strategy = st.fixed_dictionaries(
    {},
    optional={
        "A": st.builds(Entry, value=st.none() | decimals_with_places(2, max_int_digits=4)),
        "Z": st.builds(Entry, value=st.none() | st.sampled_from([Decimal(0), Decimal("0.00")]) | positive(2)),
        "B": st.builds(
            Entry, numerator=st.none() | positive(2), denominator=st.none() | st.just(Decimal(0)) | positive(2)
        ),
        "F": st.builds(Entry, value=st.none() | positive(2)),
    },
)


@FAST
@given(before=entries_strategy, after=entries_strategy)
def test_recomputing_after_an_edit_equals_computing_afresh(before: dict[str, Entry], after: dict[str, Entry]) -> None:
    from app.engine.compute import recompute_values

    baselines = {"A": Decimal("7.5")}
    previous = compute_values(CHAIN_SPEC, before, baselines)
    entries = {**before, **after}
    fresh = compute_values(CHAIN_SPEC, entries, baselines)
    again = recompute_values(CHAIN_SPEC, entries, baselines, previous, after.keys())
    assert again.values == fresh.values
    assert list(again.values) == list(fresh.values)
    assert again.errors == fresh.errors


@FAST
@given(before=entries_strategy, after=entries_strategy)
# F = A / Z could not be computed (0 / 0); clearing A leaves F's own entry and value as they were, but not its error.
@example(before={"A": Entry(value=Decimal(0)), "Z": Entry(value=Decimal(0))}, after={"A": Entry(value=None)})
def test_a_recheck_after_an_edit_equals_a_fresh_check(before: dict[str, Entry], after: dict[str, Entry]) -> None:
    """The open form's re-check keeps what an edit did not touch (verdicts, counts, the summary sentence): the
    result must be the one a fresh check of the same figures gives."""
    from app.engine.selfcheck import Figures, run_check

    period = Period(2023, None)
    stored = {(D1, period): dict(before)}
    figures = Figures(CHAIN_SPEC, lambda unit, p: dict(stored.get((unit, p), {})))
    first = run_check(figures, D1, period)
    figures.replace_entries(D1, period, after)
    again = run_check(figures, D1, period, previous=first)
    stored[(D1, period)] = {**before, **after}
    fresh = run_check(Figures(CHAIN_SPEC, lambda unit, p: dict(stored.get((unit, p), {}))), D1, period)

    def seen(result: CheckResult) -> object:
        shown = [(ic.spec.code, ic.entry, ic.value, ic.status, ic.messages) for ic in result.indicators]
        return shown, result.rule_messages, result.counts, result.summary, result.filled

    assert seen(again) == seen(fresh)
