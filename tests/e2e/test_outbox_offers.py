"""What the city sends back through its intake service — return notices, acceptances, new templates — reaches the
district checked, and is applied only when the clerk says so (an acceptance changes no figure and is noted)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from app.city.returns import accept_submission, return_submission
from app.cli.main import main
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.form import available_years
from app.storage.store import revisions
from app.templates.signing import import_signed_template_file, sign_template
from app.trust.keys import KeyStore
from tests.app.sample_templates import document, indicator
from tests.e2e import intake_setup
from tests.e2e.intake_setup import D1, D2, PASSPHRASE, IntakeServer, Setup, build, sign

pytestmark = pytest.mark.slow
# The fixtures ``setup`` (a city and two districts) and ``server`` (its running intake service).
setup_fixture, server_fixture = intake_setup.setup_fixture, intake_setup.server_fixture


def cli(setup: Setup, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    base = ["--db", str(setup.district_db), "--keys", str(setup.district_keys)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([*base, *args])
    return code, out.getvalue()


def listed(setup: Setup) -> dict[str, list[dict[str, object]]]:
    code, text = cli(setup, "outbox", "--json")
    assert code == 0
    data: dict[str, list[dict[str, object]]] = json.loads(text)
    return data


def city_does(setup: Setup, action: str, unit: str, period: str) -> None:
    db = Database(setup.city_db)
    try:
        keys = KeyStore(setup.city_keys)
        if action == "return":
            return_submission(db, keys, unit, Period.parse(period), "第3项指标口径不对，请核实", PASSPHRASE)
        else:
            accept_submission(db, keys, unit, Period.parse(period), PASSPHRASE, "数据已核")
    finally:
        db.close()


def district_status(setup: Setup, unit: str, period: str) -> list[str]:
    db = Database(setup.district_db)
    try:
        with db.session() as session:
            return [r.status for r in revisions(session, unit, Period.parse(period))]
    finally:
        db.close()


def test_a_return_notice_is_fetched_shown_and_applied_only_when_confirmed(setup: Setup, server: IntakeServer) -> None:
    sign(setup, D1, "2023Q2")
    assert cli(setup, "upload")[0] == 0
    city_does(setup, "return", D1, "2023Q2")
    # Without the unit's key no notices are read; with it, the notice is fetched and waits.
    code, text = cli(setup, "upload", "--notices", D1, "--passphrase-file", str(setup.passphrase_file))
    assert code == 0, text
    assert "待确认" in text
    offered = listed(setup)["offered"]
    assert [(o["kind"], o["unit"], o["state"]) for o in offered] == [("returned", D1, "new")]
    assert "口径不对" in str(offered[0]["summary"])
    assert district_status(setup, D1, "2023Q2") == ["locked"]  # nothing applied yet
    assert listed(setup)["submissions"][0]["state"] == "delivered"
    # Fetching again keeps one copy.
    assert cli(setup, "upload", "--notices", D1, "--passphrase-file", str(setup.passphrase_file))[0] == 0
    assert len(listed(setup)["offered"]) == 1
    code, text = cli(setup, "outbox", "--apply", str(offered[0]["id"]))
    assert code == 0 and "已记下退回" in text, text
    assert district_status(setup, D1, "2023Q2") == ["returned"]
    after = listed(setup)
    assert after["offered"] == []
    assert after["submissions"][0]["state"] == "returned"
    assert after["submissions"][0]["returned_reason"] == "第3项指标口径不对，请核实"
    assert cli(setup, "outbox", "--apply", str(offered[0]["id"]))[0] == 2  # applied once only


def test_an_acceptance_is_noted_at_once(setup: Setup, server: IntakeServer) -> None:
    sign(setup, D1, "2023Q2")
    sign(setup, D2, "2023Q2")
    assert cli(setup, "upload")[0] == 0
    city_does(setup, "accept", D1, "2023Q2")
    city_does(setup, "accept", D2, "2023Q2")
    assert cli(setup, "upload", "--notices", D1, "--passphrase-file", str(setup.passphrase_file))[0] == 0
    entries = {s["unit"]["code"]: s for s in listed(setup)["submissions"]}  # type: ignore[index]
    assert entries[D1]["state_label"] == "已送达（审核通过）" and entries[D1]["accepted_at"]
    assert entries[D2]["accepted_at"] is None  # the other unit's notices are read with its own key only
    assert listed(setup)["offered"] == []


def test_a_notice_another_unit_asks_for_is_refused_by_the_service(setup: Setup, server: IntakeServer) -> None:
    sign(setup, D1, "2023Q2")
    assert cli(setup, "upload")[0] == 0
    city_does(setup, "return", D1, "2023Q2")
    from app.transport.client import IntakeClient, Refused, RequestSigner

    keys = KeyStore(setup.district_keys)
    theirs = RequestSigner(D2, keys.unit_key(D2, PASSPHRASE), keys.unit_certificate(D2))
    with IntakeClient(setup.url, keys.city_certificate()) as client, pytest.raises(Refused):
        client.notices(D1, theirs)


def test_a_new_template_is_offered_and_imported_only_when_confirmed(setup: Setup, server: IntakeServer) -> None:
    city_template(setup, 2024)
    code, text = cli(setup, "upload")
    assert code == 0, text
    offered = listed(setup)["offered"]
    assert [o["kind"] for o in offered] == ["template"]
    assert "2024 年" in str(offered[0]["summary"])
    district = Database(setup.district_db)
    try:
        assert available_years(district) == [2023]
        assert cli(setup, "upload")[0] == 0
        assert len(listed(setup)["offered"]) == 1  # offered once
        code, text = cli(setup, "outbox", "--dismiss", str(offered[0]["id"]))
        assert code == 0
        assert listed(setup)["offered"] == [] and available_years(district) == [2023]
    finally:
        district.close()


def city_template(setup: Setup, year: int) -> None:
    """The city signs and imports a template for ``year``: its intake service then offers it."""
    doc = document([indicator("A"), indicator("B")], year=year)
    doc["catalog"]["intake_url"] = setup.url
    path = setup.root / f"template-{year}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    city_keys = KeyStore(setup.city_keys)
    sign_template(path, city_keys, PASSPHRASE)
    city = Database(setup.city_db)
    try:
        import_signed_template_file(city, city_keys, path)
    finally:
        city.close()


def test_a_template_from_a_service_of_another_city_ca_is_not_even_offered(setup: Setup, tmp_path: Path) -> None:
    impostor = build(tmp_path / "impostor")
    city_template(impostor, 2024)
    server = IntakeServer(impostor).start()
    try:
        code, text = cli(setup, "upload", "--server", impostor.url)
    finally:
        server.stop()
    assert code == 0, text
    assert listed(setup)["offered"] == []
