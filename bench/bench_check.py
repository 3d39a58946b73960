"""Benchmark: self-check of a district and city aggregation on a synthetic 500-indicator × 11-unit template.

Prints the median of several runs (and min/max) for: loading the catalog, checking one district, and checking
the city (which aggregates all 11 districts with each indicator's rule). Run: ``python bench/bench_check.py``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.engine.periods import Period
from app.engine.selfcheck import Figures, run_check
from app.storage.catalogs import load_spec
from app.storage.checks import check_unit
from app.storage.db import Database
from app.storage.store import Change, apply_changes, catalog_for_year, load_entries
from app.templates.store import import_template

CITY = "520100"
DISTRICTS = [f"5201{n:02d}" for n in range(1, 12)]


def synthetic_template(n: int) -> dict[str, Any]:
    """``n`` indicators: a mix of base sums, ratios, derived formulas, quarterly and annual, with rules."""
    rng = random.Random(7)
    indicators: list[dict[str, Any]] = []
    targets: list[dict[str, Any]] = []
    units = [CITY, *DISTRICTS]
    for i in range(n):
        code = f"I{i:04d}"
        kind = ("base", "base", "ratio", "derived")[i % 4] if i > 1 else "base"
        quarterly = i % 3 == 0
        ind: dict[str, Any] = {
            "code": code,
            "name": f"合成指标{i}",
            "field": ("绿色生产", "绿色消费", "绿色生活", "绿色文明")[i % 4],
            "tier": "core",
            "unit": "%" if kind == "ratio" else "个",
            "decimals": 2,
            "kind": kind,
            "frequency": "quarterly" if quarterly else "annual",
            "accumulation": "level" if kind in ("ratio", "derived") else "cumulative",
            "direction": "higher",
            "aggregation": {"base": "sum", "ratio": "ratio", "derived": "formula"}[kind],
            "change_threshold": "50",
        }
        if kind == "ratio":
            ind["numerator"] = {"name": "分子", "unit": "个", "decimals": 2}
            ind["denominator"] = {"name": "分母", "unit": "个", "decimals": 2}
        if kind == "derived":
            ind["formula"] = f"(I{i - 1:04d} + I{i - 3:04d}) / 2"
            ind["min"] = None
        indicators.append(ind)
        for unit in units:
            if quarterly:
                for q in range(1, 5):
                    targets.append(
                        {"indicator": code, "unit": unit, "period": f"2023Q{q}", "target": str(rng.randint(10, 50) * q)}
                    )
            else:
                t = {"indicator": code, "unit": unit, "period": "2023", "target": str(rng.randint(60, 99))}
                if ind["accumulation"] == "level":
                    t["baseline"] = str(rng.randint(10, 50))
                targets.append(t)
    rules = [
        {
            "code": f"R{j}",
            "left": f"I{j * 4:04d}",
            "op": "<=",
            "right": f"I{j * 4:04d} + I{j * 4 + 1:04d}",
            "level": "warning",
            "message": "合成规则",
        }
        for j in range(n // 20)
    ]
    return {
        "format": "tianbao-template",
        "format_version": 1,
        "catalog": {
            "code": "BENCH",
            "name": "基准测试指标体系",
            "version": "1",
            "year": 2023,
            "baseline_year": 2022,
            "demo": False,
            "issuer": "基准",
        },
        "units": [{"code": CITY, "name": "市", "parent": None}]
        + [{"code": d, "name": f"区{d}", "parent": CITY} for d in DISTRICTS],
        "indicators": indicators,
        "targets": targets,
        "rules": rules,
        "signature": None,
    }


def fill(db: Database, n: int) -> None:
    rng = random.Random(11)
    with db.transaction() as session:
        spec = load_spec(session, catalog_for_year(session, 2023))  # type: ignore[arg-type]
        for period in ("2023Q1", "2023Q2"):
            for unit in DISTRICTS:
                changes = []
                for ind in spec.indicators:
                    if ind.kind == "base":
                        changes.append(Change(ind.code, value=_cents(rng.randint(100, 9999))))
                    elif ind.kind == "ratio":
                        den = rng.randint(1000, 9999)
                        num = den * rng.randint(1, 99) // 100
                        changes.append(Change(ind.code, numerator=_cents(num), denominator=_cents(den)))
                apply_changes(session, spec, unit, Period.parse(period), changes, "bench")


def _cents(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<44} median {statistics.median(samples):8.1f} ms   min {min(samples):8.1f}   "
        f"max {max(samples):8.1f}   (n={len(samples)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--indicators", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.json"
        path.write_text(json.dumps(synthetic_template(args.indicators), ensure_ascii=False), encoding="utf-8")
        db = Database(Path(tmp) / "bench.db")
        start = time.perf_counter()
        with db.transaction() as session:
            import_template(session, path)
        print(
            f"template import ({args.indicators} indicators × {len(DISTRICTS) + 1} units): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )
        start = time.perf_counter()
        fill(db, args.indicators)
        print(f"entering 2 quarters × {len(DISTRICTS)} districts: {(time.perf_counter() - start) * 1000:.0f} ms")
        period = Period(2023, 2)
        with db.session() as session:
            catalog = catalog_for_year(session, 2023)
            assert catalog is not None
            report("load catalog spec", timed(lambda: load_spec(session, catalog), args.runs))
            spec = load_spec(session, catalog)

            def district() -> None:
                run_check(Figures(spec, lambda u, p: load_entries(session, u, p)), DISTRICTS[0], period)

            def city() -> None:
                run_check(Figures(spec, lambda u, p: load_entries(session, u, p)), CITY, period)

            report("check one district (spec loaded)", timed(district, args.runs))
            report("city aggregation + check (spec loaded)", timed(city, args.runs))
            report(
                "city check from the database (check_unit)", timed(lambda: check_unit(session, CITY, period), args.runs)
            )
        db.close()


if __name__ == "__main__":
    main()
