"""What an intake service offers is checked before it is kept and applied only when the clerk says so.

These notices come from a stand-in that answers ``notices()`` with documents the city really signed (or forged ones,
which a real service would not hand out); everything else is the real code. The real service's extensions reaching a
district are tested in ``test_serve.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.city.extensions import extend_period
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.store import Change, EntryError, apply_changes
from app.transport import inbox
from app.transport.client import RequestSigner
from app.trust.keys import KeyStore
from tests.app.helpers import store_template
from tests.app.sample_templates import D1, D2, document, indicator
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units

Q1 = Period(2023, 1)


class OfferingService:
    """Answers ``notices`` with the documents given, as an intake service would."""

    def __init__(self, notices: list[dict[str, Any]]) -> None:
        self.offered = notices
        self.asked: list[tuple[str, int]] = []

    def notices(self, unit_code: str, signer: RequestSigner, since: int = 0) -> list[dict[str, Any]]:
        self.asked.append((unit_code, since))
        return [n for n in self.offered if n.get("sequence", since + 1) > since]


@pytest.fixture
def setup(db: Database, tmp_path: Path) -> tuple[Any, KeyStore]:
    doc = document([indicator("A")])
    doc["calendar"] = [{"period": "2023Q1", "opens": "2023-04-01", "due": "2023-04-15", "closes": "2023-04-30"}]
    spec = store_template(db, doc, tmp_path)
    return spec, keystore_with_units(tmp_path / "keys", spec, [D1, D2])


def extension(db: Database, keys: KeyStore, unit: str, out: Path) -> dict[str, Any]:
    """The city grants ``unit`` until the end of the year for 2023Q1; the signed notice as a document."""
    extend_period(db, keys, unit, Q1, None, dt.date(2099, 12, 31), "补报更正", PASSPHRASE, out)
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def enter_q1(db: Database, spec: Any) -> None:
    with db.transaction() as session:
        apply_changes(session, spec, D1, Q1, [Change("A", value=Decimal("30"))], "clerk")


def test_an_extension_is_kept_checked_and_applied_only_when_confirmed(
    db: Database, setup: tuple[Any, KeyStore], tmp_path: Path
) -> None:
    spec, keys = setup
    # The city's own database would record the grant; the district's must not have it before it applies it.
    city = Database(tmp_path / "city.db")
    store_template(city, json.loads((tmp_path / "template.json").read_text(encoding="utf-8")), tmp_path, "t2.json")
    granted = extension(city, keys, D1, tmp_path / "ext.json")
    city.close()
    with pytest.raises(EntryError, match="关闭填报"):
        enter_q1(db, spec)
    signer = RequestSigner(D1, keys.unit_key(D1, PASSPHRASE), keys.unit_certificate(D1))
    service = OfferingService([{"sequence": 4, "kind": "extension", "document": granted}])
    done = inbox.fetch_notices(db, keys, service, signer)  # type: ignore[arg-type]
    assert (done.kept, done.refused) == (1, [])
    [offer] = inbox.list_inbox(db, waiting_only=True)
    assert offer.kind == "extension" and "2099-12-31" in offer.summary and "补报更正" in offer.summary
    with pytest.raises(EntryError, match="关闭填报"):  # shown, not applied
        enter_q1(db, spec)
    assert inbox.fetch_notices(db, keys, service, signer).kept == 0  # asked from sequence 4 on: nothing new
    assert service.asked == [(D1, 0), (D1, 4)]
    assert "已记下延期" in inbox.apply(db, keys, offer.id)
    enter_q1(db, spec)
    assert inbox.list_inbox(db, waiting_only=True) == []


def test_a_forged_or_misaddressed_notice_is_not_even_kept(
    db: Database, setup: tuple[Any, KeyStore], tmp_path: Path
) -> None:
    _spec, keys = setup
    city = Database(tmp_path / "city.db")
    store_template(city, json.loads((tmp_path / "template.json").read_text(encoding="utf-8")), tmp_path, "t2.json")
    forged = extension(city, keys, D1, tmp_path / "d1.json")
    forged["closes"] = "2100-01-01"
    theirs = extension(city, keys, D2, tmp_path / "d2.json")
    city.close()
    impostor = KeyStore(tmp_path / "impostor")
    impostor.city_init("冒充的市局", PASSPHRASE)
    signer = RequestSigner(D1, keys.unit_key(D1, PASSPHRASE), keys.unit_certificate(D1))
    service = OfferingService(
        [
            {"sequence": 1, "kind": "extension", "document": forged},
            {"sequence": 2, "kind": "extension", "document": theirs},
            {"sequence": 3, "kind": "returned", "document": {"format": "tianbao-return-notice"}},
            {"sequence": 4, "kind": "surprise", "document": {}},
            {"kind": "returned"},
        ]
    )
    done = inbox.fetch_notices(db, keys, service, signer)  # type: ignore[arg-type]
    assert done.kept == 0 and len(done.refused) == 5
    assert "签名不符" in done.refused[0] and "乙县" not in done.refused[1] and D2 in done.refused[1]
    assert inbox.list_inbox(db) == []
    assert inbox.notice_cursor(db, D1) == 4  # not asked for again
