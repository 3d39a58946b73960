"""Edges found in review: exact ranges, year-to-date as shown, one yearly comparison, separate indicator systems,
figures a parent aggregates, and edits that change nothing."""

from __future__ import annotations

import copy
from decimal import Decimal as D
from pathlib import Path

import pytest

from app.engine.compute import Computed, Entry
from app.engine.periods import Period
from app.engine.validation import ERROR, WARNING, History, validate_indicator
from app.storage.db import Database
from app.storage.store import Change, EntryError, apply_changes, lock_submission, revisions
from app.templates.spec import spec_from_document
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, document, indicator, ratio


def test_a_share_over_100_percent_is_an_error_even_when_rounding_hides_it() -> None:
    doc = document([ratio("R")])
    doc["indicators"][0]["decimals"] = 1
    for t in doc["targets"]:
        t["target"], t["baseline"] = "100.0", "60.0"
    spec = spec_from_document(doc)
    ind = spec.by_code["R"]
    entry = Entry(numerator=D("100.04"), denominator=D("100.00"))
    messages = validate_indicator(ind, entry, Computed({"R": D("100.04")}, {}), History({}, {}, {}))
    assert [m.level for m in messages] == [ERROR]
    assert "不能大于分母" in messages[0].text


def test_a_year_to_date_total_equal_as_shown_has_not_fallen() -> None:
    spec = spec_from_document(document([indicator("A", decimals=1)]))
    ind = spec.by_code["A"]
    history = History({"A": D("10.04")}, {}, {})
    # 10.0 and 10.0 as shown: no error; a real fall still is one.
    assert validate_indicator(ind, Entry(value=D("10.0")), Computed({"A": D("10.0")}, {}), history) == []
    fallen = validate_indicator(ind, Entry(value=D("9.9")), Computed({"A": D("9.9")}, {}), history)
    assert [m.level for m in fallen] == [ERROR]


def test_the_year_is_compared_with_last_year_once() -> None:
    spec = spec_from_document(document([indicator("L", accumulation="level", change_threshold="10")]))
    ind = spec.by_code["L"]
    last = {"L": D("50")}
    history = History({}, last, last, annual=True)
    messages = validate_indicator(ind, Entry(value=D("80")), Computed({"L": D("80")}, {}), history)
    assert [m.level for m in messages] == [WARNING]
    assert "同期" in messages[0].text


def test_another_indicator_system_of_the_same_year_never_sees_the_first_ones_figures(
    db: Database, tmp_path: Path
) -> None:
    first = store_template(db, document([indicator("A")]), tmp_path, "first.json")
    enter(db, first, D1, "2023Q2", A="40")
    other_doc = document([indicator("A")])
    other_doc["catalog"]["code"] = "OTHER"
    other = store_template(db, other_doc, tmp_path, "other.json")
    result = check(db, D1, "2023Q2")  # the newest system of the year: OTHER
    assert result.catalog.code == "OTHER"
    assert result.by_code["A"].value is None
    enter(db, other, D1, "2023Q2", A="7")
    assert check(db, D1, "2023Q2").by_code["A"].value == 7
    with db.session() as session:
        from app.storage.store import load_entries

        assert load_entries(session, D1, Period(2023, 2), catalog_code=first.code)["A"].value == 40


def test_a_newer_version_of_the_same_system_carries_the_figures_on(db: Database, tmp_path: Path) -> None:
    doc = document([indicator("A"), indicator("B")])
    v1 = store_template(db, doc, tmp_path, "v1.json")
    enter(db, v1, D1, "2023Q2", A="40", B="5")
    doc2 = copy.deepcopy(doc)
    doc2["catalog"]["version"] = "2"
    doc2["indicators"][1]["name"] = "改名后的指标B"
    v2 = store_template(db, doc2, tmp_path, "v2.json")
    assert check(db, D1, "2023Q2").by_code["A"].value == 40
    enter(db, v2, D1, "2023Q2", B="6")
    result = check(db, D1, "2023Q2")
    assert (result.by_code["A"].value, result.by_code["B"].value) == (40, 6)


