"""The reporting calendar: when a period opens, when it is due, when entry closes, and what that means for a
clerk at a given moment and for the city judging when a submission was received.

All dates are Beijing calendar dates and a date means the whole day: a period due on 2023-04-15 is on time until
2023-04-16 00:00 Beijing time. Beijing keeps UTC+8 all year (no daylight saving), so a fixed offset is exact and
needs no time-zone database (which Windows Python does not ship).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from app.engine.numbers import CONTEXT, quantize
from app.engine.periods import Period
from app.engine.timefmt import BEIJING

_DAY = dt.timedelta(days=1)


class CalendarError(ValueError):
    """A calendar entry that cannot be: closes before due, due before opens."""


@dataclass(frozen=True)
class Window:
    """The reporting window of one period: entry opens, the submission is due, entry closes (all inclusive)."""

    period: Period
    opens: dt.date
    due: dt.date
    closes: dt.date

    def __post_init__(self) -> None:
        if not self.opens <= self.due <= self.closes:
            raise CalendarError(f"{self.period} 的填报期不成立：应为 开始 ≤ 截止 ≤ 关闭")

    @property
    def opens_at(self) -> dt.datetime:
        return start_of(self.opens)

    @property
    def due_end(self) -> dt.datetime:
        """The first moment that is late."""
        return start_of(self.due + _DAY)

    @property
    def closes_end(self) -> dt.datetime:
        """The first moment entry is locked."""
        return start_of(self.closes + _DAY)

    def extended(self, extension: Extension | None) -> Window:
        """This window as the city extended it for one unit (a later due date, or entry reopened)."""
        if extension is None:
            return self
        due = max(self.due, extension.due) if extension.due else self.due
        closes = max(self.closes, extension.closes or self.closes, due)
        return replace(self, due=due, closes=closes)


@dataclass(frozen=True)
class Extension:
    """What the city granted one unit for one period by a signed notice: a new due date and/or closing date."""

    due: dt.date | None = None
    closes: dt.date | None = None


def start_of(day: dt.date) -> dt.datetime:
    """00:00 Beijing time on ``day``."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def beijing_date(moment: dt.datetime) -> dt.date:
    """The Beijing calendar date of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("moment must carry its time zone")
    return moment.astimezone(BEIJING).date()


def format_date(day: dt.date) -> str:
    """``2023年4月15日``, without the C library's locale-dependent formatting."""
    return f"{day.year}年{day.month}月{day.day}日"


# ------------------------------------------------------------------------------------------- the district's view


