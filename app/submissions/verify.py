"""Verifying a submission file of either kind: one function from the file (bytes or a path) to a verdict.

:func:`verify_submission` is what the command line, the window and the city import call for every file, and what
an intake service calls for every upload: it never raises and never prints. A refusal carries a stable reason
code and a Chinese message; an unexpected error inside a checker is that file's refusal (``unreadable``), with
the traceback in the log only.

A file accompanied by the city's receipt for it is judged at the receipt's time (:class:`TrustedTime`): the unit
certificate must have been valid when the city received the submission, not now.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
# Verification refuses hostile files on purpose; the libraries it uses log what they saw on the way (pyHanko logs
# a refused certificate with its traceback). Records still reach the log file where one is set up; without
# handlers, they would fall through to Python's last-resort handler, which prints them on stderr.
for _name in ("pyhanko", "pyhanko_certvalidator", "app.submissions", "app.city"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

XLSX, PDF = "xlsx", "pdf"
SUFFIXES = (".xlsx", ".pdf")
# A verdict as plain data, which crosses process boundaries: (True, envelope, payload hash, the envelope's text or
# None) or (False, reason, message).
VerdictData = tuple[Any, ...]


@dataclass(frozen=True)
class Verdict:
    """The outcome for one file: ``envelope`` when it is valid, else ``reason`` and ``message``."""

    valid: bool
    reason: str | None
    message: str
    envelope: dict[str, Any] | None = None
    kind: str | None = None
    digest: str | None = None  # the payload's hash, of a valid file
    # The envelope's canonical JSON text as the file carries it, when the check read it whole (what is stored of
    # it: the same text, not made again)
    text: str | None = None

    @property
    def payload(self) -> dict[str, Any]:
        assert self.envelope is not None, "only a valid verdict has a payload"
        payload: dict[str, Any] = self.envelope["payload"]
        return payload

    def data(self) -> VerdictData:
        """The verdict as plain data, for another process."""
        if self.envelope is not None:
            return (True, self.envelope, self.digest, self.text)
        return (False, self.reason or "unreadable", self.message)


@dataclass(frozen=True)
class TrustedTime:
    """The time a city receipt says a submission was received, with what the receipt names (to match the file)."""

    at: datetime
    submission_id: str
    payload_hash: str


def check_trusted_time(payload: Any, trusted: TrustedTime, digest: str | None = None) -> None:
    """Refuse a receipt that is not the one of this payload (another submission, or other content); ``digest`` is
    the payload's hash when the caller has it."""
    from app.submissions.signing import VerificationError, payload_hash

    payload = payload if isinstance(payload, dict) else {}
    digest = digest or payload_hash(payload)
    if payload.get("submission_id") != trusted.submission_id or digest != trusted.payload_hash:
        raise VerificationError(
            "receipt_mismatch",
            f"所附回执属于报送 {trusted.submission_id}，与此文件（{payload.get('submission_id')}）的内容不符",
        )


def refused(reason: str, message: str, kind: str | None = None) -> Verdict:
    return Verdict(False, reason, message, None, kind)


def not_ours(suffix: str | None = None) -> str:
    """Why a file of neither kind is refused; ``suffix`` is its name's, when it has a name."""
    named = "" if suffix is None else f"，扩展名为 {suffix or '空'}"
    return f"不是报送文件（只接受 .xlsx 和 .pdf）{named}"


def kind_of(data: bytes, name: str = "") -> str | None:
    """Which checker reads the file: by its name's suffix when it has one of ours, else by its first bytes."""
    suffix = Path(name).suffix.lower() if name else ""
    if suffix == ".xlsx":
        return XLSX
    if suffix == ".pdf":
        return PDF
    if suffix:
        return None
    if data.startswith(b"PK\x03\x04"):
        return XLSX
    if b"%PDF-" in data[:1024]:
        return PDF
    return None