def test_a_figure_the_city_aggregates_cannot_be_entered_for_the_city(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A"), indicator("N", aggregation="none")]), tmp_path)
    with db.transaction() as session, pytest.raises(EntryError, match="汇总"):
        apply_changes(session, spec, CITY, Period(2023, 2), [Change("A", value=D("5"))], "t")
    enter(db, spec, CITY, "2023Q2", N="9")  # its own figure is fine
    assert check(db, CITY, "2023Q2").by_code["N"].value == 9


def test_an_edit_that_changes_nothing_does_not_reopen_a_locked_revision(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="40")
    with db.transaction() as session:
        lock_submission(session, D1, Period(2023, 2), "t")
    with db.transaction() as session:
        assert apply_changes(session, spec, D1, Period(2023, 2), [Change("A", value=D("40"))], "t") == 0
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Period(2023, 2))] == [(1, "locked")]
    enter(db, spec, D1, "2023Q2", A="41")
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Period(2023, 2))] == [
            (1, "locked"),
            (2, "draft"),
        ]


def test_a_city_formula_waits_until_every_unit_has_every_input(db: Database, tmp_path: Path) -> None:
    doc = document(
        [
            indicator("E", tier="basic", field="基础数据", assessed=False),
            indicator("G", tier="basic", field="基础数据", assessed=False),
            indicator(
                "I", kind="derived", formula="E / G * 100", aggregation="formula", accumulation="level", decimals=2
            ),
        ]
    )
    doc["targets"] += [
        {"indicator": c, "unit": u, "period": "2023", "baseline": "1"} for c in "EG" for u in (CITY, D1, "D2")
    ]
    spec = store_template(db, doc, tmp_path)
    enter(db, spec, D1, "2023Q2", E="10", G="100")
    enter(db, spec, "D2", "2023Q2", G="300")  # D2 has not reported its energy use yet
    city = check(db, CITY, "2023Q2").by_code["I"]
    assert city.value is None  # not 10 / 400: that would mix one district's energy with two districts' GDP
    assert city.contributors == [D1]
    enter(db, spec, "D2", "2023Q2", E="50")
    assert check(db, CITY, "2023Q2").by_code["I"].value == D(15)  # (10 + 50) / (100 + 300) × 100


def test_a_level_indicator_without_a_starting_point_is_refused() -> None:
    from app.templates.document import TemplateError

    doc = document([indicator("L", accumulation="level")])
    for t in doc["targets"]:
        del t["baseline"]
    with pytest.raises(TemplateError, match="指标 L（单位 C0）：水平型指标须给出 baseline"):
        spec_from_document(doc)
    for t in doc["targets"]:
        t["milestones"] = {"Q1": "70", "Q2": "80", "Q3": "90"}
    assert spec_from_document(doc).by_code["L"].accumulation == "level"


def test_hostile_template_json_is_refused_quickly_and_cleanly() -> None:
    import json
    import time

    from app.templates.document import TemplateError, parse_document

    with pytest.raises(TemplateError, match="位数过多"):
        parse_document('{"format_version": ' + "9" * 5000 + "}")
    many = "{" + ",".join(f'"k{i}": 1' for i in range(30000)) + ', "k7": 2}'
    start = time.perf_counter()
    with pytest.raises(TemplateError, match="键重复：k7"):
        parse_document(many)
    assert time.perf_counter() - start < 5  # a generous bound: the quadratic version took many seconds
    assert json.loads(many)  # the text itself is valid JSON apart from the duplicate


