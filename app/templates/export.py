"""A catalog written back as a template document: what ``template export`` writes, and what the content
hash of an imported template is computed over."""

from __future__ import annotations

from typing import Any

from app.engine.calendar import Window
from app.engine.catalog import CatalogSpec, IndicatorSpec, TargetSpec
from app.engine.numbers import to_text
from app.templates.document import FORMAT


def document_from_spec(spec: CatalogSpec, signature: Any = None) -> dict[str, Any]:
    """The template document of ``spec`` (what ``template export`` writes)."""

    def indicator(ind: IndicatorSpec) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": ind.code,
            "name": ind.name,
            "field": ind.field,
            "tier": ind.tier,
            "unit": ind.unit,
            "decimals": ind.decimals,
            "kind": ind.kind,
            "frequency": ind.frequency,
            "accumulation": ind.accumulation,
            "direction": ind.direction,
            "aggregation": ind.aggregation,
            "assessed": ind.assessed,
        }
        if ind.formula is not None:
            out["formula"] = ind.formula
        for key, part in (("numerator", ind.numerator), ("denominator", ind.denominator)):
            if part is not None:
                out[key] = {"name": part.name, "unit": part.unit, "decimals": part.decimals}
        if ind.kind == "ratio":
            out["scale"] = to_text(ind.scale)
        out["min"] = to_text(ind.min_value)
        out["max"] = to_text(ind.max_value)
        out["change_threshold"] = to_text(ind.change_threshold)
        if ind.description:
            out["description"] = ind.description
        return out

    def target(key: tuple[str, str, str], t: TargetSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"indicator": key[0], "unit": key[1], "period": key[2]}
        if t.target is not None:
            out["target"] = to_text(t.target)
        if t.baseline is not None:
            out["baseline"] = to_text(t.baseline)
        if t.milestones:
            out["milestones"] = {f"Q{q}": to_text(v) for q, v in sorted(t.milestones.items())}
        return out

    catalog: dict[str, Any] = {
        "code": spec.code,
        "name": spec.name,
        "version": spec.version,
        "year": spec.year,
        "baseline_year": spec.baseline_year,
        "demo": spec.demo,
        "issuer": spec.issuer,
    }
    if spec.description:
        catalog["description"] = spec.description
    if spec.intake_url:
        catalog["intake_url"] = spec.intake_url
    if spec.cap_pacing is not None:
        pacing = {"warning_margin": to_text(spec.cap_pacing.warning_margin)}
        if spec.cap_pacing.alarm_margin is not None:
            pacing["alarm_margin"] = to_text(spec.cap_pacing.alarm_margin)
        catalog["cap_pacing"] = pacing
    return {
        "format": FORMAT,
        "format_version": 1,
        "catalog": catalog,
        "units": [{"code": u.code, "name": u.name, "parent": u.parent} for u in spec.units],
        "indicators": [indicator(i) for i in spec.indicators],
        "targets": [target(k, t) for k, t in spec.targets.items()],
        "rules": [
            {"code": r.code, "left": r.left, "op": r.op, "right": r.right, "level": r.level, "message": r.message}
            for r in spec.rules
        ],
        **({"calendar": [_window(w) for w in spec.calendar.values()]} if spec.calendar else {}),
        "signature": signature,
    }


def _window(w: Window) -> dict[str, str]:
    return {
        "period": str(w.period),
        "opens": w.opens.isoformat(),
        "due": w.due.isoformat(),
        "closes": w.closes.isoformat(),
    }
