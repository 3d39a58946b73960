"""The intake service end to end: a real ``serve`` process over TLS on 127.0.0.1, the district's client, the city's
database — SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.city.extensions import extend_period
from app.city.returns import accept_submission, check_notice_document, return_submission
from app.cli.main import main
from app.demo import DEMO_PASSPHRASE
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.models import Indicator, Value
from app.storage.models import Receipt as ReceiptRow
from app.storage.store import revisions
from app.submissions.signing import payload_hash
from app.submissions.verify_xlsx import read_envelope_xlsx
from app.templates.signing import import_signed_template_file
from app.transport import inbox
from app.transport.client import IntakeClient, Refused, RequestSigner, Unreachable
from app.transport.receipts import verify_receipt
from app.trust.keys import KeyStore
from tests.app.transport.conftest import City, Files, Served
from tests.app.transport.helpers import CONTENT_TYPES, SERVER_PASSPHRASE, Server, city_database, demo_district

Q2 = Period(2023, 2)


def signer(files: Files, unit: str) -> RequestSigner:
    keys = files.district.keys
    return RequestSigner(unit, keys.unit_key(unit, DEMO_PASSPHRASE), keys.unit_certificate(unit))


def receipts_held(served: Served) -> int:
    db = served.city.open()
    try:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(ReceiptRow)) or 0)
    finally:
        db.close()


def test_an_upload_is_verified_stored_and_receipted_before_the_answer(served: Served, files: Files) -> None:
    path = files.first["520102.xlsx"]
    payload = read_envelope_xlsx(path)["payload"]
    with served.server.client() as client:
        receipt = client.upload(path.read_bytes(), path.name)
    assert (receipt.submission_id, receipt.unit_code, receipt.period, receipt.revision) == (
        payload["submission_id"],
        "520102",
        "2023Q2",
        1,
    )
    assert receipt.payload_hash == payload_hash(payload)
    assert receipt.verdict == "accepted"
    assert receipt.server == "127.0.0.1"
    assert receipt.sequence >= 1
    # The city's own database holds the revision, as an import would have stored it, with the receipt as sent.
    db = served.city.open()
    try:
        with db.session() as session:
            assert [(r.revision, r.status) for r in revisions(session, "520102", Q2)] == [(1, "locked")]
            row = session.scalar(select(ReceiptRow).where(ReceiptRow.submission_id == receipt.submission_id))
            assert row is not None and row.document.encode("utf-8") == receipt.raw
            # Every value as signed (PostgreSQL takes them by COPY, SQLite by INSERT: the same rows either way).
            stored = {
                code: (value, numerator, denominator, explanation, by)
                for code, value, numerator, denominator, explanation, by in session.execute(
                    select(
                        Indicator.code,
                        Value.value,
                        Value.numerator,
                        Value.denominator,
                        Value.explanation,
                        Value.updated_by,
                    )
                    .join(Value, Value.indicator_id == Indicator.id)
                    .where(Value.submission_id == row.submission_row_id)
                )
            }
    finally:
        db.close()
    signer = payload["signer"]["user"]

    def number(item: dict[str, str | None], key: str, kind: str) -> Decimal | None:
        text = item.get(key) if item["kind"] == kind else None  # derived figures are the city's own to compute
        return None if text in (None, "") else Decimal(str(text))

    expected = {
        item["code"]: (
            number(item, "value", "base"),
            number(item, "numerator", "ratio"),
            number(item, "denominator", "ratio"),
            item.get("explanation") or "",
            signer,
        )
        for item in payload["indicators"]
    }
    assert stored == {code: row for code, row in expected.items() if row[:4] != (None, None, None, "")}
    assert any(row[1] is not None for row in stored.values()) and any(row[0] is not None for row in stored.values())


def test_the_same_submission_again_gets_the_same_receipt_bytes(served: Served, files: Files) -> None:
    with served.server.client() as client:
        first = client.upload(files.first["520103.xlsx"].read_bytes(), "520103.xlsx")
        again = client.upload(files.first["520103.xlsx"].read_bytes(), "520103.xlsx")
        # The PDF of the same signed revision is the same submission.
        as_pdf = client.upload(files.first["520103.pdf"].read_bytes(), "520103.pdf")
    assert first.raw == again.raw == as_pdf.raw
    db = served.city.open()
    try:
        with db.session() as session:
            assert len(revisions(session, "520103", Q2)) == 1
    finally:
        db.close()


def test_the_same_submission_id_with_other_content_is_409(served: Served, files: Files) -> None:
    with served.server.client() as client:
        client.upload(files.first["520102.xlsx"].read_bytes(), "520102.xlsx")
        before = receipts_held(served)
        with pytest.raises(Refused) as refused:
            client.upload(files.conflict.read_bytes(), files.conflict.name)
    assert refused.value.code == "conflict"
    assert "已以不同的内容上报过" in refused.value.message
    assert receipts_held(served) == before


def test_a_file_changed_after_signing_is_422_with_the_reason_of_verify(served: Served, files: Files) -> None:
    before = receipts_held(served)
    with served.server.client() as client, pytest.raises(Refused) as refused:
        client.upload(files.tampered.read_bytes(), files.tampered.name)
    assert refused.value.code == "altered"
    assert "单元格" in refused.value.message
    assert receipts_held(served) == before
    db = served.city.open()
    try:
        with db.session() as session:
            assert revisions(session, "520111", Q2) == []
    finally:
        db.close()


def test_errors_are_json_with_a_code_and_every_answer_has_a_request_id(served: Served) -> None:
    with served.server.http() as http:
        wrong_type = http.post("/api/v1/submissions", content=b"hello", headers={"Content-Type": "text/plain"})
        missing = http.get("/api/v1/nothing")
        method = http.get("/api/v1/submissions")
        health = http.get("/api/v1/health")
        garbage = http.post(
            "/api/v1/submissions",
            content=b"PK\x03\x04 not a workbook",
            headers={"Content-Type": CONTENT_TYPES[".xlsx"]},
        )
    assert (wrong_type.status_code, wrong_type.json()["error"]) == (415, "unsupported_type")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    assert (method.status_code, method.json()["error"]) == (405, "method_not_allowed")
    assert (garbage.status_code, garbage.json()["error"]) == (422, "unreadable")
    assert health.json()["status"] == "ok"
    ids = {r.headers["X-Request-Id"] for r in (wrong_type, missing, method, health, garbage)}
    assert len(ids) == 5
    for answer in (wrong_type, missing, method, garbage):
        assert "Traceback" not in answer.text and answer.json()["message"]


def test_a_unit_reads_its_status_and_the_notices_the_city_gives(served: Served, files: Files) -> None:
    with served.server.client() as client:
        receipt = client.upload(files.first["520102.pdf"].read_bytes(), "520102.pdf")
        me = signer(files, "520102")
        status = client.status("520102", me)
        assert status["unit"] == {"code": "520102", "name": "南明区"}
        assert status["periods"] == [
            {
                "period": "2023Q2",
                "revision": 1,
                "state": "received",
                "received_at": receipt.received_at_text,
                "sequence": receipt.sequence,
            }
        ]
        seen = client.notices("520102", me)
        db = served.city.open()
        try:
            accepted = accept_submission(db, files.district.keys, "520102", Q2, DEMO_PASSPHRASE, "数据已核对")
        finally:
            db.close()
        fresh = client.notices("520102", me, since=max([n["sequence"] for n in seen], default=0))
        assert [n["kind"] for n in fresh] == ["accepted"]
        notice = check_notice_document(fresh[0]["document"], files.district.city_ca)
        assert notice == accepted and notice.reason == "数据已核对"
        assert client.status("520102", me)["periods"][0]["state"] == "accepted"
        assert client.notices("520102", me, since=fresh[-1]["sequence"]) == []
        assert client.notices("520102", me, since=10**17) == []


def test_a_return_reaches_the_unit_as_a_notice(served: Served, files: Files) -> None:
    with served.server.client() as client:
        client.upload(files.first["520103.xlsx"].read_bytes(), "520103.xlsx")
        db = served.city.open()
        try:
            returned = return_submission(db, files.district.keys, "520103", Q2, "请核实数据口径", DEMO_PASSPHRASE)
        finally:
            db.close()
        me = signer(files, "520103")
        notices = client.notices("520103", me)
        assert notices[-1]["kind"] == "returned"
        assert check_notice_document(notices[-1]["document"], files.district.city_ca) == returned
        assert client.status("520103", me)["periods"][0]["state"] == "returned"


def test_an_extension_reaches_the_unit_as_a_notice_it_can_apply(served: Served, files: Files, tmp_path: Path) -> None:
    db = served.city.open()
    try:
        extend_period(
            db,
            files.district.keys,
            "520112",
            Q2,
            None,
            dt.date(2099, 12, 31),
            "系统故障补报",
            DEMO_PASSPHRASE,
            tmp_path / "extension.json",
        )
    finally:
        db.close()
    me = signer(files, "520112")
    with served.server.client() as client:
        offered = client.notices("520112", me)
        assert [n["kind"] for n in offered][-1:] == ["extension"]
        assert offered[-1]["document"] == json.loads((tmp_path / "extension.json").read_text(encoding="utf-8"))
        assert [n["kind"] for n in client.notices("520103", signer(files, "520103"))].count("extension") == 0
        # A district PC (a fresh copy: the other database's run has its notices already) checks it against the
        # city CA it pinned, keeps it and applies it when told to.
        shutil.copy(files.folder / "twin.db", tmp_path / "district.db")
        district = Database(tmp_path / "district.db")
        try:
            fetched = inbox.fetch_notices(district, files.district.keys, client, me)
            assert fetched.refused == [] and fetched.kept >= 1
            [offer] = [item for item in inbox.list_inbox(district, waiting_only=True) if item.kind == "extension"]
            assert "2099-12-31" in offer.summary and "系统故障补报" in offer.summary
            assert "已记下延期" in inbox.apply(district, files.district.keys, offer.id)
        finally:
            district.close()


def test_another_units_key_gets_403_and_an_unsigned_request_401(served: Served, files: Files) -> None:
    with served.server.client() as client:
        with pytest.raises(Refused) as other:
            client.notices("520102", signer(files, "520103"))
        assert other.value.code == "forbidden"
        with pytest.raises(Refused) as other_status:
            client.status("520102", signer(files, "520103"))
        assert other_status.value.code == "forbidden"
    with served.server.http() as http:
        unsigned = http.get("/api/v1/units/520102/notices")
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, "unauthenticated")


def test_a_replayed_or_stale_signed_request_is_401(served: Served, files: Files) -> None:
    me = signer(files, "520102")
    target = "/api/v1/units/520102/status"
    headers = me.headers("GET", target)
    stale = me.headers("GET", target, now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    with served.server.http() as http:
        first = http.get(target, headers=headers)
        replayed = http.get(target, headers=headers)
        old = http.get(target, headers=stale)
        # A signature over another path does not open this one.
        moved = http.get("/api/v1/units/520102/notices", headers=me.headers("GET", target))
    assert first.status_code == 200
    assert (replayed.status_code, replayed.json()["error"]) == (401, "replayed")
    assert (old.status_code, old.json()["error"]) == (401, "unauthenticated")
    assert "时间" in old.json()["message"]
    assert (moved.status_code, moved.json()["error"]) == (401, "unauthenticated")


def test_the_current_signed_templates_import_on_a_district_pc(served: Served, files: Files, tmp_path: Path) -> None:
    with served.server.client() as client:
        documents = client.templates()
    assert len(documents) == 1
    path = tmp_path / "template.json"
    path.write_bytes(documents[0])
    # A new district PC that already pinned the city CA takes it like the file the city sends.
    district = demo_district(tmp_path / "new-pc")
    keys = KeyStore(tmp_path / "new-pc" / "pinned")
    keys.folder.mkdir()
    shutil.copy(files.district.keys.path("city-ca.crt.pem"), keys.path("city-ca.crt.pem"))
    done = import_signed_template_file(district.db, keys, path)
    district.db.close()
    assert (done.year, done.version, done.new) == (2023, "2023.1", False)
    assert done.fingerprint is not None


def test_only_the_pinned_city_ca_is_trusted(served: Served, files: Files, tmp_path: Path) -> None:
    stranger = KeyStore(tmp_path / "stranger")
    stranger.city_init("别的机构", "stranger-pass")
    with IntakeClient(served.server.url, stranger.city_certificate()) as client:
        assert client.health() is False
        with pytest.raises(Unreachable, match=r"加密连接|无法连接"):
            client.upload(files.first["520102.xlsx"].read_bytes(), "520102.xlsx")


def test_the_client_refuses_plain_http_beyond_this_machine(files: Files) -> None:
    ca = files.district.city_ca
    with pytest.raises(ValueError, match="https"):
        IntakeClient("http://city.example:8443", ca)
    IntakeClient("http://127.0.0.1:1", ca).close()
    IntakeClient("http://localhost:1", ca).close()


def test_serve_refuses_to_listen_beyond_loopback_without_tls(
    tmp_path: Path, keys_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["--db", str(tmp_path / "city.db"), "--keys", str(keys_dir), "serve"]
    assert main([*common, "--host", "0.0.0.0"]) == 2
    assert "只能在本机地址" in capsys.readouterr().err
    assert main([*common, "--workers", "2"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err


def test_a_receipt_answer_is_the_services_own(served: Served, files: Files) -> None:
    """A receipt read back from the database verifies with the pinned CA exactly as the client's did."""
    with served.server.client() as client:
        receipt = client.upload(files.first["520102.xlsx"].read_bytes(), "520102.xlsx")
    assert verify_receipt(receipt.raw, files.district.city_ca) == receipt
    document = json.loads(receipt.raw)
    assert document["format"] == "tianbao-receipt" and document["algorithm"] == "ECDSA-P256-SHA256"
    assert SERVER_PASSPHRASE.encode() not in receipt.raw


def test_uploads_over_plain_http_only_on_loopback(files: Files, keys_dir: Path, tmp_path: Path) -> None:
    city = City(tmp_path / "city.db", tmp_path)
    city_database(city.location, files.district, tmp_path)
    server = Server(city.location, keys_dir, tmp_path / "serve.log", tls=False).start()
    try:
        with server.client() as client:
            assert client.upload(files.first["520103.pdf"].read_bytes(), "520103.pdf").verdict == "accepted"
        with httpx.Client(base_url=server.url, trust_env=False) as http:
            assert http.get("/api/v1/health").json()["version"]
    finally:
        server.stop()
    assert "Traceback" not in server.log_text()
