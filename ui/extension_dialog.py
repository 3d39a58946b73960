"""延期 / 重新开放: the city gives one unit a later due date and/or reopens a closed period for it, with a signed
notice the district imports (as a return notice); both sides keep it in the period's history.

Thin over :func:`app.city.extensions.extend_period` and :func:`app.city.extensions.import_extension`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QDate, QStandardPaths
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.city.extensions import ExtensionError, extend_period, import_extension
from app.engine.calendar import Deadline, Window, beijing_date, deadline_state
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.calendar import reference_time
from app.trust.keys import KeysError
from ui.deadline import date_text, extension_text
from ui.keys_dialog import ask_passphrase
from ui.submission_actions import keystore
from ui.texts import period_label
from ui.window_api import WindowApi
from ui.window_fit import resize_within_screen

# A new date is offered a week after the later of the template's date and today.
OFFERED_DAYS = 7


# Called by this name so that pyside6-lupdate finds the texts.
translate = QCoreApplication.translate


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def reporting_units(spec: CatalogSpec) -> list[tuple[str, str]]:
    """The units that report themselves (no units under them), as (code, name) in template order."""
    return [(u.code, u.name) for u in spec.units if u.parent is not None and not spec.children_of(u.code)]


class ExtensionDialog(QDialog):
    """The unit, a new due date and/or a new closing date, and the reason."""

    def __init__(self, spec: CatalogSpec, window: Window, unit: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        period = window.period
        self.setWindowTitle(self.tr("延期 / 重新开放"))
        resize_within_screen(self, 560, 340)
        today = beijing_date(reference_time(spec))
        closed = deadline_state(window, reference_time(spec)).state is Deadline.CLOSED
        heading = QLabel(
            self.tr("%1：%2开始填报，%3截止，%4关闭填报。")
            .replace("%1", period_label(period.year, period.quarter))
            .replace("%2", date_text(window.opens))
            .replace("%3", date_text(window.due))
            .replace("%4", date_text(window.closes))
        )
        heading.setWordWrap(True)
        self.unit_box = QComboBox()
        for code, name in reporting_units(spec):
            self.unit_box.addItem(name, code)
        self.unit_box.setCurrentIndex(max(0, self.unit_box.findData(unit)))
        self.due_check = QCheckBox(self.tr("截止日期延至"))
        self.due_edit = self._date_edit(max(window.due, today) + dt.timedelta(days=OFFERED_DAYS))
        self.closes_check = QCheckBox(self.tr("重新开放填报至"))
        self.closes_edit = self._date_edit(max(window.closes, today) + dt.timedelta(days=OFFERED_DAYS))
        # A closed period needs reopening; an open one, more often, a later due date.
        self.closes_check.setChecked(closed)
        self.due_check.setChecked(not closed)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(self.tr("延期原因（写入签名的延期通知，区县可见）"))
        form = QFormLayout()
        form.addRow(self.tr("单位："), self.unit_box)
        form.addRow(self.due_check, self.due_edit)
        form.addRow(self.closes_check, self.closes_edit)
        form.addRow(self.tr("原因："), self.reason)
        hint = QLabel(self.tr("确定后输入市级 CA 私钥口令，并选择延期通知的保存位置；将通知交该单位导入。"))
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#666666;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for check in (self.due_check, self.closes_check):
            check.toggled.connect(self._update)
        self.reason.textChanged.connect(self._update)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self._update()

    def _date_edit(self, day: dt.date) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        return edit

    def _update(self) -> None:
        self.due_edit.setEnabled(self.due_check.isChecked())
        self.closes_edit.setEnabled(self.closes_check.isChecked())
        dated = self.due_check.isChecked() or self.closes_check.isChecked()
        ready = dated and bool(self.reason.toPlainText().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)

    @property
    def unit(self) -> str:
        return str(self.unit_box.currentData())

    @property
    def due(self) -> dt.date | None:
        return _date(self.due_edit.date()) if self.due_check.isChecked() else None

    @property
    def closes(self) -> dt.date | None:
        return _date(self.closes_edit.date()) if self.closes_check.isChecked() else None


def extend_deadline(host: WindowApi) -> None:
    """(City) Extend the open period's deadline, or reopen it, for one unit; write the signed notice."""
    form = host.form
    if form is None:
        return
    parent = host.window()
    window = form.spec.window(form.period)
    if window is None:
        QMessageBox.information(
            parent,
            translate("ExtensionDialog", "延期 / 重新开放"),
            translate("ExtensionDialog", "模板没有规定%1的填报期，无需延期。").replace(
                "%1", period_label(form.period.year, form.period.quarter)
            ),
        )
        return
    dialog = ExtensionDialog(form.spec, window, None if form.aggregated else form.unit.code, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    secret = ask_passphrase(parent, translate("ExtensionDialog", "市级 CA 私钥口令"))
    if secret is None:
        return
    name = dialog.unit_box.currentText()
    start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    out, _ = QFileDialog.getSaveFileName(
        parent,
        translate("ExtensionDialog", "保存延期通知"),
        str(Path(start) / f"延期通知_{name}_{form.period}.json"),
        translate("ExtensionDialog", "延期通知 (*.json)"),
    )
    if not out:
        return
    try:
        notice = extend_period(
            host.db,
            keystore(host),
            dialog.unit,
            form.period,
            dialog.due,
            dialog.closes,
            dialog.reason.toPlainText(),
            secret,
            Path(out),
        )
    except (ExtensionError, KeysError) as exc:
        QMessageBox.warning(parent, translate("ExtensionDialog", "未延期"), str(exc))
        return
    host.reload_form()
    host.show_message(
        translate("ExtensionDialog", "已为 %1 %2 延期：%3；延期通知已保存：%4")
        .replace("%1", notice.unit_name)
        .replace("%2", period_label(form.period.year, form.period.quarter))
        .replace("%3", extension_text(_day(notice.due), _day(notice.closes)))
        .replace("%4", out)
    )


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def take_extension_notice(host: WindowApi, path: Path) -> None:
    """(District) Take the city's extension notice: the period's banner and entry follow its dates."""
    try:
        notice = import_extension(host.db, keystore(host), path)
    except ExtensionError as exc:
        QMessageBox.warning(host.window(), translate("ExtensionDialog", "未导入"), str(exc))
        return
    host.reload_form()
    period = Period.parse(notice.period)
    QMessageBox.information(
        host.window(),
        translate("ExtensionDialog", "市级延期通知"),
        translate("ExtensionDialog", "市级已为 %1 %2 延期：%3。\n原因：%4")
        .replace("%1", notice.unit_name)
        .replace("%2", period_label(period.year, period.quarter))
        .replace("%3", extension_text(_day(notice.due), _day(notice.closes)))
        .replace("%4", notice.reason),
    )
