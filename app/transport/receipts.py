"""The receipt (回执) the city's intake service gives for an upload: its format, signing and checking.

A receipt is canonical JSON (as :func:`app.submissions.signing.canonical`)::

    {"format": "tianbao-receipt", "format_version": 1, "algorithm": "ECDSA-P256-SHA256",
     "payload": {"submission_id", "unit": {"code", "name"}, "period", "revision", "payload_hash",
                 "received_at", "sequence", "verdict", "server"},
     "signature": base64 ECDSA over canonical(payload), "certificate": PEM of the receipt-signing certificate}

The signing certificate is issued by the city CA for receipts only (:data:`RECEIPT_PURPOSE`), so neither a unit's
certificate nor the server's TLS certificate can make one. A receipt is the trusted time of a submission: the
unit certificate is judged at ``received_at``. See ``docs/intake-api.md``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.submissions.signing import canonical
from app.submissions.verify import TrustedTime
from app.trust.certificates import RECEIPT_PURPOSE, KeysError, check_issued_by, has_receipt_purpose, server_name_of

__all__ = [
    "ALGORITHM",
    "FORMAT",
    "MAX_RECEIPT_BYTES",
    "RECEIPT_PURPOSE",
    "VERDICTS",
    "Receipt",
    "ReceiptError",
    "ReceiptSigner",
    "parse_utc",
    "read_receipt_file",
    "receipt_beside",
    "utc_text",
    "verify_receipt",
]

FORMAT = "tianbao-receipt"
ALGORITHM = "ECDSA-P256-SHA256"
MAX_RECEIPT_BYTES = 64 * 1024
VERDICTS = ("accepted", "superseded", "duplicate")
# A receipt dated later than this ahead of the verifier's clock is refused: the server's clock cannot be that far
# ahead of an honest one, and a receipt from the future would stretch a certificate's life.
CLOCK_SKEW = dt.timedelta(minutes=5)
_HASH = re.compile(r"^[0-9a-f]{64}$")
_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")


class ReceiptError(ValueError):
    """Not a valid receipt of the city; the message says why in Chinese."""


def utc_text(when: dt.datetime) -> str:
    """A time as receipts write it: UTC, ISO-8601, milliseconds, ``Z``."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_utc(text: Any) -> dt.datetime:
    """The time of a ``…Z`` text; :class:`ValueError` for anything else."""
    if not isinstance(text, str) or not _UTC.match(text):
        raise ValueError(f"不是 UTC 时间：{str(text)[:40]}")
    return dt.datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Receipt:
    """A verified receipt: its payload fields, ``received_at`` as a time, and ``raw``, exactly the bytes held."""

    submission_id: str
    unit: dict[str, str]
    period: str
    revision: int
    payload_hash: str
    received_at: dt.datetime
    sequence: int
    verdict: str
    server: str
    raw: bytes

    @property
    def unit_code(self) -> str:
        return self.unit["code"]

    @property
    def unit_name(self) -> str:
        return self.unit["name"]

    @property
    def received_at_text(self) -> str:
        return utc_text(self.received_at)

    def trusted_time(self) -> TrustedTime:
        """The receipt as the time to judge its submission's unit certificate at."""
        return TrustedTime(self.received_at, self.submission_id, self.payload_hash)

    def certificate(self) -> x509.Certificate:
        """The receipt-signing certificate the receipt carries (already checked by :func:`verify_receipt`)."""
        document = json.loads(self.raw.decode("utf-8"))
        return x509.load_pem_x509_certificate(str(document["certificate"]).encode("ascii"))


class ReceiptSigner:
    """The intake server's receipt key and certificate."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        if not has_receipt_purpose(certificate):
            raise KeysError("该证书不是回执签名证书（须由 keys server-cert 签发）")
        server = server_name_of(certificate)
        if server is None:
            raise KeysError("回执签名证书中没有服务器名称")
        self.key = key
        self.certificate = certificate
        self.server = server
        self._certificate_pem = certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def sign(
        self,
        *,
        submission_id: str,
        unit: dict[str, str],
        period: str,
        revision: int,
        payload_hash: str,
        received_at: dt.datetime,
        sequence: int,
        verdict: str,
    ) -> bytes:
        """The receipt's bytes."""
        if verdict not in VERDICTS:
            raise ValueError(f"unknown verdict {verdict}")
        payload = {
            "submission_id": submission_id,
            "unit": {"code": unit["code"], "name": unit["name"]},
            "period": period,
            "revision": revision,
            "payload_hash": payload_hash,
            "received_at": utc_text(received_at),
            "sequence": sequence,
            "verdict": verdict,
            "server": self.server,
        }
        signature = self.key.sign(canonical(payload), ec.ECDSA(hashes.SHA256()))
        return canonical(
            {
                "format": FORMAT,
                "format_version": 1,
                "algorithm": ALGORITHM,
                "payload": payload,
                "signature": base64.b64encode(signature).decode("ascii"),
                "certificate": self._certificate_pem,
            }
        )


