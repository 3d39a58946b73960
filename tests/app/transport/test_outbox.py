"""The outbox's states and receipts without a network: a receipt signed here with a receipt certificate of the
city CA, exactly as the intake service signs one, and the rules that make an entry 已送达."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.periods import Period
from app.storage.db import Database
from app.storage.models import OutboxEntry
from app.submissions.signing import Signed, sign_and_lock
from app.templates.signing import import_signed_template_file, sign_template
from app.transport import outbox
from app.transport.receipt_pdf import receipt_facts, render_receipt_pdf
from app.transport.receipts import ReceiptError, ReceiptSigner, verify_receipt
from app.transport.uploader import Backoff
from app.trust.keys import KeyStore
from tests.app.helpers import enter, store_template
from tests.app.sample_templates import D1, D2, document, indicator
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units


@pytest.fixture
def keys(db: Database, tmp_path: Path) -> KeyStore:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    keys = keystore_with_units(tmp_path / "keys", spec, [D1, D2])
    keys.issue_server("127.0.0.1", PASSPHRASE, PASSPHRASE, tmp_path / "server")
    enter(db, spec, D1, "2023Q2", A="60")
    enter(db, spec, D2, "2023Q2", A="70")
    return keys


def received() -> dt.datetime:
    """A receipt's time: now, when the test runs. A receipt is judged at its own time, which must lie within the
    validity of the receipt certificate the test has just issued."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def beijing_text(when: dt.datetime) -> str:
    return (when + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")


def receipt_signer(folder: Path) -> ReceiptSigner:
    return ReceiptSigner(*KeyStore(folder).receipt_signing(PASSPHRASE))


def receipt_for(
    signed: Signed, signer: ReceiptSigner, sequence: int = 7, at: dt.datetime | None = None, **over: str
) -> bytes:
    payload = signed.envelope["payload"]
    fields = {
        "submission_id": payload["submission_id"],
        "unit": payload["unit"],
        "period": payload["period"],
        "revision": payload["revision"],
        "payload_hash": signed.payload_hash,
        "received_at": at or received(),
        "sequence": sequence,
        "verdict": "accepted",
    }
    fields.update(over)
    return signer.sign(**fields)  # type: ignore[arg-type]


def entry_id(db: Database, signed: Signed) -> int:
    wanted = signed.envelope["payload"]["submission_id"]
    return next(i.id for i in outbox.list_outbox(db) if i.submission_id == wanted)


def test_a_verified_receipt_for_the_entry_makes_it_delivered_and_is_kept_byte_for_byte(
    db: Database, keys: KeyStore, tmp_path: Path
) -> None:
    signed = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    entry = entry_id(db, signed)
    assert outbox.claim(db, entry) is not None
    when = received()
    raw = receipt_for(signed, receipt_signer(tmp_path / "server"), at=when)
    outbox.mark_delivered(db, entry, raw, keys.city_certificate())
    item = outbox.list_outbox(db)[0]
    assert (item.state, item.sequence, item.verdict, item.has_receipt) == ("delivered", 7, "accepted", True)
    assert item.received_at == when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    stored = outbox.stored_receipt(db, entry, keys.city_certificate())
    assert stored is not None and stored.raw == raw
    # A second receipt for the same entry (another program sent it too) leaves the first in place.
    outbox.mark_delivered(
        db, entry, receipt_for(signed, receipt_signer(tmp_path / "server"), 9), keys.city_certificate()
    )
    assert outbox.list_outbox(db)[0].sequence == 7


def test_a_receipt_for_another_submission_or_not_from_the_city_changes_nothing(
    db: Database, keys: KeyStore, tmp_path: Path
) -> None:
    one = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    two = sign_and_lock(db, keys, D2, Period(2023, 2), PASSPHRASE)
    signer = receipt_signer(tmp_path / "server")
    ca = keys.city_certificate()
    with pytest.raises(ReceiptError, match="不属于这份报送"):
        outbox.mark_delivered(db, entry_id(db, one), receipt_for(two, signer), ca)
    with pytest.raises(ReceiptError, match="不属于这份报送"):
        outbox.mark_delivered(db, entry_id(db, one), receipt_for(one, signer, payload_hash="0" * 64), ca)
    # A receipt certificate from another CA (a fake intake service) does not verify against the pinned one.
    other = KeyStore(tmp_path / "other")
    other.city_init("冒充的市局", PASSPHRASE)
    other.issue_server("127.0.0.1", PASSPHRASE, PASSPHRASE, tmp_path / "fake")
    with pytest.raises(ReceiptError):
        outbox.mark_delivered(db, entry_id(db, one), receipt_for(one, receipt_signer(tmp_path / "fake")), ca)
    document = json.loads(receipt_for(one, signer))
    document["payload"]["sequence"] = 8
    with pytest.raises(ReceiptError, match="签名不符"):
        outbox.mark_delivered(db, entry_id(db, one), json.dumps(document).encode(), ca)
    assert {i.state for i in outbox.list_outbox(db)} == {"pending"}
    with db.session() as session:
        assert all(e.receipt is None for e in session.query(OutboxEntry))


def test_an_upload_interrupted_by_a_stopped_program_is_pending_again_at_the_next_start(
    db: Database, keys: KeyStore
) -> None:
    signed = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    claimed = outbox.claim(db, entry_id(db, signed))
    assert claimed is not None and claimed.envelope == signed.envelope
    assert outbox.claim(db, claimed.id) is None  # already being sent
    assert outbox.pending_count(db) == 1  # 上报中 still counts as waiting
    assert outbox.resume_interrupted(db) == 1
    item = outbox.list_outbox(db)[0]
    assert (item.state, item.attempts) == ("pending", 1)


def test_a_refused_entry_keeps_the_reason_and_can_be_queued_again(db: Database, keys: KeyStore) -> None:
    signed = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    entry = entry_id(db, signed)
    outbox.claim(db, entry)
    outbox.mark_refused(db, entry, "conflict", "同一报送编号已有不同内容")
    item = outbox.list_outbox(db)[0]
    assert (item.state, item.reason_code, item.reason) == ("refused", "conflict", "同一报送编号已有不同内容")
    assert outbox.pending_count(db) == 0
    assert outbox.retry_refused(db, entry) and not outbox.retry_refused(db, entry)
    assert outbox.list_outbox(db)[0].state == "pending"


def test_the_address_comes_from_the_newest_signed_template_or_the_override(db: Database, tmp_path: Path) -> None:
    store_template(db, document(), tmp_path)  # unsigned: names no service, even with an address
    assert outbox.server_address(db) is None
    city = KeyStore(tmp_path / "city")
    city.city_init("测试市生态环境局", PASSPHRASE)
    doc = document(year=2024)
    doc["catalog"]["intake_url"] = "https://intake.example:8443"
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    sign_template(path, city, PASSPHRASE)
    import_signed_template_file(db, KeyStore(tmp_path / "district"), path)
    assert outbox.server_address(db) == "https://intake.example:8443"
    assert outbox.server_address(db, "http://127.0.0.1:9000/") == "http://127.0.0.1:9000"
    for bad in ("http://intake.example", "https://a@b", "intake.example"):
        with pytest.raises(outbox.AddressError, match="不可用"):
            outbox.server_address(db, bad)


def test_the_receipt_pdf_is_one_page_with_the_facts_in_beijing_time(
    db: Database, keys: KeyStore, tmp_path: Path
) -> None:
    import pypdfium2 as pdfium

    signed = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    when = received()
    receipt = verify_receipt(receipt_for(signed, receipt_signer(tmp_path / "server"), at=when), keys.city_certificate())
    facts = dict(receipt_facts(receipt))
    assert facts["报送编号"] == signed.envelope["payload"]["submission_id"]
    assert facts["接收时间"] == f"{beijing_text(when)}（北京时间）"
    assert facts["报告期"] == "2023年第二季度" and facts["版本"] == "第 1 版" and facts["接收序号"] == "7"
    assert facts["结论"] == "已接收" and facts["接收服务"] == "127.0.0.1"
    pdf = pdfium.PdfDocument(render_receipt_pdf(receipt))
    try:
        assert len(pdf) == 1
        text = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert "报送回执单" in text and beijing_text(when) in text and signed.envelope["payload"]["submission_id"] in text


@given(st.lists(st.floats(min_value=0, max_value=0.999999), min_size=1, max_size=40))
def test_backoff_doubles_up_to_the_cap_each_wait_between_half_and_all_of_its_bound(draws: list[float]) -> None:
    values = iter(draws)
    backoff = Backoff(base=10, cap=900, rng=lambda: next(values))
    for n in range(1, len(draws) + 1):
        bound = min(900, 10 * 2 ** (n - 1))
        assert bound / 2 <= backoff.failed() <= bound
    backoff.succeeded()
    assert backoff.failures == 0
