"""Small template documents for tests, built in code so each test states what it varies."""

from __future__ import annotations

import copy
from typing import Any

CITY, D1, D2 = "C0", "D1", "D2"


def indicator(code: str, **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "code": code,
        "name": f"指标{code}",
        "field": "绿色生产",
        "tier": "core",
        "unit": "个",
        "decimals": 0,
        "kind": "base",
        "frequency": "annual",
        "accumulation": "cumulative",
        "direction": "higher",
        "aggregation": "sum",
    }
    base.update(over)
    return base


def ratio(code: str, **over: Any) -> dict[str, Any]:
    return indicator(
        code,
        unit="%",
        decimals=2,
        kind="ratio",
        accumulation="level",
        aggregation="ratio",
        numerator={"name": "分子量", "unit": "万平方米", "decimals": 2},
        denominator={"name": "分母量", "unit": "万平方米", "decimals": 2},
        **over,
    )


def document(
    indicators: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
    rules: list[dict[str, Any]] | None = None,
    year: int = 2023,
) -> dict[str, Any]:
    """A template with a city and two districts; every assessed indicator gets simple targets unless given."""
    inds = copy.deepcopy(indicators if indicators is not None else [indicator("A")])
    if targets is None:
        targets = []
        for ind in inds:
            if not ind.get("assessed", True):
                continue
            for unit in (CITY, D1, D2):
                if ind.get("frequency") == "quarterly":
                    for q in range(1, 5):
                        targets.append(
                            {"indicator": ind["code"], "unit": unit, "period": f"{year}Q{q}", "target": str(10 * q)}
                        )
                else:
                    t = {"indicator": ind["code"], "unit": unit, "period": str(year), "target": "100"}
                    if ind.get("accumulation") == "level":
                        t["baseline"] = "60"
                    targets.append(t)
    return {
        "format": "tianbao-template",
        "format_version": 1,
        "catalog": {
            "code": "TEST",
            "name": "测试指标体系",
            "version": "1",
            "year": year,
            "baseline_year": year - 1,
            "demo": False,
            "issuer": "测试市生态环境局",
        },
        "units": [
            {"code": CITY, "name": "测试市", "parent": None},
            {"code": D1, "name": "甲区", "parent": CITY},
            {"code": D2, "name": "乙县", "parent": CITY},
        ],
        "indicators": inds,
        "targets": targets,
        "rules": rules or [],
        "signature": None,
    }
