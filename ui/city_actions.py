"""The city officer's actions in the window (汇总 menu) and the district's side of a return, as thin calls into app/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from ui.keys_dialog import ask_passphrase
from ui.submission_actions import keystore
from ui.window_api import WindowApi
from ui.window_fit import resize_within_screen

if TYPE_CHECKING:
    from app.storage.revisions import Difference

# Returns, notices and the keys load when the officer uses them, not at the window's start.


def return_current(host: WindowApi) -> None:
    """(City) Return the open unit's latest submission for the period, with a reason and a signed notice."""
    from app.city.returns import ReturnError, return_submission
    from app.trust.keys import KeysError

    form = host.form
    if form is None or form.aggregated:
        QMessageBox.information(
            host.window(),
            QCoreApplication.translate("CityActions", "退回报送"),
            QCoreApplication.translate("CityActions", "请先在“单位”中选择要退回的区县。"),
        )
        return
    reason, ok = QInputDialog.getMultiLineText(
        host.window(),
        QCoreApplication.translate("CityActions", "退回报送"),
        QCoreApplication.translate("CityActions", "退回 %1 %2 的报送，原因：")
        .replace("%1", form.unit.name)
        .replace("%2", str(form.period)),
    )
    if not ok or not reason.strip():
        return
    secret = ask_passphrase(host.window(), QCoreApplication.translate("CityActions", "市级 CA 私钥口令"))
    if secret is None:
        return
    start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    name = f"退回通知_{form.unit.name}_{form.period}.json"
    out, _ = QFileDialog.getSaveFileName(
        host.window(),
        QCoreApplication.translate("CityActions", "保存退回通知"),
        str(Path(start) / name),
        QCoreApplication.translate("CityActions", "退回通知 (*.json)"),
    )
    if not out:
        return
    try:
        notice = return_submission(host.db, keystore(host), form.unit.code, form.period, reason, secret, Path(out))
    except (ReturnError, KeysError) as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("CityActions", "未退回"), str(exc))
        return
    host.reload_form()
    host.show_message(
        QCoreApplication.translate("CityActions", "已退回第 %1 版，通知已保存：%2")
        .replace("%1", str(notice.revision))
        .replace("%2", out)
    )


def import_city_notice(host: WindowApi) -> None:
    """(District) Take a notice from the city: a return (退回) or an extension of the deadline (延期)."""
    from app.city.extensions import FORMAT as EXTENSION_FORMAT
    from app.city.notices import notice_format
    from app.city.returns import ReturnError, import_notice

    path, _ = QFileDialog.getOpenFileName(
        host.window(),
        QCoreApplication.translate("CityActions", "导入市级通知"),
        "",
        QCoreApplication.translate("CityActions", "市级通知：退回、延期 (*.json)"),
    )
    if not path:
        return
    if notice_format(Path(path)) == EXTENSION_FORMAT:
        from ui.extension_dialog import take_extension_notice

        take_extension_notice(host, Path(path))
        return
    try:
        notice = import_notice(host.db, keystore(host), Path(path))
    except ReturnError as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("CityActions", "未导入"), str(exc))
        return
    host.reload_form()
    QMessageBox.information(
        host.window(),
        QCoreApplication.translate("CityActions", "报送被退回"),
        QCoreApplication.translate("CityActions", "市级退回了 %1 %2 第 %3 版：\n%4\n\n修改后重新签名报送即可。")
        .replace("%1", notice.unit_name)
        .replace("%2", notice.period)
        .replace("%3", str(notice.revision))
        .replace("%4", notice.reason),
    )


def city_report(host: WindowApi) -> None:
    """(City) Export the signed city report (Excel and PDF) of the current period."""
    from app.city.report import city_report_envelope
    from app.submissions.export_pdf import write_submission_pdf
    from app.submissions.export_xlsx import write_submission_xlsx
    from app.trust.keys import KeysError

    form = host.form
    if form is None:
        return
    secret = ask_passphrase(host.window(), QCoreApplication.translate("CityActions", "市级单位私钥口令"))
    if secret is None:
        return
    start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = QFileDialog.getExistingDirectory(
        host.window(), QCoreApplication.translate("CityActions", "保存全市汇总报告到"), start
    )
    if not folder:
        return
    try:
        envelope = city_report_envelope(host.db, keystore(host), form.period, secret)
        stem = f"全市汇总_{form.period}"
        write_submission_xlsx(envelope, Path(folder) / f"{stem}.xlsx", __version__)
        write_submission_pdf(envelope, Path(folder) / f"{stem}.pdf", keystore(host), secret, __version__)
    except (KeysError, OSError) as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("CityActions", "未导出"), str(exc))
        return
    host.show_message(QCoreApplication.translate("CityActions", "已导出全市汇总报告：%1").replace("%1", folder))


class DiffDialog(QDialog):
    """What changed between two revisions of one unit's report."""

    def __init__(self, title: str, changes: list[Difference], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        resize_within_screen(self, 820, 420)
        names = {
            "value": self.tr("本期值"),
            "numerator": self.tr("分子"),
            "denominator": self.tr("分母"),
            "explanation": self.tr("情况说明"),
        }
        table = QTableWidget(len(changes), 4)
        table.setHorizontalHeaderLabels([self.tr("指标"), self.tr("栏目"), self.tr("原值"), self.tr("新值")])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        for row, c in enumerate(changes):
            for col, text in enumerate([c.name, names.get(c.field, c.field), c.old or "", c.new or ""]):
                table.setItem(row, col, QTableWidgetItem(text))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeRowsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("%1 处改动").replace("%1", str(len(changes)))))
        layout.addWidget(table)
        layout.addWidget(buttons)


def _pick_revision(parent: QWidget, prompt: str, numbers: list[int], preselected: int) -> int | None:
    """The revision chosen from ``numbers`` (the one at ``preselected`` offered first), or None if cancelled."""
    labels = [QCoreApplication.translate("CityActions", "第 %1 版").replace("%1", str(n)) for n in numbers]
    chosen, ok = QInputDialog.getItem(
        parent, QCoreApplication.translate("CityActions", "版本对比"), prompt, labels, preselected, False
    )
    return numbers[labels.index(chosen)] if ok else None


def compare_revisions(host: WindowApi) -> None:
    """Pick two revisions of the open form's unit and period and show what changed."""
    from app.storage.revisions import diff_revisions

    form = host.form
    if form is None:
        return
    parent = host.window()
    numbers = [r.revision for r in form.revisions()]
    if len(numbers) < 2:
        QMessageBox.information(
            parent,
            QCoreApplication.translate("CityActions", "版本对比"),
            QCoreApplication.translate("CityActions", "本期只有一个版本。"),
        )
        return
    a = _pick_revision(parent, QCoreApplication.translate("CityActions", "旧版本："), numbers, len(numbers) - 2)
    if a is None:
        return
    b = _pick_revision(parent, QCoreApplication.translate("CityActions", "新版本："), numbers, len(numbers) - 1)
    if b is None:
        return
    changes = diff_revisions(host.db, form.unit.code, form.period, a, b)
    title = (
        QCoreApplication.translate("CityActions", "%1 %2：第 %3 版 → 第 %4 版")
        .replace("%1", form.unit.name)
        .replace("%2", str(form.period))
        .replace("%3", str(a))
        .replace("%4", str(b))
    )
    DiffDialog(title, changes, parent).exec()
