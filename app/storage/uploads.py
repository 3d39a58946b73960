"""The outbox's rows: a signed revision is queued for upload in the same transaction that locks it.

States of an entry: ``pending`` (待上报) → ``sending`` (上报中) → ``delivered`` (已送达, with the stored receipt) or
``refused`` (被拒收, with the server's reason). A delivered revision the city returned shows as ``returned`` (已退回);
that is read from the revision itself, so a return notice imported from a file shows the same. Sending is done by
:mod:`app.transport`; a PC that is never online simply keeps its entries pending and hands over files as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.storage.sql import Source, first, rows

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.storage.models import OutboxEntry, Submission

# Shown at the window's start, which reads these counts before SQLAlchemy is loaded: plain SQL (app.storage.sql).

PENDING, SENDING, DELIVERED, REFUSED, RETURNED = "pending", "sending", "delivered", "refused", "returned"
STATE_LABELS = {
    PENDING: "待上报",
    SENDING: "上报中",
    DELIVERED: "已送达",
    REFUSED: "被拒收",
    RETURNED: "已退回",
}


def enqueue(session: Session, sub: Submission, submission_id: str) -> OutboxEntry:
    """Queue the signed revision ``sub`` (identified to the city as ``submission_id``) for upload."""
    from sqlalchemy import select

    from app.storage.models import OutboxEntry, Unit

    existing = session.scalar(select(OutboxEntry).where(OutboxEntry.submission_row_id == sub.id))
    if existing is not None:
        return existing
    unit_code = session.scalar(select(Unit.code).where(Unit.id == sub.unit_id))
    if sub.payload_hash is None or unit_code is None:
        raise ValueError("只有已签名的版本才能排入待上报")
    entry = OutboxEntry(
        submission_row_id=sub.id,
        submission_id=submission_id,
        unit_code=unit_code,
        period=sub.period,
        revision=sub.revision,
        payload_hash=sub.payload_hash,
        state=PENDING,
        attempts=0,
    )
    session.add(entry)
    session.flush()
    return entry


# The inbox's state of a document the clerk has not decided on yet.
OFFERED = "new"
LAST_CONTACT = "last_contact"


@dataclass(frozen=True)
class Counts:
    """What the status bar shows of the outbox: what waits, what was refused, what the city offers."""

    pending: int
    refused: int
    offered: int
    last_contact: str | None


def counts(source: Source) -> Counts:
    row = first(
        source,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE state IN (:pending, :sending)), "
        "(SELECT COUNT(*) FROM outbox WHERE state = :refused), "
        "(SELECT COUNT(*) FROM inbox WHERE state = :offered), "
        "(SELECT value FROM transport_state WHERE key = :contact)",
        {"pending": PENDING, "sending": SENDING, "refused": REFUSED, "offered": OFFERED, "contact": LAST_CONTACT},
    )
    assert row is not None
    return Counts(int(row[0]), int(row[1]), int(row[2]), row[3])


def signed_intake_url(source: Source) -> str | None:
    """The intake service named by the newest signed template (the latest year, the last imported), if any.

    An unsigned template (the demo, or one imported with ``--allow-unsigned``) never sets it: only the city decides
    where a district's figures go.
    """
    row = first(
        source,
        "SELECT intake_url FROM catalogs WHERE signature IS NOT NULL "
        "ORDER BY year DESC, imported_at DESC, id DESC LIMIT 1",
    )
    return None if row is None or not row[0] else str(row[0])


VERDICT_LABELS = {
    "accepted": "已接收",
    "superseded": "已接收（市级已有更新的版本）",
    "duplicate": "重复报送（此前已接收）",
}


@dataclass(frozen=True)
class OutboxItem:
    """One submission in the outbox, as the 报送记录 view and ``outbox`` list it."""

    id: int
    submission_id: str
    unit_code: str
    unit_name: str
    period: str
    revision: int
    state: str
    queued_at: str
    attempts: int
    last_attempt_at: str | None
    last_error: str | None
    reason_code: str | None
    reason: str | None
    received_at: str | None
    sequence: int | None
    verdict: str | None
    payload_hash: str
    accepted_at: str | None
    returned_reason: str | None
    has_receipt: bool

    @property
    def state_label(self) -> str:
        label = STATE_LABELS[self.state]
        if self.state == DELIVERED and self.accepted_at:
            return f"{label}（审核通过）"
        return label

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS.get(self.verdict or "", self.verdict or "")

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "submission_id": self.submission_id,
            "unit": {"code": self.unit_code, "name": self.unit_name},
            "period": self.period,
            "revision": self.revision,
            "state": self.state,
            "state_label": self.state_label,
            "queued_at": self.queued_at,
            "attempts": self.attempts,
            "last_attempt_at": self.last_attempt_at,
            "last_error": self.last_error,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "received_at": self.received_at,
            "sequence": self.sequence,
            "verdict": self.verdict,
            "payload_hash": self.payload_hash,
            "accepted_at": self.accepted_at,
            "returned_reason": self.returned_reason,
        }


_OUTBOX = (
    "SELECT o.id, o.submission_id, o.unit_code, u.name, o.period, o.revision, o.state, o.queued_at, o.attempts, "
    "o.last_attempt_at, o.last_error, o.reason_code, o.reason, o.received_at, o.sequence, o.verdict, "
    "o.payload_hash, o.accepted_at, s.status, s.returned_reason, o.receipt IS NOT NULL "
    "FROM outbox o JOIN submissions s ON s.id = o.submission_row_id JOIN units u ON u.id = s.unit_id "
    "ORDER BY o.id DESC"
)


def list_outbox_rows(source: Source) -> list[OutboxItem]:
    """Every submission the outbox holds, newest first. A delivered revision the city returned shows as such."""
    items = []
    for r in rows(source, _OUTBOX):
        (id_, submission_id, unit_code, unit_name, period, revision, state, queued_at, attempts, last_attempt_at,
         last_error, reason_code, reason, received_at, sequence, verdict, payload_hash, accepted_at, status,
         returned_reason, has_receipt) = r  # fmt: skip
        returned = status == "returned"
        items.append(
            OutboxItem(
                int(id_),
                submission_id,
                unit_code,
                unit_name,
                period,
                int(revision),
                RETURNED if state == DELIVERED and returned else state,
                queued_at,
                int(attempts),
                last_attempt_at,
                last_error,
                reason_code,
                reason,
                received_at,
                sequence,
                verdict,
                payload_hash,
                accepted_at,
                returned_reason if returned else None,
                bool(has_receipt),
            )
        )
    return items


# What the intake service offers a district, in the inbox until the clerk applies or dismisses it.
KIND_LABELS = {"returned": "退回通知", "accepted": "审核通过", "extension": "延期通知", "template": "新模板"}


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    unit_code: str
    sequence: int | None
    summary: str
    fetched_at: str
    state: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "unit": self.unit_code,
            "sequence": self.sequence,
            "summary": self.summary,
            "fetched_at": self.fetched_at,
            "state": self.state,
        }


def list_inbox_rows(source: Source, waiting_only: bool = False) -> list[InboxItem]:
    """What the service offered, newest first (only what waits for the clerk with ``waiting_only``)."""
    sql = "SELECT id, kind, unit_code, sequence, summary, fetched_at, state FROM inbox"
    if waiting_only:
        sql += " WHERE state = :offered"
    return [InboxItem(*r) for r in rows(source, sql + " ORDER BY id DESC", {"offered": OFFERED})]
