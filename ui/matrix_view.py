"""The completeness matrix (units × indicators, coloured by status) and the drill-down to each unit's contribution.

Thin Qt adapters over :func:`app.city.completeness.completeness`: the models only read the matrix built there.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.city.completeness import CompletenessError, Matrix, UnitRow, completeness
from app.engine.calendar import TIMELINESS_COLORS, Punctuality
from app.engine.numbers import fmt
from app.engine.periods import Period
from app.engine.progress import Status
from app.storage.db import Database
from ui import style
from ui.deadline import received_text, timeliness_label
from ui.texts import field_label, period_label, status_label
from ui.window_api import WindowApi
from ui.window_fit import resize_within_screen

Index = QModelIndex | QPersistentModelIndex

# Custom roles: the indicator code of a column, the unit code of a row, the status of a cell.
CODE_ROLE = Qt.ItemDataRole.UserRole
UNIT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2

# Columns before the indicators; 报送及时 only shows when the template dates a window for the period.
SUBMISSION_COLUMN, TIMELINESS_COLUMN, REVISION_COLUMN, FILLED_COLUMN = 0, 1, 2, 3
FIXED_COLUMNS = 4

MISSING_ROW_BACKGROUND = QColor("#bdbdbd")  # a unit that has sent nothing: strong grey
MISSING_ROW_FOREGROUND = QColor("#3c3c3c")
CITY_HEADER_BACKGROUND = QColor("#e3e9f2")
DIMMED_FOREGROUND = QColor("#b4b4b4")
CENTER = int(Qt.AlignmentFlag.AlignCenter)
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def short_name(name: str, per_line: int = 4, lines: int = 3) -> str:
    """An indicator name as a narrow column header: ``per_line`` characters a line, at most ``lines`` lines."""
    limit = per_line * lines
    text = name if len(name) <= limit else name[: limit - 1] + "…"
    return "\n".join(text[i : i + per_line] for i in range(0, len(text), per_line))


def _font(bold: bool = False, italic: bool = False) -> QFont:
    font = QFont()
    font.setBold(bold)
    font.setItalic(italic)
    return font


def _with_unit(value: Decimal | None, places: int, unit: str) -> str:
    return f"{fmt(value, places)}{unit}" if value is not None else ""


class MatrixModel(QAbstractTableModel):
    """Rows: the city, then its units. Columns: 报送状态, 版本, 已填, then the indicators in display order."""

    def __init__(self, matrix: Matrix, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.matrix = matrix
        self._bold = _font(bold=True)
        self._italic = _font(italic=True)
        self._bold_italic = _font(bold=True, italic=True)

    def set_matrix(self, matrix: Matrix) -> None:
        self.beginResetModel()
        self.matrix = matrix
        self.endResetModel()

    # ------------------------------------------------------------------ structure

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.matrix.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else FIXED_COLUMNS + len(self.matrix.indicators)

    def indicator_code(self, column: int) -> str | None:
        """The indicator shown in ``column`` (None for the leading columns)."""
        i = column - FIXED_COLUMNS
        return self.matrix.indicators[i].code if 0 <= i < len(self.matrix.indicators) else None

    def column_of(self, code: str) -> int:
        for i, ind in enumerate(self.matrix.indicators):
            if ind.code == code:
                return FIXED_COLUMNS + i
        raise KeyError(code)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def submission_text(self, status: str | None) -> str:
        labels = {"draft": self.tr("填报中"), "locked": self.tr("已锁定"), "returned": self.tr("已退回")}
        return self.tr("未报送") if status is None else labels.get(status, status)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return self._row_header(section, role)
        if not 0 <= section < self.columnCount():
            return None
        code = self.indicator_code(section)
        if code is None:
            if role == Qt.ItemDataRole.DisplayRole:
                return [self.tr("报送状态"), self.tr("报送及时"), self.tr("版本"), self.tr("已填")][section]
            if role == Qt.ItemDataRole.ToolTipRole and section == TIMELINESS_COLUMN:
                return self.tr("按时 / 逾期 N 天 / 未报：以市级收到该单位第一份有效报送的时间为准")
            return None
        ind = self.matrix.spec.by_code[code]
        if role == Qt.ItemDataRole.DisplayRole:
            return short_name(ind.name)
        if role == Qt.ItemDataRole.ToolTipRole:
            counts = self.matrix.indicator_counts(code)
            tally = "，".join(f"{status_label(s)} {n}" for s, n in counts.items() if n)
            return (
                self.tr("%1（%2）\n%3 · %4\n各单位：%5\n双击查看各单位构成")
                .replace("%1", ind.name)
                .replace("%2", ind.unit)
                .replace("%3", ind.code)
                .replace("%4", field_label(ind.field))
                .replace("%5", tally or "—")
            )
        if role == CODE_ROLE:
            return code
        return None

    def _row_header(self, section: int, role: int) -> Any:
        if not 0 <= section < self.rowCount():
            return None
        row = self.matrix.rows[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.tr("%1（全市）").replace("%1", row.name) if row.aggregated else row.name
        if role == Qt.ItemDataRole.FontRole:
            if row.aggregated:
                return self._bold
            return self._bold_italic if row.missing else None
        if role == Qt.ItemDataRole.ToolTipRole:
            tally = "，".join(f"{status_label(s)} {n}" for s, n in row.counts.items() if n)
            return f"{row.name}（{row.code}）\n{tally}" if tally else f"{row.name}（{row.code}）"
        if role == UNIT_ROLE:
            return row.code
        return None

    # ------------------------------------------------------------------ reading

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not self.checkIndex(index):
            return None
        row = self.matrix.rows[index.row()]
        code = self.indicator_code(index.column())
        if role == UNIT_ROLE:
            return row.code
        if role == CODE_ROLE:
            return code
        if code is None:
            return self._fixed_data(row, index.column(), role)
        status = row.statuses.get(code)
        if role == STATUS_ROLE:
            return None if status is None else status.value
        if role == Qt.ItemDataRole.DisplayRole:
            return status_label(status)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return CENTER
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.missing:
                return QBrush(MISSING_ROW_BACKGROUND)
            return QBrush(style.status_background(status)) if status is not None else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if row.missing:
                return QBrush(MISSING_ROW_FOREGROUND)
            return QBrush(style.status_foreground(status)) if status is not None else None
        if role == Qt.ItemDataRole.FontRole:
            if row.missing:
                return self._italic
            return self._bold if row.aggregated else None
        if role == Qt.ItemDataRole.ToolTipRole:
            ind = self.matrix.spec.by_code[code]
            value = row.values.get(code)
            shown = _with_unit(value, ind.decimals, ind.unit) or self.tr("无数值")
            return (
                self.tr("%1 · %2\n本期值：%3\n状态：%4")
                .replace("%1", row.name)
                .replace("%2", ind.name)
                .replace("%3", shown)
                .replace("%4", status_label(status))
            )
        return None

    def _timeliness_data(self, row: UnitRow, judged: Punctuality | None, role: int) -> Any:
        """The unit's 按时 / 逾期 N 天 / 未报 in its colour; the city row's 按时报送率."""
        summary = self.matrix.timeliness_summary
        if role == Qt.ItemDataRole.DisplayRole:
            if judged is not None:
                return timeliness_label(judged)
            if row.aggregated and summary is not None and summary.on_time_rate is not None:
                return self.tr("按时报送率 %1%").replace("%1", str(summary.on_time_rate))
            return "—"
        if role == Qt.ItemDataRole.ToolTipRole:
            if row.aggregated and summary is not None:
                return summary.sentence
            if judged is not None and judged.received_at is not None:
                return self.tr("市级收到：%1").replace("%1", received_text(judged.received_at))
            if judged is not None:
                return self.tr("市级尚未收到该单位的报送")
            return None
        if judged is None:
            return None
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            background, foreground = TIMELINESS_COLORS[judged.timeliness]
            return QBrush(QColor(background if role == Qt.ItemDataRole.BackgroundRole else foreground))
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return CENTER
        return None

    def _fixed_data(self, row: UnitRow, column: int, role: int) -> Any:
        if column == TIMELINESS_COLUMN:
            judged = self.matrix.timeliness.get(row.code)
            text_roles = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
            if judged is not None or role in text_roles:
                return self._timeliness_data(row, judged, role)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == SUBMISSION_COLUMN:
                return self.tr("汇总") if row.aggregated else self.submission_text(row.submission_status)
            if column == REVISION_COLUMN:
                return "—" if row.revision is None else str(row.revision)
            return f"{row.filled}/{row.due}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return CENTER
        if role == Qt.ItemDataRole.BackgroundRole:
            if row.missing:
                return QBrush(MISSING_ROW_BACKGROUND)
            return QBrush(CITY_HEADER_BACKGROUND) if row.aggregated else None
        if role == Qt.ItemDataRole.ForegroundRole and row.missing:
            return QBrush(MISSING_ROW_FOREGROUND)
        if role == Qt.ItemDataRole.FontRole:
            if row.missing:
                return self._bold_italic if column == SUBMISSION_COLUMN else self._italic
            return self._bold if row.aggregated else None
        if role == Qt.ItemDataRole.ToolTipRole and column == SUBMISSION_COLUMN:
            if row.aggregated:
                return self.tr("由所属单位的报送汇总")
            if row.missing:
                return self.tr("本期没有收到该单位的任何报送")
        return None


class MatrixFilter(QSortFilterProxyModel):
    """Hides indicator columns outside the chosen field and unit rows without the chosen status.

    With a status chosen, the cells of other statuses are drawn faintly, so the matching ones stand out.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.field: str | None = None
        self.status: Status | None = None

    def set_filter(self, field: str | None, status: Status | None) -> None:
        """Show only ``field``'s indicators and the rows with ``status`` among them (None: no restriction)."""
        # Rows and columns both: which rows match depends on the columns shown.
        if hasattr(QSortFilterProxyModel, "Direction"):  # Qt 6.10 and later
            self.beginFilterChange()
            self.field, self.status = field, status
            self.endFilterChange(QSortFilterProxyModel.Direction.Both)
        else:
            self.field, self.status = field, status
            self.invalidateFilter()

    def _matrix_model(self) -> MatrixModel:
        model = self.sourceModel()
        assert isinstance(model, MatrixModel)
        return model

    def _column_shown(self, column: int) -> bool:
        model = self._matrix_model()
        code = model.indicator_code(column)
        return code is None or self.field is None or model.matrix.spec.by_code[code].field == self.field

    def filterAcceptsColumn(self, source_column: int, source_parent: Index) -> bool:
        return self._column_shown(source_column)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self.status is None:
            return True
        model = self._matrix_model()
        statuses = model.matrix.rows[source_row].statuses
        return any(
            statuses.get(ind.code) == self.status
            for ind in model.matrix.indicators
            if self.field is None or ind.field == self.field
        )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.status is not None and role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            source = self.mapToSource(index)
            code = self._matrix_model().indicator_code(source.column())
            if code is not None and source.data(STATUS_ROLE) != self.status.value:
                return QBrush(DIMMED_FOREGROUND) if role == Qt.ItemDataRole.ForegroundRole else None
        return super().data(index, role)


