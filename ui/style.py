"""Colours and fonts shared by the widgets."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.engine.progress import STATUS_COLORS as STATUS_COLORS  # the widgets use the same colours as the exports
from app.engine.progress import Status

GROUP_BACKGROUND = QColor("#f1f3f6")
READONLY_BACKGROUND = QColor("#fafafa")
NEEDS_INPUT_BACKGROUND = QColor("#fff1d6")
ERROR_BACKGROUND = QColor("#fde2e2")


def status_background(status: Status) -> QColor:
    return QColor(STATUS_COLORS[status][0])


def status_foreground(status: Status) -> QColor:
    return QColor(STATUS_COLORS[status][1])
