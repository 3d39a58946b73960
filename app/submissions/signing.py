"""Signing a revision: the canonical payload, the unit's ECDSA signature, and checking an envelope.

See ``docs/submission-format.md``. What is signed is built from the self-check, so the figures, statuses and
summary in a submission are the ones the clerk saw.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.engine.numbers import fmt, to_text
from app.engine.timefmt import beijing_from_iso
from app.trust.canonical import canonical_bytes, canonical_text
from app.trust.keys import KeysError, check_issued_by, fingerprint, unit_code_of

if TYPE_CHECKING:
    from app.engine.periods import Period
    from app.engine.selfcheck import CheckResult
    from app.storage.db import Database
    from app.trust.keys import KeyStore

# Verifying (verify_envelope) needs neither the database nor the self-check; they are imported by the functions
# that sign, so that checking a file (a command, an import worker, the intake service) does not load them.

PAYLOAD_FORMAT = "tianbao-submission"
ENVELOPE_FORMAT = "tianbao-envelope"
ALGORITHM = "ECDSA-P256-SHA256"
ENVELOPE_KEYS = frozenset({"format", "format_version", "algorithm", "payload", "signature", "certificate"})


def beijing_time(signed_at: str) -> str | None:
    """A signing time as the exports show it: Beijing time, the same text on every machine whatever its time
    zone or language (the Excel check re-renders it). ``None`` when the text is not a time."""
    return beijing_from_iso(signed_at)


class SigningError(ValueError):
    """Signing is not possible now; the message says why in Chinese."""


class VerificationError(ValueError):
    """An envelope that is not a valid signed submission. ``reason`` is a stable code for programs."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def canonical(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are hashed and signed (:func:`~app.trust.canonical.canonical_bytes`)."""
    return canonical_bytes(payload)


def payload_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def build_payload(
    result: CheckResult, revision: int, content_hash: str, signer_fingerprint: str, user: str, signed_at: str
) -> dict[str, Any]:
    """The payload of a check, as it is signed."""
    indicators = []
    for ic in result.indicators:
        ind = ic.spec
        indicators.append(
            {
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "decimals": ind.decimals,
                "kind": ind.kind,
                "value": fmt(ic.value, ind.decimals) or None,
                "numerator": to_text(ic.entry.numerator) if ind.kind == "ratio" else None,
                "denominator": to_text(ic.entry.denominator) if ind.kind == "ratio" else None,
                "target": to_text(ic.progress.target),
                "expected": to_text(ic.progress.expected),
                "completion": to_text(ic.progress.completion),
                "status": None if ic.status is None else ic.status.value,
                "explanation": ic.entry.explanation,
            }
        )
    unit, period = result.unit, result.period
    return {
        "format": PAYLOAD_FORMAT,
        "format_version": 1,
        "submission_id": f"{unit.code}-{period}-r{revision}-{signer_fingerprint.replace(' ', '')[:8].lower()}",
        "catalog": {
            "code": result.catalog.code,
            "version": result.catalog.version,
            "year": result.catalog.year,
            "name": result.catalog.name,
            "demo": result.catalog.demo,
            "content_hash": content_hash,
        },
        "unit": {"code": unit.code, "name": unit.name},
        "period": str(period),
        "revision": revision,
        "signed_at": signed_at,
        "signer": {"fingerprint": signer_fingerprint, "user": user},
        "indicators": indicators,
        "counts": {s.value: n for s, n in result.counts.items()},
        "summary": result.summary,
    }


