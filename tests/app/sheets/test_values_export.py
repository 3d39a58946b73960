"""Values export: the sheet a clerk fills in with Excel comes back through the values import unchanged, exactly,
whatever the explanations hold; the CSV opens in Excel on Chinese Windows; nothing half-written is left behind."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli.main import main
from app.engine.catalog import CatalogSpec
from app.engine.numbers import to_text
from app.engine.periods import Period
from app.sheets.values_export import HEADER, values_csv, values_xlsx, write_values
from app.sheets.values_import import import_values_file
from app.storage.db import Database
from app.storage.store import Change, apply_changes, load_entries
from tests.app.helpers import check, store_template
from tests.app.sample_templates import CITY, D1, document, indicator, ratio

PERIOD = "2023Q2"
Q2 = Period.parse(PERIOD)
TRICKY = ["=SUM(A1:A9)", "+86 电话核实", "-5% 是口径调整", "@张三 已核", "说明，含逗号\n第二行“引号”", "'原有撇号"]


def inds() -> list[dict[str, object]]:
    return [
        indicator("A", decimals=2),
        ratio("B"),
        indicator("C"),
        indicator("F", kind="derived", aggregation="formula", accumulation="level", formula="A * 2"),
        indicator("N", aggregation="none"),
    ]


@pytest.fixture
def spec(db: Database, tmp_path: Path) -> CatalogSpec:
    return store_template(db, document(inds()), tmp_path)


def fill(db: Database, spec: CatalogSpec, unit: str = D1, **explanations: str) -> None:
    changes = [
        Change("A", value=Decimal("12345678901234.50")),
        Change("B", numerator=Decimal("30.25"), denominator=Decimal("40")),
        Change("C", value=Decimal("-7")),
    ]
    changes += [Change(code, explanation=text) for code, text in explanations.items()]
    with db.transaction() as session:
        apply_changes(session, spec, unit, Q2, changes, "tester")


def entries(db: Database, unit: str = D1) -> dict[str, tuple[str | None, str | None, str | None, str]]:
    with db.session() as session:
        stored = load_entries(session, unit, Q2)
    return {
        c: (to_text(e.value), to_text(e.numerator), to_text(e.denominator), e.explanation) for c, e in stored.items()
    }


def fresh(tmp_path: Path, name: str) -> tuple[Database, CatalogSpec]:
    other = Database(tmp_path / f"{name}.db")
    return other, store_template(other, document(inds()), tmp_path, f"{name}.json")


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_exported_sheet_imports_into_another_database_to_the_same_figures(
    db: Database, spec: CatalogSpec, tmp_path: Path, suffix: str
) -> None:
    fill(db, spec, A=TRICKY[0], B=TRICKY[2], C=TRICKY[4], F=TRICKY[3])
    path = tmp_path / f"数值{suffix}"
    write_values(check(db, D1, PERIOD), path)
    other, other_spec = fresh(tmp_path, "other")
    try:
        result = import_values_file(other, other_spec, D1, Q2, path)
        assert result.rows == 4  # A, B, C and F's explanation; N was left blank
        assert entries(other) == entries(db)
        # The same sheet imported where it came from changes nothing.
        assert import_values_file(db, spec, D1, Q2, path).changed == 0
    finally:
        other.close()


def test_the_csv_is_utf8_with_a_bom_and_the_sheet_shows_what_each_row_needs(db: Database, spec: CatalogSpec) -> None:
    fill(db, spec)
    data = values_csv(check(db, D1, PERIOD))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(",") == list(HEADER)
    by_code = {line.split(",")[0]: line.split(",") for line in lines[1:] if line}
    assert list(by_code) == ["A", "B", "C", "F", "N"]  # the form's rows, in its order
    assert by_code["A"][4] == "12345678901234.50"  # exact, trailing zero kept
    assert by_code["B"][4:7] == ["", "30.25", "40"]
    assert by_code["F"][4] == "" and "自动计算" in by_code["F"][8]
    assert by_code["A"][8] == "填本期值" and by_code["B"][8] == "填分子和分母"


def test_the_city_sheet_holds_only_what_the_city_enters(db: Database, spec: CatalogSpec) -> None:
    rows = values_csv(check(db, CITY, PERIOD)).decode("utf-8-sig").split("\r\n")[1:]
    how = {r.split(",")[0]: r.split(",")[8] for r in rows if r}
    assert how["N"] == "填本期值"
    assert all("汇总" in how[c] or "自动计算" in how[c] for c in ("A", "B", "C", "F"))


def test_the_xlsx_keeps_every_figure_as_text_and_formula_like_text_inert(db: Database, spec: CatalogSpec) -> None:
    fill(db, spec, A=TRICKY[0], C=TRICKY[1])
    sheet = openpyxl.load_workbook(io.BytesIO(values_xlsx(check(db, D1, PERIOD)))).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header == list(HEADER)
    row = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert row["A"][4].value == "12345678901234.50" and row["A"][4].number_format == "@"
    assert row["A"][7].value == "'=SUM(A1:A9)" and row["A"][7].data_type == "s"
    assert row["C"][7].value == "'+86 电话核实"
    assert sheet.freeze_panes == "C2"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    value=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    text=st.text(alphabet=st.sampled_from("=+-@'\"，,;\n 甲乙丙完成情况说明abc123%"), max_size=60),
)
def test_any_value_and_explanation_survive_the_round_trip(
    db: Database, spec: CatalogSpec, tmp_path: Path, value: Decimal, text: str
) -> None:
    with db.transaction() as session:
        apply_changes(session, spec, D1, Q2, [Change("A", value=value, explanation=text.strip())], "tester")
    for suffix in (".csv", ".xlsx"):
        path = tmp_path / f"round{suffix}"
        write_values(check(db, D1, PERIOD), path)
        other, other_spec = fresh(tmp_path, f"other{suffix[1:]}")
        try:
            import_values_file(other, other_spec, D1, Q2, path)
            assert entries(other)["A"] == entries(db)["A"]
        finally:
            other.close()
            other.path.unlink()


def test_cli_export_then_import(
    db: Database, spec: CatalogSpec, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(db, spec)
    path = str(db.path)
    db.close()
    out = tmp_path / "云岩区.xlsx"
    assert main(["--db", path, "values", "export", "--unit", D1, "--period", PERIOD, str(out)]) == 0
    assert "已导出" in capsys.readouterr().out
    assert main(["--db", path, "values", "import", "--unit", D1, "--period", PERIOD, str(out)]) == 0
    assert "0 处数值有变化" in capsys.readouterr().out
    # An unwritable place: a clear message, exit 2, no file and no temporary file left.
    (tmp_path / "taken").mkdir()
    assert main(["--db", path, "values", "export", "--unit", D1, "--period", PERIOD, str(tmp_path / "taken")]) == 2
    assert "无法写入" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
