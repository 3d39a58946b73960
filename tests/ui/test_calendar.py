"""The reporting calendar in the window: the deadline beside the banner and in the status bar, the period picker's
marks, entry refused in a closed period, the day turning while the window is open, and an extension the city
grants (延期 / 重新开放) and the district imports.

The demo tells its story as of 2023-07-10 10:00 Beijing time: 2023Q1 closed on 04-30, 2023Q2 is due on 07-15.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.demo import DEMO_PASSPHRASE, create_demo
from app.engine.calendar import TIMELINESS_COLORS, Timeliness
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.engine.timefmt import BEIJING
from app.storage import calendar as storage_calendar
from app.storage.db import Database
from app.storage.form import FormService
from tests.app.helpers import store_template
from tests.app.sample_templates import D1
from tests.ui.conftest import ui_template
from tests.ui.test_form import editor, select, type_text
from ui import city_actions, extension_dialog
from ui.deadline import CLOSED, OVERDUE, SOON
from ui.extension_dialog import ExtensionDialog
from ui.form_model import Col
from ui.main_window import MainWindow
from ui.matrix_view import TIMELINESS_COLUMN, MatrixDialog

XIUWEN = "520123"  # 修文县: three days late with 2023Q1, 2023Q2 not yet sent
Q1_CLOSED = "2023年第一季度已于2023年4月30日关闭填报，不能再修改。如需补报或更正，请联系市级延长期限"


def open_window(qtbot: QtBot, db: Database, settings: QSettings, role: str, unit: str, period: str) -> MainWindow:
    settings.setValue("role", role)
    settings.setValue("unit", unit if role == "district" else "")
    settings.setValue("form/unit", unit)
    settings.setValue("form/period", period)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.view.setFocus()
    return window


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Database]:
    db = create_demo(tmp_path / "demo.db")
    yield db
    db.close()


@pytest.fixture
def district(qtbot: QtBot, demo: Database, settings: QSettings) -> Iterator[MainWindow]:
    window = open_window(qtbot, demo, settings, "district", XIUWEN, "2023Q2")
    yield window
    window.close()


def pick_period(window: MainWindow, period: str) -> None:
    window.period_box.setCurrentIndex(window.period_box.findData(period))
    assert window.form is not None and str(window.form.period) == period


def saved_value(db: Database, code: str, period: str) -> object:
    return FormService(db, XIUWEN, Period.parse(period)).result.by_code[code].entry.value


# ---------------------------------------------------------------- the district's view


def test_the_banner_and_the_status_bar_say_how_long_is_left(district: MainWindow) -> None:
    assert district.deadline.badge.isVisible() and district.deadline.status.isVisible()
    assert district.deadline.badge.text() == "距截止还有 5 天（2023年7月15日截止）"
    assert district.deadline.status.text() == "距截止还有 5 天"
    assert district.deadline.status.toolTip() == district.deadline.badge.text()
    assert SOON[0] in district.deadline.badge.styleSheet()  # due within a week: amber
    assert district.statusBar().isAncestorOf(district.deadline.status)
    # The window's label says what the engine says, word for word.
    assert district.form is not None
    state = district.form.deadline()
    assert state is not None and district.deadline.badge.text() == state.label


def test_the_period_picker_marks_closed_and_due_periods(district: MainWindow) -> None:
    box = district.period_box
    texts = [box.itemText(i) for i in range(box.count())]
    assert texts == ["第一季度（已截止）", "第二季度（距截止还有 5 天）", "第三季度", "第四季度", "全年"]
    colour = box.itemData(0, Qt.ItemDataRole.ForegroundRole)
    assert colour.color().name() == CLOSED[1]
    assert box.itemData(2, Qt.ItemDataRole.ForegroundRole) is None  # not open yet: no mark, a tooltip
    assert box.itemData(2, Qt.ItemDataRole.ToolTipRole) == "尚未开始填报（2023年10月1日开始）"
    assert box.itemData(0, Qt.ItemDataRole.ToolTipRole) == "已截止（2023年4月30日关闭填报）"


def test_a_closed_period_refuses_a_typed_value_with_the_reason_and_saves_nothing(
    qtbot: QtBot, district: MainWindow, demo: Database
) -> None:
    pick_period(district, "2023Q1")
    assert district.deadline.badge.text() == "已截止（2023年4月30日关闭填报）"
    assert district.deadline.status.text() == "已截止"
    before = saved_value(demo, "C08", "2023Q1")
    select(district, "C08", Col.VALUE)
    line = type_text(qtbot, district, "12")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    # Refused as any entry is: the editor stays, the reason under the cell and in the status bar.
    assert editor(district) is line and line.text() == "12"
    assert district.view.problem.isVisible() and district.view.problem.text() == Q1_CLOSED
    assert district.statusBar().currentMessage() == Q1_CLOSED
    qtbot.keyClick(line, Qt.Key.Key_Escape)
    assert saved_value(demo, "C08", "2023Q1") == before
    assert district.undo_stack.count() == 0
    # A paste and a clear are refused once, with the same reason.
    QGuiApplication.clipboard().setText("5\n6")
    select(district, "C08", Col.VALUE)
    district.view.paste()
    district.view.clear_selection()
    assert district.statusBar().currentMessage() == Q1_CLOSED
    assert saved_value(demo, "C08", "2023Q1") == before


def test_an_open_period_still_takes_values(qtbot: QtBot, district: MainWindow, demo: Database) -> None:
    select(district, "C08", Col.VALUE)
    qtbot.keyClick(type_text(qtbot, district, "3"), Qt.Key.Key_Return)
    assert saved_value(demo, "C08", "2023Q2") == 3


# ---------------------------------------------------------------- the day turning


CALENDAR = [{"period": "2023Q2", "opens": "2023-07-01", "due": "2023-07-15", "closes": "2023-07-31"}]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the PC's clock (Beijing time) that the calendar reads."""

    def set_clock(*args: int) -> None:
        moment = dt.datetime(*args, tzinfo=BEIJING)
        monkeypatch.setattr(storage_calendar, "clock", lambda: moment)

    return set_clock


