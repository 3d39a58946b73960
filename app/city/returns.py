"""Returning a submission (退回): the city records why, and writes a signed notice the district imports.

The notice is a small JSON file signed with the city CA key like a template. Imported by the district, it marks
the named revision as returned; the district's next edit opens the next revision, which then supersedes it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app import __version__
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.files import write_atomic
from app.storage.models import AuditEntry, Catalog, Submission, Unit, utcnow
from app.trust.keys import KeyStore, fingerprint

FORMAT = "tianbao-return-notice"
ALGORITHM = "ECDSA-P256-SHA256"
MAX_NOTICE_BYTES = 1024 * 1024


class ReturnError(ValueError):
    """A return or a notice that cannot be accepted; the message says why in Chinese."""


@dataclass(frozen=True)
class Notice:
    unit: str
    unit_name: str
    period: str
    revision: int
    submission_id: str
    reason: str
    returned_at: str


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _find(session: Any, unit_code: str, period: Period, revision: int | None, catalog_code: str | None) -> Submission:
    unit = session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        raise ReturnError(f"单位 {unit_code} 不存在")
    query = (
        select(Submission)
        .join(Catalog, Catalog.id == Submission.catalog_id)
        .where(Submission.unit_id == unit.id, Submission.period == str(period), Catalog.year == period.year)
    )
    if catalog_code is not None:
        query = query.where(Catalog.code == catalog_code)
    if revision is not None:
        query = query.where(Submission.revision == revision)
    sub: Submission | None = session.scalar(query.order_by(Submission.revision.desc()).limit(1))
    if sub is None:
        raise ReturnError(f"没有单位 {unit_code} 在 {period} 的报送" + (f"第 {revision} 版" if revision else ""))
    return sub


def return_submission(
    db: Database, keys: KeyStore, unit_code: str, period: Period, reason: str, passphrase: str, out: Path
) -> Notice:
    """(City) Return the unit's latest revision for ``period`` with ``reason`` and write the signed notice."""
    reason = reason.strip()
    if not reason:
        raise ReturnError("请写明退回原因")
    key, cert = keys.city_key(passphrase), keys.city_certificate()
    with db.transaction() as session:
        sub = _find(session, unit_code, period, None, None)
        if sub.status != "locked" or not sub.signature:
            raise ReturnError(f"第 {sub.revision} 版不是已签名的报送，无需退回")
        payload = json.loads(sub.signature)["payload"]
        now = utcnow()
        sub.status, sub.returned_reason, sub.returned_at = "returned", reason, now
        session.add(
            AuditEntry(
                user="city",
                action="return",
                submission_id=sub.id,
                unit_code=unit_code,
                period=str(period),
                revision=sub.revision,
                detail=reason,
            )
        )
        notice = Notice(
            unit_code, payload["unit"]["name"], str(period), sub.revision, payload["submission_id"], reason, now
        )
        body = {"format": FORMAT, "format_version": 1, "generator": f"填报通 Tianbao {__version__}", **notice.__dict__}
        signature = key.sign(_canonical(body), ec.ECDSA(hashes.SHA256()))
        document = {
            **body,
            "signature": {
                "algorithm": ALGORITHM,
                "certificate": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                "value": base64.b64encode(signature).decode("ascii"),
            },
        }
        write_atomic(out, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return notice


def read_notice(path: Path, keys: KeyStore) -> Notice:
    """Check a notice's city signature against the pinned city certificate."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReturnError(f"无法读取 {path}：{exc.strerror or exc}") from exc
    return notice_from_bytes(raw, keys, str(path))


def notice_from_bytes(raw: bytes, keys: KeyStore, path: str) -> Notice:
    """A notice file's content (``path`` names it in messages), checked as :func:`read_notice` checks a file."""
    if len(raw) > MAX_NOTICE_BYTES:
        raise ReturnError(f"{path} 不是退回通知（文件过大）")
    try:
        document = json.loads(raw.decode("utf-8"))
        sig = document.pop("signature")
        cert = x509.load_pem_x509_certificate(str(sig["certificate"]).encode("ascii"))
        value = base64.b64decode(str(sig["value"]), validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ReturnError(f"{path} 不是有效的退回通知") from exc
    if document.get("format") != FORMAT:
        raise ReturnError(f"{path} 不是退回通知")
    if not keys.has_city_certificate() or fingerprint(cert) != fingerprint(keys.city_certificate()):
        raise ReturnError("退回通知不是本机已确认的市级证书签发的")
    public_key = cert.public_key()
    try:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(value, _canonical(document), ec.ECDSA(hashes.SHA256()))
    except (AssertionError, InvalidSignature) as exc:
        raise ReturnError("退回通知的签名不符（文件被改动过）") from exc
    try:
        return Notice(
            str(document["unit"]),
            str(document["unit_name"]),
            str(document["period"]),
            int(document["revision"]),
            str(document["submission_id"]),
            str(document["reason"]),
            str(document["returned_at"]),
        )
    except (KeyError, ValueError) as exc:
        raise ReturnError(f"{path} 缺少内容") from exc


def import_notice(db: Database, keys: KeyStore, path: Path) -> Notice:
    """(District) Mark the returned revision as returned, with the city's reason."""
    return apply_notice(db, read_notice(path, keys))


def apply_notice(db: Database, notice: Notice) -> Notice:
    """(District) Mark the revision a checked notice names as returned, with the city's reason."""
    with db.transaction() as session:
        sub = _find(session, notice.unit, Period.parse(notice.period), notice.revision, None)
        if sub.status == "returned":
            return notice
        sub.status, sub.returned_reason, sub.returned_at = "returned", notice.reason, notice.returned_at
        session.add(
            AuditEntry(
                user="city",
                action="return",
                submission_id=sub.id,
                unit_code=notice.unit,
                period=notice.period,
                revision=notice.revision,
                detail=notice.reason,
            )
        )
    return notice
