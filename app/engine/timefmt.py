"""Times as people read them, written out field by field: the same text on every machine.

``strftime`` is not used for what people see. On Windows the C runtime formats in the locale's code page: a
format holding Chinese text fails there (``UnicodeEncodeError`` under an English code page, ``Invalid format
string`` or garbled text under the Chinese one), and names of months, days and AM/PM follow the machine's
language. Everything here builds the text from the date's numbers instead.
"""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8))
BEIJING_SUFFIX = "（北京时间）"


def utcnow() -> str:
    """Now as stored: a UTC ISO string to the millisecond."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def date_text(day: dt.date) -> str:
    """``2023-07-10``."""
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def clock_text(when: dt.datetime) -> str:
    """``2023-07-10 16:15:02``: the date and time as the value holds them, to the second, with no conversion."""
    return f"{date_text(when)} {when.hour:02d}:{when.minute:02d}:{when.second:02d}"


def beijing_text(when: dt.datetime) -> str:
    """An instant in Beijing time with its label, ``2023-07-10 16:15:02（北京时间）``, whatever the machine's time
    zone. A time without a zone cannot be converted and is shown as it is, without the label."""
    if when.tzinfo is None:
        return clock_text(when)
    return clock_text(when.astimezone(BEIJING)) + BEIJING_SUFFIX


def stored_moment(text: str | None) -> dt.datetime | None:
    """An ISO 8601 time as the program stores it (UTC, a trailing ``Z`` allowed; without a zone it is UTC), or
    ``None`` when the text is not a time."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def beijing_from_iso(text: str) -> str | None:
    """``beijing_text`` of an ISO 8601 time (as stored and signed); ``None`` when the text is not a time."""
    try:
        when = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return beijing_text(when)