def sign_payload(payload: dict[str, Any], key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> dict[str, Any]:
    signature = key.sign(canonical(payload), ec.ECDSA(hashes.SHA256()))
    return {
        "format": ENVELOPE_FORMAT,
        "format_version": 1,
        "algorithm": ALGORITHM,
        "payload": payload,
        "signature": base64.b64encode(signature).decode("ascii"),
        "certificate": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    }


def verify_envelope(envelope: Any, city_ca: x509.Certificate, at: dt.datetime | None = None) -> dict[str, Any]:
    """The payload of a valid envelope, or :class:`VerificationError` with the reason.

    The unit certificate is judged at ``at`` (default: now) — the time of a receipt the city gave for it, so a
    submission received while its certificate was valid stays verifiable after the certificate expires.
    """
    return verified_payload(envelope, city_ca, at)[0]


def verified_payload(
    envelope: Any, city_ca: x509.Certificate, at: dt.datetime | None = None
) -> tuple[dict[str, Any], str]:
    """:func:`verify_envelope`, with the payload's hash (:func:`payload_hash`) taken from the bytes it verified."""
    payload, digest, _ = verified_signed(envelope, city_ca, at)
    return payload, digest


def verified_signed(
    envelope: Any, city_ca: x509.Certificate, at: dt.datetime | None = None
) -> tuple[dict[str, Any], str, bytes]:
    """:func:`verified_payload`, with the bytes it verified (:func:`canonical` of the payload)."""
    if not isinstance(envelope, dict) or envelope.get("format") != ENVELOPE_FORMAT:
        raise VerificationError("not_tianbao", "不是填报通的签名报送数据")
    payload = envelope.get("payload")
    if not isinstance(payload, dict) or payload.get("format") != PAYLOAD_FORMAT:
        raise VerificationError("not_tianbao", "报送数据缺少内容")
    if (
        set(envelope) != ENVELOPE_KEYS
        or type(envelope.get("format_version")) is not int
        or envelope["format_version"] != 1
    ):
        raise VerificationError("malformed", "签名报送数据的格式不合规：外层字段不对")
    if envelope.get("algorithm") != ALGORITHM:
        raise VerificationError("signature_invalid", f"不支持的签名算法 {envelope.get('algorithm')}")
    try:
        pem, encoded = envelope.get("certificate"), envelope.get("signature")
        if not (isinstance(pem, str) and isinstance(encoded, str) and len(pem) < 8192 and len(encoded) < 512):
            raise ValueError("not a certificate and a signature")
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
        signature = base64.b64decode(encoded, validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise VerificationError("signature_invalid", "签名或证书数据已损坏") from exc
    try:
        check_issued_by(cert, city_ca, at)
    except KeysError as exc:
        raise VerificationError("unknown_certificate", f"证书无效：{exc}") from exc
    unit = payload.get("unit")
    unit_code = unit.get("code") if isinstance(unit, dict) else None
    if unit_code_of(cert) != unit_code:
        raise VerificationError("wrong_signer", f"报送单位为 {unit_code}，签名证书却属于单位 {unit_code_of(cert)}")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise VerificationError("signature_invalid", "证书的密钥不是 ECDSA")
    from app.submissions.payload import check_payload, signed_bytes

    signed = signed_bytes(payload)
    try:
        public_key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise VerificationError("altered", "签名不符：报送内容在签名后被改动过") from exc
    return check_payload(payload, signed), hashlib.sha256(signed).hexdigest(), signed


@dataclass(frozen=True)
class Signed:
    envelope: dict[str, Any]
    payload_hash: str
    revision: int


def sign_and_lock(
    db: Database, keys: KeyStore, unit_code: str, period: Period, passphrase: str, user: str | None = None
) -> Signed:
    """Sign the unit's open revision, freeze it and queue it for upload (待上报), in one transaction.

    Refused while the self-check has errors or a required explanation is missing.
    """
    from app.storage.checks import check_unit
    from app.storage.models import utcnow
    from app.storage.store import LOCKED, EntryError, current_user, latest_submission, lock_submission, unit_by_code
    from app.storage.uploads import enqueue

    user = user or current_user()
    with db.transaction() as session:
        result = check_unit(session, unit_code, period)
        if not result.can_sign:
            reasons = "；".join(result.blocking_reasons()[:10])
            raise SigningError(f"尚不能签名：{reasons}")
        unit = unit_by_code(session, unit_code)
        sub = None if unit is None else latest_submission(session, unit, period, result.catalog.code)
        if sub is None:
            raise SigningError(f"单位 {unit_code} 在 {period} 还没有填报")
        if sub.status == LOCKED:
            raise SigningError(
                f"第 {sub.revision} 版已签名锁定；如需更正，请修改数值，程序会生成第 {sub.revision + 1} 版"
            )
        cert = keys.unit_certificate(unit_code)
        key = keys.unit_key(unit_code, passphrase)
        if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
            raise SigningError("本单位的私钥与证书不配对")
        check_issued_by(cert, keys.city_certificate())
        from app.storage.models import Catalog

        catalog = session.get(Catalog, sub.catalog_id)
        assert catalog is not None
        payload = build_payload(result, sub.revision, catalog.content_hash, fingerprint(cert), user, utcnow())
        envelope = sign_payload(payload, key, cert)
        digest = payload_hash(payload)
        try:
            locked = lock_submission(
                session,
                unit_code,
                period,
                user,
                digest,
                canonical_text(envelope),  # as the city stores it
                catalog_code=result.catalog.code,
            )
        except EntryError as exc:
            raise SigningError(str(exc)) from exc
        # In the same transaction: a signed revision is never left out of the outbox, whenever the program stops.
        enqueue(session, locked, payload["submission_id"])
        return Signed(envelope, digest, sub.revision)


def signed_envelope(
    db: Database, unit_code: str, period: Period, catalog_code: str | None = None
) -> dict[str, Any] | None:
    """The envelope of the unit's latest signed revision for the period, if it has one."""
    from sqlalchemy import select

    from app.storage.models import Catalog, Submission
    from app.storage.store import LOCKED, unit_by_code

    with db.session() as session:
        unit = unit_by_code(session, unit_code)
        if unit is None:
            return None
        query = (
            select(Submission)
            .join(Catalog, Catalog.id == Submission.catalog_id)
            .where(Submission.unit_id == unit.id, Submission.period == str(period), Submission.status == LOCKED)
        )
        if catalog_code is not None:
            query = query.where(Catalog.code == catalog_code)
        sub = session.scalar(query.order_by(Submission.revision.desc()).limit(1))
        if sub is None or not sub.signature:
            return None
        envelope: dict[str, Any] = json.loads(sub.signature)
        return envelope
