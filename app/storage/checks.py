"""The self-check of a stored unit and period: the engine's :func:`run_check` over what the database holds."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.engine.periods import Period
from app.engine.selfcheck import CheckResult, Figures, run_check
from app.storage.catalogs import load_spec
from app.storage.store import catalog_for_year, load_entries


def check_unit(session: Session, unit_code: str, period: Period) -> CheckResult:
    """Self-check of a stored unit and period (see :func:`run_check`)."""
    catalog = catalog_for_year(session, period.year)
    if catalog is None:
        raise LookupError(f"还没有导入 {period.year} 年度的指标模板")
    spec = load_spec(session, catalog)
    if spec.unit(unit_code) is None:
        raise LookupError(f"单位 {unit_code} 不在 {spec.name} 中")
    figures = Figures(spec, lambda u, p: load_entries(session, u, p, catalog_code=spec.code))
    return run_check(figures, unit_code, period)
