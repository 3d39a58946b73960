"""Translatable labels for what the engine names by code (statuses, fields, kinds)."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from app.engine.progress import Status


def status_label(status: Status | None) -> str:
    labels = {
        Status.EXCEEDED: QCoreApplication.translate("Terms", "超额完成"),
        Status.COMPLETED: QCoreApplication.translate("Terms", "已完成"),
        Status.ON_TRACK: QCoreApplication.translate("Terms", "按序推进"),
        Status.BEHIND: QCoreApplication.translate("Terms", "滞后"),
        Status.MISSING: QCoreApplication.translate("Terms", "未填报"),
        Status.WITHIN_CAP: QCoreApplication.translate("Terms", "达标"),
        Status.CAP_WARNING: QCoreApplication.translate("Terms", "预警"),
        Status.OVER_CAP: QCoreApplication.translate("Terms", "超标"),
    }
    return "—" if status is None else labels[status]


def field_label(field: str) -> str:
    labels = {
        "总体指标": QCoreApplication.translate("Terms", "总体指标"),
        "绿色生产": QCoreApplication.translate("Terms", "绿色生产"),
        "绿色消费": QCoreApplication.translate("Terms", "绿色消费"),
        "绿色生活": QCoreApplication.translate("Terms", "绿色生活"),
        "绿色文明": QCoreApplication.translate("Terms", "绿色文明"),
        "能耗双控": QCoreApplication.translate("Terms", "能耗双控"),
        "项目支撑": QCoreApplication.translate("Terms", "项目支撑"),
        "基础数据": QCoreApplication.translate("Terms", "基础数据"),
    }
    return labels.get(field, field)


def quarter_label(quarter: int | None) -> str:
    """第一季度 … 第四季度, or 全年 for the year."""
    if quarter is None:
        return QCoreApplication.translate("Terms", "全年")
    return [
        QCoreApplication.translate("Terms", "第一季度"),
        QCoreApplication.translate("Terms", "第二季度"),
        QCoreApplication.translate("Terms", "第三季度"),
        QCoreApplication.translate("Terms", "第四季度"),
    ][quarter - 1]


def period_label(year: int, quarter: int | None) -> str:
    if quarter is None:
        return QCoreApplication.translate("Terms", "%1年度").replace("%1", str(year))
    return QCoreApplication.translate("Terms", "%1年%2").replace("%1", str(year)).replace("%2", quarter_label(quarter))