def verify_submission(
    source: bytes | Path,
    city_ca: Any,
    name: str = "",
    trusted: TrustedTime | None = None,
    at: datetime | None = None,
) -> Verdict:
    """Verify one submission file completely: container, envelope signature, payload schema, and that what the
    file shows is exactly what its payload renders to. ``source`` is the file's bytes (an upload, with ``name``
    if it has one) or a path. With ``trusted`` (a receipt for the file) the certificate is judged at its time and
    the receipt must name this very submission; else it is judged at ``at`` (default: now)."""
    from app.submissions.signing import VerificationError

    kind: str | None = None
    try:
        if isinstance(source, Path):
            name = name or str(source)
            suffix = source.suffix.lower()
            if suffix not in SUFFIXES:
                return refused("not_tianbao", not_ours(suffix))
            kind = XLSX if suffix == ".xlsx" else PDF
            data = _read(source, kind)
        else:
            data = bytes(source)
            kind = kind_of(data, name)
            if kind is None:
                # A name with a suffix of ours has its kind; one without a suffix was judged by its first bytes.
                return refused("not_tianbao", not_ours(Path(name).suffix.lower() or None))
        envelope, digest, text = _check(data, kind, city_ca, at if trusted is None else trusted.at)
        if trusted is not None:
            check_trusted_time(envelope.get("payload"), trusted, digest)
    except VerificationError as exc:
        return refused(exc.reason, str(exc), kind)
    except Exception as exc:  # a checker's own failure on a hostile file is that file's refusal, nothing more
        log.warning("核验 %s 时出错", name or "上传的文件", exc_info=True)
        return refused("unreadable", f"文件无法核验（{type(exc).__name__}），详情已记入日志", kind)
    payload = envelope["payload"]
    return Verdict(
        True,
        None,
        f"{payload['unit']['name']} {payload['period']} 第 {payload['revision']} 版",
        envelope,
        kind,
        digest,
        text,
    )


def verdict_data(path: str, city_ca_pem: bytes, trusted: TrustedTime | None = None) -> VerdictData:
    """:func:`verify_submission` of the file at ``path``, as plain data. What the city import's worker processes
    run: they load the verifier and nothing else (no database, no ORM)."""
    from cryptography import x509

    return verify_submission(Path(path), x509.load_pem_x509_certificate(city_ca_pem), trusted=trusted).data()


def verdicts_data(paths: list[str], city_ca_pem: bytes, trusted: list[TrustedTime | None]) -> list[VerdictData]:
    """:func:`verdict_data` of several files, in one call (one round trip to a worker process)."""
    return [verdict_data(path, city_ca_pem, time) for path, time in zip(paths, trusted, strict=True)]


def _read(path: Path, kind: str) -> bytes:
    if kind == XLSX:
        from app.submissions.verify_xlsx import read_bytes

        return read_bytes(path)
    from app.submissions.verify_pdf import read_pdf_bytes

    return read_pdf_bytes(path)


def _check(data: bytes, kind: str, city_ca: Any, at: datetime | None) -> tuple[dict[str, Any], str, str | None]:
    if kind == XLSX:
        from app.submissions.verify_xlsx import verified_xlsx_bytes

        return verified_xlsx_bytes(data, city_ca, at)
    from app.submissions.verify_pdf import verified_pdf_bytes

    return (*verified_pdf_bytes(data, city_ca, at), None)


def verify_file(path: Path, city_ca: Any, trusted: TrustedTime | None = None) -> dict[str, Any]:
    """One file's verification result, as ``verify --json`` prints it; judged at ``trusted.at`` when given."""
    verdict = verify_submission(Path(path), city_ca, trusted=trusted)
    if not verdict.valid:
        return {"file": str(path), "valid": False, "reason": verdict.reason, "message": verdict.message}
    payload = verdict.payload
    return {
        "file": str(path),
        "valid": True,
        "submission_id": payload["submission_id"],
        "unit": payload["unit"]["code"],
        "unit_name": payload["unit"]["name"],
        "period": payload["period"],
        "revision": payload["revision"],
        "signed_at": payload["signed_at"],
        **({} if trusted is None else {"judged_at": trusted.at.isoformat()}),
    }
