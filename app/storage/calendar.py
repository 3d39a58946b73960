"""The reporting calendar as the database holds it: a unit's window with the city's extension, whether entry is
open, and when the city received each unit's submission of a period.

The district judges by its own clock (a reminder: the PC's clock may be wrong); the city judges lateness by the
time it received a submission, which its own database recorded on import or intake. The demo catalog tells the
story of the 2023 mid-year evaluation, so its calendar is read as of :data:`DEMO_NOW` whatever today is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from app.engine.calendar import (
    DeadlineState,
    Extension,
    Punctuality,
    Window,
    deadline_state,
    entry_refusal,
    punctuality,
)
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.engine.timefmt import BEIJING, stored_moment
from app.storage.sql import Source, first, in_list, rows

DEMO_NOW = dt.datetime(2023, 7, 10, 10, 0, tzinfo=BEIJING)
# Audit actions that mean "the city received a submission": a file import, an upload to the intake service.
RECEIVED_ACTIONS = ("import", "receive")


def clock() -> dt.datetime:
    """Now, as an aware UTC moment."""
    return dt.datetime.now(dt.UTC)


def reference_time(spec: CatalogSpec, now: dt.datetime | None = None) -> dt.datetime:
    """The moment the calendar of ``spec`` is read at: ``now`` (default: the clock), or the demo's own day."""
    if spec.demo:
        return DEMO_NOW
    return now if now is not None else clock()


_EXTENSIONS = (
    "SELECT e.granted_at, e.due, e.closes, e.reason FROM period_extensions e JOIN units u ON u.id = e.unit_id "
    "WHERE u.code = :unit AND e.period = :period ORDER BY e.granted_at{order}, e.id{order}"
)


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def extension_for(source: Source, unit_code: str, period: Period) -> Extension | None:
    """The latest extension the city granted ``unit_code`` for ``period``, if any."""
    row = first(source, _EXTENSIONS.format(order=" DESC") + " LIMIT 1", {"unit": unit_code, "period": str(period)})
    return None if row is None else Extension(_day(row[1]), _day(row[2]))


@dataclass(frozen=True)
class Granted:
    """One extension the city granted a unit for a period, as the history shows it."""

    granted_at: str  # ISO time, UTC
    due: dt.date | None
    closes: dt.date | None
    reason: str


def extensions_granted(source: Source, unit_code: str, period: Period) -> list[Granted]:
    """Every extension recorded for ``unit_code`` and ``period``, oldest first (the latest one counts)."""
    found = rows(source, _EXTENSIONS.format(order=""), {"unit": unit_code, "period": str(period)})
    return [Granted(at, _day(due), _day(closes), reason) for at, due, closes, reason in found]


def window_for(source: Source, spec: CatalogSpec, unit_code: str, period: Period) -> Window | None:
    """The unit's reporting window for ``period``: the template's, as the city extended it for this unit."""
    window = spec.window(period)
    if window is None:
        return None
    return window.extended(extension_for(source, unit_code, period))


def deadline_for(
    source: Source, spec: CatalogSpec, unit_code: str, period: Period, now: dt.datetime | None = None
) -> DeadlineState | None:
    """What the banner says for the unit and period, or None when the template has no calendar for it."""
    window = window_for(source, spec, unit_code, period)
    return None if window is None else deadline_state(window, reference_time(spec, now))


def entry_refusal_for(
    source: Source, spec: CatalogSpec, unit_code: str, period: Period, now: dt.datetime | None = None
) -> str | None:
    """Why entry into the unit's period is refused (closed and not extended), or None."""
    return entry_refusal(window_for(source, spec, unit_code, period), reference_time(spec, now))


def received_times(source: Source, period: Period, unit_codes: Iterable[str]) -> dict[str, dt.datetime]:
    """When the city first received a valid submission of ``period`` from each unit (units never heard from are
    left out)."""
    actions, action_params = in_list("action", RECEIVED_ACTIONS)
    units, unit_params = in_list("unit", unit_codes)
    found = rows(
        source,
        f"SELECT unit_code, MIN(at) FROM audit_log WHERE action IN {actions} AND period = :period "
        f"AND unit_code IN {units} GROUP BY unit_code",
        {"period": str(period), **action_params, **unit_params},
    )
    return {code: moment for code, at in found if (moment := stored_moment(at)) is not None}


def punctuality_for(
    source: Source, spec: CatalogSpec, period: Period, unit_codes: Iterable[str], now: dt.datetime | None = None
) -> dict[str, Punctuality]:
    """按时 / 逾期 N 天 / 未报 of each unit, judged by the time the city received its submission; empty when the
    template has no calendar for ``period``."""
    if spec.window(period) is None:
        return {}
    codes = list(unit_codes)
    received = received_times(source, period, codes)
    moment = reference_time(spec, now)
    out: dict[str, Punctuality] = {}
    for code in codes:
        window = window_for(source, spec, code, period)
        assert window is not None
        out[code] = punctuality(window, received.get(code), moment)
    return out
