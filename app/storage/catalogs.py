"""A stored catalog read back as the engine's :class:`CatalogSpec`, as its template gave it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.calendar import Window
from app.engine.catalog import CapPacing, CatalogSpec, IndicatorSpec, Part, RuleSpec, TargetSpec, UnitSpec
from app.engine.periods import Period
from app.storage.models import Catalog, CatalogPeriod, CatalogUnit, Indicator, Target, Unit, ValidationRule


def load_spec(session: Session, catalog: Catalog) -> CatalogSpec:
    """Build the :class:`CatalogSpec` of a stored catalog."""
    ind_rows = list(
        session.scalars(select(Indicator).where(Indicator.catalog_id == catalog.id).order_by(Indicator.sort_order))
    )
    by_id = {r.id: r for r in ind_rows}
    code_of: dict[int, str] = {unit_id: code for unit_id, code in session.execute(select(Unit.id, Unit.code))}
    # Plain rows, not ORM objects: a 500-indicator template has tens of thousands of targets.
    target_rows = session.execute(
        select(
            Target.indicator_id,
            Target.unit_id,
            Target.period,
            Target.target,
            Target.baseline,
            Target.milestone_q1,
            Target.milestone_q2,
            Target.milestone_q3,
        )
        .join(Indicator, Indicator.id == Target.indicator_id)
        .where(Indicator.catalog_id == catalog.id)
        # The file's order: the content hash covers it, so an exported template must hash like the imported one.
        .order_by(Target.id)
    ).all()
    # The hierarchy as this catalog's template gave it, not as a later template may have changed it.
    listed = session.scalars(
        select(CatalogUnit).where(CatalogUnit.catalog_id == catalog.id).order_by(CatalogUnit.sort_order, CatalogUnit.id)
    )
    units = [UnitSpec(code_of[u.unit_id], u.name, code_of.get(u.parent_unit_id or 0)) for u in listed]
    indicators = [_indicator_spec(r) for r in ind_rows]
    targets = {
        (by_id[t.indicator_id].code, code_of[t.unit_id], t.period): TargetSpec(
            t.target,
            t.baseline,
            {q: v for q, v in ((1, t.milestone_q1), (2, t.milestone_q2), (3, t.milestone_q3)) if v is not None},
        )
        for t in target_rows
    }
    rules = [
        RuleSpec(r.code, r.left, r.op, r.right, r.level, r.message)
        for r in session.scalars(
            select(ValidationRule).where(ValidationRule.catalog_id == catalog.id).order_by(ValidationRule.sort_order)
        )
    ]
    windows = [
        Window(Period.parse(w.period), *(dt.date.fromisoformat(d) for d in (w.opens, w.due, w.closes)))
        for w in session.scalars(
            select(CatalogPeriod).where(CatalogPeriod.catalog_id == catalog.id).order_by(CatalogPeriod.sort_order)
        )
    ]
    pacing = None
    if catalog.cap_warning_margin is not None:
        pacing = CapPacing(catalog.cap_warning_margin, catalog.cap_alarm_margin)
    return CatalogSpec(
        code=catalog.code,
        name=catalog.name,
        version=catalog.version,
        year=catalog.year,
        baseline_year=catalog.baseline_year,
        demo=catalog.demo,
        issuer=catalog.issuer,
        description=catalog.description,
        units=units,
        indicators=indicators,
        targets=targets,
        rules=rules,
        intake_url=catalog.intake_url,
        cap_pacing=pacing,
        calendar={str(w.period): w for w in windows},
    )


def _indicator_spec(r: Indicator) -> IndicatorSpec:
    return IndicatorSpec(
        code=r.code,
        name=r.name,
        field=r.field,
        tier=r.tier,
        unit=r.unit_label,
        decimals=r.decimals,
        kind=r.kind,
        frequency=r.frequency,
        accumulation=r.accumulation,
        direction=r.direction,
        aggregation=r.aggregation,
        assessed=r.assessed,
        formula=r.formula,
        numerator=Part(r.numerator_name, r.numerator_unit or "", r.numerator_decimals or 0)
        if r.numerator_name is not None
        else None,
        denominator=Part(r.denominator_name, r.denominator_unit or "", r.denominator_decimals or 0)
        if r.denominator_name is not None
        else None,
        scale=r.scale,
        min_value=r.min_value,
        max_value=r.max_value,
        change_threshold=r.change_threshold,
        description=r.description,
    )
