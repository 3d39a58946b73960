"""The self-check panel: whether the form can be signed, the summary sentence, then errors, warnings, behind-target
items and missing explanations; each jumps to its cell."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.engine.progress import NEEDS_EXPLANATION, STATUS_COLORS
from app.engine.selfcheck import CheckResult, IndicatorCheck
from app.engine.validation import Message
from ui.form_model import Col
from ui.texts import status_label

CODE_ROLE = Qt.ItemDataRole.UserRole
COLUMN_ROLE = Qt.ItemDataRole.UserRole + 1

# One line of the list: text, colour, indicator code, column to jump to, background (None: the list's own).
Line = tuple[str, str, str | None, int, str | None]


class CheckPanel(QWidget):
    """List of what needs attention before signing."""

    jump = Signal(str, int)  # indicator code, column

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        # The official-style sentence of the self-check, selectable to copy into a report.
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sentence.setStyleSheet("color:#1d4f91;")
        self.list = QListWidget()
        self.list.setWordWrap(True)
        # Lay out long lists in batches while idle, so an edit does not wait for hundreds of wrapped lines.
        self.list.setLayoutMode(QListWidget.LayoutMode.Batched)
        self.list.setBatchSize(40)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        # Indicator code → (the check shown, whether a rule asks for its explanation, its lines).
        self._blocks: dict[str, tuple[IndicatorCheck, bool, list[Line]]] = {}
        self._rule_lines: list[Line] = []
        self._form: tuple[str, str, str, str] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.sentence)
        layout.addWidget(self.list, 1)

    def show_result(self, result: CheckResult) -> None:
        """Show ``result``: each indicator's errors, warnings and missing explanation, in form order, then the
        template's cross-indicator rules. Only the blocks of indicators whose check changed are rebuilt."""
        form = (result.catalog.code, result.catalog.version, result.unit.code, str(result.period))
        if form != self._form:
            # Another form: its blocks sit at other places, so start afresh.
            self.list.clear()
            self._blocks, self._rule_lines, self._form = {}, [], form
        rule_needs = {ic.spec.code for ic in result.missing_explanations if not ic.explanation_missing}
        position = 0
        for ic in result.indicators:
            code = ic.spec.code
            key = (ic, code in rule_needs)
            block = self._blocks.get(code)
            if block is not None and block[0] is key[0] and block[1] == key[1]:
                position += len(block[2])
                continue
            lines = self._indicator_lines(ic, ic.explanation_missing or code in rule_needs)
            old_count = len(block[2]) if block is not None else 0
            self._replace(position, old_count, lines, block[2] if block is not None else [])
            self._blocks[code] = (key[0], key[1], lines)
            position += len(lines)
        rules = [self._rule_line(m, result) for m in result.rule_messages]
        self._replace(position, self.list.count() - position, rules, self._rule_lines)
        self._rule_lines = rules
        self._heading(result)
        self.sentence.setText(result.summary)

    def _indicator_lines(self, ic: IndicatorCheck, needs_explanation: bool) -> list[Line]:
        name = ic.spec.name
        lines = [
            self._line(self.tr("错误"), name, m.text, "#a11d1d", ic.spec.code, Col.VALUE)
            for m in ic.messages
            if m.level == "error"
        ]
        lines += [
            self._line(self.tr("提示"), name, m.text, "#8a5a00", ic.spec.code, Col.VALUE)
            for m in ic.messages
            if m.level == "warning"
        ]
        if needs_explanation and ic.status in NEEDS_EXPLANATION:
            # Asked for by the status (滞后, 预警, 超标): said in the status's own colours, as in the grid.
            background, foreground = STATUS_COLORS[ic.status]
            text = self.tr("%1，需填写情况说明").replace("%1", status_label(ic.status))
            line = self._line(self.tr("待说明"), name, text, foreground, ic.spec.code, Col.EXPLANATION)
            lines.append((*line[:4], background))
        elif needs_explanation:
            lines.append(
                self._line(self.tr("待说明"), name, self.tr("需填写情况说明"), "#1d4f91", ic.spec.code, Col.EXPLANATION)
            )
        return lines

    def _rule_line(self, m: Message, result: CheckResult) -> Line:
        ic = result.by_code.get(m.indicator or "")
        name = ic.spec.name if ic is not None else ""
        if m.level == "error":
            return self._line(self.tr("错误"), name, m.text, "#a11d1d", m.indicator, Col.VALUE)
        return self._line(self.tr("提示"), name, m.text, "#8a5a00", m.indicator, Col.VALUE)

    def _heading(self, result: CheckResult) -> None:
        n_errors, n_missing = len(result.errors), len(result.missing_explanations)
        filled, due = result.filled
        if n_errors or n_missing:
            self.heading.setText(
                self.tr("尚不能签名报送：%1 个错误，%2 项待填写情况说明。")
                .replace("%1", str(n_errors))
                .replace("%2", str(n_missing))
            )
        elif filled < due:
            self.heading.setText(
                self.tr("已填 %1/%2 项，目前没有错误。").replace("%1", str(filled)).replace("%2", str(due))
            )
        else:
            self.heading.setText(self.tr("自查通过：没有错误，所需情况说明均已填写。"))

    @staticmethod
    def _line(kind: str, name: str, text: str, color: str, code: str | None, column: Col) -> Line:
        return (f"【{kind}】{name}：{text}" if name else f"【{kind}】{text}", color, code, int(column), None)

    def _replace(self, position: int, count: int, lines: list[Line], old: list[Line]) -> None:
        """Put ``lines`` in place of the ``count`` items at ``position``, leaving equal items alone (every item
        inserted or removed makes the word-wrapped list lay out again)."""
        if count == len(lines) and old == lines:
            return
        for _ in range(count):
            self.list.takeItem(position)
        for offset, (text, color, code, column, background) in enumerate(lines):
            item = QListWidgetItem(text)
            item.setForeground(QBrush(QColor(color)))
            if background is not None:
                item.setBackground(QBrush(QColor(background)))
            item.setData(CODE_ROLE, code)
            item.setData(COLUMN_ROLE, column)
            self.list.insertItem(position + offset, item)

    @property
    def lines(self) -> list[Line]:
        """What the list shows, in order (for tests and for copying)."""
        out = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            brush = item.background()
            background = brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else None
            colour = item.foreground().color().name()
            out.append((item.text(), colour, item.data(CODE_ROLE), item.data(COLUMN_ROLE), background))
        return out

    def _activated(self, item: QListWidgetItem) -> None:
        code = item.data(CODE_ROLE)
        if code:
            self.jump.emit(code, int(item.data(COLUMN_ROLE)))
