"""Colours and fonts shared by the widgets."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.progress import Status

# Background and text colour of each status badge: green for done, blue for on track, red for behind.
STATUS_COLORS: dict[Status, tuple[str, str]] = {
    Status.EXCEEDED: ("#c8ecd2", "#0f5c2a"),
    Status.COMPLETED: ("#dff3e4", "#1b6e37"),
    Status.ON_TRACK: ("#dceafb", "#1d4f91"),
    Status.BEHIND: ("#fbdcdc", "#a11d1d"),
    Status.MISSING: ("#eeeeee", "#666666"),
    Status.WITHIN_CAP: ("#dff3e4", "#1b6e37"),
    Status.OVER_CAP: ("#fbdcdc", "#a11d1d"),
}
GROUP_BACKGROUND = QColor("#f1f3f6")
READONLY_BACKGROUND = QColor("#fafafa")
NEEDS_INPUT_BACKGROUND = QColor("#fff1d6")
ERROR_BACKGROUND = QColor("#fde2e2")


def status_background(status: Status) -> QColor:
    return QColor(STATUS_COLORS[status][0])


def status_foreground(status: Status) -> QColor:
    return QColor(STATUS_COLORS[status][1])
