"""The receipt (回执): only the city's receipt key can make one, and any change to it is seen."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.submissions.signing import canonical
from app.transport.receipts import MAX_RECEIPT_BYTES, ReceiptError, ReceiptSigner, parse_utc, utc_text, verify_receipt
from app.trust.certificates import KeysError, unit_request
from app.trust.keys import RECEIPT_CERT, RECEIPT_KEY, TLS_CERT, TLS_KEY, KeyStore

CA_PASS, SERVER_PASS = "city-ca-pass", "server-pass"
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def fresh_now() -> None:
    """A receipt is judged at its own time, which must lie within the validity of the certificates each test
    issues: the time is taken when the test runs, not when the module was collected (minutes before, in a long run)."""
    global NOW
    NOW = dt.datetime.now(dt.UTC)


FIELDS = {
    "submission_id": "520102-2023Q2-r1-0123abcd",
    "unit": {"code": "520102", "name": "南明区"},
    "period": "2023Q2",
    "revision": 1,
    "payload_hash": "ab" * 32,
    "sequence": 7,
    "verdict": "accepted",
}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> KeyStore:
    keys = KeyStore(tmp_path_factory.mktemp("city-keys"))
    keys.city_init("测试市生态环境局", CA_PASS)
    keys.issue_server("intake.city.example", CA_PASS, SERVER_PASS, keys.folder / "server")
    return keys


def server_signer(city: KeyStore) -> ReceiptSigner:
    key, cert = KeyStore(city.folder / "server").receipt_signing(SERVER_PASS)
    return ReceiptSigner(key, cert)


def sign(signer: ReceiptSigner, **over: object) -> bytes:
    fields = {**FIELDS, "received_at": NOW, **over}
    return signer.sign(**fields)  # type: ignore[arg-type]


def test_a_receipt_verifies_and_reads_back_exactly(city: KeyStore) -> None:
    raw = sign(server_signer(city))
    receipt = verify_receipt(raw, city.city_certificate())
    assert receipt.raw == raw
    assert (receipt.submission_id, receipt.unit_code, receipt.unit_name, receipt.period, receipt.revision) == (
        "520102-2023Q2-r1-0123abcd",
        "520102",
        "南明区",
        "2023Q2",
        1,
    )
    assert (receipt.sequence, receipt.verdict, receipt.server) == (7, "accepted", "intake.city.example")
    assert receipt.received_at_text == utc_text(NOW)
    assert abs(receipt.received_at - NOW) < dt.timedelta(milliseconds=1)
    assert raw == canonical(json.loads(raw))  # canonical JSON, as the submission payloads
    assert json.loads(raw)["payload"]["received_at"].endswith("Z")


def test_any_change_to_a_receipt_is_refused(city: KeyStore) -> None:
    raw = sign(server_signer(city))
    for field, value in [("verdict", "superseded"), ("sequence", 8), ("payload_hash", "cd" * 32), ("server", "x")]:
        document = json.loads(raw)
        document["payload"][field] = value
        with pytest.raises(ReceiptError):
            verify_receipt(canonical(document), city.city_certificate())
    with pytest.raises(ReceiptError, match="不是有效的 JSON"):
        verify_receipt(raw[:-1], city.city_certificate())
    with pytest.raises(ReceiptError, match="过大"):
        verify_receipt(b" " * (MAX_RECEIPT_BYTES + 1), city.city_certificate())
    with pytest.raises(ReceiptError, match="不是有效的 JSON"):
        verify_receipt(b"<html>Welcome to the hotel network</html>", city.city_certificate())
    with pytest.raises(ReceiptError, match="不是填报通的回执"):
        verify_receipt(b'{"status": "ok"}', city.city_certificate())


def _forged(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> bytes:
    payload = {**FIELDS, "received_at": utc_text(NOW), "server": "intake.city.example"}
    return canonical(
        {
            "format": "tianbao-receipt",
            "format_version": 1,
            "algorithm": "ECDSA-P256-SHA256",
            "payload": payload,
            "signature": base64.b64encode(key.sign(canonical(payload), ec.ECDSA(hashes.SHA256()))).decode(),
            "certificate": cert.public_bytes(serialization.Encoding.PEM).decode(),
        }
    )


def test_only_a_receipt_certificate_of_the_pinned_city_can_sign_a_receipt(city: KeyStore, tmp_path: Path) -> None:
    server = KeyStore(city.folder / "server")
    # The server's TLS key and a unit key are issued by the same city CA, but not for receipts.
    tls_key = server._read_key(TLS_KEY, SERVER_PASS, "TLS 私钥")
    tls_cert = server._read_cert(TLS_CERT, "TLS 证书")
    with pytest.raises(ReceiptError, match="回执签名证书"):
        verify_receipt(_forged(tls_key, tls_cert), city.city_certificate())
    with pytest.raises(KeysError):
        ReceiptSigner(tls_key, tls_cert)
    unit_key = ec.generate_private_key(ec.SECP256R1())
    csr = tmp_path / "unit.csr.pem"
    csr.write_bytes(unit_request(unit_key, "520102", "南明区").public_bytes(serialization.Encoding.PEM))
    unit_cert, _ = city.issue(csr, CA_PASS)
    with pytest.raises(ReceiptError, match="回执签名证书"):
        verify_receipt(_forged(unit_key, unit_cert), city.city_certificate())
    # Another city's receipt certificate is not this city's.
    other = KeyStore(tmp_path / "other")
    other.city_init("别的城市", CA_PASS)
    other.issue_server("intake.city.example", CA_PASS, SERVER_PASS, other.folder / "server")
    key, cert = KeyStore(other.folder / "server").receipt_signing(SERVER_PASS)
    with pytest.raises(ReceiptError, match="市级 CA"):
        verify_receipt(sign(ReceiptSigner(key, cert)), city.city_certificate())
    # The genuine receipt key signs with its own certificate; the key file is encrypted.
    assert b"ENCRYPTED" in server.path(RECEIPT_KEY).read_bytes()
    assert x509.load_pem_x509_certificate(server.path(RECEIPT_CERT).read_bytes())


def test_a_receipt_from_the_future_is_refused(city: KeyStore) -> None:
    raw = sign(server_signer(city), received_at=NOW + dt.timedelta(hours=1))
    with pytest.raises(ReceiptError, match="晚于现在"):
        verify_receipt(raw, city.city_certificate())


def test_receipt_times_are_utc_with_z() -> None:
    assert utc_text(dt.datetime(2024, 1, 31, 16, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))) == (
        "2024-01-31T08:00:00.123Z"
    )
    assert parse_utc("2024-01-31T08:00:00.123Z") == dt.datetime(2024, 1, 31, 8, 0, 0, 123000, tzinfo=dt.UTC)
    for bad in ("2024-01-31T08:00:00+08:00", "2024-01-31", 20240131, None):
        with pytest.raises(ValueError):
            parse_utc(bad)


def test_server_keys_are_issued_once_into_a_folder(city: KeyStore) -> None:
    with pytest.raises(KeysError, match="已有服务器密钥"):
        city.issue_server("intake.city.example", CA_PASS, SERVER_PASS, city.folder / "server")
    with pytest.raises(KeysError, match="不是有效的主机名"):
        city.issue_server("bad host!", CA_PASS, SERVER_PASS, city.folder / "bad")
    with pytest.raises(KeysError, match="口令不正确"):
        KeyStore(city.folder / "server").receipt_signing("wrong-pass")
