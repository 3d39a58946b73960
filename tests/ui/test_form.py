"""The form window driven through its real widgets: keys, clipboard, undo, the check panel and the selectors.

Offscreen Qt; every edit is checked in the database, not only on screen.
"""

from __future__ import annotations

import gc
import sys
from decimal import Decimal
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QEvent, QModelIndex, QRect, QSettings, Qt
from PySide6.QtGui import QFocusEvent, QGuiApplication, QInputMethodEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QLineEdit, QListWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from app.engine.catalog import CatalogSpec
from app.engine.compute import Entry
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.store import load_entries
from tests.app.helpers import enter
from tests.app.sample_templates import CITY, D1, D2
from tests.ui.conftest import HEADER_ROWS, ROWS
from ui import style
from ui.application import make_settings
from ui.check_panel import CODE_ROLE, COLUMN_ROLE, CheckPanel
from ui.form_model import Col, FormModel
from ui.form_view import FormView
from ui.main_window import MainWindow

EDITING = QAbstractItemView.State.EditingState
CTRL = Qt.KeyboardModifier.ControlModifier


# ---------------------------------------------------------------- helpers


def stored(db: Database, unit: str = D1, period: str = "2023Q2") -> dict[str, Entry]:
    """What a fresh session reads from the file: proof that an edit was saved, not only shown."""
    with db.session() as session:
        return load_entries(session, unit, Period.parse(period))


def value(db: Database, code: str, field: str = "value", unit: str = D1, period: str = "2023Q2") -> object:
    entry = stored(db, unit, period).get(code)
    return None if entry is None else getattr(entry, field)


def cell(window: MainWindow, code: str, column: Col) -> QModelIndex:
    assert window.model is not None
    return window.model.index_of(code, column)


def text(window: MainWindow, code: str, column: Col) -> str:
    return str(cell(window, code, column).data() or "")


def select(window: MainWindow, code: str, column: Col) -> FormView:
    """Click the cell, as a clerk does: it becomes current, alone selected, and the anchor of Shift+arrows."""
    view = window.view
    index = cell(window, code, column)
    view.scrollTo(index)
    QTest.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view.visualRect(index).center()
    )
    assert view.currentIndex() == index
    view.setFocus()
    return view


def editor(window: MainWindow) -> QLineEdit:
    widget = QApplication.focusWidget()
    assert isinstance(widget, QLineEdit), widget
    assert window.view.state() == EDITING
    return widget


def type_text(qtbot: QtBot, window: MainWindow, digits: str) -> QLineEdit:
    """Type into the current cell as a clerk does: the first key opens the editor, the rest go to it.

    ``qtbot.keyClicks(view, "40")`` would send the "0" to the view too, not to the editor that now has the focus.
    """
    qtbot.keyClicks(window.view, digits[0])
    line = editor(window)
    qtbot.keyClicks(line, digits[1:])
    return line


def enter_cell(qtbot: QtBot, window: MainWindow, code: str, column: Col, digits: str) -> None:
    select(window, code, column)
    qtbot.keyClick(type_text(qtbot, window, digits), Qt.Key.Key_Return)
    assert window.view.state() != EDITING, window.statusBar().currentMessage()


def current(window: MainWindow) -> tuple[int, int]:
    index = window.view.currentIndex()
    return index.row(), index.column()


def panel_items(window: MainWindow) -> list[QListWidgetItem]:
    lst = window.check_panel.list
    return [lst.item(i) for i in range(lst.count())]


# ---------------------------------------------------------------- typing


