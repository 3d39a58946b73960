"""Helpers for tests that store a template and enter values through the app services."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.engine.selfcheck import CheckResult
from app.storage.catalogs import load_spec
from app.storage.checks import check_unit
from app.storage.db import Database
from app.storage.store import Change, apply_changes
from app.templates.store import import_template


def store_template(db: Database, doc: dict[str, Any], tmp_path: Path, name: str = "template.json") -> CatalogSpec:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with db.transaction() as session:
        catalog, _ = import_template(session, path)
        return load_spec(session, catalog)


def enter(db: Database, spec: CatalogSpec, unit: str, period: str, **values: Any) -> None:
    """Enter values: ``A="12"`` for a base indicator, ``B=("3", "4")`` for numerator and denominator."""
    changes = []
    for code, v in values.items():
        if isinstance(v, tuple):
            changes.append(Change(code, numerator=_dec(v[0]), denominator=_dec(v[1])))
        else:
            changes.append(Change(code, value=_dec(v)))
    with db.transaction() as session:
        apply_changes(session, spec, unit, Period.parse(period), changes, "tester")


def check(db: Database, unit: str, period: str) -> CheckResult:
    with db.session() as session:
        return check_unit(session, unit, Period.parse(period))


def _dec(v: Any) -> Decimal | None:
    return None if v is None else Decimal(str(v))
