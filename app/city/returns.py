"""The city's notices to a unit: returning a submission (退回) and accepting it (审核通过), each a signed document.

A notice is a small JSON document signed with the city CA key like a template. The city keeps every notice it gives
in the database, for the unit to fetch from the intake service, and can write it to a file to hand over.
Imported by the district, a return notice marks the named revision as returned (the district's next edit opens the
next revision, which then supersedes it); an acceptance notice records that the city has checked the revision.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import __version__
from app.city.notices import sign_notice
from app.engine.periods import Period, PeriodError
from app.storage.db import Database
from app.storage.files import write_atomic
from app.storage.models import AuditEntry, Catalog, Submission, Unit, utcnow
from app.storage.models import Notice as NoticeRow
from app.trust.canonical import canonical_bytes
from app.trust.keys import KeyStore, fingerprint

FORMAT = "tianbao-return-notice"
ACCEPT_FORMAT = "tianbao-accept-notice"
# The document format and the field holding the notice's time, per kind.
KINDS = {"returned": (FORMAT, "returned_at"), "accepted": (ACCEPT_FORMAT, "accepted_at")}
MAX_NOTICE_BYTES = 1024 * 1024


class ReturnError(ValueError):
    """A return, an acceptance or a notice that cannot be accepted; the message says why in Chinese."""


@dataclass(frozen=True)
class Notice:
    """A notice as the unit reads it. ``reason`` is the return's reason, or the city's comment on an acceptance."""

    unit: str
    unit_name: str
    period: str
    revision: int
    submission_id: str
    reason: str
    issued_at: str
    kind: str = "returned"

    @property
    def returned_at(self) -> str:
        return self.issued_at


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


def _sign(notice: Notice, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> dict[str, Any]:
    """The signed document of ``notice``."""
    document_format, time_field = KINDS[notice.kind]
    body = {
        "format": document_format,
        "format_version": 1,
        "kind": notice.kind,
        "generator": f"填报通 Tianbao {__version__}",
        "unit": notice.unit,
        "unit_name": notice.unit_name,
        "period": notice.period,
        "revision": notice.revision,
        "submission_id": notice.submission_id,
        "reason": notice.reason,
        time_field: notice.issued_at,
    }
    return sign_notice(body, key, cert)


def _keep(session: Session, sub: Submission, notice: Notice, document: dict[str, Any], out: Path | None) -> None:
    """Keep the notice for the unit to fetch, and write it to ``out`` when given (in the caller's transaction,
    so a notice that could not be written is not kept either)."""
    session.add(
        NoticeRow(
            unit_id=sub.unit_id,
            submission_id=sub.id,
            kind=notice.kind,
            created_at=notice.issued_at,
            document=json.dumps(document, ensure_ascii=False),
        )
    )
    session.flush()
    if out is not None:
        write_atomic(out, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def return_submission(
    db: Database,
    keys: KeyStore,
    unit_code: str,
    period: Period,
    reason: str,
    passphrase: str,
    out: Path | None = None,
) -> Notice:
    """(City) Return the unit's latest revision for ``period`` with ``reason``; the signed notice is kept for the
    unit to fetch and written to ``out`` when given."""
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
        _keep(session, sub, notice, _sign(notice, key, cert), out)
    return notice


def accept_submission(
    db: Database,
    keys: KeyStore,
    unit_code: str,
    period: Period,
    passphrase: str,
    comment: str = "",
    out: Path | None = None,
    revision: int | None = None,
) -> Notice:
    """(City) Accept (审核通过) the unit's latest revision for ``period`` (or ``revision``) once the city has checked
    it; the signed notice is kept for the unit to fetch and written to ``out`` when given. Accepting a revision
    again gives the notice it already has."""
    key, cert = keys.city_key(passphrase), keys.city_certificate()
    with db.transaction() as session:
        sub = _find(session, unit_code, period, revision, None)
        if sub.status == "returned":
            raise ReturnError(f"第 {sub.revision} 版已被退回，不能再审核通过")
        if sub.status != "locked" or not sub.signature:
            raise ReturnError(f"第 {sub.revision} 版不是已签名的报送，不能审核通过")
        given = session.scalar(
            select(NoticeRow).where(NoticeRow.submission_id == sub.id, NoticeRow.kind == "accepted").limit(1)
        )
        if given is not None:
            document = json.loads(given.document)
            if out is not None:
                write_atomic(out, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
            return check_notice_document(document, cert)
        payload = json.loads(sub.signature)["payload"]
        notice = Notice(
            unit_code,
            payload["unit"]["name"],
            str(period),
            sub.revision,
            payload["submission_id"],
            comment.strip(),
            utcnow(),
            kind="accepted",
        )
        session.add(
            AuditEntry(
                user="city",
                action="accept",
                submission_id=sub.id,
                unit_code=unit_code,
                period=str(period),
                revision=sub.revision,
                detail=notice.reason,
            )
        )
        _keep(session, sub, notice, _sign(notice, key, cert), out)
    return notice


def check_notice_document(document: Any, city_ca: x509.Certificate) -> Notice:
    """The notice in a signed document (either kind), or :class:`ReturnError` unless the pinned city certificate
    ``city_ca`` signed it and it is whole."""
    if not isinstance(document, dict):
        raise ReturnError("不是有效的市级通知")
    document = dict(document)
    try:
        sig = document.pop("signature")
        cert = x509.load_pem_x509_certificate(str(sig["certificate"]).encode("ascii"))
        value = base64.b64decode(str(sig["value"]), validate=True)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReturnError("不是有效的市级通知") from exc
    kinds = {fmt: (kind, field) for kind, (fmt, field) in KINDS.items()}
    if document.get("format") not in kinds:
        raise ReturnError("不是市级的退回或审核通过通知")
    kind, time_field = kinds[document["format"]]
    if document.get("kind", kind) != kind:
        raise ReturnError("市级通知的种类与格式不符")
    if fingerprint(cert) != fingerprint(city_ca):
        raise ReturnError("通知不是本机已确认的市级证书签发的")
    public_key = cert.public_key()
    try:
        assert isinstance(public_key, ec.EllipticCurvePublicKey)
        public_key.verify(value, canonical_bytes(document), ec.ECDSA(hashes.SHA256()))
    except (AssertionError, InvalidSignature) as exc:
        raise ReturnError("通知的签名不符（文件被改动过）") from exc
    try:
        notice = Notice(
            str(document["unit"]),
            str(document["unit_name"]),
            str(document["period"]),
            int(document["revision"]),
            str(document["submission_id"]),
            str(document["reason"]),
            str(document[time_field]),
            kind=kind,
        )
        Period.parse(notice.period)
    except (KeyError, ValueError, TypeError, PeriodError) as exc:
        raise ReturnError("通知缺少内容") from exc
    return notice


def read_notice(path: Path, keys: KeyStore) -> Notice:
    """Check a notice file's city signature against the pinned city certificate."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReturnError(f"无法读取 {path}：{exc.strerror or exc}") from exc
    if len(raw) > MAX_NOTICE_BYTES:
        raise ReturnError(f"{path} 不是退回通知（文件过大）")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ReturnError(f"{path} 不是有效的退回通知") from exc
    if not keys.has_city_certificate():
        raise ReturnError("本机还没有确认市级证书（请先导入市级签发的模板），无法核对通知")
    try:
        return check_notice_document(document, keys.city_certificate())
    except ReturnError as exc:
        raise ReturnError(f"{path}：{exc}") from exc


