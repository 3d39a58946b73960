"""The main window on a clerk's PC: a 1366 × 768 laptop at 125 % and a full-HD screen at 150 % (Windows' display
scaling), each in a process of its own on the demo database; and a window remembered on a larger screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from app.demo import create_demo
from tests.ui.screens import DESKTOP, FULL_HD, LAPTOP, Screen, measure
from ui.window_fit import DEFAULT_SIZE, FRAME, place_window

pytestmark = pytest.mark.slow

MUST_SEE = ("NAME", "VALUE", "TARGET", "STATUS", "EXPLANATION")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    create_demo(path).close()
    return path


def inside(inner: list[int], outer: list[int], rounding: int = 0) -> bool:
    return QRect(*outer).adjusted(0, 0, rounding, rounding).contains(QRect(*inner))


def assert_fits(seen: dict[str, Any]) -> None:
    # At 125 % a screen is 1092.8 units wide: Qt's own maximized frame rounds up to the next unit.
    assert inside(seen["frame"], seen["available"], rounding=1), seen
    assert inside(seen["status_bar"], seen["window"])
    assert seen["indicator_rows"] >= 15
    assert seen["horizontal_scroll"] == 0  # nothing to scroll sideways to
    columns = seen["columns"]
    for name in MUST_SEE:
        assert not columns[name]["hidden"], name
    for name, column in columns.items():
        if not column["hidden"]:
            assert column["left"] >= 0 and column["right"] <= seen["viewport_width"], (name, column)
    assert columns["EXPLANATION"]["right"] - columns["EXPLANATION"]["left"] >= 100
    for name, dock in seen["docks"].items():
        if dock["shown"] and not dock["floating"]:
            assert inside(dock["rect"], seen["window"]), (name, dock)


@pytest.mark.parametrize("screen", [LAPTOP, FULL_HD], ids=lambda s: s.name)
def test_first_start_fits_the_screen(screen: Screen, demo_db: Path, tmp_path: Path) -> None:
    seen = measure(screen, demo_db, tmp_path)
    assert seen["maximized"]  # the default size does not fit either screen
    assert_fits(seen)
    docks = seen["docks"]
    assert docks["CheckDock"]["shown"]
    # The chart and the history are tabs beside the self-check, a click away, not under the form.
    assert docks["ChartDock"]["open"] and not docks["ChartDock"]["shown"]
    assert docks["HistoryDock"]["open"] and not docks["HistoryDock"]["shown"]


def test_a_window_remembered_on_a_larger_screen_fits_the_laptop(demo_db: Path, tmp_path: Path) -> None:
    big = measure(DESKTOP, demo_db, tmp_path, "--normal", "1800", "1100", "--close", "ChartDock")
    assert not big["maximized"] and big["docks"]["ChartDock"]["open"]
    seen = measure(LAPTOP, demo_db, tmp_path)
    assert seen["maximized"]
    assert_fits(seen)
    assert not seen["docks"]["ChartDock"]["open"]  # closed by the user: stays closed
    assert seen["docks"]["CheckDock"]["shown"]
    again = measure(DESKTOP, demo_db, tmp_path)
    assert not again["docks"]["ChartDock"]["open"]


# ---------------------------------------------------------------- placing a window, in this process


def test_a_saved_geometry_that_fits_is_kept_and_one_that_does_not_is_replaced(qtbot: QtBot) -> None:
    area = QGuiApplication.primaryScreen().availableGeometry()
    assert DEFAULT_SIZE.width() > area.width()  # the tests' offscreen screen is small

    saved = QMainWindow()
    qtbot.addWidget(saved)
    saved.setGeometry(area.x() + 30, area.y() + 50, 500, 400)
    small = saved.saveGeometry()
    saved.setGeometry(area.x() + 30, area.y() + 50, area.width() + 600, area.height() + 300)
    large = saved.saveGeometry()

    window = QMainWindow()
    qtbot.addWidget(window)
    assert place_window(window, small)
    assert window.size() == QSize(500, 400) and not window.isMaximized()

    for geometry in (large, QByteArray(b"not a geometry"), None):
        window = QMainWindow()
        qtbot.addWidget(window)
        assert not place_window(window, geometry)
        assert window.isMaximized()
        # Un-maximized, it still lies on the screen with its frame.
        assert area.contains(window.normalGeometry().marginsAdded(FRAME))
