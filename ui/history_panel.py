"""History: the revisions of the current unit and period, and the audit log of the selected cell."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.storage.form import FormService
from ui.deadline import extension_text


def _local_time(iso: str | None) -> str:
    """UTC ISO time shown in the computer's local time, to the second."""
    if not iso:
        return ""
    from datetime import datetime

    return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class HistoryPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.revisions = _table(
            [
                self.tr("版本"),
                self.tr("状态"),
                self.tr("创建时间"),
                self.tr("锁定时间"),
                self.tr("锁定人"),
                self.tr("退回原因"),
            ]
        )
        # The reason of a return, readable however narrow the panel (the table's last column may be out of sight).
        self.returned = QLabel()
        self.returned.setWordWrap(True)
        self.returned.setStyleSheet("color:#a11d1d;")
        self.returned.hide()
        # Extensions the city granted for this unit and period (延期 / 重新开放), with their reasons.
        self.extended = QLabel()
        self.extended.setObjectName("Extensions")
        self.extended.setWordWrap(True)
        self.extended.setStyleSheet("color:#1d4f91;")
        self.extended.hide()
        self.cell_label = QLabel()
        self.audit = _table(
            [self.tr("时间"), self.tr("操作人"), self.tr("版本"), self.tr("栏目"), self.tr("原值"), self.tr("新值")]
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(QLabel(self.tr("本期填报版本")))
        layout.addWidget(self.revisions, 1)
        layout.addWidget(self.returned)
        layout.addWidget(self.extended)
        layout.addWidget(self.cell_label)
        layout.addWidget(self.audit, 2)

    def show_revisions(self, form: FormService) -> None:
        items = form.revisions()
        self.revisions.setRowCount(len(items))
        status = {"draft": self.tr("填报中"), "locked": self.tr("已锁定"), "returned": self.tr("已退回")}
        for row, rev in enumerate(items):
            cells = [
                str(rev.revision),
                status.get(rev.status, rev.status),
                _local_time(rev.created_at),
                _local_time(rev.locked_at),
                rev.locked_by or "",
                rev.returned_reason or "",
            ]
            for col, text in enumerate(cells):
                self.revisions.setItem(row, col, QTableWidgetItem(text))
        returned = [r for r in items if r.status == "returned"]
        if returned:
            last = returned[-1]
            self.returned.setText(
                self.tr("第 %1 版被退回：%2")
                .replace("%1", str(last.revision))
                .replace("%2", last.returned_reason or "")
            )
        self.returned.setVisible(bool(returned))
        self._show_extensions(form)

    def _show_extensions(self, form: FormService) -> None:
        lines = [
            self.tr("市级延期（%1）：%2；原因：%3")
            .replace("%1", _local_time(granted.granted_at))
            .replace("%2", extension_text(granted.due, granted.closes))
            .replace("%3", granted.reason)
            for granted in form.extensions()
        ]
        self.extended.setText("\n".join(lines))
        self.extended.setVisible(bool(lines))

    def _field_name(self, field: str) -> str:
        names = {
            "value": self.tr("本期值"),
            "numerator": self.tr("分子"),
            "denominator": self.tr("分母"),
            "explanation": self.tr("情况说明"),
        }
        return names.get(field, field)

    def show_cell(self, form: FormService, code: str | None) -> None:
        if code is None:
            self.cell_label.setText(self.tr("选择一个指标查看修改记录"))
            self.audit.setRowCount(0)
            return
        self.cell_label.setText(self.tr("修改记录：%1").replace("%1", form.spec.by_code[code].name))
        rows = [a for a in form.audit(code) if a.field]
        self.audit.setRowCount(len(rows))
        for r, a in enumerate(reversed(rows)):
            cells = [
                _local_time(a.at),
                a.user,
                str(a.revision or ""),
                self._field_name(a.field),
                a.old or "",
                a.new or "",
            ]
            for c, text in enumerate(cells):
                self.audit.setItem(r, c, QTableWidgetItem(text))
