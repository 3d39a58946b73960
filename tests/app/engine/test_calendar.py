"""The reporting calendar at its boundaries: the due day itself, one minute after, extensions, a closed period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.calendar import (
    CalendarError,
    Deadline,
    Extension,
    Punctuality,
    Timeliness,
    Window,
    deadline_state,
    entry_refusal,
    punctuality,
    summarize_timeliness,
)
from app.engine.periods import Period
from app.engine.timefmt import BEIJING

Q1 = Period(2023, 1)
WINDOW = Window(Q1, opens=dt.date(2023, 4, 1), due=dt.date(2023, 4, 15), closes=dt.date(2023, 4, 30))


def bj(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BEIJING)


@pytest.mark.parametrize(
    ("now", "state", "days", "label"),
    [
        (bj(2023, 3, 31, 23, 59), Deadline.NOT_OPEN, 0, "尚未开始填报（2023年4月1日开始）"),
        (bj(2023, 4, 1, 0, 0), Deadline.OPEN, 14, "距截止还有 14 天（2023年4月15日截止）"),
        (bj(2023, 4, 14, 23, 59), Deadline.OPEN, 1, "距截止还有 1 天（2023年4月15日截止）"),
        (bj(2023, 4, 15, 0, 0), Deadline.DUE_TODAY, 0, "今天截止"),
        (bj(2023, 4, 15, 23, 59, 59), Deadline.DUE_TODAY, 0, "今天截止"),
        (bj(2023, 4, 16, 0, 0), Deadline.OVERDUE, 1, "已逾期 1 天（2023年4月15日截止，2023年4月30日关闭）"),
        (bj(2023, 4, 30, 23, 59), Deadline.OVERDUE, 15, "已逾期 15 天（2023年4月15日截止，2023年4月30日关闭）"),
        (bj(2023, 5, 1, 0, 0), Deadline.CLOSED, 0, "已截止（2023年4月30日关闭填报）"),
    ],
)
def test_the_clerk_sees_days_left_overdue_or_closed(now: dt.datetime, state: Deadline, days: int, label: str) -> None:
    seen = deadline_state(WINDOW, now)
    assert (seen.state, seen.days, seen.label) == (state, days, label)


def test_beijing_time_decides_the_day_whatever_the_pc_zone() -> None:
    # 16:00 UTC on the 15th is already 00:00 on the 16th in Beijing: one day late.
    utc = dt.datetime(2023, 4, 15, 16, 0, tzinfo=dt.UTC)
    assert deadline_state(WINDOW, utc).state is Deadline.OVERDUE
    assert deadline_state(WINDOW, utc - dt.timedelta(minutes=1)).state is Deadline.DUE_TODAY


def test_entry_is_refused_only_once_the_period_closes() -> None:
    assert entry_refusal(WINDOW, bj(2023, 3, 1, 9, 0)) is None  # early figures may be prepared
    assert entry_refusal(WINDOW, bj(2023, 4, 30, 23, 59)) is None  # late, but still open
    reason = entry_refusal(WINDOW, bj(2023, 5, 1, 0, 0))
    assert reason is not None and "2023年第一季度已于2023年4月30日关闭填报" in reason and "延长" in reason
    assert entry_refusal(None, bj(2030, 1, 1, 0, 0)) is None  # a template without a calendar: as before


def test_an_extension_moves_the_due_date_and_reopens_a_closed_period() -> None:
    later = WINDOW.extended(Extension(due=dt.date(2023, 5, 10)))
    assert (later.due, later.closes) == (dt.date(2023, 5, 10), dt.date(2023, 5, 10))
    assert entry_refusal(later, bj(2023, 5, 5, 10, 0)) is None
    assert deadline_state(later, bj(2023, 5, 5, 10, 0)).label == "距截止还有 5 天（2023年5月10日截止）"
    reopened = WINDOW.extended(Extension(closes=dt.date(2023, 6, 30)))
    assert (reopened.due, reopened.closes) == (WINDOW.due, dt.date(2023, 6, 30))
    assert deadline_state(reopened, bj(2023, 6, 1, 0, 0)).state is Deadline.OVERDUE
    # An extension never shortens what the template gave.
    assert WINDOW.extended(Extension(due=dt.date(2023, 4, 2), closes=dt.date(2023, 4, 3))) == WINDOW
    assert WINDOW.extended(None) == WINDOW


def test_a_window_must_open_before_it_is_due_and_close_after() -> None:
    with pytest.raises(CalendarError):
        Window(Q1, opens=dt.date(2023, 4, 16), due=dt.date(2023, 4, 15), closes=dt.date(2023, 4, 30))
    with pytest.raises(CalendarError):
        Window(Q1, opens=dt.date(2023, 4, 1), due=dt.date(2023, 4, 15), closes=dt.date(2023, 4, 14))


@pytest.mark.parametrize(
    ("received", "expected", "label"),
    [
        (bj(2023, 4, 15, 23, 59), Timeliness.ON_TIME, "按时"),
        (bj(2023, 4, 16, 0, 0), Timeliness.LATE, "逾期 1 天"),
        (bj(2023, 4, 16, 0, 1), Timeliness.LATE, "逾期 1 天"),
        (bj(2023, 4, 25, 9, 0), Timeliness.LATE, "逾期 10 天"),
    ],
)
def test_the_city_judges_by_the_time_it_received(received: dt.datetime, expected: Timeliness, label: str) -> None:
    seen = punctuality(WINDOW, received, now=bj(2023, 6, 1, 0, 0))
    assert (seen.timeliness, seen.label, seen.received_at) == (expected, label, received)


def test_nothing_received_is_missing_only_after_the_due_date() -> None:
    assert punctuality(WINDOW, None, bj(2023, 4, 15, 12, 0)).timeliness is Timeliness.NOT_DUE
    missing = punctuality(WINDOW, None, bj(2023, 4, 16, 0, 0))
    assert (missing.timeliness, missing.label) == (Timeliness.MISSING, "未报")


def test_on_time_rate_counts_only_units_whose_submission_was_due() -> None:
    items = [
        Punctuality(Timeliness.ON_TIME),
        Punctuality(Timeliness.ON_TIME),
        Punctuality(Timeliness.LATE, 3),
        Punctuality(Timeliness.MISSING),
        Punctuality(Timeliness.NOT_DUE),
    ]
    summary = summarize_timeliness(items)
    assert (summary.expected, summary.on_time_rate) == (4, Decimal("50.0"))
    assert (
        summary.sentence
        == "应报 4 个单位，按时 2 个，逾期 1 个，未报 1 个，按时报送率 50.0%；另有 1 个尚未报送，未到截止日。"
    )
    assert summarize_timeliness([Punctuality(Timeliness.NOT_DUE)]).on_time_rate is None


@given(
    received=st.datetimes(
        min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2024, 1, 1), timezones=st.just(dt.UTC)
    )
)
def test_late_exactly_when_received_after_the_due_day_ends_in_beijing(received: dt.datetime) -> None:
    seen = punctuality(WINDOW, received, now=bj(2024, 1, 1, 0, 0))
    late = received.astimezone(BEIJING).date() > WINDOW.due
    assert (seen.timeliness is Timeliness.LATE) == late
    if late:
        assert seen.days_late == (received.astimezone(BEIJING).date() - WINDOW.due).days
