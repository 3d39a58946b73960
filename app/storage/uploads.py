"""The outbox's rows: a signed revision is queued for upload in the same transaction that locks it.

States of an entry: ``pending`` (待上报) → ``sending`` (上报中) → ``delivered`` (已送达, with the stored receipt) or
``refused`` (被拒收, with the server's reason). A delivered revision the city returned shows as ``returned`` (已退回);
that is read from the revision itself, so a return notice imported from a file shows the same. Sending is done by
:mod:`app.transport`; a PC that is never online simply keeps its entries pending and hands over files as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.storage.sql import Source, first

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
