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

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from app.storage.models import AuditEntry, PeriodExtension, Unit

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


def extension_for(session: Session, unit_code: str, period: Period) -> Extension | None:
    """The latest extension the city granted ``unit_code`` for ``period``, if any."""
    row = session.scalar(
        select(PeriodExtension)
        .join(Unit, Unit.id == PeriodExtension.unit_id)
        .where(Unit.code == unit_code, PeriodExtension.period == str(period))
        .order_by(PeriodExtension.granted_at.desc(), PeriodExtension.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return Extension(
        dt.date.fromisoformat(row.due) if row.due else None,
        dt.date.fromisoformat(row.closes) if row.closes else None,
    )


@dataclass(frozen=True)
class Granted:
    """One extension the city granted a unit for a period, as the history shows it."""

    granted_at: str  # ISO time, UTC
    due: dt.date | None
    closes: dt.date | None
    reason: str


def extensions_granted(session: Session, unit_code: str, period: Period) -> list[Granted]:
    """Every extension recorded for ``unit_code`` and ``period``, oldest first (the latest one counts)."""
    rows = session.scalars(
        select(PeriodExtension)
        .join(Unit, Unit.id == PeriodExtension.unit_id)
        .where(Unit.code == unit_code, PeriodExtension.period == str(period))
        .order_by(PeriodExtension.granted_at, PeriodExtension.id)
    )
    return [
        Granted(
            row.granted_at,
            dt.date.fromisoformat(row.due) if row.due else None,
            dt.date.fromisoformat(row.closes) if row.closes else None,
            row.reason,
        )
        for row in rows
    ]


def window_for(session: Session, spec: CatalogSpec, unit_code: str, period: Period) -> Window | None:
    """The unit's reporting window for ``period``: the template's, as the city extended it for this unit."""
    window = spec.window(period)
    if window is None:
        return None
    return window.extended(extension_for(session, unit_code, period))


def deadline_for(
    session: Session, spec: CatalogSpec, unit_code: str, period: Period, now: dt.datetime | None = None
) -> DeadlineState | None:
    """What the banner says for the unit and period, or None when the template has no calendar for it."""
    window = window_for(session, spec, unit_code, period)
    return None if window is None else deadline_state(window, reference_time(spec, now))


def entry_refusal_for(
    session: Session, spec: CatalogSpec, unit_code: str, period: Period, now: dt.datetime | None = None
) -> str | None:
    """Why entry into the unit's period is refused (closed and not extended), or None."""
    return entry_refusal(window_for(session, spec, unit_code, period), reference_time(spec, now))


def received_times(session: Session, period: Period, unit_codes: Iterable[str]) -> dict[str, dt.datetime]:
    """When the city first received a valid submission of ``period`` from each unit (units never heard from are
    left out)."""
    rows = session.execute(
        select(AuditEntry.unit_code, func.min(AuditEntry.at))
        .where(
            AuditEntry.action.in_(RECEIVED_ACTIONS),
            AuditEntry.period == str(period),
            AuditEntry.unit_code.in_(list(unit_codes)),
        )
        .group_by(AuditEntry.unit_code)
    )
    return {code: moment for code, at in rows if (moment := stored_moment(at)) is not None}


def punctuality_for(
    session: Session, spec: CatalogSpec, period: Period, unit_codes: Iterable[str], now: dt.datetime | None = None
) -> dict[str, Punctuality]:
    """按时 / 逾期 N 天 / 未报 of each unit, judged by the time the city received its submission; empty when the
    template has no calendar for ``period``."""
    if spec.window(period) is None:
        return {}
    codes = list(unit_codes)
    received = received_times(session, period, codes)
    moment = reference_time(spec, now)
    out: dict[str, Punctuality] = {}
    for code in codes:
        window = window_for(session, spec, code, period)
        assert window is not None
        out[code] = punctuality(window, received.get(code), moment)
    return out
