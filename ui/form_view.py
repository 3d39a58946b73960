"""The form grid: a table that types like Excel.

Type to overwrite, F2 to edit, Enter moves down and Tab right, Delete clears, Ctrl+C / Ctrl+V copy and paste
blocks (tab-separated, as Excel puts them on the clipboard), Ctrl+Z / Ctrl+Y undo and redo. A value the form
refuses keeps its editor open and says why, under the cell, until it is corrected or given up.

On a narrow window the columns make room for 情况说明: 上期值, 预期进度值 and 完成率 are hidden (the 状态 cell's
tooltip and the progress chart still show them), then the indicator names are shortened (their tooltip has them
whole).
"""

from __future__ import annotations

import csv
import io

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QGuiApplication, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.engine.progress import Status
from ui.form_model import Col, FormModel
from ui.texts import status_label

Index = QModelIndex | QPersistentModelIndex

# Hidden in this order when the window is too narrow for every column.
OPTIONAL_COLUMNS = (Col.PREVIOUS, Col.EXPECTED, Col.COMPLETION)
# In characters: the narrowest the explanation and the indicator names get before sideways scrolling.
EXPLANATION_MIN_CHARS = 9
NAME_COMFORT_CHARS, NAME_MIN_CHARS = 14, 10


def _view_of(editor: QWidget) -> FormView | None:
    """The grid a cell editor belongs to (the editor sits on the grid's viewport), if any."""
    viewport = editor.parent()
    view = viewport.parent() if viewport is not None else None
    return view if isinstance(view, FormView) else None


class CellDelegate(QStyledItemDelegate):
    """Line editors that refuse to close on a value the form would not accept."""

    rejected = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.resume_text: str | None = None  # text for the next editor: a refused entry reopened as typed

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        editor = QLineEdit(parent)
        editor.setFrame(False)
        editor.setProperty("row", index.row())
        editor.setProperty("column", index.column())
        if index.column() != Col.EXPLANATION:
            editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        assert isinstance(editor, QLineEdit)
        if self.resume_text is not None:
            editor.setText(self.resume_text)
            self.resume_text = None
            return
        # Text typed to start editing arrives after this and replaces the selection, as in Excel.
        if not editor.text():
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(self, editor: QWidget, model: object, index: Index) -> None:
        assert isinstance(editor, QLineEdit) and isinstance(model, FormModel)
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        if isinstance(editor, QLineEdit) and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
                view = _view_of(editor)
                if view is not None:
                    row, column = int(editor.property("row")), int(editor.property("column"))
                    problem = view.form_model.validate(row, column, editor.text())
                    if problem:
                        self.rejected.emit(problem)
                        view.show_problem(view.form_model.index(row, column), problem)
                        return True  # stay in the editor
                    self.commitData.emit(editor)
                    refused = view.form_model.last_error
                    if refused:
                        # Checked, but not saved (the period closed meanwhile, say): said as any refusal is.
                        view.show_problem(view.form_model.index(row, column), refused)
                        return True
                    self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)
                    view.move_after_edit(key)
                    return True
            if key == Qt.Key.Key_Escape:
                self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
                return True
        if event.type() == QEvent.Type.FocusOut and isinstance(editor, QLineEdit):
            # Leaving the cell: a valid value is kept; an invalid one is never silently dropped.
            view = _view_of(editor)
            if view is not None:
                row, column, typed = int(editor.property("row")), int(editor.property("column")), editor.text()
                problem = view.form_model.validate(row, column, typed)
                if problem:
                    assert isinstance(event, QFocusEvent)
                    if event.reason() in (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason):
                        return True  # switching to another program or a menu: the editor waits, as in Excel
                    # Clicked elsewhere: as Excel's "retry", come back to the cell with the text as typed.
                    self.rejected.emit(problem)
                    view.resuming = True
                    self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.RevertModelCache)
                    QTimer.singleShot(0, view, lambda: view.resume_edit(row, column, typed, problem))
                    return False
        return super().eventFilter(editor, event)