def test_typed_value_is_saved_rechecked_and_the_cursor_moves_down(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    assert (window.unit_box.currentData(), window.period_box.currentData()) == (D1, "2023Q2")
    assert text(window, "A", Col.STATUS) == "未填报"
    filled_before, sentence_before = window.summary.filled.text(), window.check_panel.sentence.text()
    assert filled_before == "已填 0/6"

    select(window, "A", Col.VALUE)
    line = type_text(qtbot, window, "40")
    assert line.text() == "40"
    qtbot.keyClick(line, Qt.Key.Key_Return)

    assert window.view.state() != EDITING
    assert value(db, "A") == Decimal(40)
    # Expected by mid-year: 100 × 2/4 = 50, so 40 is behind.
    assert text(window, "A", Col.STATUS) == "滞后"
    assert text(window, "A", Col.COMPLETION) == "40.0%"
    assert window.summary.filled.text() == "已填 1/6"
    assert window.check_panel.sentence.text() != sentence_before
    assert "滞后（新增绿色工厂）" in window.check_panel.sentence.text()
    assert current(window) == (ROWS["B"], Col.VALUE)


def test_enter_skips_the_field_header_rows(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "Q", Col.VALUE, "25")
    assert current(window) == (ROWS["C"], Col.VALUE)  # row 4 is the 绿色消费 header
    assert HEADER_ROWS[1] == ROWS["Q"] + 1
    assert value(db, "Q") == Decimal(25)
    # Enter without editing moves the same way, and the last row stays put.
    select(window, "S", Col.VALUE)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert current(window) == (ROWS["D"], Col.VALUE)
    qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert current(window) == (ROWS["D"], Col.VALUE)


def test_typing_over_a_value_replaces_it(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "C", Col.VALUE, "12.5")
    enter_cell(qtbot, window, "C", Col.VALUE, "7")
    assert value(db, "C") == Decimal(7)
    assert text(window, "D", Col.VALUE) == ""  # derived A + C: no value while A is missing
    enter_cell(qtbot, window, "A", Col.VALUE, "3")
    assert text(window, "D", Col.VALUE) == "10.0"


def test_tab_commits_and_moves_right(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    select(window, "R", Col.NUMERATOR)
    qtbot.keyClick(type_text(qtbot, window, "30"), Qt.Key.Key_Tab)
    assert current(window) == (ROWS["R"], Col.DENOMINATOR)
    qtbot.keyClick(type_text(qtbot, window, "40"), Qt.Key.Key_Tab)
    assert current(window) == (ROWS["R"], Col.VALUE)
    entry = stored(db)["R"]
    assert (entry.numerator, entry.denominator) == (Decimal(30), Decimal(40))
    assert text(window, "R", Col.VALUE) == "75.00"
    # Tab without an editor moves right as well; Shift+Tab in an editor moves left.
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    assert current(window) == (ROWS["R"], Col.TARGET)
    select(window, "S", Col.DENOMINATOR)
    qtbot.keyClick(type_text(qtbot, window, "8"), Qt.Key.Key_Backtab)
    assert current(window) == (ROWS["S"], Col.NUMERATOR)
    assert value(db, "S", "denominator") == Decimal(8)


def test_f2_edits_the_value_in_place(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    select(window, "A", Col.VALUE)
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    line = editor(window)
    assert line.text() == "40"
    # As in Excel, F2 puts the caret after the text: typing appends instead of replacing.
    qtbot.keyClicks(line, "5")
    assert line.text() == "405"
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert value(db, "A") == Decimal(405)


def test_escape_abandons_the_edit(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    select(window, "A", Col.VALUE)
    qtbot.keyClick(type_text(qtbot, window, "99"), Qt.Key.Key_Escape)
    assert window.view.state() != EDITING
    assert value(db, "A") == Decimal(40)
    assert text(window, "A", Col.VALUE) == "40"


def test_delete_clears_the_selected_cells(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    enter_cell(qtbot, window, "B", Col.VALUE, "5")
    view = select(window, "A", Col.VALUE)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert value(db, "A") is None and value(db, "B") is None
    assert text(window, "A", Col.STATUS) == "未填报"
    assert window.summary.filled.text() == "已填 0/6"


def test_delete_on_a_column_block_across_a_field_header_clears_only_that_column(
    qtbot: QtBot, window: MainWindow, db: Database, spec: CatalogSpec
) -> None:
    enter(db, spec, D1, "2023Q2", Q="3", C="1.5", R=("3", "4"))
    window.model.refresh(window.form.reload())  # type: ignore[union-attr]
    select(window, "Q", Col.EXPLANATION)
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    line = editor(window)
    line.setText("说明")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    view = select(window, "Q", Col.VALUE)
    for _ in range(3):  # Q, (header), C, R
        qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert {i.column() for i in view.selectedIndexes()} == {Col.VALUE}
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    entries = stored(db)
    assert entries["Q"].value is None and entries["C"].value is None
    assert entries["Q"].explanation == "说明"
    assert (entries["R"].numerator, entries["R"].denominator) == (Decimal(3), Decimal(4))


@pytest.mark.parametrize(
    ("code", "typed", "reason"),
    [("A", "1.5", "整数"), ("A", "abc", ""), ("C", "2.25", "1 位小数"), ("R", "3.456", "分子")],
)
def test_a_refused_value_keeps_the_editor_open_and_saves_nothing(
    qtbot: QtBot, window: MainWindow, db: Database, code: str, typed: str, reason: str
) -> None:
    column = Col.NUMERATOR if code == "R" else Col.VALUE
    select(window, code, column)
    line = type_text(qtbot, window, typed)
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Tab):
        qtbot.keyClick(line, key)
        assert window.view.state() == EDITING
        assert QApplication.focusWidget() is line and line.text() == typed
        assert current(window) == (ROWS[code], column)
    message = window.statusBar().currentMessage()
    assert message and reason in message
    assert stored(db) == {}
    assert window.undo_stack.count() == 0
    # Correcting the text is accepted.
    line.setText("2")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert window.view.state() != EDITING
    assert getattr(stored(db)[code], "numerator" if code == "R" else "value") == Decimal(2)


def test_clicking_away_from_a_refused_value_comes_back_to_it_as_typed(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    select(window, "A", Col.VALUE)
    type_text(qtbot, window, "1.5")
    view = window.view
    other = cell(window, "C", Col.VALUE)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(other).center())
    qtbot.waitUntil(lambda: view.state() == EDITING)
    line = editor(window)
    assert line.text() == "1.5"  # nothing the clerk typed is lost
    assert current(window) == (ROWS["A"], Col.VALUE)
    assert "整数" in window.statusBar().currentMessage()
    assert stored(db) == {}
    # Esc gives the entry up; the cell keeps what it had.
    qtbot.keyClick(line, Qt.Key.Key_Escape)
    assert view.state() != EDITING
    assert stored(db) == {} and text(window, "A", Col.VALUE) == ""


def test_switching_to_another_program_keeps_a_refused_entry_open(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    select(window, "A", Col.VALUE)
    line = type_text(qtbot, window, "abc")
    QApplication.sendEvent(line, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.ActiveWindowFocusReason))
    qtbot.wait(10)
    assert window.view.state() == EDITING and line.text() == "abc"
    assert stored(db) == {}


def beside(label: QWidget, cell_rect: QRect) -> bool:
    """Whether ``label`` sits right under or right over the cell, overlapping it sideways."""
    box = label.geometry()
    touches = box.top() == cell_rect.bottom() + 1 or box.bottom() == cell_rect.top() - 1
    return touches and box.left() <= cell_rect.right() and box.right() >= cell_rect.left()


def test_a_refusal_is_said_beside_the_cell_and_goes_away_with_the_correction(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    view = select(window, "A", Col.VALUE)
    line = type_text(qtbot, window, "1.5")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    problem = view.problem
    assert problem.isVisible() and "整数" in problem.text()
    assert beside(problem, view.visualRect(cell(window, "A", Col.VALUE)))
    assert "整数" in window.statusBar().currentMessage()
    line.setText("40")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert value(db, "A") == Decimal(40)
    assert not problem.isVisible()
    assert window.statusBar().currentMessage() == ""  # the old refusal does not linger after a good entry


def test_a_refusal_given_up_with_escape_is_no_longer_shown(qtbot: QtBot, window: MainWindow) -> None:
    select(window, "B", Col.VALUE)
    line = type_text(qtbot, window, "abc")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert window.view.problem.isVisible() and window.statusBar().currentMessage()
    qtbot.keyClick(line, Qt.Key.Key_Escape)
    assert not window.view.problem.isVisible()
    assert window.statusBar().currentMessage() == ""


def test_a_refused_paste_is_forgotten_after_the_next_good_entry(qtbot: QtBot, window: MainWindow) -> None:
    QGuiApplication.clipboard().setText("10\nabc")
    qtbot.keyClick(select(window, "A", Col.VALUE), "v", CTRL)
    assert "第 2 行" in window.statusBar().currentMessage()
    enter_cell(qtbot, window, "C", Col.VALUE, "2.5")
    assert window.statusBar().currentMessage() == ""
    # Other news is not an entry's refusal: an edit leaves it standing.
    window.show_message("已导出数值表")
    enter_cell(qtbot, window, "C", Col.VALUE, "3")
    assert window.statusBar().currentMessage() == "已导出数值表"


def test_the_status_tooltip_has_the_columns_a_narrow_window_hides(window: MainWindow) -> None:
    model = window.model
    assert model is not None and model.setData(cell(window, "A", Col.VALUE), "40")
    window.resize(620, 500)
    window.view.fit_columns()
    assert window.view.isColumnHidden(int(Col.PREVIOUS))
    assert not window.view.isColumnHidden(int(Col.EXPLANATION))
    tip = str(cell(window, "A", Col.STATUS).data(Qt.ItemDataRole.ToolTipRole))
    assert "预期进度值：50" in tip and "完成率：40.0%" in tip and "上期值" in tip and "进度滞后" in tip
    assert str(cell(window, "A", Col.NAME).data(Qt.ItemDataRole.ToolTipRole)).startswith("新增绿色工厂")


def test_refused_value_through_set_data_reports_its_reason(window: MainWindow, db: Database) -> None:
    model = window.model
    assert model is not None
    assert not model.setData(cell(window, "A", Col.VALUE), "1.5")
    assert "第 1 行" in model.last_error and "整数" in model.last_error
    assert window.statusBar().currentMessage() == model.last_error
    assert not model.setData(cell(window, "D", Col.VALUE), "3")  # derived: computed, not typed
    assert stored(db) == {}


def test_read_only_cells_do_not_open_an_editor(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    for code, column in (("D", Col.VALUE), ("R", Col.VALUE), ("A", Col.TARGET), ("A", Col.NUMERATOR)):
        view = select(window, code, column)
        qtbot.keyClicks(view, "7")
        assert view.state() != EDITING, (code, column)
    assert stored(db) == {}


def test_chinese_explanation_through_an_input_method(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    """A Chinese input method sends pre-edit text first, then the committed words; they open the editor."""
    view = select(window, "A", Col.EXPLANATION)
    QApplication.sendEvent(view, QInputMethodEvent("xiangmu", []))
    commit = QInputMethodEvent()
    commit.setCommitString("项目延期")
    QApplication.sendEvent(view, commit)
    line = editor(window)
    assert line.text() == "项目延期"
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert value(db, "A", "explanation") == "项目延期"


# ---------------------------------------------------------------- clipboard


def test_ctrl_c_copies_the_block_as_tab_separated_text(qtbot: QtBot, window: MainWindow, spec: CatalogSpec) -> None:
    enter(window.db, spec, D1, "2023Q2", A="40", B="5", Q="25", C="1.5")
    window.model.refresh(window.form.reload())  # type: ignore[union-attr]
    view = select(window, "A", Col.VALUE)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, "c", CTRL)
    assert QGuiApplication.clipboard().text() == "40\t100\n5\t100"
    # A block over a field header leaves the header out.
    view = select(window, "Q", Col.VALUE)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view, "c", CTRL)
    assert QGuiApplication.clipboard().text() == "25\n1.5"


def test_paste_a_column_fills_consecutive_rows_as_one_undo_step(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    QGuiApplication.clipboard().setText("10\r\n20\r\n30\r\n")  # as Excel puts a column on the clipboard
    view = select(window, "A", Col.VALUE)
    qtbot.keyClick(view, "v", CTRL)
    assert [value(db, c) for c in "ABQ"] == [Decimal(10), Decimal(20), Decimal(30)]
    assert [text(window, c, Col.VALUE) for c in "ABQ"] == ["10", "20", "30"]
    assert window.undo_stack.count() == 1
    assert current(window) == (ROWS["Q"], Col.VALUE)

    qtbot.keyClick(view, "z", CTRL)
    assert [value(db, c) for c in "ABQ"] == [None, None, None]
    assert [text(window, c, Col.VALUE) for c in "ABQ"] == ["", "", ""]
    assert window.summary.filled.text() == "已填 0/6"
    qtbot.keyClick(view, "y", CTRL)
    assert [value(db, c) for c in "ABQ"] == [Decimal(10), Decimal(20), Decimal(30)]
    assert window.summary.filled.text() == "已填 3/6"
    qtbot.keyClick(view, "z", CTRL)
    qtbot.keyClick(view, "z", Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert value(db, "Q") == Decimal(30)


def test_paste_skips_field_headers(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    QGuiApplication.clipboard().setText("7\n2.5")
    qtbot.keyClick(select(window, "Q", Col.VALUE), "v", CTRL)
    assert (value(db, "Q"), value(db, "C")) == (Decimal(7), Decimal("2.5"))


def test_a_paste_longer_than_the_form_says_what_was_left_out(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    QGuiApplication.clipboard().setText("甲\n乙\n丙\n丁\n戊")
    qtbot.keyClick(select(window, "C", Col.EXPLANATION), "v", CTRL)  # four rows from C to the end
    assert [value(db, c, "explanation") for c in "CRSD"] == ["甲", "乙", "丙", "丁"]
    assert "超出表格范围" in window.statusBar().currentMessage()


def test_paste_two_columns_into_numerator_and_denominator(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    QGuiApplication.clipboard().setText("30\t40\n5\t10\n")
    qtbot.keyClick(select(window, "R", Col.NUMERATOR), "v", CTRL)
    entries = stored(db)
    assert (entries["R"].numerator, entries["R"].denominator) == (Decimal(30), Decimal(40))
    assert (entries["S"].numerator, entries["S"].denominator) == (Decimal(5), Decimal(10))
    assert text(window, "R", Col.VALUE) == "75.00" and text(window, "S", Col.VALUE) == "50.00"
    assert window.undo_stack.count() == 1
    qtbot.keyClick(window.view, "z", CTRL)
    assert stored(db)["R"].numerator is None and stored(db)["S"].denominator is None


@pytest.mark.parametrize(
    ("start", "column", "clip"),
    [
        ("A", Col.VALUE, "10\nabc\n30"),
        ("A", Col.VALUE, "10\n20\n1.5"),  # Q takes whole numbers
        ("C", Col.VALUE, "1\n2"),  # the next row is a ratio: its value is computed
        ("R", Col.NUMERATOR, "30\t40\n50\t1.234"),
        ("S", Col.VALUE, "1\n2"),
    ],
)
def test_one_bad_value_refuses_the_whole_paste(
    qtbot: QtBot, window: MainWindow, db: Database, start: str, column: Col, clip: str
) -> None:
    QGuiApplication.clipboard().setText(clip)
    qtbot.keyClick(select(window, start, column), "v", CTRL)
    assert stored(db) == {}
    assert window.undo_stack.count() == 0
    assert window.model is not None and window.model.last_error
    assert window.statusBar().currentMessage() == window.model.last_error


def test_undo_and_redo_of_typed_edits(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    enter_cell(qtbot, window, "A", Col.VALUE, "60")
    view = window.view
    qtbot.keyClick(view, "z", CTRL)
    assert value(db, "A") == Decimal(40) and text(window, "A", Col.STATUS) == "滞后"
    qtbot.keyClick(view, "z", CTRL)
    assert value(db, "A") is None and text(window, "A", Col.STATUS) == "未填报"
    assert not window.undo_action.isEnabled()
    qtbot.keyClick(view, "y", CTRL)
    qtbot.keyClick(view, "y", CTRL)
    assert value(db, "A") == Decimal(60) and text(window, "A", Col.STATUS) == "按序推进"
    assert not window.redo_action.isEnabled()


# ---------------------------------------------------------------- check panel and explanations


def test_check_panel_items_jump_to_their_cell(qtbot: QtBot, window: MainWindow) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")  # behind: a warning and a missing explanation
    items = panel_items(window)
    warning = next(i for i in items if "进度滞后" in i.text())
    missing = next(i for i in items if "待说明" in i.text())
    assert "新增绿色工厂" in missing.text()
    select(window, "D", Col.NAME)
    window.check_panel.list.itemActivated.emit(missing)
    assert current(window) == (ROWS["A"], Col.EXPLANATION)
    assert window.view.hasFocus()
    select(window, "D", Col.NAME)
    lst = window.check_panel.list
    qtbot.mouseClick(lst.viewport(), Qt.MouseButton.LeftButton, pos=lst.visualItemRect(warning).center())
    assert current(window) == (ROWS["A"], Col.VALUE)


def test_explanation_typed_in_place_satisfies_the_check(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    assert "1 项待填写情况说明" in window.check_panel.heading.text()
    assert text(window, "A", Col.EXPLANATION) == "（需填写情况说明）"
    missing = next(i for i in panel_items(window) if "待说明" in i.text())
    window.check_panel.list.itemActivated.emit(missing)
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    line = editor(window)
    assert line.text() == ""  # the placeholder is not edited as text
    line.setText("二季度新项目尚在审批，预计三季度集中投产")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert value(db, "A", "explanation") == "二季度新项目尚在审批，预计三季度集中投产"
    assert not any("待说明" in i.text() for i in panel_items(window))
    # Nothing blocks signing any more, but the form is not complete: the heading says so instead of “passed”.
    assert window.check_panel.heading.text() == "已填 1/6 项，目前没有错误。"
    assert text(window, "A", Col.EXPLANATION) == "二季度新项目尚在审批，预计三季度集中投产"


def test_check_panel_follows_every_change_of_the_check(qtbot: QtBot, window: MainWindow) -> None:
    """The panel updates only the lines that changed; after any sequence it equals a panel built afresh."""
    fresh = CheckPanel()
    qtbot.addWidget(fresh)
    model = window.model
    assert model is not None
    steps = [("A", Col.VALUE, "40"), ("B", Col.VALUE, "10"), ("A", Col.EXPLANATION, "说明"), ("A", Col.VALUE, "60")]
    steps += [("R", Col.NUMERATOR, "50"), ("R", Col.DENOMINATOR, "40"), ("B", Col.VALUE, ""), ("R", Col.NUMERATOR, "")]
    for code, column, typed in steps:
        assert model.setData(cell(window, code, column), typed)
        assert window.form is not None
        fresh.show_result(window.form.result)

        def lines(panel: CheckPanel) -> list[tuple[str, str, int]]:
            return [
                (i.text(), i.data(CODE_ROLE), i.data(COLUMN_ROLE))
                for i in (panel.list.item(n) for n in range(panel.list.count()))
            ]

        assert lines(window.check_panel) == lines(fresh), (code, column, typed)
        assert window.check_panel.heading.text() == fresh.heading.text()


def test_history_tab_shows_the_audit_of_the_current_cell(qtbot: QtBot, window: MainWindow) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    enter_cell(qtbot, window, "A", Col.VALUE, "60")
    select(window, "A", Col.VALUE)
    window.history_dock.raise_()
    qtbot.waitUntil(lambda: not window.history.visibleRegion().isEmpty())
    audit = window.history.audit
    assert "新增绿色工厂" in window.history.cell_label.text()
    assert [audit.item(r, 5).text() for r in range(audit.rowCount())] == ["60", "40"]  # newest first
    assert window.history.revisions.rowCount() == 1
    enter_cell(qtbot, window, "A", Col.VALUE, "70")  # while it is shown, each edit appears at once
    select(window, "A", Col.VALUE)
    assert audit.item(0, 4).text() == "60" and audit.item(0, 5).text() == "70"
    window.check_dock.raise_()
    qtbot.waitUntil(lambda: window.history.visibleRegion().isEmpty())
    enter_cell(qtbot, window, "A", Col.VALUE, "80")  # hidden: not refreshed ...
    select(window, "A", Col.VALUE)
    window.history_dock.raise_()  # ... until it is shown again
    qtbot.waitUntil(lambda: audit.rowCount() == 4)
    assert audit.item(0, 5).text() == "80"


def test_progress_chart_draws_each_assessed_indicator(qtbot: QtBot, window: MainWindow) -> None:
    model = window.model
    assert model is not None
    model.setData(cell(window, "A", Col.VALUE), "40")
    chart = window.chart
    assert [ic.spec.code for ic in chart.items] == ["A", "B", "Q", "C", "R", "S", "D"]
    window.chart_dock.raise_()  # a tab beside the self-check
    qtbot.waitUntil(lambda: not chart.visibleRegion().isEmpty())
    image = chart.grab().toImage()
    assert image.height() >= chart.bar_rect(6).bottom()
    # A's bar (40 % of a 150 % scale) is drawn in its status colour on the first row.
    bar = chart.bar_rect(0)
    y = int(bar.center().y())
    row = {image.pixelColor(x, y).name() for x in range(int(bar.left()), int(bar.right()))}
    assert style.status_foreground(window.form.result.by_code["A"].status).name() in row  # type: ignore[union-attr,arg-type]


def test_an_overlong_explanation_is_refused_and_not_left_on_the_undo_stack(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    view = select(window, "A", Col.EXPLANATION)
    qtbot.keyClick(view, Qt.Key.Key_F2)
    line = editor(window)
    line.setText("说" * 2001)
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert "2000" in window.statusBar().currentMessage()
    assert value(db, "A", "explanation") in (None, "")
    assert window.undo_stack.count() == 0
    model = window.model
    assert model is not None
    assert not model.setData(cell(window, "A", Col.EXPLANATION), "说" * 2001)


def test_a_save_the_service_refuses_leaves_no_undo_step(
    window: MainWindow, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.storage.form import FormError

    model = window.model
    assert model is not None and window.form is not None

    def refuse(cells: object) -> object:
        raise FormError("第 1 版已锁定")

    monkeypatch.setattr(window.form, "set_cells", refuse)
    assert not model.setData(cell(window, "A", Col.VALUE), "40")
    assert model.last_error == "第 1 版已锁定" and window.statusBar().currentMessage() == "第 1 版已锁定"
    assert window.undo_stack.count() == 0 and not window.undo_action.isEnabled()
    monkeypatch.undo()
    assert model.setData(cell(window, "A", Col.VALUE), "40")
    assert window.undo_stack.count() == 1 and value(db, "A") == Decimal(40)


# ---------------------------------------------------------------- switching forms, reopening, remembering


def pick(box: QComboBox, data: str) -> None:
    index = box.findData(data)
    assert index >= 0, data
    box.setCurrentIndex(index)


def test_period_and_unit_selectors_open_the_right_form(
    qtbot: QtBot, window: MainWindow, db: Database, spec: CatalogSpec
) -> None:
    enter(db, spec, D1, "2023Q1", A="7", Q="9")
    enter(db, spec, D2, "2023Q1", A="70")
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    assert window.undo_stack.count() == 1

    pick(window.period_box, "2023Q1")
    assert window.form is not None and (window.form.unit.code, str(window.form.period)) == (D1, "2023Q1")
    assert text(window, "A", Col.VALUE) == "7" and text(window, "Q", Col.VALUE) == "9"
    assert text(window, "Q", Col.TARGET) == "10"  # the first quarter's own target
    assert "第一季度" in window.windowTitle()
    assert window.undo_stack.count() == 0  # undo history belongs to one form
    assert text(window, "A", Col.PREVIOUS) == ""

    pick(window.period_box, "2023Q2")
    assert text(window, "A", Col.VALUE) == "40" and text(window, "A", Col.PREVIOUS) == "7"

    pick(window.unit_box, D2)
    assert window.form.unit.code == D2 and "乙县" in window.windowTitle()
    assert text(window, "A", Col.VALUE) == ""
    pick(window.period_box, "2023Q1")
    assert text(window, "A", Col.VALUE) == "70"

    pick(window.unit_box, CITY)  # the city's figures are aggregated from the districts, not typed
    assert window.form.aggregated and "汇总" in window.banner.text()
    assert text(window, "A", Col.VALUE) == "77"
    model = window.model
    assert model is not None
    assert not model.flags(cell(window, "A", Col.VALUE)) & Qt.ItemFlag.ItemIsEditable
    assert model.flags(cell(window, "A", Col.EXPLANATION)) & Qt.ItemFlag.ItemIsEditable

    pick(window.period_box, "2023")
    assert str(window.form.period) == "2023" and "年度" in window.windowTitle()


def test_reopening_the_database_finds_every_edit(
    qtbot: QtBot, window: MainWindow, db: Database, settings: QSettings, tmp_path: Path
) -> None:
    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    enter_cell(qtbot, window, "C", Col.VALUE, "1.5")
    QGuiApplication.clipboard().setText("30\t40\n5\t10")
    qtbot.keyClick(select(window, "R", Col.NUMERATOR), "v", CTRL)
    select(window, "A", Col.EXPLANATION)
    qtbot.keyClick(window.view, Qt.Key.Key_F2)
    line = editor(window)
    line.setText("项目延期")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    pick(window.unit_box, D2)
    enter_cell(qtbot, window, "Q", Col.VALUE, "12")
    window.close()
    path = db.path
    db.close()

    again = Database(path)
    try:
        assert again.integrity_check() == "ok"
        d1 = stored(again)
        assert d1["A"] == Entry(Decimal(40), None, None, "项目延期")
        assert d1["C"].value == Decimal("1.5")
        assert (d1["R"].numerator, d1["R"].denominator, d1["S"].numerator) == (Decimal(30), Decimal(40), Decimal(5))
        assert stored(again, D2)["Q"].value == Decimal(12)
        reopened = MainWindow(again, settings)
        qtbot.addWidget(reopened)
        assert reopened.form is not None and reopened.form.unit.code == D2
        assert text(reopened, "Q", Col.VALUE) == "12"
        pick(reopened.unit_box, D1)
        assert text(reopened, "R", Col.VALUE) == "75.00"
        assert text(reopened, "A", Col.EXPLANATION) == "项目延期"
        reopened.close()
    finally:
        again.close()


def test_the_window_remembers_geometry_unit_and_period(
    qtbot: QtBot, window: MainWindow, db: Database, settings: QSettings
) -> None:
    window.resize(701, 477)  # within the offscreen screen (800 × 600): Qt fits a restored window to the screen
    pick(window.unit_box, D2)
    pick(window.period_box, "2023Q3")
    window.chart_dock.hide()
    window.close()
    settings.sync()

    fresh = make_settings()  # a new QSettings reads the same file, as the next start of the program does
    assert fresh.value("form/unit") == D2 and fresh.value("form/period") == "2023Q3"
    again = MainWindow(db, fresh)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert (again.width(), again.height()) == (701, 477)
    assert (again.unit_box.currentData(), again.period_box.currentData()) == (D2, "2023Q3")
    assert again.form is not None and (again.form.unit.code, str(again.form.period)) == (D2, "2023Q3")
    assert not again.chart_dock.isVisible()
    again.close()


def test_a_value_typed_but_not_confirmed_is_kept_when_the_window_closes(
    qtbot: QtBot, window: MainWindow, db: Database
) -> None:
    select(window, "B", Col.VALUE)
    type_text(qtbot, window, "77")
    window.close()
    assert value(db, "B") == Decimal(77)


# ---------------------------------------------------------------- the model itself


def test_form_model_passes_the_qt_model_tester(qtmodeltester: object, window: MainWindow, spec: CatalogSpec) -> None:
    enter(window.db, spec, D1, "2023Q2", A="40", R=("30", "40"), C="2.5")
    model = window.model
    assert isinstance(model, FormModel)
    model.refresh(window.form.reload())  # type: ignore[union-attr]
    qtmodeltester.check(model, force_py=True)  # type: ignore[attr-defined]
    qtmodeltester.check(model)  # type: ignore[attr-defined]
    model.setData(cell(window, "A", Col.VALUE), "41")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12 on")
def test_a_long_editing_session_does_not_use_up_the_references_to_none(window: MainWindow) -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a method returning void.

    None's count starts near 30,000 and each edit with its check panel, summary and chart costs hundreds, so
    the program aborts ("Fatal Python error: none_dealloc") after about a hundred edits of the demo form.
    """
    model = window.model
    assert model is not None
    for i in range(3):  # warm-up: caches, fonts
        model.setData(cell(window, "A", Col.VALUE), str(90 + i))
        window.chart.repaint()
    # Garbage from earlier tests going away also changes None's count: collect it first, on both sides.
    gc.collect()
    before = sys.getrefcount(None)
    for i in range(40):
        model.setData(cell(window, "A", Col.VALUE), str(i + 1))
        window.chart.repaint()
        QApplication.processEvents()
    gc.collect()
    lost = before - sys.getrefcount(None)
    # The faulty release loses hundreds per edit (over 10,000 here); ordinary churn stays far below this.
    assert lost < 2000, (
        f"PySide6 {PySide6.__version__} lost {lost} references to None in 40 edits: the program would abort "
        "after a few hundred edits; use a PySide6 without this bug (6.11.3 has none)"
    )


def test_paste_reads_excels_quoted_multi_line_cells(qtbot: QtBot, window: MainWindow, db: Database) -> None:
    # Excel quotes a cell that holds a line break; split naively, the block would be three rows, not two.
    QGuiApplication.clipboard().setText('"受审批影响\n三季度开工"\n已按计划推进\n')
    window.view.setCurrentIndex(cell(window, "A", Col.EXPLANATION))
    window.view.paste()
    assert value(db, "A", "explanation") == "受审批影响\n三季度开工"
    assert value(db, "B", "explanation") == "已按计划推进"
    assert value(db, "Q", "explanation") in (None, "")


# ---------------------------------------------------------------- a sheet to fill in with Excel


def test_a_sheet_exported_from_the_menu_comes_back_filled_in(
    qtbot: QtBot, window: MainWindow, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import openpyxl
    from PySide6.QtWidgets import QFileDialog

    enter_cell(qtbot, window, "A", Col.VALUE, "40")
    sheet_path = tmp_path / "云岩区-2023Q2-填报数值"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kw: (str(sheet_path), "Excel 工作簿 (*.xlsx)"))
    file_menu = next(a for a in window.menuBar().actions() if a.text().startswith("文件")).menu()
    actions = {a.text(): a for a in file_menu.actions()}
    actions["导出数值表（Excel / CSV）…"].trigger()
    written = sheet_path.with_name(sheet_path.name + ".xlsx")  # no suffix typed: the chosen type's is added
    assert str(written) in window.statusBar().currentMessage()

    # The clerk fills the sheet in Excel and saves it.
    workbook = openpyxl.load_workbook(written)
    sheet = workbook.active
    assert sheet is not None
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert rows["A"][4].value == "40"
    rows["C"][4].value = "2.5"
    rows["R"][5].value, rows["R"][6].value = "3", "4"
    rows["A"][7].value = "按计划推进，口径未变"
    workbook.save(written)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args, **kw: (str(written), ""))
    actions["导入数值（CSV / Excel）…"].trigger()
    assert "已导入" in window.statusBar().currentMessage()
    assert value(db, "C") == Decimal("2.5")
    assert (value(db, "R", "numerator"), value(db, "R", "denominator")) == (Decimal(3), Decimal(4))
    assert value(db, "A", "explanation") == "按计划推进，口径未变"
    assert text(window, "C", Col.VALUE) == "2.5"  # the form shows the imported figures at once
