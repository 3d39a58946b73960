"""The form grid's Qt model: a thin adapter over :class:`app.storage.form.FormService`.

Rows are the indicators in display order with a header row before each field. Every edit goes through the undo
stack as a command that calls the service; the model never runs SQL and ``data()`` only reads the last check.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, assert_never

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QUndoCommand, QUndoStack

from app.engine.catalog import IndicatorSpec
from app.engine.numbers import fmt, to_text
from app.engine.selfcheck import CheckResult, IndicatorCheck
from app.storage.entries import MAX_EXPLANATION
from app.storage.form import FormError, FormService
from ui import style
from ui.texts import field_label, status_label

Index = QModelIndex | QPersistentModelIndex


class Col(IntEnum):
    NO = 0
    NAME = 1
    UNIT = 2
    NUMERATOR = 3
    DENOMINATOR = 4
    VALUE = 5
    TARGET = 6
    EXPECTED = 7
    COMPLETION = 8
    STATUS = 9
    PREVIOUS = 10
    EXPLANATION = 11


# The columns by number, and the flags and alignments the cells answer with, made once: Col(n) and combining Qt's
# flags are calls into the enum machinery, and the view asks hundreds of cells for them on every repaint.
_COLUMNS: tuple[Col, ...] = tuple(Col)
_SELECTABLE = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE = _SELECTABLE | Qt.ItemFlag.ItemIsEditable
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
_CENTRE = int(Qt.AlignmentFlag.AlignCenter)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

# Which stored field a column edits.
FIELD_OF = {
    Col.NUMERATOR: "numerator",
    Col.DENOMINATOR: "denominator",
    Col.VALUE: "value",
    Col.EXPLANATION: "explanation",
}


@dataclass(frozen=True)
class Row:
    """A grid row: a field header (``indicator`` is None) or an indicator with its running number."""

    field: str
    indicator: IndicatorSpec | None = None
    number: int = 0


def build_rows(form: FormService) -> list[Row]:
    rows: list[Row] = []
    current = None
    for number, ind in enumerate(form.indicators, start=1):
        if ind.field != current:
            current = ind.field
            rows.append(Row(ind.field))
        rows.append(Row(ind.field, ind, number))
    return rows


class SetCellsCommand(QUndoCommand):
    """One undoable edit: typed cells, a paste or a clear. Redo saves the new texts, undo the old ones."""

    def __init__(
        self,
        model: FormModel,
        new: list[tuple[str, str, str | None]],
        old: list[tuple[str, str, str | None]],
        text: str,
    ) -> None:
        super().__init__(text)
        self._model, self._new, self._old = model, new, old

    def redo(self) -> None:
        if not self._model.apply_cells(self._new):
            self.setObsolete(True)  # not saved: QUndoStack drops the command instead of keeping a phantom step

    def undo(self) -> None:
        if not self._model.apply_cells(self._old):
            self.setObsolete(True)


class FormModel(QAbstractTableModel):
    """Adapter from the form service's last :class:`CheckResult` to a table."""

    checked = Signal(object)  # CheckResult after every change
    failed = Signal(str)  # a refused input, with the reason

    def __init__(self, form: FormService, undo_stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.form = form
        self.undo_stack = undo_stack
        self.rows = build_rows(form)
        self.row_of = {r.indicator.code: i for i, r in enumerate(self.rows) if r.indicator is not None}
        self.last_error = ""
        # Why nothing can be entered (the period closed), or None; looked at again when the day turns.
        self.closed_reason = form.entry_refusal()
        self._bold = QFont()
        self._bold.setBold(True)
        self._headers = self._header_texts()

    # ------------------------------------------------------------------ structure

    @staticmethod
    def _header_texts() -> list[str]:
        return [
            QCoreApplication.translate("FormModel", "序号"),
            QCoreApplication.translate("FormModel", "指标"),
            QCoreApplication.translate("FormModel", "单位"),
            QCoreApplication.translate("FormModel", "分子"),
            QCoreApplication.translate("FormModel", "分母"),
            QCoreApplication.translate("FormModel", "本期值"),
            QCoreApplication.translate("FormModel", "目标"),
            QCoreApplication.translate("FormModel", "预期进度值"),
            QCoreApplication.translate("FormModel", "完成率"),
            QCoreApplication.translate("FormModel", "状态"),
            QCoreApplication.translate("FormModel", "上期值"),
            QCoreApplication.translate("FormModel", "情况说明"),
        ]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Col)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def indicator_at(self, row: int) -> IndicatorSpec | None:
        return self.rows[row].indicator if 0 <= row < len(self.rows) else None

    def index_of(self, code: str, column: Col) -> QModelIndex:
        return self.index(self.row_of[code], int(column))

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        ind = self.indicator_at(index.row())
        if ind is None:
            return Qt.ItemFlag.ItemIsEnabled
        field = FIELD_OF.get(_COLUMNS[index.column()])
        if field is not None and self.form.editable(ind, field):
            return _EDITABLE
        return _SELECTABLE

    # ------------------------------------------------------------------ reading

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        col = _COLUMNS[index.column()]
        if row.indicator is None:
            return self._group_data(row, col, role)
        ic = self.form.result.by_code[row.indicator.code]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(row, ic, col, role == Qt.ItemDataRole.EditRole)
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._background(ic, col, index)
        if role == Qt.ItemDataRole.ForegroundRole and col == Col.STATUS and ic.status is not None:
            return QBrush(style.status_foreground(ic.status))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in (Col.NAME, Col.EXPLANATION, Col.UNIT):
                return _LEFT
            if col == Col.STATUS:
                return _CENTRE
            return _RIGHT
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(ic, col)
        if role == Qt.ItemDataRole.FontRole and col == Col.STATUS:
            return self._bold
        return None

    def _group_data(self, row: Row, col: Col, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and col == Col.NO:
            return field_label(row.field)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(style.GROUP_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        return None

    def _text(self, row: Row, ic: IndicatorCheck, col: Col, edit: bool) -> str:
        ind = ic.spec
        entry = ic.entry
        if col == Col.NO:
            return str(row.number)
        if col == Col.NAME:
            return ind.name
        if col == Col.UNIT:
            return ind.unit
        if col == Col.NUMERATOR:
            return to_text(entry.numerator) or ""
        if col == Col.DENOMINATOR:
            return to_text(entry.denominator) or ""
        if col == Col.VALUE:
            if ind.kind == "base" and (edit or entry.value is not None):
                return to_text(entry.value) or ""
            return fmt(ic.value, ind.decimals)
        if col == Col.TARGET:
            return fmt(ic.progress.target, ind.decimals)
        if col == Col.EXPECTED:
            return fmt(ic.progress.expected, ind.decimals)
        if col == Col.COMPLETION:
            return "" if ic.progress.completion is None else f"{ic.progress.completion}%"
        if col == Col.STATUS:
            return status_label(ic.status) if ic.status is not None else ""
        if col == Col.PREVIOUS:
            return fmt(ic.previous, ind.decimals)
        if col == Col.EXPLANATION:
            if not edit and not entry.explanation and ic.explanation_required:
                return self.tr("（需填写情况说明）")
            return entry.explanation
        assert_never(col)

    def _background(self, ic: IndicatorCheck, col: Col, index: Index) -> QBrush | None:
        if col == Col.STATUS and ic.status is not None:
            return QBrush(style.status_background(ic.status))
        if col == Col.EXPLANATION and ic.explanation_missing:
            return QBrush(style.NEEDS_INPUT_BACKGROUND)
        if col in (Col.VALUE, Col.NUMERATOR, Col.DENOMINATOR) and any(m.level == "error" for m in ic.messages):
            field = FIELD_OF[col]
            if self.form.editable(ic.spec, field) or col == Col.VALUE:
                return QBrush(style.ERROR_BACKGROUND)
        if col in FIELD_OF and not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return QBrush(style.READONLY_BACKGROUND)
        return None

    def _tooltip(self, ic: IndicatorCheck, col: Col) -> str | None:
        ind = ic.spec
        if col == Col.NAME:
            kind = {"base": self.tr("填报"), "ratio": self.tr("比率：分子 ÷ 分母"), "derived": self.tr("计算：")}[
                ind.kind
            ]
            extra = ind.formula or "" if ind.kind == "derived" else ""
            # The name first: on a narrow window the column shows it shortened.
            return f"{ind.name}\n{ind.code} · {kind}{extra}\n{ind.description}".strip()
        if col == Col.NUMERATOR and ind.numerator:
            return f"{ind.numerator.name}（{ind.numerator.unit}）"
        if col == Col.DENOMINATOR and ind.denominator:
            return f"{ind.denominator.name}（{ind.denominator.unit}）"
        if col == Col.STATUS:
            # The progress columns a narrow window hides, then what the check says.
            lines = [
                f"{self._headers[c]}：{self._text(self.rows[self.row_of[ind.code]], ic, c, False) or '—'}"
                for c in (Col.TARGET, Col.EXPECTED, Col.COMPLETION, Col.PREVIOUS)
            ]
            return "\n".join(lines + [m.text for m in ic.messages])
        if col == Col.VALUE and ic.messages:
            return "\n".join(m.text for m in ic.messages)
        return None

    # ------------------------------------------------------------------ writing

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Typed text for one cell: checked, then saved through the undo stack; ``False`` if refused."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        return self.set_texts([(index.row(), index.column(), "" if value is None else str(value))])

    def read_only_reason(self, row: int, column: int) -> str:
        """Why a cell cannot be typed into, for the status bar."""
        ind = self.indicator_at(row)
        col = Col(column)
        if ind is None:
            return self.tr("分组标题行不能填写")
        if col not in FIELD_OF:
            return self.tr("“%1”一栏由程序计算，不能填写").replace("%1", self._headers[column])
        if ind.kind == "derived":
            return self.tr("%1是计算型指标，由公式自动计算").replace("%1", ind.name)
        if self.form.aggregated and ind.aggregation != "none":
            return self.tr("%1由下级单位的填报汇总得出，不能在此填写").replace("%1", ind.name)
        if ind.kind == "ratio" and col == Col.VALUE:
            return self.tr("%1是比率型指标，请填写分子和分母").replace("%1", ind.name)
        return self.tr("%1没有分子和分母，请填写本期值").replace("%1", ind.name)

    def check_calendar(self) -> None:
        """Look again whether the period is open for entry (after the day turned)."""
        self.closed_reason = self.form.entry_refusal()

    def validate(self, row: int, column: int, text: str) -> str | None:
        """Why ``text`` cannot go into the cell, or ``None`` when it can."""
        ind = self.indicator_at(row)
        field = FIELD_OF.get(Col(column))
        if ind is None or field is None or not self.form.editable(ind, field):
            name = ind.name if ind is not None else ""
            return self.tr("“%1”的这一栏不能填写").replace("%1", name)
        if self.closed_reason:
            return self.closed_reason
        if field == "explanation":
            if len(text.strip()) > MAX_EXPLANATION:
                return self.tr("情况说明不能超过 %1 字").replace("%1", str(MAX_EXPLANATION))
            return None
        try:
            self.form.parse(ind.code, field, text)
        except FormError as exc:
            return str(exc)
        return None

    def set_texts(self, cells: list[tuple[int, int, str]], label: str | None = None) -> bool:
        """Save several cells as one undoable step, all or nothing. Unchanged cells are skipped."""
        if cells and self.closed_reason:
            self.last_error = self.closed_reason  # once, not on every row of a paste
            self.failed.emit(self.last_error)
            return False
        problems = []
        new: list[tuple[str, str, str | None]] = []
        old: list[tuple[str, str, str | None]] = []
        for row, column, text in cells:
            problem = self.validate(row, column, text)
            if problem:
                problems.append(self.tr("第 %1 行：").replace("%1", str(self.rows[row].number)) + problem)
                continue
            ind = self.indicator_at(row)
            assert ind is not None
            field = FIELD_OF[Col(column)]
            before = self._stored_text(ind.code, field)
            after = text.strip()
            if field != "explanation":
                parsed = self.form.parse(ind.code, field, after)
                after = to_text(parsed) or ""
            if after == (before or ""):
                continue
            new.append((ind.code, field, after or None))
            old.append((ind.code, field, before))
        if problems:
            self.last_error = "\n".join(problems)
            self.failed.emit(self.last_error)
            return False
        self.last_error = ""
        if new:
            if label is None:
                label = self.tr("修改 %1").replace("%1", self.form.spec.by_code[new[0][0]].name)
            self.undo_stack.push(SetCellsCommand(self, new, old, label))
        return not self.last_error  # apply_cells sets it when the service refused to save

    def _stored_text(self, code: str, field: str) -> str | None:
        entry = self.form.result.by_code[code].entry
        if field == "explanation":
            return entry.explanation or None
        value = getattr(entry, field)
        return to_text(value)

    def apply_cells(self, cells: list[tuple[str, str, str | None]]) -> bool:
        """Save cells through the service (used by undo commands) and refresh everything shown."""
        before = self.form.result
        try:
            result = self.form.set_cells(cells)
        except FormError as exc:
            self.last_error = str(exc)
            self.failed.emit(self.last_error)
            return False
        self.refresh(result, before)
        return True

    def refresh(self, result: CheckResult | None = None, before: CheckResult | None = None) -> None:
        """Repaint after the check changed. With the check ``before`` the change, only rows whose verdict is a
        new object are repainted: the engine keeps the very same object for every indicator it did not redo."""
        result = result or self.form.result
        changed: range | list[int]
        if before is None:
            changed = range(len(self.rows))
        else:
            changed = [
                row for code, row in self.row_of.items() if result.by_code.get(code) is not before.by_code.get(code)
            ]
        last = len(Col) - 1
        for row in changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))
        self.checked.emit(result)
