"""The self-check of a stored unit and period: the engine's :func:`run_check` over what the database holds."""

from __future__ import annotations

from app.engine.periods import Period
from app.engine.selfcheck import CheckResult, Figures, run_check
from app.storage import reads
from app.storage.sql import Source


def check_unit(source: Source, unit_code: str, period: Period) -> CheckResult:
    """Self-check of a stored unit and period (see :func:`run_check`); ``source`` is a session or, for a database
    file, its plain connection (:meth:`app.storage.db.Database.reading`)."""
    spec = reads.spec_for_year(source, period.year)
    if spec is None:
        raise LookupError(f"还没有导入 {period.year} 年度的指标模板")
    if spec.unit(unit_code) is None:
        raise LookupError(f"单位 {unit_code} 不在 {spec.name} 中")
    figures = Figures(spec, lambda u, p: reads.load_entries(source, u, p, catalog_code=spec.code))
    return run_check(figures, unit_code, period)