def test_a_long_chain_of_formulas_is_checked_and_evaluated_without_recursion(db: Database, tmp_path: Path) -> None:
    n = 1500
    inds = [indicator("F0", accumulation="level", aggregation="sum")]
    inds += [
        indicator(f"F{i}", kind="derived", formula=f"F{i - 1} + 1", aggregation="formula", accumulation="level")
        for i in range(1, n)
    ]
    doc = document(list(reversed(inds)))
    spec = spec_from_document(doc)
    assert spec.evaluation_order[0].code == "F0" and spec.evaluation_order[-1].code == f"F{n - 1}"
    cyclic = document(
        [
            indicator("A"),
            *inds[1:],
            indicator("F0", kind="derived", formula=f"F{n - 1}", aggregation="formula", accumulation="level"),
        ]
    )
    from app.templates.document import TemplateError

    with pytest.raises(TemplateError, match="循环引用"):
        spec_from_document(cyclic)


def test_a_values_sheet_with_blank_cells_and_percent_cells(db: Database, tmp_path: Path) -> None:
    import openpyxl

    from app.sheets.values_import import import_values

    spec = store_template(
        db, document([indicator("A"), indicator("P", unit="%", decimals=1, accumulation="level", min=None)]), tmp_path
    )
    enter(db, spec, D1, "2023Q2", A="40", P="12.5")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["指标代码", "数值", "情况说明"])
    sheet.append(["A", None, None])  # blank: leave the typed 40 alone
    sheet.append(["P", 0.6, None])
    sheet["B3"].number_format = "0.0%"  # shows 60.0%: the clerk means 60
    path = tmp_path / "values.xlsx"
    book.save(path)
    with db.transaction() as session:
        import_values(session, spec, D1, Period(2023, 2), path, "t")
    result = check(db, D1, "2023Q2")
    assert (result.by_code["A"].value, result.by_code["P"].value) == (40, 60)


def test_a_tiny_sheet_declaring_a_huge_size_is_read_without_padding(tmp_path: Path) -> None:
    import openpyxl

    from app.sheets.values_import import read_rows

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "value"])
    sheet["XFD3000"] = "x"
    path = tmp_path / "wide.xlsx"
    book.save(path)
    rows, _ = read_rows(path)
    # Only the row that holds the far cell is that wide; padded to the declared size it would be 49 million.
    assert sum(len(r) for r in rows) < 20_000


def test_demo_does_not_wipe_a_database_with_real_templates(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli.main import main

    store_template(db, document([indicator("A")]), tmp_path)
    db.close()
    assert main(["--db", str(db.path), "demo"]) == 2
    assert "测试指标体系" in capsys.readouterr().err
    assert main(["--db", str(db.path), "demo", "--force"]) == 0


def test_a_percent_sign_typed_into_a_percent_value_is_accepted() -> None:
    from app.storage.store import parse_input

    spec = spec_from_document(document([indicator("P", unit="%", decimals=1, accumulation="level"), indicator("N")]))
    assert parse_input(spec.by_code["P"], "value", "84%") == D("84")
    assert parse_input(spec.by_code["P"], "value", "84.5％") == D("84.5")
    from app.engine.numbers import NumberError

    with pytest.raises(NumberError):
        parse_input(spec.by_code["N"], "value", "84%")  # not a percent indicator: the sign is not ignored


def test_a_derived_indicators_explanation_carries_into_the_next_revision(db: Database, tmp_path: Path) -> None:
    spec = store_template(
        db,
        document([indicator("A"), indicator("F", kind="derived", formula="A * 2", aggregation="formula")]),
        tmp_path,
    )
    with db.transaction() as session:
        apply_changes(
            session, spec, D1, Period(2023, 2), [Change("A", value=D("10")), Change("F", explanation="受审批影响")], "c"
        )
        lock_submission(session, D1, Period(2023, 2), "c")
    enter(db, spec, D1, "2023Q2", A="11")  # opens revision 2
    result = check(db, D1, "2023Q2")
    assert result.by_code["F"].entry.explanation == "受审批影响"
    assert result.by_code["F"].value == 22