class Deadline(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    CLOSED = "closed"


@dataclass(frozen=True)
class DeadlineState:
    """Where a period stands for a clerk at a moment (by the PC's own clock: a reminder, not a verdict)."""

    state: Deadline
    days: int  # days left until the due date (OPEN), days past it (OVERDUE), else 0
    window: Window

    @property
    def label(self) -> str:
        w = self.window
        if self.state is Deadline.NOT_OPEN:
            return f"尚未开始填报（{format_date(w.opens)}开始）"
        if self.state is Deadline.OPEN:
            return f"距截止还有 {self.days} 天（{format_date(w.due)}截止）"
        if self.state is Deadline.DUE_TODAY:
            return "今天截止"
        if self.state is Deadline.OVERDUE:
            return f"已逾期 {self.days} 天（{format_date(w.due)}截止，{format_date(w.closes)}关闭）"
        return f"已截止（{format_date(w.closes)}关闭填报）"

    @property
    def entry_open(self) -> bool:
        return self.state is not Deadline.CLOSED

    @property
    def needs_attention(self) -> bool:
        """Due within a week, overdue or closed: the period picker marks it."""
        return self.state in (Deadline.DUE_TODAY, Deadline.OVERDUE, Deadline.CLOSED) or (
            self.state is Deadline.OPEN and self.days <= 7
        )


def deadline_state(window: Window, now: dt.datetime) -> DeadlineState:
    """The state of ``window`` at ``now`` (an aware moment)."""
    today = beijing_date(now)
    if now < window.opens_at:
        return DeadlineState(Deadline.NOT_OPEN, 0, window)
    if now >= window.closes_end:
        return DeadlineState(Deadline.CLOSED, 0, window)
    if today == window.due:
        return DeadlineState(Deadline.DUE_TODAY, 0, window)
    if now >= window.due_end:
        return DeadlineState(Deadline.OVERDUE, (today - window.due).days, window)
    return DeadlineState(Deadline.OPEN, (window.due - today).days, window)


def entry_refusal(window: Window | None, now: dt.datetime) -> str | None:
    """Why entry into the period is refused at ``now``, or None when it is open (or the template has no calendar).

    Entry before the window opens is allowed: a clerk may prepare figures early; only a closed period is locked.
    """
    if window is None:
        return None
    state = deadline_state(window, now)
    if state.entry_open:
        return None
    return (
        f"{window.period.label}已于{format_date(window.closes)}关闭填报，不能再修改。如需补报或更正，请联系市级延长期限"
    )


# ------------------------------------------------------------------------------------------- the city's view


class Timeliness(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    NOT_DUE = "not_due"


TIMELINESS_LABELS = {
    Timeliness.ON_TIME: "按时",
    Timeliness.LATE: "逾期",
    Timeliness.MISSING: "未报",
    Timeliness.NOT_DUE: "未报（未到截止日）",
}

# Background and text colour of each verdict wherever it is shown (the matrix, its workbook, the city report): the
# colours of 已完成, 预警, 滞后 and 未填报, so that the signed Excel file draws them with the styles it already has.
TIMELINESS_COLORS: dict[Timeliness, tuple[str, str]] = {
    Timeliness.ON_TIME: ("#dff3e4", "#1b6e37"),
    Timeliness.LATE: ("#fdf0c2", "#7a5200"),
    Timeliness.MISSING: ("#fbdcdc", "#a11d1d"),
    Timeliness.NOT_DUE: ("#eeeeee", "#666666"),
}


@dataclass(frozen=True)
class Punctuality:
    """How one unit reported one period, judged by when the city received its first valid submission."""

    timeliness: Timeliness
    days_late: int = 0
    received_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        if self.timeliness is Timeliness.LATE:
            return f"逾期 {self.days_late} 天"
        return TIMELINESS_LABELS[self.timeliness]


def punctuality(window: Window, received_at: dt.datetime | None, now: dt.datetime) -> Punctuality:
    """Judge a unit's submission of a period by the time the city received it (intake receipt or import).

    Lateness counts Beijing calendar days after the due date: received the day after is 逾期 1 天.
    """
    if received_at is None:
        return Punctuality(Timeliness.MISSING if now >= window.due_end else Timeliness.NOT_DUE)
    if received_at < window.due_end:
        return Punctuality(Timeliness.ON_TIME, 0, received_at)
    days = (beijing_date(received_at) - window.due).days
    return Punctuality(Timeliness.LATE, max(days, 1), received_at)


@dataclass(frozen=True)
class TimelinessSummary:
    on_time: int
    late: int
    missing: int
    not_due: int

    @property
    def expected(self) -> int:
        """Units whose submission was due."""
        return self.on_time + self.late + self.missing

    @property
    def on_time_rate(self) -> Decimal | None:
        """按时报送率 in percent, one decimal, over the units whose submission was due."""
        if self.expected == 0:
            return None
        return quantize(CONTEXT.divide(Decimal(self.on_time * 100), Decimal(self.expected)), 1)

    @property
    def sentence(self) -> str:
        if self.expected == 0:
            return "尚未到截止日。"
        rate = self.on_time_rate
        parts = [f"应报 {self.expected} 个单位，按时 {self.on_time} 个"]
        if self.late:
            parts.append(f"逾期 {self.late} 个")
        if self.missing:
            parts.append(f"未报 {self.missing} 个")
        later = f"；另有 {self.not_due} 个尚未报送，未到截止日" if self.not_due else ""
        return "，".join(parts) + f"，按时报送率 {rate}%{later}。"


def summarize_timeliness(items: Iterable[Punctuality]) -> TimelinessSummary:
    counts = dict.fromkeys(Timeliness, 0)
    for p in items:
        counts[p.timeliness] += 1
    return TimelinessSummary(
        counts[Timeliness.ON_TIME], counts[Timeliness.LATE], counts[Timeliness.MISSING], counts[Timeliness.NOT_DUE]
    )
