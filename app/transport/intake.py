"""What the intake service does with the database: store a verified upload and sign its receipt, a unit's notices
and status, the current signed templates, and the nonces of signed requests. No HTTP here (that is
:mod:`app.transport.server`); every function is one short transaction.

An upload is stored through the city import's own function (:func:`app.city.importer.store_envelope`), so it is
kept exactly as an imported file would be, and its receipt is written in the same transaction: a receipt that was
sent always names a stored revision. The same submission again gets the receipt it already has, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.city.importer import store_envelope
from app.storage.db import Database
from app.storage.models import Catalog, RequestNonce, Submission, Unit
from app.storage.models import Notice as NoticeRow
from app.storage.models import Receipt as ReceiptRow
from app.submissions.signing import payload_hash
from app.transport.auth import WINDOW, AuthError, SignedRequest
from app.transport.receipts import ReceiptSigner, utc_text

log = logging.getLogger("tianbao.intake")

MAX_SUBMISSION_ID = 200
# Sequence numbers are 32-bit integers in the database (PostgreSQL refuses a larger number to compare with).
MAX_SEQUENCE = 2**31 - 1
# The most notices one answer lists; the unit asks again from the last sequence number.
NOTICE_PAGE = 500
# Concurrent writers (several workers on PostgreSQL, or the window beside the service on SQLite) can collide on
# the same submission or lock; the transaction is then run again, a few times.
ATTEMPTS = 4


class UploadRefused(Exception):
    """A verified file the city does not store: 409 (another content under the same id or revision) or 422."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# A verified envelope, where it came from (for the audit log), and its payload hash and canonical JSON text when
# the verification already had them.
Upload = tuple[dict[str, Any], str, str | None, str | None]


