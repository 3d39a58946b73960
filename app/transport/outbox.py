"""The district's outbox: which signed revisions wait for upload, which were delivered with which receipt, and the
state changes the uploader makes, each in its own short transaction.

A revision enters the outbox when it is signed (:func:`app.storage.uploads.enqueue`, in the signing transaction).
Here: ``pending`` → ``sending`` when an upload starts, then ``delivered`` — only with a receipt that verifies
against the pinned city CA and names this very submission and payload hash, stored in the same transaction — or
``refused`` with the server's reason, or back to ``pending`` when the server could not be reached. An entry left
``sending`` by a program that was killed goes back to ``pending`` at the next start (:func:`resume_interrupted`).
Several programs on one database (the window and a scheduled ``upload``) may send the same entry: the intake
service answers the same submission with the same receipt, and the first receipt stored is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlalchemy import select, update

from app.storage.db import Database
from app.storage.models import OutboxEntry, Submission, TransportState, utcnow
from app.storage.uploads import (
    DELIVERED,
    LAST_CONTACT,
    PENDING,
    REFUSED,
    RETURNED,
    SENDING,
    STATE_LABELS,
    VERDICT_LABELS,
    OutboxItem,
    counts,
    list_outbox_rows,
)
from app.transport.receipts import Receipt, ReceiptError, verify_receipt
from app.transport.settings import ADDRESS, AddressError, address_for, check_address

__all__ = [
    "ADDRESS",
    "DELIVERED",
    "PENDING",
    "REFUSED",
    "RETURNED",
    "SENDING",
    "STATE_LABELS",
    "VERDICT_LABELS",
    "AddressError",
    "Claimed",
    "OutboxItem",
    "check_address",
    "claim",
    "list_outbox",
    "mark_delivered",
    "mark_refused",
    "pending_count",
    "pending_ids",
    "record_contact",
    "release",
    "resume_interrupted",
    "retry_refused",
    "server_address",
    "stored_receipt",
]


def server_address(db: Database, override: str | None = None) -> str | None:
    """The address to upload to: ``override`` (设置 or ``--server``, for testing) or the template's."""
    with db.reading() as source:
        return address_for(source, override)


def list_outbox(db: Database) -> list[OutboxItem]:
    """Every submission the outbox holds, newest first."""
    with db.reading() as source:
        return list_outbox_rows(source)


def pending_count(db: Database) -> int:
    """How many submissions still wait to be delivered (待上报 and 上报中)."""
    with db.reading() as source:
        return counts(source).pending


def pending_ids(db: Database) -> list[int]:
    """The entries to send, oldest first, so a later revision of a period reaches the city after the earlier."""
    with db.session() as session:
        return list(
            session.scalars(select(OutboxEntry.id).where(OutboxEntry.state == PENDING).order_by(OutboxEntry.id))
        )


def resume_interrupted(db: Database) -> int:
    """Put back into 待上报 what a stopped program left 上报中. Returns how many."""
    with db.transaction() as session:
        result = session.execute(update(OutboxEntry).where(OutboxEntry.state == SENDING).values(state=PENDING))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Claimed:
    """An entry taken for sending: what to send and what the receipt must name."""

    id: int
    submission_id: str
    payload_hash: str
    envelope: dict[str, Any]


def claim(db: Database, entry_id: int) -> Claimed | None:
    """Mark a pending entry 上报中 and return what to send; ``None`` if it is no longer pending."""
    import json

    with db.transaction() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.state != PENDING:
            return None
        sub = session.get(Submission, entry.submission_row_id)
        if sub is None or not sub.signature:
            return None
        entry.state, entry.attempts, entry.last_attempt_at = SENDING, entry.attempts + 1, utcnow()
        envelope: dict[str, Any] = json.loads(sub.signature)
        return Claimed(entry.id, entry.submission_id, entry.payload_hash, envelope)


def release(db: Database, entry_id: int, error: str) -> None:
    """The server could not be reached (or did not give a valid receipt): back to 待上报, keeping why."""
    with db.transaction() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is not None and entry.state == SENDING:
            entry.state, entry.last_error = PENDING, error[:2000]


def mark_refused(db: Database, entry_id: int, code: str, message: str) -> None:
    """The server refused the file (409 / 413 / 422): 被拒收, with its reason code and message."""
    with db.transaction() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is not None and entry.state in (PENDING, SENDING):
            entry.state, entry.reason_code, entry.reason = REFUSED, code[:40], message[:2000]


def mark_delivered(db: Database, entry_id: int, raw: bytes, city_ca: x509.Certificate) -> Receipt:
    """Store the receipt and mark the entry 已送达, in one transaction.

    The receipt is verified here again, whatever handed it over: signed by a receipt certificate of the pinned city
    CA, and naming this entry's submission id and payload hash. Otherwise :class:`ReceiptError` and nothing changes.
    An entry already delivered keeps the receipt it has.
    """
    receipt = verify_receipt(raw, city_ca)
    with db.transaction() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None:
            raise ReceiptError("待上报记录已不存在")
        if receipt.submission_id != entry.submission_id or receipt.payload_hash != entry.payload_hash:
            raise ReceiptError(f"回执不属于这份报送：回执为 {receipt.submission_id}，报送为 {entry.submission_id}")
        if entry.state == DELIVERED:
            return verify_receipt(entry.receipt or b"", city_ca)
        entry.state = DELIVERED
        entry.receipt = receipt.raw
        entry.received_at = receipt.received_at_text
        entry.sequence = receipt.sequence
        entry.verdict = receipt.verdict
        entry.delivered_at = utcnow()
        entry.last_error = None
        entry.reason_code = entry.reason = None
        return receipt


def retry_refused(db: Database, entry_id: int) -> bool:
    """Put a refused entry back into 待上报 (after the city fixed what made it refuse). True if it was refused."""
    with db.transaction() as session:
        entry = session.get(OutboxEntry, entry_id)
        if entry is None or entry.state != REFUSED:
            return False
        entry.state, entry.reason_code, entry.reason = PENDING, None, None
        return True


def stored_receipt(db: Database, entry_id: int, city_ca: x509.Certificate) -> Receipt | None:
    """The entry's receipt, verified again against the city CA; ``None`` if it has none."""
    with db.session() as session:
        entry = session.get(OutboxEntry, entry_id)
        raw = None if entry is None else entry.receipt
    return None if raw is None else verify_receipt(raw, city_ca)


def record_contact(db: Database, when: str | None = None) -> None:
    """Remember that the intake service answered (now, or at ``when``)."""
    with db.transaction() as session:
        _set_state(session, LAST_CONTACT, when or utcnow())


def _set_state(session: Any, key: str, value: str) -> None:
    row = session.get(TransportState, key)
    if row is None:
        session.add(TransportState(key=key, value=value))
    else:
        row.value = value
