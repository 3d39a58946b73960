"""Storing a template: a checked file becomes a catalog, its units, indicators, targets and rules in the
database, in the caller's transaction, so a refused file leaves the database as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.engine.catalog import CatalogSpec, IndicatorSpec, UnitSpec
from app.storage.models import Catalog, CatalogPeriod, CatalogUnit, Indicator, Target, Unit, ValidationRule
from app.templates.document import TemplateError, content_hash, read_document
from app.templates.export import document_from_spec
from app.templates.spec import spec_from_document


def import_template(session: Session, path: Path) -> tuple[Catalog, bool]:
    """Check and store a template file. Returns the catalog row and whether it was new.

    The caller's transaction makes it all-or-nothing.
    """
    doc = read_document(path)
    spec = spec_from_document(doc, str(path))
    # The identity of a template is its content as this program understands it (defaults filled in), so a
    # template exported from the database imports back into it as the same one.
    return store_spec(session, spec, content_hash(document_from_spec(spec)), doc.get("signature"), str(path))


def store_spec(
    session: Session, spec: CatalogSpec, digest: str, signature: Any = None, source: str = "<模板>"
) -> tuple[Catalog, bool]:
    existing = session.scalar(
        select(Catalog).where(Catalog.code == spec.code, Catalog.version == spec.version, Catalog.year == spec.year)
    )
    if existing is not None:
        if existing.content_hash == digest:
            return existing, False
        raise TemplateError(
            source, [f"已导入过 {spec.code} {spec.year} 年 {spec.version} 版，但内容不同；修改后的模板须使用新的版本号"]
        )
    try:
        signature_text = None if signature is None else json.dumps(signature, ensure_ascii=False, sort_keys=True)
    except TypeError as exc:  # a JSON number read as Decimal: data in the file are decimal strings
        raise TemplateError(source, ["signature：签名中的数值须写成文本"]) from exc
    units = _store_units(session, spec.units)
    catalog = Catalog(
        code=spec.code,
        name=spec.name,
        version=spec.version,
        year=spec.year,
        baseline_year=spec.baseline_year,
        demo=spec.demo,
        issuer=spec.issuer,
        description=spec.description,
        content_hash=digest,
        signature=signature_text,
        intake_url=spec.intake_url,
        cap_warning_margin=spec.cap_pacing.warning_margin if spec.cap_pacing else None,
        cap_alarm_margin=spec.cap_pacing.alarm_margin if spec.cap_pacing else None,
    )
    session.add(catalog)
    rows = {ind.code: _indicator_row(ind, order) for order, ind in enumerate(spec.indicators)}
    catalog.indicators.extend(rows.values())
    session.flush()
    for order, listed in enumerate(spec.units):
        session.add(
            CatalogUnit(
                catalog_id=catalog.id,
                unit_id=units[listed.code].id,
                name=listed.name,
                parent_unit_id=units[listed.parent].id if listed.parent else None,
                sort_order=order,
            )
        )
    for (code, unit, period), t in spec.targets.items():
        session.add(
            Target(
                indicator_id=rows[code].id,
                unit_id=units[unit].id,
                period=period,
                target=t.target,
                baseline=t.baseline,
                milestone_q1=t.milestones.get(1),
                milestone_q2=t.milestones.get(2),
                milestone_q3=t.milestones.get(3),
            )
        )
    for order, window in enumerate(spec.calendar.values()):
        dates = {"opens": window.opens, "due": window.due, "closes": window.closes}
        session.add(
            CatalogPeriod(
                catalog_id=catalog.id,
                period=str(window.period),
                sort_order=order,
                **{key: day.isoformat() for key, day in dates.items()},
            )
        )
    for order, rule in enumerate(spec.rules):
        session.add(
            ValidationRule(
                catalog_id=catalog.id,
                code=rule.code,
                left=rule.left,
                op=rule.op,
                right=rule.right,
                level=rule.level,
                message=rule.message,
                sort_order=order,
            )
        )
    session.flush()
    return catalog, True


def _indicator_row(ind: IndicatorSpec, order: int) -> Indicator:
    """The database row of one indicator of a template, at its place in the template."""
    return Indicator(
        code=ind.code,
        name=ind.name,
        field=ind.field,
        tier=ind.tier,
        unit_label=ind.unit,
        decimals=ind.decimals,
        kind=ind.kind,
        frequency=ind.frequency,
        accumulation=ind.accumulation,
        direction=ind.direction,
        aggregation=ind.aggregation,
        assessed=ind.assessed,
        formula=ind.formula,
        numerator_name=ind.numerator.name if ind.numerator else None,
        numerator_unit=ind.numerator.unit if ind.numerator else None,
        numerator_decimals=ind.numerator.decimals if ind.numerator else None,
        denominator_name=ind.denominator.name if ind.denominator else None,
        denominator_unit=ind.denominator.unit if ind.denominator else None,
        denominator_decimals=ind.denominator.decimals if ind.denominator else None,
        scale=ind.scale,
        min_value=ind.min_value,
        max_value=ind.max_value,
        change_threshold=ind.change_threshold,
        description=ind.description,
        sort_order=order,
    )


def _store_units(session: Session, units: list[UnitSpec]) -> dict[str, Unit]:
    """Create or update the template's units (a unit keeps its row, and so its submissions, across years)."""
    rows = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_([u.code for u in units])))}
    for order, spec in enumerate(units):
        row = rows.get(spec.code)
        if row is None:
            row = Unit(code=spec.code, name=spec.name, sort_order=order)
            session.add(row)
            rows[spec.code] = row
        else:
            row.name, row.sort_order = spec.name, order
    session.flush()
    for spec in units:
        rows[spec.code].parent_id = rows[spec.parent].id if spec.parent else None
    session.flush()
    return rows
