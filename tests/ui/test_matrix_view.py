"""The completeness matrix window: its models, the field and status filters, the drill-down, missing units.

The small template of ``tests/ui/conftest.py``: D1 has reported 2023Q2, D2 has sent nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from app.city.completeness import completeness
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.engine.progress import Status
from app.storage.db import Database
from tests.app.helpers import enter
from tests.app.sample_templates import CITY, D1, D2
from ui import matrix_view
from ui.main_window import MainWindow
from ui.matrix_view import (
    CODE_ROLE,
    FIXED_COLUMNS,
    MISSING_ROW_BACKGROUND,
    REVISION_COLUMN,
    SUBMISSION_COLUMN,
    TIMELINESS_COLUMN,
    ContributionDialog,
    ContributionModel,
    MatrixDialog,
    MatrixFilter,
    MatrixModel,
    open_matrix,
)

Q2 = Period.parse("2023Q2")
H = Qt.Orientation.Horizontal


@pytest.fixture
def reported(db: Database, spec: CatalogSpec) -> Database:
    """D1: A on track, B behind, Q completed, C on track, R behind, S on track, D = A + C exceeded. D2: nothing.

    The city sums D1 alone, but its formula D needs every unit's inputs and stays missing.
    """
    enter(db, spec, D1, "2023Q2", A="60", B="10", Q="20", C="50.0", R=("70", "100"), S=("90", "100"))
    return db


@pytest.fixture
def dialog(qtbot: QtBot, reported: Database, settings: Any) -> Iterator[MatrixDialog]:
    dlg = MatrixDialog(reported, Q2)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    dlg.close()


def shown_codes(dlg: MatrixDialog) -> list[str]:
    return [dlg.proxy.headerData(c, H, CODE_ROLE) for c in range(FIXED_COLUMNS, dlg.proxy.columnCount())]


def shown_units(dlg: MatrixDialog) -> list[str]:
    return [dlg.proxy.index(r, 0).data(matrix_view.UNIT_ROLE) for r in range(dlg.proxy.rowCount())]


def proxy_index(dlg: MatrixDialog, unit: str, code: str) -> QModelIndex:
    row = [r.code for r in dlg.matrix.rows].index(unit)
    return dlg.proxy.mapFromSource(dlg.model.index(row, dlg.model.column_of(code)))


def test_models_pass_the_model_tester(qtmodeltester: Any, reported: Database, settings: Any) -> None:
    matrix = completeness(reported, Q2)
    model = MatrixModel(matrix)
    qtmodeltester.check(model)
    proxy = MatrixFilter()
    proxy.setSourceModel(model)
    proxy.set_filter("绿色消费", Status.BEHIND)
    qtmodeltester.check(proxy)
    for code in ("R", "A", "D"):
        qtmodeltester.check(ContributionModel(matrix, code))


def test_rows_columns_and_colours(dialog: MatrixDialog) -> None:
    model = dialog.model
    assert model.rowCount() == 3 and model.columnCount() == FIXED_COLUMNS + 7
    assert model.headerData(0, Qt.Orientation.Vertical) == "测试市（全市）"
    # Display order, field by field; the header is the short name, the tooltip the full name and unit.
    assert [model.headerData(c, H, CODE_ROLE) for c in range(FIXED_COLUMNS, model.columnCount())] == list("ABQCRSD")
    column = model.column_of("C")
    assert model.headerData(column, H) == "蔬菜基地\n面积"
    assert "蔬菜基地面积（万亩）" in model.headerData(column, H, Qt.ItemDataRole.ToolTipRole)
    d1 = 1
    cell = model.index(d1, model.column_of("B"))
    assert cell.data() == "滞后"
    background = cell.data(Qt.ItemDataRole.BackgroundRole)
    assert isinstance(background, QBrush) and background.color().name() == "#fbdcdc"
    assert model.index(d1, SUBMISSION_COLUMN).data() == "填报中"
    assert model.index(d1, FIXED_COLUMNS - 1).data() == "6/6"
    assert model.index(0, SUBMISSION_COLUMN).data() == "汇总"
    # The template dates no reporting window: no timeliness to show.
    assert dialog.table.isColumnHidden(TIMELINESS_COLUMN) and not dialog.timeliness.isVisibleTo(dialog)
    assert model.index(0, model.column_of("D")).data() == "未填报"


def test_a_unit_without_submission_shows_not_submitted(dialog: MatrixDialog) -> None:
    model = dialog.model
    d2 = [r.code for r in dialog.matrix.rows].index(D2)
    assert model.index(d2, SUBMISSION_COLUMN).data() == "未报送"
    assert model.index(d2, REVISION_COLUMN).data() == "—"
    assert model.index(d2, FIXED_COLUMNS - 1).data() == "0/6"
    for column in range(model.columnCount()):
        index = model.index(d2, column)
        font = index.data(Qt.ItemDataRole.FontRole)
        assert isinstance(font, QFont) and font.italic()
        assert index.data(Qt.ItemDataRole.BackgroundRole).color() == MISSING_ROW_BACKGROUND
    assert model.index(d2, model.column_of("A")).data() == "未填报"
    assert dialog.tally.text().endswith("未报送 1 个：乙县。")


def test_field_filter_hides_columns(dialog: MatrixDialog) -> None:
    assert shown_codes(dialog) == list("ABQCRSD")
    dialog.set_filters("绿色消费", None)
    assert dialog.field_box.currentText() == "绿色消费"
    assert shown_codes(dialog) == list("CRS")
    assert dialog.proxy.columnCount() == FIXED_COLUMNS + 3
    assert shown_units(dialog) == [CITY, D1, D2]
    dialog.set_filters(None, None)
    assert shown_codes(dialog) == list("ABQCRSD")


def test_status_filter_hides_rows_without_that_status(dialog: MatrixDialog) -> None:
    dialog.set_filters(None, Status.BEHIND)
    assert dialog.status_box.currentText() == "滞后"
    assert shown_units(dialog) == [CITY, D1]
    assert shown_codes(dialog) == list("ABQCRSD")  # the status filter leaves the columns alone
    dialog.set_filters(None, Status.MISSING)
    assert shown_units(dialog) == [CITY, D2]  # the city has no D: D2's inputs are missing
    dialog.set_filters(None, Status.EXCEEDED)
    assert shown_units(dialog) == [D1]
    # Both filters: only the chosen field's columns count.
    dialog.set_filters("绿色生产", Status.EXCEEDED)
    assert shown_units(dialog) == []
    dialog.set_filters("绿色生活", Status.MISSING)
    assert shown_units(dialog) == [CITY, D2]
    # Cells of another status are drawn faintly.
    dialog.set_filters(None, Status.BEHIND)
    faint = proxy_index(dialog, D1, "A").data(Qt.ItemDataRole.BackgroundRole)
    strong = proxy_index(dialog, D1, "B").data(Qt.ItemDataRole.BackgroundRole)
    assert faint is None and isinstance(strong, QBrush)


def test_enter_on_a_city_cell_opens_the_contributions(qtbot: QtBot, dialog: MatrixDialog) -> None:
    index = proxy_index(dialog, CITY, "R")
    dialog.table.setFocus()
    dialog.table.setCurrentIndex(index)
    QTest.keyClick(dialog.table, Qt.Key.Key_Return)
    contribution = dialog.contribution
    assert isinstance(contribution, ContributionDialog)
    qtbot.waitUntil(contribution.isVisible)
    model = contribution.model
    assert model.rowCount() == 2
    assert [model.index(0, c).data() for c in range(5)] == ["甲区", "70.00", "70.00", "100.00", "滞后"]
    assert model.index(1, ContributionModel.UNIT).data() == "乙县"
    assert model.index(1, ContributionModel.VALUE).data() == ""
    assert model.index(1, ContributionModel.STATUS).data() == "未填报"
    assert model.index(1, ContributionModel.UNIT).data(Qt.ItemDataRole.ToolTipRole) == "未计入全市数：该单位本期未报送"
    assert contribution.rule_text() == "全市 = 分子之和 ÷ 分母之和 × 100 = 70.00 ÷ 100.00 × 100 = 70.00%"
    assert "计入 1/2 个单位" in contribution.status_line.text()
    contribution.close()


def test_double_click_on_a_cell_and_on_a_header(qtbot: QtBot, dialog: MatrixDialog) -> None:
    index = proxy_index(dialog, D1, "A")
    rect = dialog.table.visualRect(index)
    # A real double-click starts with a click; QTest's double-click alone lacks the first press.
    QTest.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    QTest.mouseDClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    contribution = dialog.contribution
    assert contribution is not None and contribution.figure.indicator.code == "A"
    selected = contribution.table.selectionModel().selectedRows()
    assert [i.data(matrix_view.UNIT_ROLE) for i in selected] == [D1]
    assert contribution.rule_text() == "全市 = 各单位之和 = 60个"
    # Numerator and denominator only for a ratio.
    assert contribution.table.isColumnHidden(ContributionModel.NUMERATOR)

    dialog.set_filters("绿色消费", None)
    header = dialog.table.horizontalHeader()
    section = [dialog.proxy.headerData(c, H, CODE_ROLE) for c in range(dialog.proxy.columnCount())].index("S")
    x = header.sectionViewportPosition(section) + header.sectionSize(section) // 2
    point = QPoint(x, header.height() // 2)
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    QTest.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert dialog.contribution is not None and dialog.contribution is not contribution
    assert dialog.contribution.figure.indicator.code == "S"
    assert not dialog.contribution.table.isColumnHidden(ContributionModel.NUMERATOR)


def test_formula_figure_waits_for_every_unit(dialog: MatrixDialog) -> None:
    contribution = dialog.open_contributions("D")
    assert contribution.model.rowCount() == 2
    assert "须每个单位都报齐" in contribution.rule_text()
    assert "暂无数值" in contribution.rule_text()


def test_summary_sentence_and_refresh(dialog: MatrixDialog, reported: Database, spec: CatalogSpec) -> None:
    assert dialog.summary.text() == "全市：" + dialog.matrix.summary
    assert "测试市" in dialog.title.text() and "第二季度" in dialog.title.text()
    enter(reported, spec, D2, "2023Q2", A="1")
    dialog.set_filters("绿色消费", None)
    dialog.refresh()
    d2 = [r.code for r in dialog.matrix.rows].index(D2)
    assert dialog.model.index(d2, SUBMISSION_COLUMN).data() == "填报中"
    assert "未报送 0 个" in dialog.tally.text()
    assert shown_codes(dialog) == list("CRS")  # the filter survives


def test_open_matrix_from_the_window(window: MainWindow, reported: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    assert window.form is not None
    opened = open_matrix(window)
    assert isinstance(opened, MatrixDialog)
    assert opened.period == window.form.period == Q2
    assert opened.matrix.parent == CITY
    assert opened.isVisible()
    opened.close()
    monkeypatch.setattr(window, "form", None)
    assert open_matrix(window) is None


def test_the_export_button_saves_the_whole_matrix_whatever_the_filters(
    qtbot: QtBot, dialog: MatrixDialog, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl
    from PySide6.QtWidgets import QFileDialog

    dialog.status_box.setCurrentIndex(dialog.status_box.findData(Status.BEHIND.value))
    target = tmp_path / "完成情况"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(target), ""))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    written = target.with_name("完成情况.xlsx")
    assert str(written) in dialog.tally.text()
    sheet = openpyxl.load_workbook(written).active
    assert sheet is not None
    codes = [sheet.cell(row=r, column=1).value for r in range(8, 8 + len(dialog.matrix.indicators))]
    assert codes == [ind.code for ind in dialog.matrix.indicators]  # not only the behind ones the filter shows
    states = [sheet.cell(row=7, column=c).value for c in range(5, 8)]
    assert states == ["汇总", "填报中 第1版", "未报送"]
