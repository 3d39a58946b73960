"""The counts in the status bar: filled x/y and how many indicators have each status."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.engine.progress import Status
from app.engine.selfcheck import CheckResult
from ui import style
from ui.texts import status_label


class SummaryBar(QWidget):
    """One line, so that it sits in the status bar beside the messages and takes no height from the form."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filled = QLabel()
        self.badges: dict[Status, QLabel] = {}
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(4)
        row.addWidget(self.filled)
        for status in Status:
            badge = QLabel()
            bg, fg = style.STATUS_COLORS[status]
            badge.setStyleSheet(f"background:{bg};color:{fg};border-radius:3px;padding:0px 5px;")
            self.badges[status] = badge
            row.addWidget(badge)

    def show_result(self, result: CheckResult) -> None:
        filled, due = result.filled
        self.filled.setText(self.tr("已填 %1/%2").replace("%1", str(filled)).replace("%2", str(due)))
        for status, badge in self.badges.items():
            count = result.counts.get(status, 0)
            badge.setVisible(count > 0)
            badge.setText(f"{status_label(status)} {count}")
