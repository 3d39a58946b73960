"""The completeness matrix agrees with each unit's own self-check, and the city figures with their contributions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import app.city.completeness as completeness_module
from app.city.completeness import CompletenessError, Matrix, completeness
from app.demo import create_demo
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.engine.progress import Status
from app.engine.selfcheck import CheckResult
from app.storage.checks import check_unit
from app.storage.db import Database
from app.storage.models import Submission, Unit
from app.storage.store import lock_submission
from tests.app.helpers import enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator, ratio

CITY_CODE = "520100"
Q2 = Period.parse("2023Q2")
SEED_SENTENCE = "39项指标任务总体按计划推进，其中，11项季度指标均已完成，28项年度指标中26项按序推进、2项超额完成。"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """The demo database, read only: every district has reported 2023Q1 and 2023Q2."""
    db = create_demo(tmp_path_factory.mktemp("demo") / "demo.db")
    yield db
    db.close()


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Iterator[Database]:
    """A demo database this test may change."""
    db = create_demo(tmp_path / "demo.db")
    yield db
    db.close()


def checks(db: Database, unit: str, period: Period) -> CheckResult:
    with db.session() as session:
        return check_unit(session, unit, period)


def drop_submission(db: Database, unit_code: str, period: Period) -> None:
    """Remove every revision of a unit's report for a period, as if the district had sent nothing."""
    with db.transaction() as session:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        assert unit is not None
        for sub in session.scalars(
            select(Submission).where(Submission.unit_id == unit.id, Submission.period == str(period))
        ):
            session.delete(sub)


def assert_row_is_its_check(matrix: Matrix, db: Database) -> None:
    for row in matrix.rows:
        result = checks(db, row.code, matrix.period)
        assert row.name == result.unit.name
        assert row.statuses == {ic.spec.code: ic.status for ic in result.indicators}
        assert row.values == {ic.spec.code: ic.value for ic in result.indicators}
        assert (row.filled, row.due) == result.filled
        assert row.counts == result.counts
        assert row.aggregated == result.aggregated


# ---------------------------------------------------------------- the demo, every district reported


