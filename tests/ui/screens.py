"""The program on a given screen: the offscreen platform told a screen's size and Windows' display scaling.

The parent side (:func:`screen_env`, :func:`measure`) starts a child process, ``python -m tests.ui.screens``, which
opens the main window as the program would on that screen and writes what lies where as JSON (and, if asked, a
picture of the window). The scale factor is fixed when Qt starts, so every screen needs a process of its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ui.conftest import offscreen_env

REPO = Path(__file__).resolve().parents[2]

# What Windows 11 takes from the height, in units of the scaled desktop: the taskbar, and the title bar of a
# maximized window (the offscreen platform draws no title bar, so the screen is made that much lower instead).
TASKBAR, TITLE_BAR = 48, 31


@dataclass(frozen=True)
class Screen:
    """A physical screen of ``width`` × ``height`` pixels at Windows' display scaling ``scale``."""

    width: int
    height: int
    scale: float

    @property
    def name(self) -> str:
        return f"{self.width}x{self.height}@{round(self.scale * 100)}%"

    def config(self) -> dict[str, Any]:
        """The offscreen platform's screen: the area a maximized window's contents get, in physical pixels."""
        height = self.height - round((TASKBAR + TITLE_BAR) * self.scale)
        screen = {"name": self.name, "x": 0, "y": 0, "width": self.width, "height": height}
        return {"screens": [{**screen, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}


LAPTOP = Screen(1366, 768, 1.25)  # a district office's laptop
FULL_HD = Screen(1920, 1080, 1.5)  # a 15" full-HD screen at Windows' recommended 150 %
DESKTOP = Screen(2560, 1440, 1.0)  # a large monitor: where a remembered window may come from


def screen_env(screen: Screen, folder: Path) -> dict[str, str]:
    """Environment for a child process on ``screen``, with its own user folders (and settings) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f"screen-{screen.name.replace('%', '')}.json"
    config.write_text(json.dumps(screen.config()), encoding="utf-8")
    env = offscreen_env(folder)
    env.update(QT_QPA_PLATFORM=f"offscreen:configfile={config}", QT_SCALE_FACTOR=str(screen.scale))
    return env


def measure(screen: Screen, db: Path, folder: Path, *args: str) -> dict[str, Any]:
    """Open the window on ``screen`` in a child process (settings kept in ``folder`` from run to run)."""
    out = folder / "measured.json"
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.screens", "--db", str(db), "--json", str(out), *args],
        env=screen_env(screen, folder),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


# ---------------------------------------------------------------- the child


def _rect(r: Any) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def _layout(window: Any) -> dict[str, Any]:
    from PySide6.QtGui import QGuiApplication

    from ui.form_model import Col

    view = window.view
    viewport = view.viewport().rect()
    model = window.model
    rows = [
        row
        for row in range(model.rowCount())
        if model.indicator_at(row) is not None and viewport.contains(view.visualRect(model.index(row, int(Col.NAME))))
    ]
    columns = {}
    for col in Col:
        x = view.columnViewportPosition(int(col))
        columns[col.name] = {
            "hidden": view.isColumnHidden(int(col)),
            "left": x,
            "right": x + view.columnWidth(int(col)),
        }
    docks = {}
    for dock in (window.check_dock, window.chart_dock, window.history_dock):
        docks[dock.objectName()] = {
            "open": not dock.isHidden(),
            "shown": not dock.visibleRegion().isEmpty(),
            "floating": dock.isFloating(),
            "rect": _rect(dock.geometry()),
        }
    return {
        "available": _rect(QGuiApplication.primaryScreen().availableGeometry()),
        "frame": _rect(window.frameGeometry()),
        "window": [0, 0, window.width(), window.height()],
        "maximized": window.isMaximized(),
        "indicator_rows": len(rows),
        "viewport_width": viewport.width(),
        "horizontal_scroll": view.horizontalScrollBar().maximum(),
        "columns": columns,
        "docks": docks,
        "status_bar": _rect(window.statusBar().geometry()),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--png", type=Path)
    parser.add_argument("--close", nargs="*", default=[], help="docks to close before the window closes")
    parser.add_argument("--normal", nargs=2, type=int, help="un-maximize to this size before the window closes")
    args = parser.parse_args()

    from ui.application import make_application

    app, settings = make_application("zh_CN")
    from PySide6.QtTest import QTest

    from app.storage.db import Database
    from ui.main_window import MainWindow

    db = Database(args.db)
    window = MainWindow(db, settings)
    window.show()
    QTest.qWait(500)  # until the layout has settled (see MainWindow.showEvent)
    args.json.write_text(json.dumps(_layout(window)), encoding="utf-8")
    if args.png is not None:
        window.grab().save(str(args.png))
    for name in args.close:
        window.findChild(type(window.check_dock), name).close()
    if args.normal:
        window.showNormal()
        window.setGeometry(20, 20, *args.normal)
        app.processEvents()
    window.close()
    db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
