"""The city's import of district submission files: pick or drop files and folders, watch, read the outcome.

The work is :func:`app.city.importer.import_submissions`, run off the UI thread by :mod:`ui.tasks` on a database
connection of its own; this module only shows it: a progress bar once the import has taken a moment, a cancel
button, then one row per file and a summary line.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.city.importer import LABELS, FileResult, import_submissions
from app.engine.cancel import CancelToken
from app.engine.periods import Period, PeriodError
from app.storage.db import Database
from app.trust.keys import KeyStore, default_keys_dir
from ui.tasks import PROGRESS_DELAY_MS, Job, Progress, Task, TaskRunner
from ui.texts import period_label
from ui.window_api import WindowApi, task_runner
from ui.window_fit import resize_within_screen

log = logging.getLogger(__name__)

# A revision new to this database; a duplicate was held already, everything else was not stored.
NEW = frozenset({"accepted", "superseded"})
HELD = "duplicate"
GREEN, RED, GREY = "#1b6e37", "#a11d1d", "#6b6b6b"
SETTINGS_FOLDER = "import/folder"


def status_label(status: str) -> str:
    """The outcome in the interface language (the core's own labels, :data:`app.city.importer.LABELS`, are Chinese)."""
    labels = {
        "accepted": QCoreApplication.translate("ImportDialog", "已导入"),
        "superseded": QCoreApplication.translate("ImportDialog", "已导入（已有更新版本）"),
        "duplicate": QCoreApplication.translate("ImportDialog", "已导入过"),
        "conflict": QCoreApplication.translate("ImportDialog", "版本冲突"),
        "altered": QCoreApplication.translate("ImportDialog", "签名后被改动"),
        "signature_invalid": QCoreApplication.translate("ImportDialog", "签名无效"),
        "unknown_certificate": QCoreApplication.translate("ImportDialog", "证书未知或非市级签发"),
        "wrong_signer": QCoreApplication.translate("ImportDialog", "签名单位不符"),
        "wrong_template": QCoreApplication.translate("ImportDialog", "模板版本或报告期不符"),
        "wrong_unit": QCoreApplication.translate("ImportDialog", "单位不在本市"),
        "not_tianbao": QCoreApplication.translate("ImportDialog", "不是报送文件"),
        "unreadable": QCoreApplication.translate("ImportDialog", "无法读取"),
        "cancelled": QCoreApplication.translate("ImportDialog", "已取消"),
    }
    return labels.get(status) or LABELS.get(status, status)


def summary(results: Sequence[FileResult]) -> str:
    """共 N 个文件：a 个已导入，b 个已导入过，c 个未导入（how many for each reason）。"""
    if not results:
        return QCoreApplication.translate("ImportDialog", "没有找到报送文件（.xlsx 或 .pdf）。")
    refused = Counter(r.status for r in results if not r.ok)
    text = (
        QCoreApplication.translate("ImportDialog", "共 %1 个文件：%2 个已导入，%3 个已导入过，%4 个未导入")
        .replace("%1", str(len(results)))
        .replace("%2", str(sum(r.status in NEW for r in results)))
        .replace("%3", str(sum(r.status == HELD for r in results)))
        .replace("%4", str(refused.total()))
    )
    if refused:
        reasons = [
            QCoreApplication.translate("ImportDialog", "%1 个%2").replace("%1", str(n)).replace("%2", status_label(s))
            for s, n in refused.items()
        ]
        joined = QCoreApplication.translate("ImportDialog", "、").join(reasons)
        text += QCoreApplication.translate("ImportDialog", "（%1）").replace("%1", joined)
    return text + QCoreApplication.translate("ImportDialog", "。")


def unit_text(result: FileResult) -> str:
    return result.unit_name or result.unit or ""


def period_text(result: FileResult) -> str:
    if not result.period:
        return ""
    try:
        period = Period.parse(result.period)
    except PeriodError:
        return result.period
    return period_label(period.year, period.quarter)


class ImportResultsModel(QAbstractTableModel):
    """A table over the list of :class:`FileResult` the import returned, in its order; it queries nothing."""

    COLUMNS = 6
    FILE, RESULT, UNIT, PERIOD, REVISION, MESSAGE = range(COLUMNS)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.results: list[FileResult] = []

    def set_results(self, results: Sequence[FileResult]) -> None:
        self.beginResetModel()
        self.results = list(results)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.results)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation != Qt.Orientation.Horizontal:
            return None
        names = [
            QCoreApplication.translate("ImportDialog", "文件"),
            QCoreApplication.translate("ImportDialog", "结果"),
            QCoreApplication.translate("ImportDialog", "单位"),
            QCoreApplication.translate("ImportDialog", "报告期"),
            QCoreApplication.translate("ImportDialog", "版本"),
            QCoreApplication.translate("ImportDialog", "说明"),
        ]
        return names[section] if 0 <= section < self.COLUMNS else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.results):
            return None
        result, column = self.results[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(result, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.FILE:
                return result.file
            if column == self.MESSAGE:
                return result.message
            return None
        if role == Qt.ItemDataRole.ForegroundRole and column == self.RESULT:
            colour = GREEN if result.ok else GREY if result.status == "cancelled" else RED
            return QBrush(QColor(colour))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.REVISION:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _text(self, result: FileResult, column: int) -> str:
        if column == self.FILE:
            return Path(result.file).name
        if column == self.RESULT:
            return status_label(result.status)
        if column == self.UNIT:
            return unit_text(result)
        if column == self.PERIOD:
            return period_text(result)
        if column == self.REVISION:
            return "" if result.revision is None else str(result.revision)
        return result.message

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


def import_job(db_path: Path, paths: Sequence[Path]) -> Job:
    """The job for the task runner: verify and store ``paths`` on a database connection of its own."""

    def job(progress: Progress, cancel: CancelToken) -> list[FileResult]:
        db = Database(db_path)
        try:
            keys = KeyStore(default_keys_dir(db.path))
            return import_submissions(db, keys, paths, progress=progress, cancel=cancel)
        finally:
            db.close()

    return job


class ImportDialog(QDialog):
    """Import submission files into the database at ``db_path``; ``imported(results)`` after each import."""

    imported = Signal(list)

    def __init__(
        self,
        db_path: Path,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.settings = settings
        self.runner = runner if runner is not None else TaskRunner(self)
        self.task: Task | None = None
        self.results: list[FileResult] = []
        self.setWindowTitle(self.tr("导入区县报送文件"))
        self.setAcceptDrops(True)
        resize_within_screen(self, 1000, 520)

        self.pick_files = QPushButton(self.tr("选择文件…"))
        self.pick_files.clicked.connect(self.choose_files)
        self.pick_folder = QPushButton(self.tr("选择文件夹…"))
        self.pick_folder.clicked.connect(self.choose_folder)
        hint = QLabel(self.tr("区县报送的 Excel 或 PDF 文件，逐个核验签名后导入；也可以把文件或文件夹拖到这里。"))
        hint.setWordWrap(True)
        pick_row = QHBoxLayout()
        pick_row.addWidget(self.pick_files)
        pick_row.addWidget(self.pick_folder)
        pick_row.addWidget(hint, 1)

        self.progress_label = QLabel(self.tr("正在核验并导入…"))
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton(self.tr("取消"))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress_row = QWidget()
        progress_layout = QHBoxLayout(self.progress_row)
        progress_layout.setContentsMargins(0, 0, 0, 0)
        progress_layout.addWidget(self.progress_label)
        progress_layout.addWidget(self.progress, 1)
        progress_layout.addWidget(self.cancel_button)
        self.progress_row.hide()
        self.delay = QTimer(self)
        self.delay.setSingleShot(True)
        self.delay.setInterval(PROGRESS_DELAY_MS)
        self.delay.timeout.connect(self._show_progress)

        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = ImportResultsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for column in range(ImportResultsModel.MESSAGE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ImportResultsModel.MESSAGE, QHeaderView.ResizeMode.Stretch)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(pick_row)
        layout.addWidget(self.progress_row)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    # ------------------------------------------------------------------ choosing what to import

    def _start_folder(self) -> str:
        return str(self.settings.value(SETTINGS_FOLDER, "") or "") if self.settings is not None else ""

    def _remember(self, folder: Path) -> None:
        if self.settings is not None:
            self.settings.setValue(SETTINGS_FOLDER, str(folder))

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, self.tr("选择报送文件"), self._start_folder(), self.tr("报送文件 (*.xlsx *.pdf)")
        )
        if names:
            self._remember(Path(names[0]).parent)
            self.start([Path(name) for name in names])

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, self.tr("选择含报送文件的文件夹"), self._start_folder())
        if name:
            self._remember(Path(name))
            self.start([Path(name)])

    def _dropped_paths(self, event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[Path]:
        mime = event.mimeData()
        if self.busy or not mime.hasUrls():
            return []
        return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._dropped_paths(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._dropped_paths(event)
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.start(paths)

    # ------------------------------------------------------------------ the import

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def start(self, paths: Sequence[Path], token: CancelToken | None = None) -> Task | None:
        """Import ``paths`` (files and folders) off the UI thread; None if an import is still running."""
        if self.busy:
            return None
        self.pick_files.setEnabled(False)
        self.pick_folder.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first file is done and the count is known
        self.progress_label.setText(self.tr("正在核验并导入…"))
        self.summary_label.setStyleSheet("")
        self.summary_label.clear()  # the progress row says what is going on, once it is worth saying
        self.model.set_results([])
        task = self.runner.run(import_job(self.db_path, list(paths)), token)
        task.progressed.connect(self._on_progress)
        task.succeeded.connect(self._on_results)
        task.failed.connect(self._on_error)
        task.finished.connect(self._on_finished)
        self.task = task
        self.delay.start()
        return task

    def cancel(self) -> None:
        """Stop before the next file; files already imported stay imported."""
        if self.task is not None and not self.task.done:
            self.task.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText(self.tr("正在取消…"))

    def _show_progress(self) -> None:
        if self.busy:
            self.progress_row.show()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(self.tr("%1 / %2 个文件").replace("%1", str(done)).replace("%2", str(total)))

    def _on_results(self, results: object) -> None:
        assert isinstance(results, list)
        self.results = results
        self.model.set_results(results)
        self.table.resizeRowsToContents()
        self.summary_label.setText(summary(results))
        self.imported.emit(results)

    def _on_error(self, error: object) -> None:
        assert isinstance(error, BaseException)
        log.error("import failed", exc_info=error)
        self.summary_label.setStyleSheet(f"color:{RED};")
        self.summary_label.setText(self.tr("导入未完成：%1").replace("%1", str(error) or type(error).__name__))

    def _on_finished(self) -> None:
        self.delay.stop()
        self.progress_row.hide()
        self.pick_files.setEnabled(True)
        self.pick_folder.setEnabled(True)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the running import has finished and its results are shown."""
        return self.task is None or self.runner.wait(self.task, timeout)

    def done(self, result: int) -> None:
        """Closing cancels a running import and waits for it (it stops after the file in hand), so no worker
        thread outlives the dialog; what was imported until then is still reported."""
        self.cancel()
        self.wait()
        super().done(result)


def _make_dialog(host: WindowApi) -> ImportDialog:
    dialog = ImportDialog(host.db.path, host.settings, host.window(), task_runner(host))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def report(results: list[FileResult]) -> None:
        if any(r.status in NEW for r in results):
            host.reload_form()
            host.show_message(summary(results))

    dialog.imported.connect(report)
    dialog.open()  # window-modal, returns at once: the window keeps painting while files are imported
    return dialog


def open_import(host: WindowApi) -> ImportDialog:
    """Open the import dialog over the main window; the clerk picks or drops files there."""
    return _make_dialog(host)


def import_paths(host: WindowApi, paths: Sequence[Path | str]) -> ImportDialog:
    """Open the import dialog and start importing ``paths`` at once (files dropped on the main window)."""
    dialog = _make_dialog(host)
    dialog.start([Path(p) for p in paths])
    return dialog
