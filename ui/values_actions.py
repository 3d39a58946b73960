"""文件 menu: a fill-in sheet of the open form for Excel, and importing the clerk's filled-in sheet."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ui.window_api import WindowApi


def export_values(host: WindowApi, path: Path | None = None) -> Path | None:
    """Write the open form's figures as a sheet to fill in (.xlsx, or .csv by the name chosen)."""
    form = host.form
    if form is None:
        return None
    if path is None:
        folder = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation))
        suggested = folder / f"{form.unit.name}-{form.period}-填报数值.xlsx"
        excel, text = (
            QCoreApplication.translate("Values", "Excel 工作簿 (*.xlsx)"),
            QCoreApplication.translate("Values", "CSV 文件，UTF-8 (*.csv)"),
        )
        chosen, selected = QFileDialog.getSaveFileName(
            host.window(), QCoreApplication.translate("Values", "导出数值表"), str(suggested), f"{excel};;{text}"
        )
        if not chosen:
            return None
        path = Path(chosen)
        if path.suffix.lower() not in (".xlsx", ".csv"):
            path = path.with_name(path.name + (".csv" if selected == text else ".xlsx"))
    from app.sheets.values_export import write_values

    try:
        write_values(form.result, path)
    except OSError as exc:
        QMessageBox.warning(
            host.window(),
            QCoreApplication.translate("Values", "未导出"),
            QCoreApplication.translate("Values", "无法写入 %1：%2")
            .replace("%1", str(path))
            .replace("%2", exc.strerror or str(exc)),
        )
        return None
    host.show_message(
        QCoreApplication.translate("Values", "已导出数值表 %1；填好后用“导入数值”导回").replace("%1", str(path))
    )
    return path


def import_values(host: WindowApi, path: Path | None = None) -> None:
    """Import a filled-in sheet (CSV or .xlsx) into the open form, all rows or none."""
    form = host.form
    if form is None:
        return
    if path is None:
        chosen, _ = QFileDialog.getOpenFileName(
            host.window(),
            QCoreApplication.translate("Values", "导入数值"),
            "",
            QCoreApplication.translate("Values", "表格文件 (*.csv *.xlsx);;所有文件 (*)"),
        )
        if not chosen:
            return
        path = Path(chosen)
    from app.sheets.values_import import ValuesImportError, import_values_file

    try:
        result = import_values_file(host.db, form.spec, form.unit.code, form.period, path)
    except ValuesImportError as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("Values", "未导入"), str(exc))
        return
    host.refresh_form()
    host.show_message(
        QCoreApplication.translate("Values", "已导入 %1 行，%2 处数值有变化")
        .replace("%1", str(result.rows))
        .replace("%2", str(result.changed))
    )
