"""The demo database: the demo catalog (a labelled reconstruction of the seed's 39 indicators) with values."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from app import RESOURCES_DIR
from app.engine.numbers import parse_decimal
from app.engine.periods import Period
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import AuditEntry, Unit
from app.storage.store import Change, apply_changes
from app.templates.store import import_template
from app.trust.keys import KeyStore, default_keys_dir

DEMO_DIR = RESOURCES_DIR / "demo"
TEMPLATE = DEMO_DIR / "template-2023.json"
VALUES = DEMO_DIR / "values-2023.json"
DEMO_USER = "演示数据"
# Stated in the README: the demo is for trying the whole flow, and its keys protect nothing.
DEMO_PASSPHRASE = "tianbao-demo"
DEMO_ISSUER = "贵阳市生态环境局（演示）"
DEMO_KEYS_MARKER = "DEMO-KEYS.txt"

# When the city received each district's report in the demo's story (UTC), told as of 2023-07-10: the first quarter
# came in on time but for 修文县, three days late; six districts have already sent the second quarter, due 07-15.
_Q1 = {"520102": "04-10", "520103": "04-11", "520111": "04-12", "520112": "04-12", "520113": "04-13",
       "520115": "04-11", "520181": "04-14", "520123": "04-18", "520122": "04-14", "520121": "04-15",
       "GA0001": "04-13"}  # fmt: skip
_Q2 = {"520102": "07-05", "520103": "07-06", "520111": "07-06", "520115": "07-07", "520181": "07-08",
       "GA0001": "07-09"}  # fmt: skip
DEMO_RECEIVED = {
    **{(unit, "2023Q1"): f"2023-{day}T02:30:00.000+00:00" for unit, day in _Q1.items()},
    **{(unit, "2023Q2"): f"2023-{day}T03:15:00.000+00:00" for unit, day in _Q2.items()},
}


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def create_demo(path: Path) -> Database:
    """Create (or reset) the demo database at ``path``, with demo keys beside it, and return it open."""
    remove_database(path)
    db = Database(path)
    load_demo(db)
    setup_demo_keys(default_keys_dir(path), [u.code for u in _units(db)], {u.code: u.name for u in _units(db)})
    return db


def _units(db: Database) -> list[Unit]:
    from sqlalchemy import select

    with db.session() as session:
        return list(session.scalars(select(Unit).order_by(Unit.sort_order, Unit.id)))


def setup_demo_keys(folder: Path, codes: list[str], names: dict[str, str]) -> KeyStore | None:
    """A demo city CA and a certificate for every unit, all with the demo passphrase.

    Only in a folder that is empty or holds earlier demo keys: real keys are never touched. Returns ``None``
    when the folder holds other keys.
    """
    keys = KeyStore(folder)
    if folder.exists() and any(folder.iterdir()) and not (folder / DEMO_KEYS_MARKER).exists():
        return None
    if folder.exists():
        for old in folder.glob("*.pem"):
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / DEMO_KEYS_MARKER).write_text(
        f"演示密钥：口令均为 {DEMO_PASSPHRASE}。仅供演示，切勿用于正式报送。\n", encoding="utf-8"
    )
    keys.city_init(DEMO_ISSUER, DEMO_PASSPHRASE)
    for code in codes:
        request, _ = keys.request(code, names[code], DEMO_PASSPHRASE)
        _, issued = keys.issue(request, DEMO_PASSPHRASE)
        keys.import_certificate(issued, code)
    return keys


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
        for (unit, period), received in DEMO_RECEIVED.items():
            session.add(
                AuditEntry(
                    at=received,
                    user=DEMO_USER,
                    action="import",
                    unit_code=unit,
                    period=period,
                    detail="演示：市级收到报送的时间",
                )
            )
