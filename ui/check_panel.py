"""The self-check panel: errors, warnings, behind-target items and missing explanations; each jumps to its cell."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.selfcheck import CheckResult
from ui.form_model import Col

CODE_ROLE = Qt.ItemDataRole.UserRole
COLUMN_ROLE = Qt.ItemDataRole.UserRole + 1

# One line of the list: text, colour, indicator code, column to jump to.
Line = tuple[str, str, str | None, int]


class CheckPanel(QWidget):
    """List of what needs attention before signing."""

    jump = Signal(str, int)  # indicator code, column

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.lines: list[Line] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)

    def show_result(self, result: CheckResult) -> None:
        names = {ic.spec.code: ic.spec.name for ic in result.indicators}
        lines = [self._line(self.tr("错误"), m.indicator, names, m.text, "#a11d1d", Col.VALUE) for m in result.errors]
        lines += [
            self._line(self.tr("提示"), m.indicator, names, m.text, "#8a5a00", Col.VALUE) for m in result.warnings
        ]
        explain = self.tr("需填写情况说明")
        lines += [
            self._line(self.tr("待说明"), ic.spec.code, names, explain, "#1d4f91", Col.EXPLANATION)
            for ic in result.missing_explanations
        ]
        self._update(lines)
        errors, missing = len(result.errors), len(result.missing_explanations)
        if errors == 0 and missing == 0:
            self.heading.setText(self.tr("自查通过：没有错误，所需情况说明均已填写。"))
        else:
            self.heading.setText(
                self.tr("尚不能签名报送：%1 个错误，%2 项待填写情况说明。")
                .replace("%1", str(errors))
                .replace("%2", str(missing))
            )

    @staticmethod
    def _line(kind: str, code: str | None, names: dict[str, str], text: str, color: str, column: Col) -> Line:
        name = names.get(code or "", "")
        return (f"【{kind}】{name}：{text}" if name else f"【{kind}】{text}", color, code, int(column))

    def _update(self, lines: list[Line]) -> None:
        """Replace only the lines that changed: an edit changes one or two, and every item inserted or removed
        makes the word-wrapped list lay out all its items again (milliseconds each with hundreds of items)."""
        old = self.lines
        head = 0
        while head < min(len(old), len(lines)) and old[head] == lines[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(lines)) - head and old[-1 - tail] == lines[-1 - tail]:
            tail += 1
        for _ in range(len(old) - head - tail):
            self.list.takeItem(head)
        for offset, (text, color, code, column) in enumerate(lines[head : len(lines) - tail]):
            item = QListWidgetItem(text)
            item.setForeground(QBrush(QColor(color)))
            item.setData(CODE_ROLE, code)
            item.setData(COLUMN_ROLE, column)
            self.list.insertItem(head + offset, item)
        self.lines = lines

    def _activated(self, item: QListWidgetItem) -> None:
        code = item.data(CODE_ROLE)
        if code:
            self.jump.emit(code, int(item.data(COLUMN_ROLE)))
