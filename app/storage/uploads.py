"""The outbox's rows: a signed revision is queued for upload in the same transaction that locks it.

States of an entry: ``pending`` (待上报) → ``sending`` (上报中) → ``delivered`` (已送达, with the stored receipt) or
``refused`` (被拒收, with the server's reason). A delivered revision the city returned shows as ``returned`` (已退回);
that is read from the revision itself, so a return notice imported from a file shows the same. Sending is done by
:mod:`app.transport`; a PC that is never online simply keeps its entries pending and hands over files as before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.storage.models import OutboxEntry, Submission, Unit

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
