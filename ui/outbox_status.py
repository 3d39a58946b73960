"""The status bar's outbox indicator: 待上报 n and the last contact with the city's intake service.

Shown only when a signed template (or 设置, for testing) names an intake service: a PC that hands in files sees
the window exactly as before. A click opens the 报送记录 view.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.engine.timefmt import BEIJING, date_text, stored_moment
from app.storage.db import Database
from ui.outbox_monitor import OutboxMonitor, OutboxSummary

translate = QCoreApplication.translate


def contact_label(when: str | None, now: dt.datetime | None = None) -> str:
    """The last contact as the clerk reads it: the time today, else the date and time (Beijing time)."""
    moment = stored_moment(when)
    if moment is None:
        return when or translate("Outbox", "从未联系")
    local = moment.astimezone(BEIJING)
    today = (now or dt.datetime.now(dt.UTC)).astimezone(BEIJING).date()
    hour_minute = f"{local.hour:02d}:{local.minute:02d}"
    return hour_minute if local.date() == today else f"{date_text(local)} {hour_minute}"


def indicator_text(summary: OutboxSummary) -> str:
    parts = [translate("Outbox", "待上报 %1").replace("%1", str(summary.pending))]
    if summary.refused:
        parts.append(translate("Outbox", "被拒收 %1").replace("%1", str(summary.refused)))
    if summary.offered:
        parts.append(translate("Outbox", "市级通知 %1").replace("%1", str(summary.offered)))
    if summary.reachable is False:
        parts.append(translate("Outbox", "无法连接"))
    parts.append(translate("Outbox", "最后联系 %1").replace("%1", contact_label(summary.last_contact)))
    return " · ".join(parts)


class OutboxIndicator(QLabel):
    """A permanent status-bar label that follows the monitor and opens the 报送记录 view when clicked."""

    def __init__(self, monitor: OutboxMonitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OutboxIndicator")
        self.monitor = monitor
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setContentsMargins(6, 0, 6, 0)
        monitor.changed.connect(self.show_summary)
        self.show_summary()

    def show_summary(self) -> None:
        summary = self.monitor.summary
        self.setVisible(summary.address is not None)
        if summary.address is None:
            return
        self.setText(indicator_text(summary))
        warn = summary.refused or summary.offered or summary.reachable is False
        self.setStyleSheet("color:#8a1c1c;" if warn else "")
        tip = [translate("Outbox", "上报地址：%1").replace("%1", summary.address)]
        if summary.error:
            tip.append(summary.error)
        if summary.next_try_seconds is not None and summary.pending:
            tip.append(translate("Outbox", "约 %1 秒后再试").replace("%1", str(round(summary.next_try_seconds))))
        tip.append(translate("Outbox", "点击查看报送记录"))
        self.setToolTip("\n".join(tip))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            from ui.outbox_view import open_outbox

            window = self.window()
            open_outbox(window)
        super().mousePressEvent(event)


class OutboxHost(Protocol):
    """What the outbox needs of the main window."""

    def statusBar(self) -> QStatusBar: ...

    def reload_form(self) -> None:
        """Open the current form again (a return notice was applied)."""
        ...

    def refresh_years(self) -> None:
        """List the years again (a template was imported)."""
        ...


def install_outbox(window: OutboxHost, db: Database, settings: QSettings) -> OutboxMonitor:
    """Give the window its outbox monitor and the status-bar indicator (hidden while there is no address)."""
    assert isinstance(window, QWidget)
    monitor = OutboxMonitor(db, settings, window)
    window.statusBar().addPermanentWidget(OutboxIndicator(monitor, window))
    monitor.applied.connect(lambda kind: window.refresh_years() if kind == "template" else window.reload_form())
    return monitor
