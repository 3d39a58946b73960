"""A cumulative ceiling ahead of its pace (预警) in the window: the same verdict and the same yellow in the grid,
the status bar's counts, the progress chart and the check panel."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from app.engine.progress import STATUS_COLORS, Status
from app.storage.db import Database
from tests.app.helpers import enter, store_template
from tests.app.sample_templates import D1, document, indicator
from ui.form_model import Col
from ui.main_window import MainWindow
from ui.progress_chart import ProgressChart

WARNING_BACKGROUND, WARNING_TEXT = STATUS_COLORS[Status.CAP_WARNING]


def test_a_ceiling_ahead_of_its_pace_is_yellow_everywhere_in_the_window(
    qtbot: QtBot, db: Database, tmp_path: Path, settings: QSettings
) -> None:
    doc = document([indicator("A", name="新增绿色工厂"), indicator("K", name="能源消费总量", direction="cap")])
    spec = store_template(db, doc, tmp_path)
    # The year's ceiling is 100: by mid-year the pace is 50, and 53 is ahead of it but within the ceiling.
    enter(db, spec, D1, "2023Q2", A="50", K="53")
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.form is not None and window.form.result.by_code["K"].status is Status.CAP_WARNING

    status = window.model.index_of("K", Col.STATUS)  # type: ignore[union-attr]
    assert status.data() == "预警"
    assert status.data(Qt.ItemDataRole.BackgroundRole).color().name() == WARNING_BACKGROUND
    assert status.data(Qt.ItemDataRole.ForegroundRole).color().name() == WARNING_TEXT
    badge = window.summary.badges[Status.CAP_WARNING]
    assert badge.isVisibleTo(window) and badge.text() == "预警 1" and WARNING_BACKGROUND in badge.styleSheet()

    told, asked = [line for line in window.check_panel.lines if line[2] == "K"]
    assert told[0] == "【提示】能源消费总量：超出进度预警：本期 53个，按进度控制值 50个"
    assert asked[0] == "【待说明】能源消费总量：预警，需填写情况说明"
    assert asked[1:] == (WARNING_TEXT, "K", int(Col.EXPLANATION), WARNING_BACKGROUND)

    chart = ProgressChart()
    qtbot.addWidget(chart)
    chart.resize(600, 120)
    chart.show_result(window.form.result)
    row = [ic.spec.code for ic in chart.items].index("K")
    bar = chart.bar_rect(row)
    image = chart.grab().toImage()
    # Past the completed part, the bar's ground is the status colour.
    assert image.pixelColor(int(bar.right()) - 3, int(bar.center().y())).name() == WARNING_BACKGROUND
    window.close()
