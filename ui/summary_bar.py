"""The summary bar under the form: filled x/y, counts per status and the engine's narrative sentence."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.engine.progress import Status
from app.engine.selfcheck import CheckResult
from ui import style
from ui.texts import status_label


class SummaryBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filled = QLabel()
        self.badges: dict[Status, QLabel] = {}
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.filled)
        for status in Status:
            badge = QLabel()
            bg, fg = style.STATUS_COLORS[status]
            badge.setStyleSheet(f"background:{bg};color:{fg};border-radius:3px;padding:1px 6px;")
            self.badges[status] = badge
            row.addWidget(badge)
        row.addStretch(1)
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(self.sentence.textInteractionFlags())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addLayout(row)
        layout.addWidget(self.sentence)

    def show_result(self, result: CheckResult) -> None:
        filled, due = result.filled
        self.filled.setText(self.tr("已填 %1/%2").replace("%1", str(filled)).replace("%2", str(due)))
        for status, badge in self.badges.items():
            count = result.counts.get(status, 0)
            badge.setVisible(count > 0)
            badge.setText(f"{status_label(status)} {count}")
        self.sentence.setText(result.summary)