def verify_receipt(raw: bytes, city_ca: x509.Certificate) -> Receipt:
    """The receipt in ``raw``, or :class:`ReceiptError` unless its certificate is a receipt-signing certificate
    issued by ``city_ca`` (valid at the receipt's time) and its signature holds."""
    if len(raw) > MAX_RECEIPT_BYTES:
        raise ReceiptError(f"不是回执：数据过大（{len(raw)} 字节，回执不超过 {MAX_RECEIPT_BYTES // 1024} KiB）")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ReceiptError("不是回执：不是有效的 JSON") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ReceiptError("不是填报通的回执")
    if document.get("format_version") != 1:
        raise ReceiptError("回执的格式版本不受支持，请升级填报通")
    if document.get("algorithm") != ALGORITHM:
        raise ReceiptError(f"回执使用了不支持的签名算法 {str(document.get('algorithm'))[:40]}")
    payload = document.get("payload")
    if not isinstance(payload, dict):
        raise ReceiptError("回执缺少内容")
    receipt = _fields(payload, raw)
    try:
        cert = x509.load_pem_x509_certificate(str(document.get("certificate", "")).encode("ascii"))
        signature = base64.b64decode(str(document.get("signature", "")), validate=True)
    except (ValueError, UnicodeEncodeError, binascii.Error) as exc:
        raise ReceiptError("回执的签名或证书数据已损坏") from exc
    if not has_receipt_purpose(cert):
        raise ReceiptError("回执不是用市级签发的回执签名证书签署的")
    if receipt.received_at > dt.datetime.now(dt.UTC) + CLOCK_SKEW:
        raise ReceiptError(f"回执的接收时间 {utc_text(receipt.received_at)} 晚于现在，回执无效")
    try:
        check_issued_by(cert, city_ca, receipt.received_at)
    except KeysError as exc:
        raise ReceiptError(f"回执签名证书无效：{exc}") from exc
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ReceiptError("回执签名证书的密钥不是 ECDSA")
    try:
        public_key.verify(signature, canonical(payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ReceiptError("回执的签名不符：回执内容被改动过") from exc
    if server_name_of(cert) != receipt.server:
        raise ReceiptError(f"回执的服务器名称 {receipt.server} 与签名证书不符")
    return receipt


def _fields(payload: dict[str, Any], raw: bytes) -> Receipt:
    unit = payload.get("unit")
    fields = {
        "submission_id": payload.get("submission_id"),
        "period": payload.get("period"),
        "payload_hash": payload.get("payload_hash"),
        "verdict": payload.get("verdict"),
        "server": payload.get("server"),
    }
    if not all(isinstance(v, str) and v for v in fields.values()):
        raise ReceiptError("回执缺少内容（报送编号、报告期、内容摘要、结论或服务器）")
    if not (isinstance(unit, dict) and isinstance(unit.get("code"), str) and isinstance(unit.get("name"), str)):
        raise ReceiptError("回执缺少报送单位")
    revision, sequence = payload.get("revision"), payload.get("sequence")
    if type(revision) is not int or revision < 1 or type(sequence) is not int or sequence < 1:
        raise ReceiptError("回执的版本号或序号无效")
    if not _HASH.match(str(fields["payload_hash"])):
        raise ReceiptError("回执的内容摘要无效")
    if fields["verdict"] not in VERDICTS:
        raise ReceiptError(f"回执的结论“{str(fields['verdict'])[:20]}”无效")
    try:
        received_at = parse_utc(payload.get("received_at"))
    except ValueError as exc:
        raise ReceiptError("回执的接收时间无效") from exc
    return Receipt(
        submission_id=str(fields["submission_id"]),
        unit={"code": unit["code"], "name": unit["name"]},
        period=str(fields["period"]),
        revision=revision,
        payload_hash=str(fields["payload_hash"]),
        received_at=received_at,
        sequence=sequence,
        verdict=str(fields["verdict"]),
        server=str(fields["server"]),
        raw=raw,
    )


# A receipt kept with its submission file: ``报送.xlsx`` → ``报送.xlsx.receipt.json``.
RECEIPT_SUFFIX = ".receipt.json"


def receipt_beside(path: Path) -> Path:
    """Where the receipt accompanying a submission file is kept: the file's name plus ``.receipt.json``."""
    return path.with_name(path.name + RECEIPT_SUFFIX)


def read_receipt_file(path: Path, city_ca: x509.Certificate) -> Receipt:
    """The verified receipt in the file at ``path``."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_RECEIPT_BYTES + 1)
    except OSError as exc:
        raise ReceiptError(f"无法读取回执 {path}：{exc.strerror or exc}") from exc
    try:
        return verify_receipt(raw, city_ca)
    except ReceiptError as exc:
        raise ReceiptError(f"{path}：{exc}") from exc
