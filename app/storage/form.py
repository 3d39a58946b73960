"""An open form — one unit, one period — as the window and scripts use it.

Edits are saved at once (one transaction with their audit rows) and the self-check is recomputed in memory
from the changed entries, so a keystroke costs one small write and one pass over the indicators; other
periods' figures, which the checks compare against, are loaded once and kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from app.engine.calendar import DeadlineState
from app.engine.catalog import FIELD_ORDER, CatalogSpec, IndicatorSpec, UnitSpec
from app.engine.compute import EMPTY, Entry
from app.engine.numbers import NumberError
from app.engine.periods import Period
from app.engine.selfcheck import CheckResult, Figures, run_check
from app.storage import reads
from app.storage.calendar import Granted, deadline_for, entry_refusal_for, extensions_granted
from app.storage.db import Database
from app.storage.entries import MAX_EXPLANATION, Change, EntryError, apply_and_read, current_user, parse_input
from app.storage.reads import AuditRow, RevisionInfo


class FormError(ValueError):
    """An input the form refuses; the message names the indicator and says why, in Chinese."""


@dataclass(frozen=True)
class UnitChoice:
    code: str
    name: str
    has_children: bool


def field_rank(field: str) -> int:
    return FIELD_ORDER.index(field) if field in FIELD_ORDER else len(FIELD_ORDER)


def ordered_indicators(spec: CatalogSpec) -> list[IndicatorSpec]:
    """Indicators in display order: grouped by field in the customary order, template order within a field."""
    position = {ind.code: i for i, ind in enumerate(spec.indicators)}
    return sorted(spec.indicators, key=lambda ind: (field_rank(ind.field), position[ind.code]))


class FormService:
    """One unit's report for one period: its figures, its check, and saving what the clerk types."""

    def __init__(self, db: Database, unit_code: str, period: Period, user: str | None = None) -> None:
        self.db = db
        self.period = period
        self.user = user or current_user()
        with db.reading() as source:
            spec = reads.spec_for_year(source, period.year)
        if spec is None:
            raise FormError(f"还没有导入 {period.year} 年度的指标模板")
        self.spec = spec
        unit = self.spec.unit(unit_code)
        if unit is None:
            raise FormError(f"单位 {unit_code} 不在 {self.spec.name} 中")
        self.unit: UnitSpec = unit
        self.indicators = ordered_indicators(self.spec)
        self.aggregated = bool(self.spec.children_of(unit_code))
        self._figures = Figures(self.spec, self._load)
        self.result: CheckResult = run_check(self._figures, unit_code, period)

    def deadline(self, now: dt.datetime | None = None) -> DeadlineState | None:
        """Where the period stands by this PC's clock (距截止还有 N 天 …), or None without a calendar."""
        with self.db.reading() as source:
            return deadline_for(source, self.spec, self.unit.code, self.period, now)

    def entry_refusal(self, now: dt.datetime | None = None) -> str | None:
        """Why nothing can be entered into this period now (it closed, and the city has not reopened it for this
        unit), or None while entry is open."""
        with self.db.reading() as source:
            return entry_refusal_for(source, self.spec, self.unit.code, self.period, now)

    def year_deadlines(self, now: dt.datetime | None = None) -> dict[str, DeadlineState]:
        """Where each period of the year the calendar dates stands for this unit (for the period picker), by
        period text (``2023Q1`` …)."""
        out: dict[str, DeadlineState] = {}
        with self.db.reading() as source:
            for key in self.spec.calendar:
                state = deadline_for(source, self.spec, self.unit.code, Period.parse(key), now)
                if state is not None:
                    out[key] = state
        return out

    def extensions(self) -> list[Granted]:
        """The extensions the city granted this unit for this period, oldest first."""
        with self.db.reading() as source:
            return extensions_granted(source, self.unit.code, self.period)

    def _load(self, unit: str, period: Period) -> dict[str, Entry]:
        with self.db.reading() as source:
            return reads.load_entries(source, unit, period, catalog_code=self.spec.code)

    # ------------------------------------------------------------------ reading

    def editable(self, ind: IndicatorSpec, field: str) -> bool:
        """Whether ``field`` of ``ind`` can be typed into here."""
        if field == "explanation":
            return True
        if not self.spec.entered_at(ind, self.unit.code):
            return False
        if ind.kind == "ratio":
            return field in ("numerator", "denominator")
        return field == "value"

    def revisions(self) -> list[RevisionInfo]:
        with self.db.reading() as source:
            return reads.revisions(source, self.unit.code, self.period)

    def audit(self, indicator: str | None = None) -> list[AuditRow]:
        with self.db.reading() as source:
            return reads.audit_trail(source, self.unit.code, self.period, indicator)

    # ------------------------------------------------------------------ writing

    def parse(self, code: str, field: str, text: str | None) -> Decimal | None:
        """Check what was typed into one cell; raises :class:`FormError` with the reason."""
        ind = self.spec.by_code[code]
        if not self.editable(ind, field):
            raise FormError(f"{ind.name}的这一项不能直接填写")
        try:
            return parse_input(ind, field, text)
        except NumberError as exc:
            raise FormError(str(exc)) from exc

    def set_cells(self, cells: list[tuple[str, str, str | None]]) -> CheckResult:
        """Save typed cells ``(code, field, text)`` together — all or nothing — and re-check.

        ``field`` is ``value``, ``numerator``, ``denominator`` or ``explanation``.
        """
        changes: list[Change] = []
        problems: list[str] = []
        for code, field, text in cells:
            try:
                if field == "explanation":
                    ind = self.spec.by_code[code]
                    if text is not None and len(text) > MAX_EXPLANATION:
                        raise FormError(f"{ind.name}的情况说明超过 {MAX_EXPLANATION} 字")
                    changes.append(Change(code, explanation=text or ""))
                else:
                    changes.append(Change(code, **{field: self.parse(code, field, text)}))  # type: ignore[arg-type]
            except FormError as exc:
                problems.append(str(exc))
        if problems:
            raise FormError("；".join(problems))
        return self.apply(changes)

    def apply(self, changes: list[Change], action: str = "edit") -> CheckResult:
        """Save ``changes`` in one transaction with their audit rows, then re-check in memory."""
        if not changes:
            return self.result
        codes = {c.indicator for c in changes}
        try:
            with self.db.writing() as source:
                _, stored = apply_and_read(source, self.spec, self.unit.code, self.period, changes, self.user, action)
        except EntryError as exc:
            raise FormError(str(exc)) from exc
        if self.aggregated:
            self._figures.forget(self.unit.code, self.period)
        else:
            # Only the edited entries are read back; the rest of the form is unchanged in memory.
            self._figures.replace_entries(self.unit.code, self.period, {c: stored.get(c, EMPTY) for c in codes})
        self.result = run_check(self._figures, self.unit.code, self.period, previous=self.result)
        return self.result

    def reload(self) -> CheckResult:
        """Drop everything cached and check again from the database."""
        self._figures = Figures(self.spec, self._load)
        self.result = run_check(self._figures, self.unit.code, self.period)
        return self.result


def unit_choices(db: Database, year: int) -> list[UnitChoice]:
    """The units of the newest catalog of ``year``, city first."""
    with db.reading() as source:
        return [UnitChoice(*unit) for unit in reads.units_of_year(source, year)]


def available_years(db: Database) -> list[int]:
    with db.reading() as source:
        return reads.available_years(source)


def has_submission(db: Database, unit_code: str, period: Period) -> bool:
    with db.reading() as source:
        return reads.has_submission(source, unit_code, period)
