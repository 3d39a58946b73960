"""Verifying submission files of either kind: which checker reads a file, and the result as plain data.

A file accompanied by the city's receipt for it is judged at the receipt's time (:class:`TrustedTime`): the unit
certificate must have been valid when the city received the submission, not now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class TrustedTime:
    """The time a city receipt says a submission was received, with what the receipt names (to match the file)."""

    at: datetime
    submission_id: str
    payload_hash: str


def check_trusted_time(payload: Any, trusted: TrustedTime) -> None:
    """Refuse a receipt that is not the one of this payload (another submission, or other content)."""
    from app.submissions.signing import VerificationError, payload_hash

    payload = payload if isinstance(payload, dict) else {}
    if payload.get("submission_id") != trusted.submission_id or payload_hash(payload) != trusted.payload_hash:
        raise VerificationError(
            "receipt_mismatch",
            f"所附回执属于报送 {trusted.submission_id}，与此文件（{payload.get('submission_id')}）的内容不符",
        )


def verify_file(path: Path, city_ca: Any, trusted: TrustedTime | None = None) -> dict[str, Any]:
    """One file's verification result, as ``verify --json`` prints it; judged at ``trusted.at`` when given."""
    from app.submissions.signing import VerificationError

    suffix = path.suffix.lower()
    at = None if trusted is None else trusted.at
    try:
        if suffix == ".xlsx":
            from app.submissions.verify_xlsx import verify_xlsx

            payload = verify_xlsx(path, city_ca, at)
        elif suffix == ".pdf":
            from app.submissions.verify_pdf import verify_pdf

            payload = verify_pdf(path, city_ca, at)
        else:
            raise VerificationError("not_tianbao", f"不是报送文件（只核验 .xlsx 和 .pdf），扩展名为 {suffix or '空'}")
        if trusted is not None:
            check_trusted_time(payload, trusted)
    except VerificationError as exc:
        return {"file": str(path), "valid": False, "reason": exc.reason, "message": str(exc)}
    return {
        "file": str(path),
        "valid": True,
        "submission_id": payload["submission_id"],
        "unit": payload["unit"]["code"],
        "unit_name": payload["unit"]["name"],
        "period": payload["period"],
        "revision": payload["revision"],
        "signed_at": payload["signed_at"],
        **({} if at is None else {"judged_at": at.isoformat()}),
    }
