"""Progress chart: each assessed indicator's completion against the progress expected for the period.

Painted with QPainter (no chart module needed). A bar per indicator shows 完成率 (value against target, from the
baseline), coloured by status; a dark tick marks where the indicator is expected to be by now.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.engine.selfcheck import CheckResult, IndicatorCheck
from ui import style

ROW_HEIGHT = 22
MAX_PERCENT = Decimal(150)


class ProgressChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[IndicatorCheck] = []
        self.label_width = 80
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def show_result(self, result: CheckResult) -> None:
        items = [ic for ic in result.indicators if ic.status is not None]
        same_rows = len(items) == len(self.items) and all(
            a.spec is b.spec for a, b in zip(items, self.items, strict=True)
        )
        self.items = items
        if not same_rows:
            # Names and rows only change with another form; measuring hundreds of names costs milliseconds.
            metrics = QFontMetrics(self.font())
            self.label_width = min(320, max((metrics.horizontalAdvance(ic.spec.name) for ic in items), default=80) + 12)
            self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, 40 + ROW_HEIGHT * max(1, len(self.items)))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), QColor("#ffffff"))
        metrics = QFontMetrics(self.font())
        label_width = self.label_width
        left = label_width + 8
        right = self.width() - 70
        width = max(50, right - left)

        def x_of(percent: Decimal) -> float:
            clipped = max(Decimal(0), min(MAX_PERCENT, percent))
            return left + float(clipped / MAX_PERCENT) * width

        painter.setPen(QPen(QColor("#999999"), 1, Qt.PenStyle.DashLine))
        for mark in (Decimal(50), Decimal(100)):
            painter.drawLine(int(x_of(mark)), 20, int(x_of(mark)), 20 + ROW_HEIGHT * len(self.items))
            painter.drawText(int(x_of(mark)) - 16, 14, f"{mark}%")
        # Only the rows in the exposed part: in its scroll area a long chart is mostly out of sight, and
        # painting all of a 500-indicator chart after every edit cost more than the edit itself.
        first = max(0, (event.rect().top() - 20) // ROW_HEIGHT)
        last = min(len(self.items), (event.rect().bottom() - 20) // ROW_HEIGHT + 1)
        for i in range(first, last):
            ic = self.items[i]
            top = 20 + i * ROW_HEIGHT
            name = metrics.elidedText(ic.spec.name, Qt.TextElideMode.ElideRight, label_width - 8)
            painter.setPen(QColor("#222222"))
            painter.drawText(
                QRectF(4, top, label_width - 8, ROW_HEIGHT),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                name,
            )
            completion = ic.progress.completion
            assert ic.status is not None
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.status_background(ic.status))
            painter.drawRect(QRectF(left, top + 4, width, ROW_HEIGHT - 8))
            if completion is not None:
                painter.setBrush(style.status_foreground(ic.status))
                painter.drawRect(QRectF(left, top + 6, x_of(completion) - left, ROW_HEIGHT - 12))
                painter.setPen(QColor("#222222"))
                painter.drawText(int(right) + 6, top + ROW_HEIGHT - 7, f"{completion}%")
            expected = ic.progress.expected_completion
            if expected is not None:
                painter.setPen(QPen(QColor("#111111"), 2))
                x = x_of(expected)
                painter.drawLine(int(x), top + 2, int(x), top + ROW_HEIGHT - 2)
        painter.end()