def import_notice(db: Database, keys: KeyStore, path: Path) -> Notice:
    """(District) Apply a notice file: a return marks the revision returned, with the city's reason; an
    acceptance is recorded in the revision's history."""
    return apply_notice(db, read_notice(path, keys))


def import_notice_document(db: Database, keys: KeyStore, document: Any) -> Notice:
    """(District) Check a notice document fetched from the intake service against the pinned city certificate and
    apply it as :func:`import_notice` does."""
    if not keys.has_city_certificate():
        raise ReturnError("本机还没有确认市级证书（请先导入市级签发的模板），无法核对通知")
    return apply_notice(db, check_notice_document(document, keys.city_certificate()))


def apply_notice(db: Database, notice: Notice) -> Notice:
    """(District) Apply a checked notice; applying it again changes nothing."""
    with db.transaction() as session:
        sub = _find(session, notice.unit, Period.parse(notice.period), notice.revision, None)
        if notice.kind == "accepted":
            done = session.scalar(
                select(AuditEntry.id).where(AuditEntry.submission_id == sub.id, AuditEntry.action == "accept").limit(1)
            )
            if done is None:
                session.add(_audit(sub.id, notice, "accept"))
            return notice
        if sub.status == "returned":
            return notice
        sub.status, sub.returned_reason, sub.returned_at = "returned", notice.reason, notice.issued_at
        session.add(_audit(sub.id, notice, "return"))
    return notice


def _audit(submission_id: int, notice: Notice, action: str) -> AuditEntry:
    """The history row of a notice the district applied."""
    return AuditEntry(
        user="city",
        action=action,
        submission_id=submission_id,
        unit_code=notice.unit,
        period=notice.period,
        revision=notice.revision,
        detail=notice.reason,
    )
