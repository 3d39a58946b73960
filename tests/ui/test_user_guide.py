"""帮助 → 用户手册 (F1): the guide opens offline in a window of its own, with its text and its pictures."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.user_guide import GUIDE, GuideWindow, open_user_guide

REPO = Path(__file__).resolve().parents[2]


def test_f1_opens_the_user_guide_with_its_text_and_pictures(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window.view, Qt.Key.Key_F1)
    guide = window.findChild(GuideWindow, "GuideWindow")
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    for words in (
        "填报通 用户手册",
        "第一次启动",
        "情况说明",
        "签名并锁定",
        "退回",
        "完成情况矩阵",
        "报送记录与回执",
    ):
        assert words in text, words
    names = guide.pictures()
    assert len(names) >= 8
    for name in names:
        picture = guide.picture(name)
        assert not picture.isNull(), name
        assert picture.width() >= 600, name
    qtbot.keyClick(window.view, Qt.Key.Key_F1)  # a second time: the open guide comes forward, no second one
    assert window.findChildren(GuideWindow) == [guide]


def test_a_picture_is_never_wider_than_the_guide_window(qtbot: QtBot, window: MainWindow) -> None:
    guide = open_user_guide(window)
    assert guide is not None
    guide.resize(640, 600)
    qtbot.waitUntil(lambda: guide.width() == 640)
    widths = [image.width() for _, _, image in guide._images()]
    assert widths and all(0 < w <= 640 for w in widths)


def test_every_picture_the_guide_names_is_in_the_docs_folder() -> None:
    """What the bundle ships (build/tianbao.spec: the guide, docs/guide/ and the two submission pictures)."""
    named = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", GUIDE.read_text(encoding="utf-8"))
    assert named
    for name in named:
        assert (GUIDE.parent / name).is_file(), name
        assert name.startswith("guide/") or name in ("submission-excel.png", "submission-pdf-1.png"), name
    spec = (REPO / "build" / "tianbao.spec").read_text(encoding="utf-8")
    for shipped in ("用户手册.md", '"guide"', "submission-excel.png", "submission-pdf-1.png"):
        assert shipped in spec, shipped


def test_a_missing_guide_is_said_so(window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: told.append(text))
    assert open_user_guide(window, tmp_path / "用户手册.md") is None
    assert told and "用户手册.md" in told[0]