def test_rows_equal_each_units_own_check(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    assert matrix.rows[0].code == CITY_CODE
    assert len(matrix.unit_rows) == 11
    assert_row_is_its_check(matrix, demo)
    assert not matrix.missing_units
    assert all(r.revision == 1 and r.submission_status == "draft" for r in matrix.unit_rows)
    assert matrix.submission_counts() == {"draft": 11}


def test_city_row_is_the_city_check(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    city = checks(demo, CITY_CODE, Q2)
    assert matrix.parent == CITY_CODE
    assert matrix.city_row.aggregated and not matrix.city_row.missing
    assert matrix.summary == city.summary == SEED_SENTENCE
    assert matrix.city.counts == city.counts
    assert {ic.spec.code: ic.value for ic in matrix.city.indicators} == {
        ic.spec.code: ic.value for ic in city.indicators
    }


def test_catalog_loaded_once_and_each_units_entries_once(demo: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    specs: list[CatalogSpec] = []
    loads: Counter[tuple[str, Period]] = Counter()
    real_spec, real_entries = completeness_module.load_spec, completeness_module.load_entries

    def load_spec(*args: Any, **kwargs: Any) -> CatalogSpec:
        spec = real_spec(*args, **kwargs)
        specs.append(spec)
        return spec

    def load_entries(session: Any, unit: str, period: Period, *args: Any, **kwargs: Any) -> Any:
        loads[(unit, period)] += 1
        return real_entries(session, unit, period, *args, **kwargs)

    monkeypatch.setattr(completeness_module, "load_spec", load_spec)
    monkeypatch.setattr(completeness_module, "load_entries", load_entries)
    matrix = completeness(demo, Q2)
    assert len(specs) == 1
    assert loads and max(loads.values()) == 1
    # Every unit's current period, plus the periods its check compares against.
    assert {(r.code, Q2) for r in matrix.rows} <= set(loads)


def test_indicators_in_display_order_and_fields(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    assert len(matrix.indicators) == 41
    assert matrix.fields[0] == "总体指标"
    assert matrix.fields == list(dict.fromkeys(ind.field for ind in matrix.indicators))


def test_ratio_contributions_add_up_to_the_city_figure(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    rows = matrix.contributions("C12")  # 绿色建筑占比: ratio of sums, not the mean of percentages
    assert [c.code for c in rows] == [r.code for r in matrix.unit_rows]
    figure = matrix.city_figure("C12")
    assert figure.rule == "ratio"
    num = sum((c.numerator for c in rows if c.numerator is not None), Decimal(0))
    den = sum((c.denominator for c in rows if c.denominator is not None), Decimal(0))
    assert (figure.numerator, figure.denominator) == (num, den)
    assert figure.value == num * 100 / den == Decimal(84)
    mean = sum((c.value for c in rows if c.value is not None), Decimal(0)) / len(rows)
    assert mean != figure.value
    assert figure.contributors == [r.code for r in matrix.unit_rows]
    assert figure.status == checks(demo, CITY_CODE, Q2).by_code["C12"].status
    for c in rows:
        own = checks(demo, c.code, Q2).by_code["C12"]
        assert (c.value, c.numerator, c.denominator, c.status) == (
            own.value,
            own.entry.numerator,
            own.entry.denominator,
            own.status,
        )


def test_sum_formula_and_own_figures(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    rows = matrix.contributions("C08")  # 绿色餐厅, summed
    assert matrix.city_figure("C08").rule == "sum"
    assert matrix.city_figure("C08").value == sum((c.value for c in rows if c.value is not None), Decimal(0)) == 62
    assert all(c.numerator is None and c.denominator is None for c in rows)
    assert matrix.city_figure("H01").rule == "formula"
    assert matrix.city_figure("H01").value is not None
    own = matrix.city_figure("C06")  # 大数据与实体经济融合发展水平: the city enters its own figure
    assert own.rule == "none" and own.value == Decimal("55.16") and own.contributors == []


def test_counts_per_indicator(demo: Database) -> None:
    matrix = completeness(demo, Q2)
    for ind in matrix.indicators:
        counts = matrix.indicator_counts(ind.code)
        expected = Counter(r.statuses[ind.code] for r in matrix.unit_rows if r.statuses[ind.code] is not None)
        assert {s: n for s, n in counts.items() if n} == dict(expected)
    assert matrix.indicator_counts("C12")[Status.BEHIND] == 1  # 云岩区
    with pytest.raises(KeyError):
        matrix.contributions("NOPE")


# ---------------------------------------------------------------- missing submissions


def test_a_period_without_data_is_all_missing(demo: Database) -> None:
    matrix = completeness(demo, Period.parse("2023Q3"))
    assert len(matrix.missing_units) == 11
    assert matrix.submission_counts() == {None: 11}
    for row in matrix.unit_rows:
        assert row.missing and row.revision is None and row.submission_status is None
        assert row.filled == 0
        assessed = [ind.code for ind in matrix.indicators if ind.assessed]
        assert {row.statuses[c] for c in assessed} == {Status.MISSING}
    assert not matrix.city_row.missing
    assert_row_is_its_check(matrix, demo)


def test_one_district_not_reported(fresh_demo: Database) -> None:
    drop_submission(fresh_demo, "520103", Q2)
    matrix = completeness(fresh_demo, Q2)
    assert [r.name for r in matrix.missing_units] == ["云岩区"]
    assert matrix.submission_counts() == {"draft": 10, None: 1}
    row = matrix.row("520103")
    assert row.missing and row.revision is None and row.counts[Status.MISSING] == sum(row.counts.values())
    assert_row_is_its_check(matrix, fresh_demo)
    # The city figure rests on the ten that reported, and the drill-down shows the gap.
    figure = matrix.city_figure("C12")
    rows = {c.code: c for c in matrix.contributions("C12")}
    assert "520103" not in figure.contributors and len(figure.contributors) == 10
    assert rows["520103"].value is None and rows["520103"].status == Status.MISSING
    assert figure.numerator == sum((c.numerator for c in rows.values() if c.numerator is not None), Decimal(0))
    assert matrix.indicator_counts("C12")[Status.MISSING] == 1
    # A formula needs every unit's inputs: the city has no energy-intensity figure yet.
    assert matrix.city_figure("H01").value is None


def test_small_template_missing_and_locked(db: Database, tmp_path: Path) -> None:
    spec = store_template(
        db, document([indicator("A"), ratio("R", field="绿色消费"), indicator("Q", frequency="quarterly")]), tmp_path
    )
    enter(db, spec, D1, "2023Q2", A="60", R=("70", "100"), Q="20")
    with db.transaction() as session:
        lock_submission(session, D1, Q2, "tester")
    matrix = completeness(db, Q2)
    assert [r.code for r in matrix.rows] == [CITY, D1, D2]
    d1, d2 = matrix.row(D1), matrix.row(D2)
    assert (d1.revision, d1.submission_status, d1.missing) == (1, "locked", False)
    assert (d2.revision, d2.submission_status, d2.missing) == (None, None, True)
    assert d1.statuses == {"A": Status.ON_TRACK, "R": Status.BEHIND, "Q": Status.COMPLETED}
    assert set(d2.statuses.values()) == {Status.MISSING}
    assert_row_is_its_check(matrix, db)
    assert matrix.fields == ["绿色生产", "绿色消费"]
    assert [ind.code for ind in matrix.indicators] == ["A", "Q", "R"]


def test_parent_and_errors(demo: Database) -> None:
    district = completeness(demo, Q2, parent="520102")
    assert [r.code for r in district.rows] == ["520102"] and district.unit_rows == []
    with pytest.raises(CompletenessError, match="不在"):
        completeness(demo, Q2, parent="999999")
    with pytest.raises(CompletenessError, match="2031"):
        completeness(demo, Period.parse("2031Q1"))


# ---------------------------------------------------------------- the matrix as a workbook


def test_the_matrix_workbook_holds_every_figure_with_its_status_colour(demo: Database) -> None:
    import io

    import openpyxl

    from app.city.matrix_export import FIRST_UNIT_COLUMN, matrix_xlsx
    from app.engine.numbers import quantize
    from app.engine.progress import STATUS_COLORS

    matrix = completeness(demo, Q2)
    sheet = openpyxl.load_workbook(io.BytesIO(matrix_xlsx(matrix, "9.9.9"))).active
    assert sheet is not None
    assert "2023年第二季度" in sheet["A1"].value and "演示数据" in sheet["A1"].value
    assert sheet["A2"].value == SEED_SENTENCE
    assert "填报通 9.9.9" in sheet["A3"].value
    # The demo's calendar dates 2023Q2: row 8 holds each unit's timeliness, under its submission state.
    header_row, timeliness_row, first_row = 6, 8, 9
    units = [sheet.cell(row=header_row, column=FIRST_UNIT_COLUMN + j).value for j in range(len(matrix.rows))]
    assert units == [r.name for r in matrix.rows] and units[0] == "贵阳市"
    judged = [sheet.cell(row=timeliness_row, column=FIRST_UNIT_COLUMN + j).value for j in range(len(matrix.rows))]
    assert judged[1:] == [matrix.timeliness[r.code].label for r in matrix.unit_rows]
    assert judged[1:].count("按时") == 6 and judged[0] == "按时报送率 100.0%"
    codes = [sheet.cell(row=first_row + i, column=1).value for i in range(len(matrix.indicators))]
    assert codes == [ind.code for ind in matrix.indicators]
    for i, ind in enumerate(matrix.indicators):
        for j, row in enumerate(matrix.rows):
            cell = sheet.cell(row=first_row + i, column=FIRST_UNIT_COLUMN + j)
            value, status = row.values.get(ind.code), row.statuses.get(ind.code)
            if value is None:
                assert cell.value is None
            else:
                assert Decimal(str(cell.value)) == quantize(value, ind.decimals), (ind.code, row.code)
                assert cell.number_format == ("0" if ind.decimals == 0 else "0." + "0" * ind.decimals)
            if status is not None:
                assert cell.fill.fgColor.rgb == "FF" + STATUS_COLORS[status][0].lstrip("#").upper()
    # Printing: A4 landscape, one page wide, titles repeated.
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$6:$8"


def test_a_unit_that_sent_nothing_is_marked_in_the_workbook(fresh_demo: Database, tmp_path: Path) -> None:
    import openpyxl

    from app.city.matrix_export import FIRST_UNIT_COLUMN, write_matrix_xlsx

    with fresh_demo.transaction() as session:
        unit = session.scalars(select(Unit).where(Unit.code == "520111")).one()
        for sub in session.scalars(select(Submission).where(Submission.unit_id == unit.id)):
            session.delete(sub)
    matrix = completeness(fresh_demo, Q2)
    path = tmp_path / "完成情况.xlsx"
    write_matrix_xlsx(matrix, path, "0.1.0")
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    column = FIRST_UNIT_COLUMN + [r.code for r in matrix.rows].index("520111")
    assert sheet.cell(row=7, column=column).value == "未报送"
    assert sheet.cell(row=7, column=FIRST_UNIT_COLUMN + 1).value.startswith("填报中")


def test_the_matrix_and_its_workbook_say_who_was_late(demo: Database) -> None:
    import io

    import openpyxl

    from app.city.matrix_export import FIRST_UNIT_COLUMN, matrix_xlsx
    from app.engine.calendar import TIMELINESS_COLORS, Timeliness

    matrix = completeness(demo, Period.parse("2023Q1"))
    assert {code: p.label for code, p in matrix.timeliness.items() if p.timeliness is not Timeliness.ON_TIME} == {
        "520123": "逾期 3 天"
    }
    summary = matrix.timeliness_summary
    assert summary is not None and (summary.on_time, summary.late, str(summary.on_time_rate)) == (10, 1, "90.9")
    sheet = openpyxl.load_workbook(io.BytesIO(matrix_xlsx(matrix, "9.9.9"))).active
    assert sheet is not None
    assert (
        sheet["A5"].value
        == "报送及时情况（以市级收到报送的时间为准）：应报 11 个单位，按时 10 个，逾期 1 个，按时报送率 90.9%。"
    )
    assert sheet.cell(row=8, column=2).value == "报送及时"
    late = sheet.cell(row=8, column=FIRST_UNIT_COLUMN + [r.code for r in matrix.rows].index("520123"))
    assert late.value == "逾期 3 天"
    assert late.fill.fgColor.rgb == "FF" + TIMELINESS_COLORS[Timeliness.LATE][0].lstrip("#").upper()
    assert sheet.cell(row=8, column=FIRST_UNIT_COLUMN).value == "按时报送率 90.9%"


def test_without_a_calendar_the_matrix_judges_no_timeliness(db: Database, tmp_path: Path) -> None:
    store_template(db, document([indicator("A")]), tmp_path)
    matrix = completeness(db, Q2)
    assert matrix.timeliness == {} and matrix.timeliness_summary is None