def test_when_the_day_turns_the_labels_follow_and_a_closing_period_locks(
    qtbot: QtBot, db: Database, tmp_path: Path, settings: QSettings, clock: Any
) -> None:
    doc = ui_template()
    doc["calendar"] = copy.deepcopy(CALENDAR)
    spec: CatalogSpec = store_template(db, doc, tmp_path)
    assert spec.window(Period(2023, 2)) is not None
    clock(2023, 7, 31, 23, 0)
    window = open_window(qtbot, db, settings, "district", D1, "2023Q2")
    assert window.deadline.badge.text() == "已逾期 16 天（2023年7月15日截止，2023年7月31日关闭）"
    assert OVERDUE[0] in window.deadline.badge.styleSheet()
    window.deadline.check_day()  # the same day: nothing to do
    assert window.deadline.status.text() == "已逾期 16 天"
    clock(2023, 8, 1, 0, 1)
    with qtbot.waitSignal(window.deadline.day_changed):
        window.deadline.check_day()
    assert window.deadline.badge.text() == "已截止（2023年7月31日关闭填报）"
    assert window.period_box.itemText(1) == "第二季度（已截止）"
    model = window.model
    assert model is not None
    assert model.validate(model.row_of["A"], int(Col.VALUE), "5") == (
        "2023年第二季度已于2023年7月31日关闭填报，不能再修改。如需补报或更正，请联系市级延长期限"
    )
    window.close()


# ---------------------------------------------------------------- an extension, from the city to the district