class ContributionModel(QAbstractTableModel):
    """One row per unit under the city: 单位, 本期值, 分子, 分母, 状态 of one indicator."""

    UNIT, VALUE, NUMERATOR, DENOMINATOR, STATUS = range(5)

    def __init__(self, matrix: Matrix, code: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.matrix = matrix
        self.indicator = matrix.spec.by_code[code]
        self.rows = matrix.contributions(code)
        self.counted = set(matrix.city_figure(code).contributors)
        self.not_submitted = {r.code for r in matrix.missing_units}
        self._headers = [self.tr("单位"), self.tr("本期值"), self.tr("分子"), self.tr("分母"), self.tr("状态")]
        self._italic = _font(italic=True)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            ind = self.indicator
            if section == self.NUMERATOR and ind.numerator is not None:
                return f"{ind.numerator.name}（{ind.numerator.unit}）"
            if section == self.DENOMINATOR and ind.denominator is not None:
                return f"{ind.denominator.name}（{ind.denominator.unit}）"
            if section == self.VALUE:
                return ind.unit
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not self.checkIndex(index):
            return None
        c = self.rows[index.row()]
        col = index.column()
        ind = self.indicator
        counted = c.code in self.counted
        if role == UNIT_ROLE:
            return c.code
        if role == STATUS_ROLE:
            return None if c.status is None else c.status.value
        if role == Qt.ItemDataRole.DisplayRole:
            if col == self.UNIT:
                return c.name
            if col == self.VALUE:
                return fmt(c.value, ind.decimals)
            if col == self.NUMERATOR:
                return fmt(c.numerator, ind.numerator.decimals if ind.numerator else ind.decimals)
            if col == self.DENOMINATOR:
                return fmt(c.denominator, ind.denominator.decimals if ind.denominator else ind.decimals)
            return status_label(c.status)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col == self.UNIT:
                return LEFT
            return CENTER if col == self.STATUS else RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and col == self.STATUS and c.status is not None:
            return QBrush(style.status_background(c.status))
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == self.STATUS and c.status is not None:
                return QBrush(style.status_foreground(c.status))
            return None if counted else QBrush(MISSING_ROW_FOREGROUND)
        if role == Qt.ItemDataRole.FontRole and not counted:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole and not counted:
            if c.code in self.not_submitted:
                return self.tr("未计入全市数：该单位本期未报送")
            return self.tr("未计入全市数：该单位缺少本指标的数据")
        return None


class ContributionDialog(QDialog):
    """Drill-down from one city figure to every unit's contribution."""

    def __init__(self, matrix: Matrix, code: str, unit: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = matrix
        self.figure = matrix.city_figure(code)
        ind = self.figure.indicator
        self.setWindowTitle(self.tr("全市数构成：%1").replace("%1", ind.name))
        resize_within_screen(self, 720, 520)
        heading = QLabel(
            self.tr("%1（%2，%3）· %4")
            .replace("%1", ind.name)
            .replace("%2", ind.unit)
            .replace("%3", ind.code)
            .replace("%4", period_label(matrix.period.year, matrix.period.quarter))
        )
        heading.setStyleSheet("font-weight:bold;")
        heading.setWordWrap(True)
        self.model = ContributionModel(matrix, code, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ContributionModel.UNIT, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(
            ContributionModel.UNIT, max(self.table.sizeHintForColumn(ContributionModel.UNIT) + 24, 120)
        )
        if ind.kind != "ratio":
            # Only a ratio has a numerator and denominator; the columns stay in the model, empty.
            self.table.setColumnHidden(ContributionModel.NUMERATOR, True)
            self.table.setColumnHidden(ContributionModel.DENOMINATOR, True)
        if unit is not None:
            for r, c in enumerate(self.model.rows):
                if c.code == unit:
                    self.table.selectRow(r)
        self.formula = QLabel(self.rule_text())
        self.formula.setWordWrap(True)
        self.formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula.setStyleSheet("font-size:11pt;font-weight:bold;padding:4px 0;")
        self.status_line = QLabel(self._status_text())
        self.status_line.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.formula)
        layout.addWidget(self.status_line)
        layout.addWidget(buttons)

    def rule_text(self) -> str:
        """How the city figure is formed, with the figures, e.g.
        “全市 = 分子之和 ÷ 分母之和 × 100 = 420.00 ÷ 500.00 × 100 = 84.0%”."""
        f = self.figure
        ind = f.indicator
        result = _with_unit(f.value, ind.decimals, ind.unit) or self.tr("暂无数值")
        if f.rule == "ratio":
            scale = ind.scale if ind.scale is not None else Decimal(100)
            times = "" if scale == 1 else f" × {format(scale.normalize(), 'f')}"
            if f.numerator is None or f.denominator is None:
                return self.tr("全市 = 分子之和 ÷ 分母之和%1 = %2").replace("%1", times).replace("%2", result)
            num = fmt(f.numerator, ind.numerator.decimals if ind.numerator else 2)
            den = fmt(f.denominator, ind.denominator.decimals if ind.denominator else 2)
            return (
                self.tr("全市 = 分子之和 ÷ 分母之和%1 = %2 ÷ %3%1 = %4")
                .replace("%1", times)
                .replace("%2", num)
                .replace("%3", den)
                .replace("%4", result)
            )
        if f.rule == "sum":
            return self.tr("全市 = 各单位之和 = %1").replace("%1", result)
        if f.rule == "max":
            return self.tr("全市 = 各单位中的最大值 = %1").replace("%1", result)
        if f.rule == "min":
            return self.tr("全市 = 各单位中的最小值 = %1").replace("%1", result)
        if f.rule == "formula":
            text = self.tr("全市 = 由汇总后的数据按公式计算（%1）= %2").replace("%1", ind.formula or "")
            text = text.replace("%2", result)
            if len(f.contributors) < len(self.matrix.unit_rows):
                text += self.tr("；须每个单位都报齐公式所用的数据才能计算")
            return text
        return self.tr("全市 = 市级自行填报，不由各单位汇总 = %1").replace("%1", result)

    def _status_text(self) -> str:
        f = self.figure
        ind = f.indicator
        if f.rule == "none":
            counted = self.tr("市级自行填报")
        else:
            counted = (
                self.tr("计入 %1/%2 个单位")
                .replace("%1", str(len(f.contributors)))
                .replace("%2", str(len(self.matrix.unit_rows)))
            )
        return (
            self.tr("%1；全市目标 %2，预期进度值 %3；全市状态：%4")
            .replace("%1", counted)
            .replace("%2", _with_unit(f.target, ind.decimals, ind.unit) or "—")
            .replace("%3", _with_unit(f.expected, ind.decimals, ind.unit) or "—")
            .replace("%4", status_label(f.status))
        )


class MatrixDialog(QDialog):
    """The completeness matrix of one period: filters, the city's sentence, and the drill-down."""

    def __init__(self, db: Database, period: Period, unit: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.period = period
        self.matrix = completeness(db, period, unit)
        self.contribution: ContributionDialog | None = None
        self.setWindowTitle(self.tr("完成情况矩阵"))
        resize_within_screen(self, 1400, 700)

        self.title = QLabel()
        self.title.setStyleSheet("font-size:12pt;font-weight:bold;")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setStyleSheet("font-size:11pt;color:#1d4f91;")
        self.tally = QLabel()
        self.tally.setWordWrap(True)
        self.timeliness = QLabel()
        self.timeliness.setObjectName("Timeliness")
        self.timeliness.setWordWrap(True)
        self.timeliness.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.field_box = QComboBox()
        self.status_box = QComboBox()
        self.status_box.addItem(self.tr("全部"), None)
        for status in Status:
            self.status_box.addItem(status_label(status), status.value)
        refresh = QPushButton(self.tr("刷新"))
        refresh.clicked.connect(self.refresh)
        hint = QLabel(self.tr("双击全市行的单元格或列标题，查看各单位的构成。"))
        hint.setStyleSheet("color:#666666;")
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("领域：")))
        filters.addWidget(self.field_box)
        filters.addSpacing(16)
        filters.addWidget(QLabel(self.tr("状态：")))
        filters.addWidget(self.status_box)
        filters.addSpacing(16)
        filters.addWidget(hint, 1)
        filters.addWidget(refresh)

        self.model = MatrixModel(self.matrix, self)
        self.proxy = MatrixFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setDefaultSectionSize(68)
        header.setMinimumSectionSize(40)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        header.setSectionsClickable(True)
        header.sectionDoubleClicked.connect(self._header_activated)
        self.table.verticalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.activated.connect(self._cell_activated)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.export_button = buttons.addButton(self.tr("导出 Excel…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(lambda: self.export_xlsx())
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tally)
        layout.addWidget(self.timeliness)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

        self._fill_fields()
        self.field_box.currentIndexChanged.connect(self._filter_changed)
        self.status_box.currentIndexChanged.connect(self._filter_changed)
        self._show_texts()
        self._size_columns()

    # ------------------------------------------------------------------ filling

    def _fill_fields(self) -> None:
        current = self.field_box.currentData()
        self.field_box.blockSignals(True)
        self.field_box.clear()
        self.field_box.addItem(self.tr("全部"), None)
        for field in self.matrix.fields:
            self.field_box.addItem(field_label(field), field)
        at = self.field_box.findData(current) if current is not None else 0
        self.field_box.setCurrentIndex(max(at, 0))
        self.field_box.blockSignals(False)

    def _show_texts(self) -> None:
        m = self.matrix
        city = m.city_row
        self.title.setText(
            self.tr("%1 %2 完成情况（%3 个单位）")
            .replace("%1", city.name)
            .replace("%2", period_label(m.period.year, m.period.quarter))
            .replace("%3", str(len(m.unit_rows)))
        )
        self.summary.setText(self.tr("全市：%1").replace("%1", m.summary))
        counts = m.submission_counts()
        total = len(m.unit_rows)
        missing = counts.get(None, 0)
        template = (
            self.tr("已报送 %1/%2 个单位（已锁定 %3，填报中 %4，已退回 %5）；未报送 %6 个：%7。")
            if missing
            else self.tr("已报送 %1/%2 个单位（已锁定 %3，填报中 %4，已退回 %5）；未报送 %6 个。")
        )
        self.tally.setText(
            template.replace("%1", str(total - missing))
            .replace("%2", str(total))
            .replace("%3", str(counts.get("locked", 0)))
            .replace("%4", str(counts.get("draft", 0)))
            .replace("%5", str(counts.get("returned", 0)))
            .replace("%6", str(missing))
            .replace("%7", "、".join(r.name for r in m.missing_units))
        )
        self.tally.setStyleSheet("color:#a11d1d;font-weight:bold;" if missing else "")
        summary = m.timeliness_summary
        self.timeliness.setVisible(summary is not None)
        if summary is not None:
            self.timeliness.setText(self.tr("报送及时情况（以市级收到时间为准）：%1").replace("%1", summary.sentence))
            worrying = summary.late or summary.missing
            self.timeliness.setStyleSheet("color:#7a5200;font-weight:bold;" if worrying else "color:#1b6e37;")

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        for column in range(FIXED_COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnHidden(TIMELINESS_COLUMN, not self.matrix.timeliness)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    # ------------------------------------------------------------------ acting

    def _filter_changed(self) -> None:
        field = self.field_box.currentData()
        status = self.status_box.currentData()
        self.proxy.set_filter(
            field if isinstance(field, str) else None, Status(status) if isinstance(status, str) else None
        )

    def set_filters(self, field: str | None, status: Status | None) -> None:
        """Choose a field and a status in the boxes (None: all)."""
        self.field_box.setCurrentIndex(max(self.field_box.findData(field) if field is not None else 0, 0))
        self.status_box.setCurrentIndex(max(self.status_box.findData(status.value) if status is not None else 0, 0))

    def export_xlsx(self, path: Path | None = None) -> Path | None:
        """Save the whole matrix (all fields and statuses, not only what the filters show) as a workbook."""
        from app import __version__
        from app.city.matrix_export import write_matrix_xlsx

        if path is None:
            folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))
            suggested = folder / f"{self.matrix.spec.name}-{self.period}-完成情况.xlsx"
            chosen, _ = QFileDialog.getSaveFileName(
                self, self.tr("导出完成情况"), str(suggested), self.tr("Excel 工作簿 (*.xlsx)")
            )
            if not chosen:
                return None
            path = Path(chosen)
            if path.suffix.lower() != ".xlsx":
                path = path.with_name(path.name + ".xlsx")
        try:
            write_matrix_xlsx(self.matrix, path, __version__)
        except OSError as exc:
            QMessageBox.warning(self, self.tr("未导出"), f"{path}：{exc.strerror or exc}")
            return None
        self.tally.setText(self.tally.text() + "　" + self.tr("已导出：%1").replace("%1", str(path)))
        return path

    def refresh(self) -> None:
        """Rebuild the matrix from the database (after new submissions arrived)."""
        try:
            matrix = completeness(self.db, self.period, self.matrix.parent)
        except CompletenessError as exc:
            QMessageBox.warning(self, self.tr("完成情况矩阵"), str(exc))
            return
        self.matrix = matrix
        self.model.set_matrix(matrix)
        self._fill_fields()
        self._filter_changed()
        self._show_texts()
        self._size_columns()

    def _header_activated(self, proxy_column: int) -> None:
        code = self.proxy.headerData(proxy_column, Qt.Orientation.Horizontal, CODE_ROLE)
        if isinstance(code, str):
            self.open_contributions(code)

    def _cell_activated(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        code = self.model.indicator_code(source.column())
        if code is None:
            return
        row = self.matrix.rows[source.row()]
        self.open_contributions(code, None if row.aggregated else row.code)

    def open_contributions(self, code: str, unit: str | None = None) -> ContributionDialog:
        """Show every unit's contribution to the city figure of ``code`` (``unit`` selected), without blocking."""
        if self.contribution is not None:
            self.contribution.close()
            self.contribution.deleteLater()
        dialog = ContributionDialog(self.matrix, code, unit, self)
        self.contribution = dialog
        dialog.open()
        return dialog


def open_matrix(host: WindowApi) -> MatrixDialog | None:
    """Open the matrix for the window's current period (the open unit's, when it aggregates units, else the
    city's); nothing without an open form."""
    form = host.form
    if form is None:
        return None
    unit = form.unit.code if form.aggregated else None
    try:
        dialog = MatrixDialog(host.db, form.period, unit, host.window())
    except CompletenessError as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("MatrixDialog", "完成情况矩阵"), str(exc))
        return None
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
