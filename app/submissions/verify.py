"""Verifying submission files of either kind: which checker reads a file, and the result as plain data."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def verify_file(path: Path, city_ca: Any) -> dict[str, Any]:
    """One file's verification result, as ``verify --json`` prints it."""
    from app.submissions.signing import VerificationError

    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            from app.submissions.verify_xlsx import verify_xlsx

            payload = verify_xlsx(path, city_ca)
        elif suffix == ".pdf":
            from app.submissions.verify_pdf import verify_pdf

            payload = verify_pdf(path, city_ca)
        else:
            raise VerificationError("not_tianbao", f"不是报送文件（只核验 .xlsx 和 .pdf），扩展名为 {suffix or '空'}")
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
    }
