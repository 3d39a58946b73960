"""The reporting calendar in the window: where the open period stands (距截止还有 N 天 / 今天截止 / 已逾期 N 天 /
已截止) beside the form's banner and in the status bar, the marks of the period picker, and a cheap timer that
notices when the day turns (the labels count days; a period may close at midnight while the window is open).

The rules and the dates are the engine's (:class:`app.engine.calendar.DeadlineState`); here they are only worded,
translatably, and coloured.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.engine.calendar import Deadline, DeadlineState, Punctuality, Timeliness, beijing_date
from app.engine.periods import Period
from app.engine.timefmt import BEIJING
from app.storage import calendar as storage_calendar
from app.storage.form import FormService
from ui.texts import quarter_label

# How often the timer looks at the clock: a minute is cheap and soon enough after midnight.
TICK_MS = 60_000

# Background and text of each state: calm while there is time, amber when due within a week or today, red once
# overdue, grey when closed or not yet open.
CALM = ("#e3ecf8", "#1d4f91")
SOON = ("#fdf0c2", "#7a5200")
OVERDUE = ("#fbdcdc", "#a11d1d")
CLOSED = ("#e6e6e6", "#444444")
NOT_OPEN = ("#eeeeee", "#666666")


# Called by this name so that pyside6-lupdate finds the texts.
translate = QCoreApplication.translate


def date_text(day: dt.date) -> str:
    """A Beijing calendar date as the labels show it (2023年7月15日)."""
    return (
        translate("Deadline", "%1年%2月%3日")
        .replace("%1", str(day.year))
        .replace("%2", str(day.month))
        .replace("%3", str(day.day))
    )


def deadline_text(state: DeadlineState) -> str:
    """The full label: what the engine's :attr:`DeadlineState.label` says, in the window's language."""
    w = state.window
    if state.state is Deadline.NOT_OPEN:
        return translate("Deadline", "尚未开始填报（%1开始）").replace("%1", date_text(w.opens))
    if state.state is Deadline.OPEN:
        return (
            translate("Deadline", "距截止还有 %1 天（%2截止）")
            .replace("%1", str(state.days))
            .replace("%2", date_text(w.due))
        )
    if state.state is Deadline.DUE_TODAY:
        return translate("Deadline", "今天截止")
    if state.state is Deadline.OVERDUE:
        return (
            translate("Deadline", "已逾期 %1 天（%2截止，%3关闭）")
            .replace("%1", str(state.days))
            .replace("%2", date_text(w.due))
            .replace("%3", date_text(w.closes))
        )
    return translate("Deadline", "已截止（%1关闭填报）").replace("%1", date_text(w.closes))


def deadline_short(state: DeadlineState) -> str:
    """The label without its dates, for the status bar and the period picker."""
    if state.state is Deadline.NOT_OPEN:
        return translate("Deadline", "尚未开始填报")
    if state.state is Deadline.OPEN:
        return translate("Deadline", "距截止还有 %1 天").replace("%1", str(state.days))
    if state.state is Deadline.DUE_TODAY:
        return translate("Deadline", "今天截止")
    if state.state is Deadline.OVERDUE:
        return translate("Deadline", "已逾期 %1 天").replace("%1", str(state.days))
    return translate("Deadline", "已截止")


def extension_text(due: dt.date | None, closes: dt.date | None) -> str:
    """截止日期延至…，填报开放至…: what an extension granted."""
    parts = []
    if due is not None:
        parts.append(translate("Deadline", "截止日期延至%1").replace("%1", date_text(due)))
    if closes is not None:
        parts.append(translate("Deadline", "填报开放至%1").replace("%1", date_text(closes)))
    return translate("Deadline", "，").join(parts)


def timeliness_label(judged: Punctuality) -> str:
    """按时 / 逾期 N 天 / 未报 / 未报（未到截止日）: what :attr:`Punctuality.label` says, in the window's language."""
    if judged.timeliness is Timeliness.ON_TIME:
        return translate("Deadline", "按时")
    if judged.timeliness is Timeliness.LATE:
        return translate("Deadline", "逾期 %1 天").replace("%1", str(judged.days_late))
    if judged.timeliness is Timeliness.MISSING:
        return translate("Deadline", "未报")
    return translate("Deadline", "未报（未到截止日）")


def received_text(moment: dt.datetime) -> str:
    """When the city received a submission, in Beijing time (the calendar's time)."""
    at = moment.astimezone(BEIJING)
    return (
        translate("Deadline", "%1 %2（北京时间）")
        .replace("%1", date_text(at.date()))
        .replace("%2", at.strftime("%H:%M"))
    )


def deadline_colours(state: DeadlineState) -> tuple[str, str]:
    """(background, text) of a state."""
    if state.state is Deadline.NOT_OPEN:
        return NOT_OPEN
    if state.state is Deadline.CLOSED:
        return CLOSED
    if state.state is Deadline.OVERDUE:
        return OVERDUE
    return SOON if state.needs_attention else CALM


def _badge_style(state: DeadlineState) -> str:
    background, text = deadline_colours(state)
    return f"background:{background};color:{text};font-weight:bold;padding:1px 8px;border-radius:3px;"


def mark_periods(box: QComboBox, states: dict[str, DeadlineState]) -> None:
    """Name each period in the picker, marking those due within a week, overdue or closed (e.g. 第一季度（已截止）)
    in their colour; every dated period tells its full label as a tooltip."""
    for index in range(box.count()):
        key = str(box.itemData(index))
        period = Period.parse(key)
        text = quarter_label(period.quarter)
        state = states.get(key)
        foreground = None
        tip = None
        if state is not None:
            tip = deadline_text(state)
            if state.needs_attention:
                text += translate("Deadline", "（%1）").replace("%1", deadline_short(state))
                foreground = QBrush(QColor(deadline_colours(state)[1]))
        box.setItemText(index, text)
        box.setItemData(index, foreground, Qt.ItemDataRole.ForegroundRole)
        box.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)


def beijing_today() -> dt.date:
    return beijing_date(storage_calendar.clock())


class DeadlineDisplay(QObject):
    """The deadline of the open form in two places: ``badge`` (beside the banner over the form) and ``status`` (in
    the status bar); hidden when the template dates no window for the period. ``day_changed`` fires when the
    Beijing date turns, so that the window can look at the calendar again."""

    day_changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.badge = QLabel()
        self.badge.setObjectName("DeadlineBadge")
        self.status = QLabel()
        self.status.setObjectName("DeadlineStatus")
        for label in (self.badge, self.status):
            label.hide()
        self.state: DeadlineState | None = None
        self._day = beijing_today()
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self.check_day)
        self._timer.start()

    def show_form(self, form: FormService, period_box: QComboBox) -> None:
        """Say where ``form``'s period stands and mark the periods of its year in ``period_box``."""
        self.state = form.deadline()
        self._day = beijing_today()
        # The picker widens for a mark such as （已逾期 3 天） rather than cutting it off.
        period_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        mark_periods(period_box, form.year_deadlines())
        state = self.state
        for label in (self.badge, self.status):
            label.setVisible(state is not None)
        if state is None:
            return
        full = deadline_text(state)
        self.badge.setText(full)
        self.badge.setStyleSheet(_badge_style(state))
        self.status.setText(deadline_short(state))
        self.status.setToolTip(full)
        self.status.setStyleSheet(_badge_style(state))

    def check_day(self) -> None:
        """Tell the window when the Beijing date has changed since the labels were made."""
        if beijing_today() != self._day:
            self._day = beijing_today()
            self.day_changed.emit()