@dataclass(frozen=True)
class Delivered:
    """The receipt's bytes; ``new`` when this upload stored the submission (else the receipt it already had)."""

    receipt: bytes
    new: bool
    verdict: str
    sequence: int


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class IntakeService:
    """The intake service's work on one database, with the server's receipt key."""

    def __init__(self, db: Database, signer: ReceiptSigner, clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.db = db
        self.signer = signer
        self.clock = clock
        self._templates_key: tuple[Any, ...] | None = None
        self._templates: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ uploads

    def store(self, envelope: dict[str, Any], source: str) -> Delivered:
        """Store a verified envelope and sign its receipt, committed before this returns."""
        (outcome,) = self.store_many([(envelope, source, None, None)])
        if isinstance(outcome, UploadRefused):
            raise outcome
        return outcome

    def store_many(self, uploads: list[Upload]) -> list[Delivered | UploadRefused]:
        """Store verified envelopes and sign their receipts in one transaction — one durable commit for all of
        them, made before this returns — and say for each what became of it.

        A refused upload adds nothing to the transaction (the import checks everything before it adds), so it
        leaves the others alone. When another writer collides (the same submission stored by another worker
        meanwhile, a lock), the whole transaction is run again: it then finds what the other stored.
        """
        for attempt in range(ATTEMPTS):
            try:
                with self.db.transaction() as session:
                    held = _held_receipts(session, uploads)
                    return [self._store_one(session, held, *upload) for upload in uploads]
            except (IntegrityError, OperationalError) as exc:
                if attempt == ATTEMPTS - 1:
                    raise
                log.info(
                    "%d upload(s) collided with another writer (%s), trying again", len(uploads), type(exc).__name__
                )
        raise AssertionError("unreachable")

    def _store_one(
        self,
        session: Session,
        held: dict[str, _Held],
        envelope: dict[str, Any],
        source: str,
        digest: str | None,
        text: str | None,
    ) -> Delivered | UploadRefused:
        payload = envelope["payload"]
        submission_id = str(payload["submission_id"])
        if len(submission_id) > MAX_SUBMISSION_ID:
            return UploadRefused(422, "not_tianbao", "报送编号过长，不是填报通的报送")
        digest = digest or payload_hash(payload)
        receipt = held.get(submission_id)
        if receipt is not None:
            if receipt.payload_hash == digest:
                return Delivered(receipt.document.encode("utf-8"), False, receipt.verdict, receipt.id)
            return UploadRefused(
                409, "conflict", f"报送编号 {submission_id} 已以不同的内容上报过（已有内容摘要 {receipt.payload_hash}）"
            )
        result = store_envelope(session, Path(source), envelope, digest, text)
        if result.status == "conflict":
            return UploadRefused(409, "conflict", result.message)
        if not result.ok:
            return UploadRefused(422, result.status, result.message)
        now = self.clock()
        # Plain statements, not an ORM object: the row's id is the receipt's sequence number, which the signed
        # document names, so the row is inserted first and its document written into it after signing.
        connection = session.connection()
        sequence = connection.execute(
            _INSERT_RECEIPT,
            {
                "submission_id": submission_id,
                "submission_row_id": result.stored_id,
                "unit_code": str(payload["unit"]["code"]),
                "period": str(payload["period"]),
                "revision": int(payload["revision"]),
                "payload_hash": digest,
                "verdict": result.status,
                "received_at": utc_text(now),
                "document": "",
            },
        ).scalar_one()
        raw = self.signer.sign(
            submission_id=submission_id,
            unit={"code": str(payload["unit"]["code"]), "name": str(payload["unit"]["name"])},
            period=str(payload["period"]),
            revision=int(payload["revision"]),
            payload_hash=digest,
            received_at=now,
            sequence=sequence,
            verdict=result.status,
        )
        document = raw.decode("utf-8")
        connection.execute(_WRITE_DOCUMENT, {"receipt_id": sequence, "document": document})
        held[submission_id] = _Held(sequence, digest, result.status, document)
        return Delivered(raw, True, result.status, sequence)

    # ------------------------------------------------------------------ what a unit reads

    def notices(self, unit_code: str, since: int) -> list[dict[str, Any]]:
        """The unit's notices after sequence number ``since``, oldest first, at most :data:`NOTICE_PAGE`."""
        since = min(since, MAX_SEQUENCE)
        with self.db.session() as session:
            rows = session.execute(
                select(NoticeRow.id, NoticeRow.kind, NoticeRow.document)
                .join(Unit, Unit.id == NoticeRow.unit_id)
                .where(Unit.code == unit_code, NoticeRow.id > since)
                .order_by(NoticeRow.id)
                .limit(NOTICE_PAGE)
            ).all()
        return [{"sequence": id_, "kind": kind, "document": json.loads(document)} for id_, kind, document in rows]

    def status(self, unit_code: str) -> dict[str, Any]:
        """What the city holds for the unit: per period, the latest revision, its state (received, returned,
        accepted) and its receipt's time and sequence number (none for a file imported by hand)."""
        with self.db.session() as session:
            unit = session.scalar(select(Unit).where(Unit.code == unit_code))
            if unit is None:
                return {"unit": {"code": unit_code, "name": None}, "periods": []}
            latest: dict[str, Submission] = {}
            for sub in session.scalars(
                select(Submission)
                .where(Submission.unit_id == unit.id, Submission.status.in_(("locked", "returned")))
                .order_by(Submission.period, Submission.revision, Submission.id)
            ):
                latest[sub.period] = sub
            ids = [s.id for s in latest.values()]
            accepted = set(
                session.scalars(
                    select(NoticeRow.submission_id).where(
                        NoticeRow.submission_id.in_(ids), NoticeRow.kind == "accepted"
                    )
                )
            )
            receipts = {
                r.submission_row_id: r
                for r in session.scalars(select(ReceiptRow).where(ReceiptRow.submission_row_id.in_(ids)))
            }
            periods = []
            for period, sub in sorted(latest.items()):
                receipt = receipts.get(sub.id)
                state = "returned" if sub.status == "returned" else "accepted" if sub.id in accepted else "received"
                periods.append(
                    {
                        "period": period,
                        "revision": sub.revision,
                        "state": state,
                        "received_at": None if receipt is None else receipt.received_at,
                        "sequence": None if receipt is None else receipt.id,
                    }
                )
            return {"unit": {"code": unit.code, "name": unit.name}, "periods": periods}

    def templates(self) -> list[dict[str, Any]]:
        """The signed templates the districts should hold: for each year, the one imported last, as the city signed
        it. (A template imported before the program kept signed documents is offered once it is imported again.)"""
        with self.db.session() as session:
            rows = session.execute(
                select(Catalog.id, Catalog.year).where(Catalog.signed_document.is_not(None)).order_by(Catalog.id)
            ).all()
            current = {year: id_ for id_, year in rows}
            key = tuple(sorted(current.items()))
            if key != self._templates_key:
                documents = []
                for year, id_ in sorted(current.items()):
                    catalog = session.get(Catalog, id_)
                    assert catalog is not None and catalog.signed_document is not None
                    document = json.loads(catalog.signed_document)
                    documents.append({"year": year, "version": catalog.version, "document": document})
                self._templates, self._templates_key = documents, key
        return self._templates

    # ------------------------------------------------------------------ signed requests

    def remember_nonce(self, request: SignedRequest) -> None:
        """Record a signed request's nonce; :class:`AuthError` (401) if it was seen before. Nonces older than twice
        the accepted window are forgotten (their requests are refused by time already)."""
        now = self.clock()
        try:
            with self.db.transaction() as session:
                session.execute(delete(RequestNonce).where(RequestNonce.seen_at < utc_text(now - 2 * WINDOW)))
                session.add(RequestNonce(nonce=request.nonce, unit_code=request.unit_code, seen_at=utc_text(now)))
        except IntegrityError as exc:
            raise AuthError(401, "replayed", "该请求已经收到过（重放的请求），已拒绝") from exc

    def receipts_count(self) -> int:
        with self.db.session() as session:
            return int(session.scalar(select(func.count()).select_from(ReceiptRow)) or 0)


_RECEIPTS = cast(Table, ReceiptRow.__table__)
_INSERT_RECEIPT = insert(_RECEIPTS).returning(_RECEIPTS.c.id)
_WRITE_DOCUMENT = (
    update(_RECEIPTS).where(_RECEIPTS.c.id == bindparam("receipt_id")).values(document=bindparam("document"))
)


@dataclass(frozen=True)
class _Held:
    """A receipt the database holds already (or that this transaction has just written)."""

    id: int
    payload_hash: str
    verdict: str
    document: str


def _held_receipts(session: Session, uploads: list[Upload]) -> dict[str, _Held]:
    """The receipts already given for the submissions of ``uploads``, by submission id: one query for the batch."""
    # An id longer than any stored one is refused anyway: only enough of it is sent to tell it from them.
    ids = sorted({str(envelope["payload"]["submission_id"])[: MAX_SUBMISSION_ID + 1] for envelope, *_ in uploads})
    columns = _RECEIPTS.c
    rows = session.connection().execute(
        select(columns.submission_id, columns.id, columns.payload_hash, columns.verdict, columns.document).where(
            columns.submission_id.in_(ids)
        )
    )
    return {submission_id: _Held(*rest) for submission_id, *rest in rows}
