"""Fixtures for the window tests: isolated settings and user folders, a small template database, a shown window.

Every test gets its own QSettings file and per-user data/config folders under ``tmp_path``, so nothing a test
does reaches the developer's real settings, and no test sees what another left behind.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.engine.catalog import CatalogSpec
from app.storage.db import Database
from tests.app.helpers import store_template
from tests.app.sample_templates import document, indicator, ratio
from ui.application import make_settings
from ui.main_window import MainWindow

# Display order (field by field) and grid rows of the template below; row 0, 4 and 8 are field headers.
#   0 绿色生产 | 1 A base annual 0 dp | 2 B base annual 0 dp | 3 Q base quarterly 0 dp
#   4 绿色消费 | 5 C base annual 1 dp | 6 R ratio annual     | 7 S ratio annual
#   8 绿色生活 | 9 D derived = A + C
ROWS = {"A": 1, "B": 2, "Q": 3, "C": 5, "R": 6, "S": 7, "D": 9}
HEADER_ROWS = (0, 4, 8)


def ui_template(year: int = 2023) -> dict[str, Any]:
    return document(
        [
            indicator("A", name="新增绿色工厂"),
            indicator("B", name="新建充电设施"),
            indicator("Q", name="季度新增项目", frequency="quarterly"),
            indicator("C", name="蔬菜基地面积", field="绿色消费", unit="万亩", decimals=1),
            ratio("R", name="绿色建筑占比", field="绿色消费"),
            ratio("S", name="绿色商场占比", field="绿色消费"),
            indicator(
                "D",
                name="合计产出",
                field="绿色生活",
                kind="derived",
                formula="A + C",
                decimals=1,
                aggregation="formula",
            ),
        ],
        year=year,
    )


@pytest.fixture(autouse=True)
def isolated_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Per-test QSettings file and per-user folders (platformdirs reads the XDG variables on each call)."""
    home = tmp_path / "user"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("TIANBAO_DB", raising=False)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "settings"))
    yield home


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    """A test that starts a thread must also finish it."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    for t in left:
        t.join(timeout=2)
    left = [t.name for t in left if t.is_alive()]
    assert not left, f"threads still running after the test: {left}"


@pytest.fixture
def settings(qapp: Any, isolated_user: Path) -> Iterator[QSettings]:
    s = make_settings()
    # Open on the second quarter: annual targets then expect half the year's work.
    s.setValue("form/period", "2023Q2")
    yield s
    s.sync()


@pytest.fixture
def spec(db: Database, tmp_path: Path) -> CatalogSpec:
    return store_template(db, ui_template(), tmp_path)


@pytest.fixture
def window(qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings) -> Iterator[MainWindow]:
    win = MainWindow(db, settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.view.setFocus()
    yield win
    win.close()


def offscreen_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child process running the program offscreen with its own user folders."""
    home = tmp_path / "child-user"
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("TIANBAO_DB", None)
    return env
