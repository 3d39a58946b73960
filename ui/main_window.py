"""The main window: unit and period on the toolbar, the form in the middle, the counts in the status bar, and the
自查, 进度图 and 历史 panels as tabs of one dock beside the form, so that the form keeps the whole height."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
    QShowEvent,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.engine.periods import Period
from app.engine.selfcheck import CheckResult
from app.storage.db import Database
from app.storage.form import FormError, FormService, available_years, has_submission, unit_choices
from ui.check_panel import CheckPanel
from ui.deadline import DeadlineDisplay
from ui.form_model import Col, FormModel
from ui.form_view import FormView
from ui.history_panel import HistoryPanel
from ui.menus import build_menus
from ui.progress_chart import ProgressChart
from ui.summary_bar import SummaryBar
from ui.texts import period_label, quarter_label
from ui.window_fit import place_window

log = logging.getLogger(__name__)

ROLE_DISTRICT, ROLE_CITY = "district", "city"
# The saved dock layout's version: 1 since the panels are tabs beside the form (before, the chart lay under it and
# took the form's height); a layout saved by an earlier version is not restored.
LAYOUT_VERSION = 1
PANEL_MIN_WIDTH, PANEL_MAX_WIDTH = 230, 330
RESTORED_LAYOUT_MS = 300


class MainWindow(QMainWindow):
    def __init__(self, db: Database, settings: QSettings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.form: FormService | None = None
        self.model: FormModel | None = None
        self.undo_stack = QUndoStack(self)
        self.setWindowTitle(self.tr("填报通 Tianbao"))
        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)

        self.view = FormView()
        self.view.message.connect(self.show_entry_message)
        self.view.entry_closed.connect(self.clear_entry_message)
        self._entry_message = ""
        self._shown = False
        self.summary = SummaryBar()
        # Only what needs saying (demo data, a returned or locked revision, a city form); the form's name, unit
        # and period are in the title bar and the selectors.
        self.banner = QLabel()
        self.banner.setStyleSheet("background:#fff4ce;color:#6b4e00;padding:2px 8px;")
        self.banner.setWordWrap(True)
        self.banner.hide()
        # Where the period stands in the calendar (距截止还有 N 天 …): left of the banner and in the status bar.
        self.deadline = DeadlineDisplay(self)
        self.deadline.day_changed.connect(self._calendar_changed)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        strip = QHBoxLayout()
        strip.setContentsMargins(0, 0, 0, 0)
        strip.setSpacing(0)
        strip.addWidget(self.deadline.badge)
        strip.addWidget(self.banner, 1)
        layout.addLayout(strip)
        layout.addWidget(self.view, 1)
        self.setCentralWidget(central)

        self.check_panel = CheckPanel()
        self.check_panel.jump.connect(lambda code, column: self.view.jump_to(code, Col(column)))
        self.history = HistoryPanel()
        self.chart = ProgressChart()
        chart_scroll = QScrollArea()
        chart_scroll.setWidgetResizable(True)
        chart_scroll.setWidget(self.chart)
        self.check_dock = self._dock(self.tr("自查"), "CheckDock", self.check_panel)
        self.chart_dock = self._dock(self.tr("进度图"), "ChartDock", chart_scroll)
        self.history_dock = self._dock(self.tr("历史"), "HistoryDock", self.history)
        self.tabifyDockWidget(self.check_dock, self.chart_dock)
        self.tabifyDockWidget(self.chart_dock, self.history_dock)
        self.check_dock.raise_()
        self.history_dock.visibilityChanged.connect(self._history_visibility)

        self.unit_box = QComboBox()
        self.unit_box.setMinimumContentsLength(8)
        self.year_box = QComboBox()
        self.period_box = QComboBox()
        self._build_toolbar()
        self.city_menu = build_menus(self)
        self._show_city_menu()
        self.statusBar().addPermanentWidget(self.deadline.status)
        self.statusBar().addPermanentWidget(self.summary)
        self.statusBar().showMessage(self.tr("就绪"))
        from ui.outbox_status import install_outbox

        self.outbox = install_outbox(self, db, settings)

        self._fill_selectors()
        self.unit_box.currentIndexChanged.connect(self._selection_changed)
        self.year_box.currentIndexChanged.connect(self._year_changed)
        self.period_box.currentIndexChanged.connect(self._selection_changed)
        self._selection_changed()
        self._restore_layout()

    # ------------------------------------------------------------------ building

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _build_toolbar(self) -> None:
        bar = QToolBar(self.tr("报告期"))
        bar.setObjectName("PeriodToolbar")
        bar.setMovable(False)
        bar.addWidget(QLabel(self.tr(" 单位：")))
        bar.addWidget(self.unit_box)
        bar.addWidget(QLabel(self.tr("  年度：")))
        bar.addWidget(self.year_box)
        bar.addWidget(QLabel(self.tr("  报告期：")))
        bar.addWidget(self.period_box)
        bar.addSeparator()
        self.undo_action = self.undo_stack.createUndoAction(self, self.tr("撤销"))
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, self.tr("重做"))
        # Ctrl+Y as in Excel, plus the platform's own redo keys; a key listed twice makes the shortcut
        # ambiguous and Qt then triggers neither (Windows and Linux both already list Ctrl+Y for Redo).
        redo_keys = [QKeySequence("Ctrl+Y")]
        redo_keys += [k for k in QKeySequence.keyBindings(QKeySequence.StandardKey.Redo) if k not in redo_keys]
        self.redo_action.setShortcuts(redo_keys)
        bar.addAction(self.undo_action)
        bar.addAction(self.redo_action)
        self.addToolBar(bar)

    def panel_toggles(self) -> list[QAction]:
        return [dock.toggleViewAction() for dock in (self.check_dock, self.history_dock, self.chart_dock)]

    # ------------------------------------------------------------------ files dropped on the window

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped_paths(event.mimeData()) and str(self.settings.value("role", "")) == ROLE_CITY:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = self._dropped_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            from ui.import_dialog import import_paths

            import_paths(self, paths)

    @staticmethod
    def _dropped_paths(mime: QMimeData) -> list[Path]:
        """Submission files and folders among what is dragged (only the city imports submissions)."""
        paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        return [p for p in paths if p.is_dir() or p.suffix.lower() in (".xlsx", ".pdf")]

    def _fill_selectors(self) -> None:
        years = available_years(self.db)
        # QSettings types its values as object: the year comes back as an int, or as a str from an INI file.
        last_year = int(cast("int | str", self.settings.value("form/year", years[-1] if years else 0)) or 0)
        self.year_box.blockSignals(True)
        for year in years:
            self.year_box.addItem(str(year), year)
        self.year_box.setCurrentIndex(max(0, self.year_box.findData(last_year)))
        self.year_box.blockSignals(False)
        self._fill_units()
        self._fill_periods()

    def _fill_units(self) -> None:
        year = self.year_box.currentData()
        self.unit_box.blockSignals(True)
        self.unit_box.clear()
        role = str(self.settings.value("role", ROLE_DISTRICT))
        own = str(self.settings.value("unit", "") or "")
        choices = unit_choices(self.db, int(year)) if year else []
        for choice in choices:
            if role == ROLE_DISTRICT and own and choice.code != own:
                continue
            suffix = self.tr("（汇总）") if choice.has_children else ""
            self.unit_box.addItem(f"{choice.name}{suffix}", choice.code)
        last = str(self.settings.value("form/unit", own) or "")
        index = self.unit_box.findData(last)
        if index < 0:
            # A district clerk starts on the first district; the city on itself.
            index = 0 if role == ROLE_CITY else next((i for i, c in enumerate(choices) if not c.has_children), 0)
        self.unit_box.setCurrentIndex(index)
        self.unit_box.setEnabled(self.unit_box.count() > 1)
        self.unit_box.blockSignals(False)

    def _fill_periods(self) -> None:
        year = self.year_box.currentData()
        self.period_box.blockSignals(True)
        self.period_box.clear()
        if year:
            for quarter in (1, 2, 3, 4, None):
                period = Period(int(year), quarter)
                self.period_box.addItem(quarter_label(quarter), str(period))
        last = str(self.settings.value("form/period", "") or "")
        index = self.period_box.findData(last)
        if index < 0:
            index = self._latest_reported_period_index()
        self.period_box.setCurrentIndex(index)
        self.period_box.blockSignals(False)

    def _latest_reported_period_index(self) -> int:
        """The newest quarter the unit has figures for (where a clerk picks up), else the first quarter."""
        unit = self.unit_box.currentData()
        for index in range(self.period_box.count() - 1, -1, -1):
            if unit and has_submission(self.db, str(unit), Period.parse(str(self.period_box.itemData(index)))):
                return index
        return 0

    # ------------------------------------------------------------------ switching forms

    def _year_changed(self) -> None:
        self._fill_units()
        self._fill_periods()
        self._selection_changed()

    def _selection_changed(self) -> None:
        unit, period_text = self.unit_box.currentData(), self.period_box.currentData()
        if not unit or not period_text:
            return
        self.open_form(str(unit), Period.parse(str(period_text)))

    def open_form(self, unit: str, period: Period) -> None:
        """Show the form of ``unit`` for ``period``; undo history belongs to one form and is cleared."""
        try:
            form = FormService(self.db, unit, period)
        except FormError as exc:
            QMessageBox.warning(self, self.tr("无法打开"), str(exc))
            return
        self.undo_stack.clear()
        self.form = form
        old = self.model
        self.model = FormModel(form, self.undo_stack, self)
        self.model.checked.connect(self._on_checked)
        self.model.failed.connect(self.show_entry_message)
        self.view.setModel(self.model)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        if old is not None:
            old.deleteLater()
        self.settings.setValue("form/unit", unit)
        self.settings.setValue("form/year", period.year)
        self.settings.setValue("form/period", str(period))
        demo = self.tr("【演示数据】本指标体系为演示用重建版本，并非正式发布的指标清单。 ") if form.spec.demo else ""
        self.setWindowTitle(
            f"{self.tr('填报通 Tianbao')} — {form.spec.name} · {form.unit.name} · "
            f"{period_label(period.year, period.quarter)}"
        )
        scope = self.tr("由下级单位填报汇总，只可填写本级指标和情况说明。") if form.aggregated else ""
        revisions = form.revisions()
        if revisions and revisions[-1].status == "returned":
            n = revisions[-1].revision
            scope += self.tr("市级已退回第 %1 版（原因见“历史”）；修改后重新签名报送。").replace("%1", str(n))
        elif revisions and revisions[-1].status == "locked":
            n = revisions[-1].revision
            scope += (
                self.tr("第 %1 版已签名锁定；修改任何数值将生成第 %2 版。")
                .replace("%1", str(n))
                .replace("%2", str(n + 1))
            )
        self.banner.setText(f"{demo}{scope}".strip())
        self.banner.setVisible(bool(self.banner.text()))
        self.deadline.show_form(form, self.period_box)
        self._on_checked(form.result)
        self.history.show_revisions(form)
        self.history.show_cell(form, None)

    def _calendar_changed(self) -> None:
        """The day turned: the days left change, and the period may have closed for entry."""
        if self.form is not None and self.model is not None:
            self.deadline.show_form(self.form, self.period_box)
            self.model.check_calendar()

    def _on_checked(self, result: CheckResult) -> None:
        self.clear_entry_message()  # a saved change: what was said about a refused entry no longer holds
        self.summary.show_result(result)
        self.check_panel.show_result(result)
        self.chart.show_result(result)
        if self._history_shown():
            self._history_visibility(True)

    def _history_shown(self) -> bool:
        # A dock behind another dock's tab still counts as visible; its panel's visible region is empty.
        return self.form is not None and not self.history.visibleRegion().isEmpty()

    def _history_visibility(self, visible: bool) -> None:
        """Fill the history panel (it queries the audit log) when it comes into sight, not while hidden."""
        if visible and self.form is not None:
            self.history.show_revisions(self.form)
            self.history.show_cell(self.form, self._current_code())

    def _current_code(self) -> str | None:
        if self.model is None:
            return None
        ind = self.model.indicator_at(self.view.currentIndex().row())
        return ind.code if ind else None

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self.form is not None and self._history_shown():
            self.history.show_cell(self.form, self._current_code())

    # ------------------------------------------------------------------ actions

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def show_entry_message(self, text: str) -> None:
        """Say why an entry was refused; it stays until the entry is corrected or given up."""
        self._entry_message = text
        self.statusBar().showMessage(text)

    def clear_entry_message(self) -> None:
        if self._entry_message and self.statusBar().currentMessage() == self._entry_message:
            self.statusBar().clearMessage()
        self._entry_message = ""

    def import_template(self) -> None:
        """Import a template file the city issued; the form then opens on its year."""
        path, _ = QFileDialog.getOpenFileName(self, self.tr("导入指标模板"), "", self.tr("模板文件 (*.json)"))
        if path:
            self.import_template_file(Path(path))

    def import_template_file(self, path: Path) -> None:
        from app.templates.document import TemplateError
        from app.templates.signing import import_signed_template_file
        from app.trust.keys import KeyStore, default_keys_dir

        try:
            done = import_signed_template_file(self.db, KeyStore(default_keys_dir(self.db.path)), path)
        except TemplateError as exc:
            QMessageBox.warning(self, self.tr("模板不能导入"), str(exc))
            return
        if done.pinned:
            QMessageBox.information(
                self,
                self.tr("市级证书"),
                self.tr("已记下签发模板的市级证书。请与市级电话核对指纹：\n%1").replace("%1", done.fingerprint or ""),
            )
        self.settings.setValue("form/year", done.year)
        self.settings.remove("form/period")
        self.refresh_years()
        message = self.tr("已导入模板：%1") if done.new else self.tr("该模板已导入过：%1")
        self.show_message(message.replace("%1", f"{done.name} {done.year}"))

    def refresh_years(self) -> None:
        """List the years again (a template was imported), open the selected form, and look again whether a
        template names the city's intake service."""
        self.year_box.blockSignals(True)
        self.year_box.clear()
        self.year_box.blockSignals(False)
        self._fill_selectors()
        self._selection_changed()
        self.outbox.reconsider()

    def _show_city_menu(self) -> None:
        self.city_menu.menuAction().setVisible(str(self.settings.value("role", ROLE_DISTRICT)) == ROLE_CITY)

    def reload_form(self) -> None:
        """Open the current form again from the database (after signing, importing …)."""
        if self.form is not None:
            self.open_form(self.form.unit.code, self.form.period)

    def refresh_form(self) -> None:
        """Show the open form's figures again after they changed outside the grid; its undo history is dropped."""
        if self.form is None or self.model is None:
            return
        self.undo_stack.clear()  # the change is one audited step outside the undo history
        self.model.refresh(self.form.reload())

    def open_settings(self) -> None:
        from ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.db, self.settings, self)
        if dialog.exec():
            self._show_city_menu()
            self._fill_units()
            self._selection_changed()
            self.outbox.reconsider()
            self.show_message(self.tr("设置已保存；语言在重新启动后生效"))

    # ------------------------------------------------------------------ layout memory

    def _restore_layout(self) -> None:
        """The remembered window and panels, as far as they fit this screen; docks the user closed stay closed."""
        geometry = self.settings.value("window/geometry")
        place_window(self, geometry if isinstance(geometry, QByteArray) else None)
        state = self.settings.value("window/state")
        if not (isinstance(state, QByteArray) and self.restoreState(state, LAYOUT_VERSION)):
            self.resizeDocks([self.check_dock], [self._panel_width()], Qt.Orientation.Horizontal)

    def _panel_width(self) -> int:
        """The panels' share of the width: readable, and leaving the form its columns on a small screen."""
        return max(PANEL_MIN_WIDTH, min(PANEL_MAX_WIDTH, self.width() * 22 // 100))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)  # the form has been laid out in the new size already
        self._make_room_for_form()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown:
            self._shown = True
            # A dock layout restored before the window was shown is laid out again at every resize for a
            # while (Qt gives a maximizing window 150 ms to reach its size); only then can a panel give way.
            QTimer.singleShot(RESTORED_LAYOUT_MS, self, self._make_room_for_form)

    def _make_room_for_form(self) -> None:
        """When the window is too narrow for the form's columns, a panel beside it gives way, down to its
        narrowest (a width remembered on a larger screen, say); a panel the user widens later keeps its width."""
        overflow = self.view.overflow
        sides = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        beside = [
            d
            for d in (self.check_dock, self.chart_dock, self.history_dock)
            if not d.isFloating() and not d.visibleRegion().isEmpty() and self.dockWidgetArea(d) in sides
        ]
        if overflow > 0 and beside and beside[0].width() > PANEL_MIN_WIDTH:
            width = max(PANEL_MIN_WIDTH, beside[0].width() - overflow)
            # After the resize: the main window's layout, in the middle of it, would undo the change.
            QTimer.singleShot(0, self, lambda: self.resizeDocks(beside[:1], [width], Qt.Orientation.Horizontal))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(LAYOUT_VERSION))
        self.settings.sync()
        super().closeEvent(event)
