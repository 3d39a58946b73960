"""What the intake service offers back — the city's notices and new templates — kept until the clerk decides.

Everything fetched is checked before it is kept: a notice must carry the signature of the pinned city certificate
and name the unit it was asked for; a template must be signed by that certificate and pass every template check.
Kept documents wait (``new``) until the clerk applies or dismisses them; a return notice is then applied exactly
as ``notice FILE`` applies a file, a template imported exactly as ``template import``. An acceptance (审核通过)
changes no figure and is recorded at once (in the revision's history and on its outbox entry). A deadline extension
(延期) is applied as ``notice FILE`` applies its file: entry and the banner follow its dates.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.city.extensions import FORMAT as EXTENSION_FORMAT
from app.city.extensions import import_extension_bytes
from app.city.notices import NoticeError, signed_notice_body
from app.city.returns import Notice, ReturnError, apply_notice, check_notice_document, import_notice_document
from app.storage.db import Database
from app.storage.models import Catalog, InboxDocument, OutboxEntry, TransportState, utcnow
from app.storage.uploads import OFFERED, InboxItem, counts, list_inbox_rows
from app.templates.document import MAX_FILE_BYTES, TemplateError, content_hash, parse_document
from app.templates.export import document_from_spec
from app.templates.signing import check_template_signature, import_signed_template_document
from app.templates.spec import spec_from_document
from app.trust.canonical import canonical_bytes
from app.trust.keys import KeysError, KeyStore

if TYPE_CHECKING:
    # Only the callers that fetch hold a client: listing what waits (the outbox command, the 报送记录 view) loads
    # no HTTP client.
    from app.transport.client import IntakeClient, RequestSigner

log = logging.getLogger(__name__)

NEW, APPLIED, DISMISSED = OFFERED, "applied", "dismissed"
RETURNED, ACCEPTED, EXTENSION, TEMPLATE = "returned", "accepted", "extension", "template"
MAX_NOTICE_BYTES = 1024 * 1024
SOURCE = "市级上报服务"


class InboxError(ValueError):
    """A document that cannot be applied; the message says why in Chinese."""


def _cursor_key(unit_code: str) -> str:
    return f"notices_since/{unit_code}"


def notice_cursor(db: Database, unit_code: str) -> int:
    with db.session() as session:
        value = session.scalar(select(TransportState.value).where(TransportState.key == _cursor_key(unit_code)))
    return int(value) if value and value.isdigit() else 0


def _summary(notice: Notice) -> str:
    what = f"{notice.unit_name} {notice.period} 第 {notice.revision} 版"
    if notice.kind == RETURNED:
        return f"{what}被退回，原因：{notice.reason}"
    return f"{what}已审核通过" + (f"：{notice.reason}" if notice.reason else "")


def _extension_summary(body: dict[str, Any]) -> str:
    unit = str(body.get("unit_name") or body.get("unit") or "")
    parts = []
    if body.get("due"):
        parts.append(f"截止日期延至 {body['due']}")
    if body.get("closes"):
        parts.append(f"填报开放至 {body['closes']}")
    what = "，".join(parts) or "报送期限延长"
    return f"{unit} {body.get('period', '')} {what}" + (f"（{body['reason']}）" if body.get("reason") else "")


def _extension_body(raw: bytes, keys: KeyStore) -> dict[str, Any]:
    try:
        return signed_notice_body(raw, keys, EXTENSION_FORMAT, "延期通知", SOURCE)
    except NoticeError as exc:
        raise InboxError(str(exc)) from exc


@dataclass
class Fetched:
    """What one fetch kept, and why each document it did not keep was refused (in Chinese)."""

    kept: int = 0
    refused: list[str] = field(default_factory=list)

    def add(self, other: Fetched) -> None:
        self.kept += other.kept
        self.refused += other.refused


def fetch_notices(db: Database, keys: KeyStore, client: IntakeClient, signer: RequestSigner) -> Fetched:
    """Fetch the unit's notices newer than the last seen and keep the valid new ones.

    Raises the client's ``Unreachable`` when the service does not answer properly, ``Refused`` when it turns the
    request down (the unit's certificate is not accepted).
    """
    unit = signer.unit_code
    since = notice_cursor(db, unit)
    notices = client.notices(unit, signer, since=since)
    done = Fetched()
    highest = since
    for item in notices:
        try:
            sequence = int(item["sequence"])
            kind = str(item["kind"])
            document = item["document"]
        except (KeyError, TypeError, ValueError):
            done.refused.append("上报服务发来的通知缺少序号、种类或内容")
            continue
        highest = max(highest, sequence)
        try:
            done.kept += _keep_notice(db, keys, unit, sequence, kind, document)
        except InboxError as exc:
            log.info("notice %s from the intake service not kept: %s", sequence, exc)
            done.refused.append(f"第 {sequence} 号通知未通过核验，未保留：{exc}")
    with db.transaction() as session:
        row = session.get(TransportState, _cursor_key(unit))
        if row is None:
            session.add(TransportState(key=_cursor_key(unit), value=str(highest)))
        elif highest > int(row.value if row.value.isdigit() else 0):
            row.value = str(highest)
    return done


def _keep_notice(db: Database, keys: KeyStore, unit: str, sequence: int, kind: str, document: Any) -> int:
    raw = json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")
    if len(raw) > MAX_NOTICE_BYTES:
        raise InboxError("通知过大")
    notice: Notice | None = None
    if kind in (RETURNED, ACCEPTED):
        try:
            notice = check_notice_document(document, keys.city_certificate())
        except (ReturnError, KeysError) as exc:
            raise InboxError(str(exc)) from exc
        if notice.kind != kind or notice.unit != unit:
            raise InboxError(f"通知的种类或单位（{notice.kind}，{notice.unit}）与上报服务所说的不符")
        summary = _summary(notice)
    elif kind == EXTENSION:
        body = _extension_body(raw, keys)
        if body.get("unit") != unit:
            raise InboxError(f"通知是给单位 {body.get('unit')} 的，不是 {unit}")
        summary = _extension_summary(body)
    else:
        raise InboxError(f"不认识的通知类型 {kind[:20]}")
    digest = hashlib.sha256(canonical_bytes(document)).hexdigest()
    with db.transaction() as session:
        if session.scalar(select(InboxDocument.id).where(InboxDocument.digest == digest)) is not None:
            return 0
        row = InboxDocument(
            kind=kind, unit_code=unit, sequence=sequence, digest=digest, document=raw, summary=summary, state=NEW
        )
        session.add(row)
        session.flush()
        row_id = row.id
    if notice is not None and kind == ACCEPTED:
        # An acceptance changes no figure: it is recorded at once (in the revision's history and the outbox).
        try:
            _accept(db, notice)
        except ReturnError as exc:
            log.info("acceptance of %s left for the clerk: %s", notice.submission_id, exc)
        else:
            _decide(db, row_id, APPLIED)
    return 1


def _accept(db: Database, notice: Notice) -> None:
    apply_notice(db, notice)
    with db.transaction() as session:
        entry = session.scalar(select(OutboxEntry).where(OutboxEntry.submission_id == notice.submission_id))
        if entry is not None and entry.accepted_at is None:
            entry.accepted_at = notice.issued_at


def fetch_templates(db: Database, keys: KeyStore, client: IntakeClient) -> Fetched:
    """Fetch the templates the service holds and keep those signed by the pinned city certificate that are not
    imported yet. Raises the client's ``Unreachable`` as :func:`fetch_notices`."""
    done = Fetched()
    for raw in client.templates():
        try:
            done.kept += _keep_template(db, keys, raw)
        except (TemplateError, InboxError) as exc:
            log.info("template from the intake service not kept: %s", exc)
            why = "；".join(exc.problems[:3]) if isinstance(exc, TemplateError) else str(exc)
            done.refused.append(f"上报服务提供的模板未通过核验，未保留：{why}")
    return done


def _keep_template(db: Database, keys: KeyStore, raw: bytes) -> int:
    if len(raw) > MAX_FILE_BYTES:
        raise InboxError("模板过大")
    if not keys.has_city_certificate():
        raise InboxError("本机还没有市级证书，不接收网络上的模板")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InboxError("模板不是 UTF-8 编码") from exc
    doc = parse_document(text, SOURCE)
    spec = spec_from_document(doc, SOURCE)
    # A certificate is pinned already (checked above), so this only compares with it and never pins a new one.
    check_template_signature(doc, keys, SOURCE)
    digest = content_hash(document_from_spec(spec))
    with db.transaction() as session:
        known = session.scalar(
            select(Catalog.id).where(
                Catalog.code == spec.code, Catalog.version == spec.version, Catalog.year == spec.year
            )
        )
        if known is not None or session.scalar(select(InboxDocument.id).where(InboxDocument.digest == digest)):
            return 0
        session.add(
            InboxDocument(
                kind=TEMPLATE,
                unit_code="",
                sequence=None,
                digest=digest,
                document=raw,
                summary=f"{spec.name} {spec.year} 年 {spec.version} 版（{len(spec.indicators)} 项指标，{spec.issuer}）",
                state=NEW,
            )
        )
    return 1


def list_inbox(db: Database, waiting_only: bool = False) -> list[InboxItem]:
    """What the service offered, newest first (only what waits for the clerk with ``waiting_only``)."""
    with db.reading() as source:
        return list_inbox_rows(source, waiting_only)


def waiting_count(db: Database) -> int:
    """How many documents the service offered wait for the clerk."""
    with db.reading() as source:
        return counts(source).offered


def apply(db: Database, keys: KeyStore, item_id: int) -> str:
    """Apply what the clerk confirmed; returns what was done, in Chinese. Raises :class:`InboxError`."""
    with db.session() as session:
        row = session.get(InboxDocument, item_id)
        if row is None:
            raise InboxError("该通知已不存在")
        kind, raw, state = row.kind, row.document, row.state
    if state != NEW:
        raise InboxError("该通知已处理过")
    try:
        if kind == TEMPLATE:
            doc = parse_document(raw.decode("utf-8-sig"), SOURCE)
            done = import_signed_template_document(db, keys, doc, SOURCE)
            message = f"已导入模板：{done.name} {done.year} 年 {done.version} 版"
        elif kind == RETURNED:
            notice = import_notice_document(db, keys, json.loads(raw.decode("utf-8")))
            message = f"已记下退回：{_summary(notice)}"
        elif kind == ACCEPTED:
            notice = check_notice_document(json.loads(raw.decode("utf-8")), keys.city_certificate())
            _accept(db, notice)
            message = _summary(notice)
        else:
            extension = import_extension_bytes(db, keys, raw, SOURCE)
            message = f"已记下延期：{extension.unit_name} {extension.period} {extension.summary}"
    except (TemplateError, ValueError, LookupError, KeysError) as exc:
        raise InboxError(str(exc)) from exc
    _decide(db, item_id, APPLIED)
    return message


def dismiss(db: Database, item_id: int) -> None:
    """The clerk set the document aside without applying it."""
    _decide(db, item_id, DISMISSED)


def _decide(db: Database, item_id: int, state: str) -> None:
    with db.transaction() as session:
        row = session.get(InboxDocument, item_id)
        if row is not None and row.state == NEW:
            row.state, row.decided_at = state, utcnow()
