"""Times as shown in exports: written out from the date's fields, the same text on every machine."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from app.engine.timefmt import BEIJING, beijing_from_iso, beijing_text, clock_text, date_text


def test_an_instant_is_shown_in_beijing_time_with_its_label() -> None:
    assert beijing_from_iso("2023-07-10T08:15:02.123+00:00") == "2023-07-10 16:15:02（北京时间）"
    # From another zone, across midnight and the year's end.
    assert beijing_from_iso("2023-12-31T20:00:00-05:00") == "2024-01-01 09:00:00（北京时间）"


def test_a_time_without_a_zone_is_shown_as_it_is_without_the_label() -> None:
    assert beijing_from_iso("2023-07-10T08:15:02") == "2023-07-10 08:15:02"


def test_text_that_is_no_time_gives_none() -> None:
    assert beijing_from_iso("gestern") is None
    assert beijing_from_iso("") is None


def test_dates_and_clock_times_are_zero_padded() -> None:
    assert date_text(dt.date(987, 3, 4)) == "0987-03-04"
    assert clock_text(dt.datetime(2023, 1, 2, 3, 4, 5, 999_999)) == "2023-01-02 03:04:05"


@given(st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9999, 12, 30)), st.integers(-14, 14))
def test_the_text_is_what_strftime_gives_where_strftime_works(when: dt.datetime, offset: int) -> None:
    # On Linux strftime is right whatever the locale; on Windows it fails on Chinese in the format.
    aware = when.replace(tzinfo=dt.timezone(dt.timedelta(hours=offset)))
    expected = aware.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"
    assert beijing_text(aware) == expected
