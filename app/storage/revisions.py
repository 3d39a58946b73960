"""Revisions of one unit's report: what changed from one to another (indicator, field, old → new)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.engine.compute import EMPTY, Entry
from app.engine.numbers import to_text
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.models import Catalog, Indicator, Submission, Unit
from app.storage.store import entries_of


@dataclass(frozen=True)
class Difference:
    indicator: str
    name: str
    field: str  # value / numerator / denominator / explanation
    old: str | None
    new: str | None


def diff_revisions(db: Database, unit_code: str, period: Period, old: int, new: int) -> list[Difference]:
    """Every field that differs between revisions ``old`` and ``new`` of the unit's report for ``period``."""
    with db.session() as session:
        unit = session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise LookupError(f"单位 {unit_code} 不存在")
        subs = {
            s.revision: s
            for s in session.scalars(
                select(Submission)
                .join(Catalog, Catalog.id == Submission.catalog_id)
                .where(Submission.unit_id == unit.id, Submission.period == str(period), Catalog.year == period.year)
            )
        }
        missing = [r for r in (old, new) if r not in subs]
        if missing:
            raise LookupError(f"没有第 {'、'.join(map(str, missing))} 版")
        before, after = entries_of(session, subs[old]), entries_of(session, subs[new])
        names = dict(
            session.execute(
                select(Indicator.code, Indicator.name).where(Indicator.catalog_id == subs[new].catalog_id)
            ).all()
        )
    out: list[Difference] = []
    for code in sorted(before.keys() | after.keys(), key=lambda c: (c not in names, c)):
        a, b = before.get(code, EMPTY), after.get(code, EMPTY)
        for field in ("value", "numerator", "denominator", "explanation"):
            x, y = _text(a, field), _text(b, field)
            if x != y:
                out.append(Difference(code, names.get(code, code), field, x, y))
    return out


def _text(entry: Entry, field: str) -> str | None:
    if field == "explanation":
        return entry.explanation or None
    return to_text(getattr(entry, field))
