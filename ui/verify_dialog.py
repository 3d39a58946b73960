"""Checking submission files in the window: each file valid, or the reason it is not."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.submissions.verify import verify_file
from app.trust.keys import KeyStore
from ui.window_fit import resize_within_screen


class VerifyDialog(QDialog):
    """Results of verifying ``files`` against the city certificate held in ``keys``."""

    def __init__(self, keys: KeyStore, files: list[Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("核验报送文件"))
        resize_within_screen(self, 900, 360)
        ca = keys.city_certificate()
        self.results = [verify_file(path, ca) for path in files]
        table = QTableWidget(len(self.results), 3)
        table.setHorizontalHeaderLabels([self.tr("文件"), self.tr("结果"), self.tr("说明")])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        for row, r in enumerate(self.results):
            valid = bool(r["valid"])
            detail = (
                self.tr("%1 %2 第 %3 版，报送编号 %4")
                .replace("%1", str(r.get("unit_name", "")))
                .replace("%2", str(r.get("period", "")))
                .replace("%3", str(r.get("revision", "")))
                .replace("%4", str(r.get("submission_id", "")))
                if valid
                else str(r["message"])
            )
            verdict = QTableWidgetItem(self.tr("有效") if valid else self.tr("无效"))
            verdict.setForeground(QBrush(QColor("#1b6e37" if valid else "#a11d1d")))
            table.setItem(row, 0, QTableWidgetItem(Path(str(r["file"])).name))
            table.setItem(row, 1, verdict)
            table.setItem(row, 2, QTableWidgetItem(detail))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeRowsToContents()
        valid_count = sum(1 for r in self.results if r["valid"])
        summary = QLabel(
            self.tr("共 %1 个文件：%2 个有效，%3 个无效。")
            .replace("%1", str(len(self.results)))
            .replace("%2", str(valid_count))
            .replace("%3", str(len(self.results) - valid_count))
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(table)
        layout.addWidget(buttons)
