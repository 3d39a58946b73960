"""The self-check panel: errors, warnings, behind-target items and missing explanations; each jumps to its cell."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.selfcheck import CheckResult, IndicatorCheck
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
        # Lay out long lists in batches while idle, so an edit does not wait for hundreds of wrapped lines.
        self.list.setLayoutMode(QListWidget.LayoutMode.Batched)
        self.list.setBatchSize(40)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.lines: list[Line] = []
        self._cache: dict[str, tuple[IndicatorCheck, list[Line], list[Line]]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.list)

    def show_result(self, result: CheckResult) -> None:
        errors: list[Line] = []
        warnings: list[Line] = []
        missing: list[Line] = []
        cache: dict[str, tuple[IndicatorCheck, list[Line], list[Line]]] = {}
        missing_codes = {ic.spec.code for ic in result.missing_explanations}
        for ic in result.indicators:
            # The engine hands back the very same object for an indicator it did not re-check: reuse its lines.
            known = self._cache.get(ic.spec.code)
            if known is not None and known[0] is ic:
                err, warn = known[1], known[2]
            else:
                err = [
                    self._line(self.tr("错误"), ic.spec.name, m.text, "#a11d1d", m.indicator, Col.VALUE)
                    for m in ic.messages
                    if m.level == "error"
                ]
                warn = [
                    self._line(self.tr("提示"), ic.spec.name, m.text, "#8a5a00", m.indicator, Col.VALUE)
                    for m in ic.messages
                    if m.level == "warning"
                ]
            cache[ic.spec.code] = (ic, err, warn)
            errors += err
            warnings += warn
            if ic.spec.code in missing_codes:
                missing.append(
                    self._line(
                        self.tr("待说明"),
                        ic.spec.name,
                        self.tr("需填写情况说明"),
                        "#1d4f91",
                        ic.spec.code,
                        Col.EXPLANATION,
                    )
                )
        self._cache = cache
        names = {ic.spec.code: ic.spec.name for ic in result.indicators if ic.spec.code}
        for m in result.rule_messages:
            line = self._line(
                self.tr("错误") if m.level == "error" else self.tr("提示"),
                names.get(m.indicator or "", ""),
                m.text,
                "#a11d1d" if m.level == "error" else "#8a5a00",
                m.indicator,
                Col.VALUE,
            )
            (errors if m.level == "error" else warnings).append(line)
        self._update(errors + warnings + missing)
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
        return (f"【{kind}】{name}：{text}" if name else f"【{kind}】{text}", color, code, int(column))

    def _update(self, lines: list[Line]) -> None:
        """Replace only the lines that changed: an edit changes one or two, and every item inserted or removed
        makes the word-wrapped list lay out all its items again (milliseconds each with hundreds of items)."""
        old = self.lines
        if old == lines:
            return
        shorter = min(len(old), len(lines))
        head = next((i for i, (a, b) in enumerate(zip(old, lines, strict=False)) if a is not b and a != b), shorter)
        rest = shorter - head
        tail = next(
            (i for i, (a, b) in enumerate(zip(reversed(old), reversed(lines), strict=False)) if i >= rest or a != b),
            rest,
        )
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