class FormView(QTableView):
    """The grid with Excel-like keyboard handling."""

    message = Signal(str)  # something to tell the user in the status bar
    entry_closed = Signal()  # an editor closed with its entry saved or given up: a refusal no longer applies

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.resuming = False  # a refused entry's editor closes only to reopen at once
        self.natural_widths: dict[Col, int] = {}
        self.overflow = 0  # how much wider than the view the columns still are, at their narrowest
        # Under the cell of a refused entry, the reason, for as long as the entry stands.
        self.problem = QLabel(self.viewport())
        self.problem.setObjectName("EntryProblem")
        self.problem.setStyleSheet(
            "background:#fde7e9;color:#a11d1d;border:1px solid #a11d1d;border-radius:2px;padding:1px 4px;"
        )
        self.problem.setWordWrap(True)
        self.problem.hide()
        self._problem_index = QPersistentModelIndex()
        self.delegate = CellDelegate(self)
        self.delegate.rejected.connect(self.message)
        self.setItemDelegate(self.delegate)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setSelectionMode(QAbstractItemView.SelectionMode.ContiguousSelection)
        self.setTabKeyNavigation(True)
        self.setAlternatingRowColors(False)
        self.setWordWrap(False)
        self.verticalHeader().setVisible(False)
        # As tight as the text allows (Excel's rows are about as high): every pixel is a row more on a laptop.
        self.verticalHeader().setMinimumSectionSize(self.fontMetrics().height() + 4)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 7)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setStretchLastSection(True)

    @property
    def form_model(self) -> FormModel:
        model = self.model()
        assert isinstance(model, FormModel)
        return model

    def setModel(self, model: object) -> None:
        assert isinstance(model, FormModel)
        super().setModel(model)
        self.clearSpans()
        for row, r in enumerate(model.rows):
            if r.indicator is None:
                # The field name spans the label columns only: a span over the whole row would widen every
                # selection crossing it to full rows, and Delete would then clear every column of those rows.
                self.setSpan(row, 0, 1, int(Col.NUMERATOR))
        self.hide_problem()
        self.natural_widths = self._natural_widths(model)
        header = self.horizontalHeader()
        for col in self.natural_widths:
            header.setSectionResizeMode(int(col), QHeaderView.ResizeMode.Interactive)
        self.fit_columns()
        self.setCurrentIndex(self._first_editable(model))

    def _natural_widths(self, model: FormModel) -> dict[Col, int]:
        """Each column's width for its contents (the indicator names up to a limit, the numbers, the headers);
        the explanation is not among them: it takes what is left."""
        metrics = self.fontMetrics()
        indicators = [r.indicator for r in model.rows if r.indicator is not None]
        name_width = min(380, max((metrics.horizontalAdvance(i.name) for i in indicators), default=200) + 20)
        unit_width = max((metrics.horizontalAdvance(i.unit) for i in indicators), default=20) + 14
        digits = metrics.horizontalAdvance("0000000.00") + 16
        widths = {
            Col.NO: metrics.horizontalAdvance("000") + 14,
            Col.NAME: name_width,
            Col.UNIT: unit_width,
            Col.NUMERATOR: digits,
            Col.DENOMINATOR: digits,
            Col.VALUE: digits,
            Col.TARGET: digits - 8,
            Col.EXPECTED: digits - 8,
            Col.COMPLETION: metrics.horizontalAdvance("100.0%") + 16,
            Col.STATUS: max(metrics.horizontalAdvance(status_label(status)) for status in Status) + 18,
            Col.PREVIOUS: digits - 8,
        }
        header_metrics = self.horizontalHeader().fontMetrics()
        for col, width in widths.items():
            title = str(model.headerData(int(col), Qt.Orientation.Horizontal))
            widths[col] = max(width, header_metrics.horizontalAdvance(title) + 18)
        return widths

    def fit_columns(self) -> None:
        """Make room for 情况说明 in the width there is: shorten long indicator names to a comfortable width,
        then hide the columns the clerk needs least, then shorten the names further."""
        if not self.natural_widths:
            return
        char = self.fontMetrics().horizontalAdvance("中")
        room = self.viewport().width()
        widths = dict(self.natural_widths)
        hidden: set[Col] = set()

        def excess() -> int:
            shown = sum(w for col, w in widths.items() if col not in hidden)
            return shown + EXPLANATION_MIN_CHARS * char - room

        for shortest in (NAME_COMFORT_CHARS, NAME_MIN_CHARS):
            widths[Col.NAME] = max(min(widths[Col.NAME], shortest * char + 20), widths[Col.NAME] - max(0, excess()))
            for col in OPTIONAL_COLUMNS if shortest == NAME_COMFORT_CHARS else ():
                if excess() <= 0:
                    break
                hidden.add(col)
        for col, width in widths.items():
            self.setColumnHidden(int(col), col in hidden)
            self.setColumnWidth(int(col), width)
        self.overflow = max(0, excess())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_columns()
        self._place_problem()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._place_problem()

    # ------------------------------------------------------------------ a refused entry

    def show_problem(self, index: QModelIndex, text: str) -> None:
        """Say under the cell at ``index`` why its entry is refused (until :meth:`hide_problem`)."""
        self._problem_index = QPersistentModelIndex(index)
        self.problem.setText(text)
        self.problem.show()
        self._place_problem()
        self.problem.raise_()

    def hide_problem(self) -> None:
        self.problem.hide()
        self._problem_index = QPersistentModelIndex()

    def _place_problem(self) -> None:
        if self.problem.isHidden() or not self._problem_index.isValid():
            return
        cell = self.visualRect(self.form_model.index(self._problem_index.row(), self._problem_index.column()))
        viewport = self.viewport().rect()
        width = min(max(cell.width(), 240), viewport.width())
        height = self.problem.heightForWidth(width)
        if height <= 0:
            height = self.problem.sizeHint().height()
        top = cell.bottom() + 1 if cell.bottom() + height < viewport.bottom() else cell.top() - height
        left = max(0, min(cell.left(), viewport.width() - width))
        self.problem.setGeometry(QRect(left, top, width, height))

    def closeEditor(self, editor: QWidget, hint: QAbstractItemDelegate.EndEditHint) -> None:
        super().closeEditor(editor, hint)
        if self.resuming:
            self.resuming = False  # the refused entry reopens at once, still refused
            return
        self.hide_problem()
        self.entry_closed.emit()

    @staticmethod
    def _first_editable(model: FormModel) -> QModelIndex:
        """Where typing can start: the first cell the clerk can fill, else the first indicator's value."""
        for columns in ((Col.VALUE, Col.NUMERATOR), (Col.EXPLANATION,)):
            for row, r in enumerate(model.rows):
                if r.indicator is None:
                    continue
                for col in columns:
                    index = model.index(row, int(col))
                    if model.flags(index) & Qt.ItemFlag.ItemIsEditable:
                        return index
        first = next((i for i, r in enumerate(model.rows) if r.indicator is not None), 0)
        return model.index(first, int(Col.VALUE))

    # ------------------------------------------------------------------ moving

    def _next_indicator_row(self, row: int, step: int) -> int:
        model = self.form_model
        r = row + step
        while 0 <= r < model.rowCount() and model.indicator_at(r) is None:
            r += step
        return r if 0 <= r < model.rowCount() else row

    def resume_edit(self, row: int, column: int, text: str, problem: str) -> None:
        """Reopen the editor of a cell whose entry was refused, with the entry as typed and the reason."""
        self.resuming = False
        index = self.form_model.index(row, column)
        if not self.isVisible() or not index.isValid() or self.state() == QAbstractItemView.State.EditingState:
            return
        self.setCurrentIndex(index)
        self.scrollTo(index)
        self.delegate.resume_text = text
        self.edit(index)
        self.delegate.resume_text = None
        self.message.emit(problem)
        self.show_problem(index, problem)

    def move_after_edit(self, key: int) -> None:
        current = self.currentIndex()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            target = self.form_model.index(self._next_indicator_row(current.row(), 1), current.column())
        elif key == Qt.Key.Key_Backtab:
            target = self.form_model.index(current.row(), self._next_shown_column(current.column(), -1))
        else:
            target = self.form_model.index(current.row(), self._next_shown_column(current.column(), 1))
        self.setCurrentIndex(target)

    def _next_shown_column(self, column: int, step: int) -> int:
        """The next column to the right (or left) that is not hidden; ``column`` itself at the edge."""
        c = column + step
        while 0 <= c < len(Col) and self.isColumnHidden(c):
            c += step
        return c if 0 <= c < len(Col) else column

    def jump_to(self, code: str, column: Col = Col.VALUE) -> None:
        index = self.form_model.index_of(code, column)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self.setFocus()

    # ------------------------------------------------------------------ keys

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.state() != QAbstractItemView.State.EditingState:
            if event.matches(QKeySequence.StandardKey.Copy):
                self.copy_selection()
                return
            if event.matches(QKeySequence.StandardKey.Paste):
                self.paste()
                return
            if event.key() == Qt.Key.Key_Delete or event.key() == Qt.Key.Key_Backspace:
                self.clear_selection()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.move_after_edit(event.key())
                return
            if event.key() == Qt.Key.Key_F2:
                # As in Excel, F2 edits with the caret after the text (Qt selects it all, so typing would replace).
                super().keyPressEvent(event)
                editor = self.indexWidget(self.currentIndex())
                if isinstance(editor, QLineEdit):
                    editor.deselect()
                    editor.end(False)
                return
            current = self.currentIndex()
            if (
                event.text().strip()
                and not event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
                and current.isValid()
                and not self.form_model.flags(current) & Qt.ItemFlag.ItemIsEditable
            ):
                # Typing into a computed or aggregated cell would silently do nothing: say why instead.
                self.message.emit(self.form_model.read_only_reason(current.row(), current.column()))
        super().keyPressEvent(event)

    def selected_block(self) -> tuple[list[int], list[int]]:
        indexes = self.selectedIndexes() or [self.currentIndex()]
        rows = sorted({i.row() for i in indexes if i.isValid() and self.form_model.indicator_at(i.row())})
        cols = sorted({i.column() for i in indexes if i.isValid()})
        return rows, cols

    def copy_selection(self) -> None:
        rows, cols = self.selected_block()
        model = self.form_model
        lines = ["\t".join(str(model.index(r, c).data(Qt.ItemDataRole.EditRole) or "") for c in cols) for r in rows]
        QGuiApplication.clipboard().setText("\n".join(lines))

    def paste(self) -> None:
        """Paste a block from the clipboard at the current cell, into consecutive indicator rows."""
        text = QGuiApplication.clipboard().text()
        if not text:
            return
        # Excel puts a block on the clipboard as tab-separated text, quoting cells that hold tabs, line breaks
        # or quotes; the csv module reads that dialect.
        block = [row for row in csv.reader(io.StringIO(text.rstrip("\r\n")), dialect="excel-tab")]
        start = self.currentIndex()
        if not start.isValid():
            return
        model = self.form_model
        row = start.row() if model.indicator_at(start.row()) else self._next_indicator_row(start.row(), 1)
        cells: list[tuple[int, int, str]] = []
        for values in block:
            if model.indicator_at(row) is None:
                break
            for offset, value in enumerate(values):
                column = start.column() + offset
                if column < len(Col):
                    cells.append((row, column, value))
            nxt = self._next_indicator_row(row, 1)
            if nxt == row:
                break
            row = nxt
        if model.set_texts(cells, self.tr("粘贴 %1 个单元格").replace("%1", str(len(cells)))):
            last = cells[-1] if cells else None
            if last:
                self.setCurrentIndex(model.index(last[0], last[1]))
            # Said after the paste is saved, which clears what was said about earlier entries.
            if len(cells) < sum(len(v) for v in block):
                self.message.emit(self.tr("粘贴内容超出表格范围，多出的部分未粘贴"))

    def clear_selection(self) -> None:
        rows, cols = self.selected_block()
        model = self.form_model
        cells = [(r, c, "") for r in rows for c in cols if model.flags(model.index(r, c)) & Qt.ItemFlag.ItemIsEditable]
        if cells:
            model.set_texts(cells, self.tr("清除 %1 个单元格").replace("%1", str(len(cells))))