def test_the_city_reopens_a_closed_period_and_the_district_imports_the_notice(
    qtbot: QtBot, tmp_path: Path, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both databases share one key folder (the demo's city CA), as a district that pinned the city certificate.
    district_db = create_demo(tmp_path / "district.db")
    city_db = create_demo(tmp_path / "city.db")
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: told.append("WARN " + text))
    monkeypatch.setattr(extension_dialog, "ask_passphrase", lambda *_a, **_k: DEMO_PASSPHRASE)
    notice = tmp_path / "延期通知.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(notice), ""))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(notice), ""))
    shown: list[ExtensionDialog] = []

    def fill_in(dialog: ExtensionDialog) -> int:
        shown.append(dialog)
        assert dialog.unit == XIUWEN  # the unit open in the window
        assert dialog.closes_check.isChecked() and not dialog.due_check.isChecked()  # closed: reopen it
        assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()  # no reason yet
        dialog.due_check.setChecked(True)
        dialog.due_edit.setDate(dialog.due_edit.date().fromString("2023-07-14", "yyyy-MM-dd"))
        dialog.closes_edit.setDate(dialog.closes_edit.date().fromString("2023-07-20", "yyyy-MM-dd"))
        dialog.reason.setPlainText("系统故障，补报第一季度")
        assert dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(ExtensionDialog, "exec", fill_in)
    try:
        city = open_window(qtbot, city_db, settings, "city", XIUWEN, "2023Q1")
        extension_dialog.extend_deadline(city)
        assert shown and notice.exists(), told
        assert "已为 修文县 2023年第一季度 延期" in city.statusBar().currentMessage()
        city.history.show_revisions(city.form)  # type: ignore[arg-type]
        assert "截止日期延至2023年7月14日，填报开放至2023年7月20日；原因：系统故障，补报第一季度" in (
            city.history.extended.text()
        )
        city.close()

        window = open_window(qtbot, district_db, settings, "district", XIUWEN, "2023Q1")
        assert window.deadline.badge.text() == "已截止（2023年4月30日关闭填报）"
        city_actions.import_city_notice(window)
        assert told[-1].startswith("市级已为 修文县 2023年第一季度 延期：截止日期延至2023年7月14日")
        assert window.deadline.badge.text() == "距截止还有 4 天（2023年7月14日截止）"
        assert window.period_box.itemText(0) == "第一季度（距截止还有 4 天）"
        model = window.model
        assert model is not None and model.closed_reason is None
        assert model.setData(model.index_of("C08", Col.VALUE), "2"), model.last_error
        assert saved_value(district_db, "C08", "2023Q1") == 2
        window.history.show_revisions(window.form)  # type: ignore[arg-type]
        assert window.history.extended.isVisibleTo(window.history)
        assert "系统故障，补报第一季度" in window.history.extended.text()
        window.close()
    finally:
        district_db.close()
        city_db.close()


def test_no_extension_for_a_period_without_a_window(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(QDialog, "exec", lambda _self: pytest.fail("no dialog without a calendar"))
    extension_dialog.extend_deadline(window)
    assert told == ["模板没有规定2023年第二季度的填报期，无需延期。"]
    assert not window.deadline.badge.isVisible() and not window.deadline.status.isVisible()
    assert window.period_box.itemText(0) == "第一季度"
    assert window.form is not None and window.form.unit.code == D1


# ---------------------------------------------------------------- the city's matrix


def test_the_city_matrix_shows_each_units_timeliness_and_the_rate(
    qtbot: QtBot, demo: Database, settings: QSettings
) -> None:
    dialog = MatrixDialog(demo, Period(2023, 1))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    model = dialog.model
    assert not dialog.table.isColumnHidden(TIMELINESS_COLUMN)
    assert model.headerData(TIMELINESS_COLUMN, Qt.Orientation.Horizontal) == "报送及时"
    shown = {r.name: model.index(i, TIMELINESS_COLUMN).data() for i, r in enumerate(dialog.matrix.rows)}
    assert shown.pop("贵阳市") == "按时报送率 90.9%"
    assert shown.pop("修文县") == "逾期 3 天" and set(shown.values()) == {"按时"}
    late = model.index([r.code for r in dialog.matrix.rows].index(XIUWEN), TIMELINESS_COLUMN)
    assert late.data(Qt.ItemDataRole.BackgroundRole).color().name() == TIMELINESS_COLORS[Timeliness.LATE][0]
    assert late.data(Qt.ItemDataRole.ToolTipRole) == "市级收到：2023年4月18日 10:30（北京时间）"
    assert dialog.timeliness.isVisibleTo(dialog)
    assert dialog.timeliness.text() == (
        "报送及时情况（以市级收到时间为准）：应报 11 个单位，按时 10 个，逾期 1 个，按时报送率 90.9%。"
    )
    dialog.close()


def test_before_the_due_date_units_not_yet_heard_from_are_not_late(
    qtbot: QtBot, demo: Database, settings: QSettings
) -> None:
    dialog = MatrixDialog(demo, Period(2023, 2))
    qtbot.addWidget(dialog)
    row = [r.code for r in dialog.matrix.rows].index(XIUWEN)
    assert dialog.model.index(row, TIMELINESS_COLUMN).data() == "未报（未到截止日）"
    assert dialog.model.index(0, TIMELINESS_COLUMN).data() == "按时报送率 100.0%"
    assert "另有 5 个尚未报送，未到截止日" in dialog.timeliness.text()
    dialog.close()
