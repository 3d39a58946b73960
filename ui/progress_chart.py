"""Progress chart: each assessed indicator's completion against the progress expected for the period.

Painted with QPainter (no chart module needed). A bar per indicator shows 完成率 (value against target, from the
baseline), coloured by status; a dark tick marks where the indicator is expected to be by now. Beside the form,
in a narrow panel, each indicator takes two lines (the name over its bar) so that the bars keep a readable length.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.engine.selfcheck import CheckResult, IndicatorCheck
from ui import style

ROW_HEIGHT = 22
TWO_LINE_HEIGHT = 40
TOP = 20  # the scale's labels
PERCENT_WIDTH = 56  # "106.3%" right of the bars
MAX_PERCENT = Decimal(150)
MARKS = (Decimal(50), Decimal(100))  # dashed lines across the bars
# Narrower than this, a name over its bar rather than beside it.
TWO_LINES_BELOW = 420


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

    @property
    def two_lines(self) -> bool:
        return self.width() < TWO_LINES_BELOW

    def row_height(self) -> int:
        return TWO_LINE_HEIGHT if self.two_lines else ROW_HEIGHT

    def sizeHint(self) -> QSize:
        return QSize(640, 2 * TOP + self.row_height() * max(1, len(self.items)))

    def minimumSizeHint(self) -> QSize:
        # Narrow beside the form, its full height in its scroll area.
        return QSize(200, self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if (event.oldSize().width() < TWO_LINES_BELOW) != self.two_lines:
            self.updateGeometry()  # the rows' height changes

    def bar_area(self) -> tuple[float, float]:
        """Left and right end of the bars, in the widget."""
        left = 6.0 if self.two_lines else min(self.label_width, max(60, self.width() * 45 // 100)) + 8.0
        return left, max(left + 50, self.width() - PERCENT_WIDTH - 8.0)

    def bar_rect(self, i: int) -> QRectF:
        """Where the ``i``-th indicator's bar (its full length, 150 %) is drawn."""
        left, right = self.bar_area()
        top = TOP + i * self.row_height() + (self.row_height() - ROW_HEIGHT)
        return QRectF(left, top + 4, right - left, ROW_HEIGHT - 8)

    def x_of(self, percent: Decimal) -> float:
        left, right = self.bar_area()
        clipped = max(Decimal(0), min(MAX_PERCENT, percent))
        return left + float(clipped / MAX_PERCENT) * (right - left)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(event.rect(), QColor("#ffffff"))
        row_height = self.row_height()
        painter.setPen(QColor("#999999"))
        for mark in MARKS:
            if mark == 100 or self.x_of(Decimal(100)) - self.x_of(mark) > 40:
                painter.drawText(int(self.x_of(mark)) - 16, 14, f"{mark}%")
        # Only the rows in the exposed part: in its scroll area a long chart is mostly out of sight, and
        # painting all of a 500-indicator chart after every edit cost more than the edit itself.
        first = max(0, (event.rect().top() - TOP) // row_height)
        last = min(len(self.items), (event.rect().bottom() - TOP) // row_height + 1)
        for i in range(first, last):
            self._paint_row(painter, i)
        painter.end()

    def _paint_row(self, painter: QPainter, i: int) -> None:
        ic = self.items[i]
        bar = self.bar_rect(i)
        metrics = QFontMetrics(self.font())
        top = TOP + i * self.row_height()
        if self.two_lines:
            label = QRectF(6, top, self.width() - 12, self.row_height() - ROW_HEIGHT + 4)
            align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom
        else:
            label = QRectF(4, top, bar.left() - 12, ROW_HEIGHT)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.setPen(QColor("#222222"))
        name = metrics.elidedText(ic.spec.name, Qt.TextElideMode.ElideRight, int(label.width()))
        painter.drawText(label, int(align), name)
        completion = ic.progress.completion
        assert ic.status is not None
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.status_background(ic.status))
        painter.drawRect(bar)
        painter.setPen(QPen(QColor("#999999"), 1, Qt.PenStyle.DashLine))
        for mark in MARKS:
            x = int(self.x_of(mark))
            painter.drawLine(x, int(bar.top()) - 4, x, int(bar.bottom()) + 4)
        if completion is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.status_foreground(ic.status))
            painter.drawRect(QRectF(bar.left(), bar.top() + 2, self.x_of(completion) - bar.left(), bar.height() - 4))
            painter.setPen(QColor("#222222"))
            beside = QRectF(bar.right() + 6, bar.top() - 4, PERCENT_WIDTH, bar.height() + 8)
            painter.drawText(beside, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), f"{completion}%")
        expected = ic.progress.expected_completion
        if expected is not None:
            painter.setPen(QPen(QColor("#111111"), 2))
            x = int(self.x_of(expected))
            painter.drawLine(x, int(bar.top()) - 2, x, int(bar.bottom()) + 2)
