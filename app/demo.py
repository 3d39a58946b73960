"""The demo database: the demo catalog (a labelled reconstruction of the seed's 39 indicators) with values."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from app.db import Database
from app.numbers import parse_decimal
from app.periods import Period
from app.store import Change, apply_changes
from app.template_io import import_template, load_spec

DEMO_DIR = Path(__file__).resolve().parent.parent / "resources" / "demo"
TEMPLATE = DEMO_DIR / "template-2023.json"
VALUES = DEMO_DIR / "values-2023.json"
DEMO_USER = "演示数据"


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_demo(path: Path) -> Database:
    """Create (or reset) the demo database at ``path`` and return it open."""
    remove_database(path)
    db = Database(path)
    load_demo(db)
    return db


def load_demo(db: Database) -> None:
    """Import the demo catalog and its values into ``db``, in one transaction."""
    with db.transaction() as session:
        catalog, _ = import_template(session, TEMPLATE)
        spec = load_spec(session, catalog)
        data = json.loads(VALUES.read_text(encoding="utf-8"))
        grouped: dict[tuple[str, str], list[Change]] = defaultdict(list)
        for row in data["values"]:
            fields = {k: parse_decimal(row[k]) for k in ("value", "numerator", "denominator") if k in row}
            change = Change(row["indicator"], **fields, explanation=row.get("explanation", ""))
            grouped[(row["unit"], row["period"])].append(change)
        for (unit, period), changes in grouped.items():
            apply_changes(session, spec, unit, Period.parse(period), changes, DEMO_USER, action="demo")


def city_code(db: Database) -> str:
    from sqlalchemy import select

    from app.models import Unit

    with db.session() as session:
        code = session.scalar(select(Unit.code).where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    if code is None:
        raise LookupError("数据库中没有单位")
    return code
