"""Keys and signed revisions for tests: a city CA, certificates for units, a signed envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.db import Database
from app.submissions.signing import sign_and_lock
from app.trust.keys import KeyStore

PASSPHRASE = "test-passphrase"


def keystore_with_units(folder: Path, spec: CatalogSpec, units: list[str] | None = None) -> KeyStore:
    """A key folder with a city CA and an issued, imported certificate for each unit."""
    keys = KeyStore(folder)
    keys.city_init("测试市生态环境局", PASSPHRASE)
    for code in units if units is not None else [u.code for u in spec.units]:
        unit = spec.unit(code)
        assert unit is not None
        request, _ = keys.request(code, unit.name, PASSPHRASE)
        _, issued = keys.issue(request, PASSPHRASE)
        keys.import_certificate(issued, code)
    return keys


def signed_envelope(db: Database, keys: KeyStore, unit: str, period: str) -> dict[str, Any]:
    return sign_and_lock(db, keys, unit, Period.parse(period), PASSPHRASE, "tester").envelope
