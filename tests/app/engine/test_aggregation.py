"""Computing values (ratios, formulas) and forming a parent's figures from its children, through the store."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from app.engine.compute import Entry, compute_values
from app.engine.numbers import CONTEXT
from app.engine.periods import Period
from app.engine.progress import Status
from app.storage.db import Database
from app.storage.store import Change, apply_changes, lock_submission, revisions
from app.templates.spec import spec_from_document
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio

D = Decimal


# ---------------------------------------------------------------- ratios


def test_ratio_with_zero_numerator_is_zero(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=("0", "40"))
    result = check(db, D1, "2023Q2")
    b = result.by_code["B"]
    assert b.value == 0
    assert not [m for m in b.messages if "无法计算" in m.text]


def test_ratio_with_zero_denominator_is_an_error_without_a_value(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=("5", "0"))
    result = check(db, D1, "2023Q2")
    b = result.by_code["B"]
    assert b.value is None
    assert any(m.level == "error" and "分母" in m.text and "为 0" in m.text for m in b.messages)
    assert not result.can_sign


def test_ratio_scale() -> None:
    spec = spec_from_document(document([{**ratio("B"), "unit": "‰", "scale": "1000", "max": None}]))
    computed = compute_values(spec, {"B": Entry(numerator=D("3"), denominator=D("4"))}, {})
    assert computed.values["B"] == D("750")


def test_ratio_with_one_part_missing_has_no_value() -> None:
    spec = spec_from_document(document([ratio("B")]))
    computed = compute_values(spec, {"B": Entry(numerator=D("3"))}, {})
    assert computed.values["B"] is None
    assert computed.errors == {}


def test_derived_division_by_zero_names_the_indicator() -> None:
    doc = document(
        [
            indicator("A"),
            indicator("Z", tier="basic", assessed=False),
            indicator("R", kind="derived", formula="A / Z", aggregation="formula", decimals=2),
        ],
    )
    spec = spec_from_document(doc)
    computed = compute_values(spec, {"A": Entry(value=D(1)), "Z": Entry(value=D(0))}, {})
    assert computed.values["R"] is None
    assert "R" in computed.errors and "除数为 0" in computed.errors["R"]


# ---------------------------------------------------------------- aggregation rules at city level


def _rules_template() -> dict[str, Any]:
    return document(
        [
            indicator("S", aggregation="sum", decimals=2),
            indicator("MX", aggregation="max", accumulation="level"),
            indicator("MN", aggregation="min", accumulation="level"),
            indicator("N", aggregation="none", accumulation="level"),
            ratio("R"),
            indicator("F", kind="derived", formula="S / 2 + MX", aggregation="formula", decimals=2),
            indicator("FS", kind="derived", formula="S * 2", aggregation="sum", decimals=2),
        ]
    )


def test_each_aggregation_rule_at_city_level(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_template(), tmp_path)
    enter(db, spec, D1, "2023Q2", S="10.25", MX="70", MN="70", N="1", R=("30", "40"))
    enter(db, spec, D2, "2023Q2", S="5.5", MX="65", MN="65", N="2", R=("50", "60"))
    enter(db, spec, CITY, "2023Q2", N="77")
    city = check(db, CITY, "2023Q2")
    assert city.aggregated
    values = {code: ic.value for code, ic in city.by_code.items()}
    assert values["S"] == D("15.75")
    assert values["MX"] == D("70")
    assert values["MN"] == D("65")
    assert values["N"] == D("77")  # the city's own figure, not the children's
    assert values["R"] == D("80")  # 80 / 100, not the mean of 75 % and 83.33 %
    assert city.by_code["R"].entry.numerator == D("80") and city.by_code["R"].entry.denominator == D("100")
    assert values["F"] == D("15.75") / 2 + 70  # recomputed from the city's S and MX
    assert values["FS"] == D("10.25") * 2 + D("5.5") * 2
    assert city.by_code["S"].contributors == [D1, D2]
    assert city.by_code["N"].contributors == []


def test_none_aggregation_without_a_city_figure_is_missing(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _rules_template(), tmp_path)
    enter(db, spec, D1, "2023Q2", N="1")
    enter(db, spec, D2, "2023Q2", N="2")
    city = check(db, CITY, "2023Q2")
    assert city.by_code["N"].value is None
    assert city.by_code["N"].status is Status.MISSING


def test_max_of_a_ratio_keeps_the_chosen_child_parts() -> None:
    spec = spec_from_document(document([{**ratio("R"), "aggregation": "max"}]))
    from app.engine.aggregation import aggregate

    agg = aggregate(
        spec,
        {
            D1: {"R": Entry(numerator=D("30"), denominator=D("40"))},  # 75 %
            D2: {"R": Entry(numerator=D("50"), denominator=D("60"))},  # 83.3 %
        },
        {},
    )
    assert agg.entries["R"].numerator == D("50") and agg.entries["R"].denominator == D("60")
    assert agg.contributors["R"] == [D1, D2]


def _energy_template() -> dict[str, Any]:
    """Energy use E and GDP G are basic inputs; I is the fall of energy per GDP against the baseline year."""
    basic = {"tier": "basic", "assessed": False, "field": "基础数据", "decimals": 2}
    targets: list[dict[str, Any]] = []
    baselines = {CITY: ("200", "1000"), D1: ("100", "400"), D2: ("90", "600")}  # city's own, not the sum
    for unit, (e0, g0) in baselines.items():
        targets.append({"indicator": "E", "unit": unit, "period": "2023", "baseline": e0})
        targets.append({"indicator": "G", "unit": unit, "period": "2023", "baseline": g0})
        targets.append({"indicator": "I", "unit": unit, "period": "2023", "target": "13", "baseline": "0"})
    return document(
        [
            indicator("E", **basic),
            indicator("G", **basic),
            indicator(
                "I",
                kind="derived",
                formula="(1 - (E / G) / (base(E) / base(G))) * 100",
                aggregation="formula",
                accumulation="level",
                unit="%",
                decimals=2,
                min=None,
            ),
        ],
        targets=targets,
    )


def test_derived_indicator_is_recomputed_from_aggregated_inputs_and_city_baselines(
    db: Database, tmp_path: Path
) -> None:
    spec = store_template(db, _energy_template(), tmp_path)
    enter(db, spec, D1, "2023Q2", E="90", G="400")  # (90/400) / (100/400) = 0.9 → 10 %
    enter(db, spec, D2, "2023Q2", E="81", G="600")  # (81/600) / (90/600) = 0.9 → 10 %
    assert check(db, D1, "2023Q2").by_code["I"].value == D("10")
    assert check(db, D2, "2023Q2").by_code["I"].value == D("10")
    city = check(db, CITY, "2023Q2")
    i = city.by_code["I"]
    # city: (171/1000) / (200/1000) = 0.855 → 14.5 %; neither the districts' mean (10) nor the result with
    # summed district baselines (190/1000 → 10)
    assert i.value == D("14.5")
    assert i.status is Status.EXCEEDED  # above the city's target 13
    assert city.by_code["E"].value == D("171") and city.by_code["G"].value == D("1000")
    assert city.by_code["E"].status is None  # basic input data is not assessed
    assert i.contributors == [D1, D2]


def test_derived_indicator_at_city_level_with_a_missing_input_has_no_value(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, _energy_template(), tmp_path)
    enter(db, spec, D1, "2023Q2", E="90")
    city = check(db, CITY, "2023Q2")
    assert city.by_code["E"].value == D("90")
    assert city.by_code["I"].value is None
    assert city.by_code["I"].status is Status.MISSING
    assert city.by_code["I"].contributors == []


# ---------------------------------------------------------------- missing children, revisions


def test_a_missing_child_is_left_out_and_the_contributors_say_who_reported(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), ratio("B"), indicator("C")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="30", B=("30", "40"))
    enter(db, spec, D2, "2023Q2", B=("5", None))  # half a ratio counts as not reported
    city = check(db, CITY, "2023Q2")
    assert city.by_code["A"].value == D("30")
    assert city.by_code["A"].contributors == [D1]
    assert city.by_code["B"].value == D("75")
    assert city.by_code["B"].contributors == [D1]
    assert city.by_code["C"].value is None
    assert city.by_code["C"].contributors == []
    assert city.by_code["C"].status is Status.MISSING


def test_a_later_revision_supersedes_the_earlier_one(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="30", B=("30", "40"))
    enter(db, spec, D2, "2023Q2", A="25", B=("50", "60"))
    with db.transaction() as session:
        lock_submission(session, D1, Period.parse("2023Q2"), "tester")
    with db.transaction() as session:
        apply_changes(session, spec, D1, Period.parse("2023Q2"), [Change("A", value=D("40"))], "tester")
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Period.parse("2023Q2"))] == [
            (1, "locked"),
            (2, "draft"),
        ]
    city = check(db, CITY, "2023Q2")
    assert city.by_code["A"].value == D("65")  # 40 from revision 2, not 30 from revision 1
    assert city.by_code["B"].value == D("80")  # B carried over into revision 2 unchanged
    assert check(db, D1, "2023Q2").by_code["A"].value == D("40")


def test_city_figure_equals_what_the_city_computes_from_raw_numbers(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([ratio("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", B=("1.01", "3.00"))
    enter(db, spec, D2, "2023Q2", B=("2.00", "7.00"))
    value = check(db, CITY, "2023Q2").by_code["B"].value
    assert value == CONTEXT.divide(CONTEXT.multiply(D("3.01"), D(100)), D("10.00"))
    assert value == D("30.1")
