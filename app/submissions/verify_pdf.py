"""Checking a submission PDF: its PDF signature, the attached envelope, and that the two belong together.

The PDF must carry exactly one signature that covers the whole file (nothing appended after signing), made by a
certificate the city CA issued, and that certificate must be the one in the attached envelope, whose own signature
must hold. Any file, however broken or hostile, gives a :class:`~app.submissions.signing.VerificationError`.
"""

from __future__ import annotations

import io
import json
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.submissions.signing import VerificationError, verify_envelope
from app.trust.keys import KeysError, check_issued_by, unit_code_of

ATTACHMENT_NAME = "tianbao-envelope.json"
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_ENVELOPE_BYTES = 16 * 1024 * 1024
MiB = 1024 * 1024


def _unreadable(detail: str = "") -> VerificationError:
    return VerificationError(
        "unreadable", "无法读取该 PDF 文件" + (f"：{detail}" if detail else "（文件不是 PDF 或已损坏）")
    )


def _read_bytes(path: Path) -> bytes:
    try:
        size = Path(path).stat().st_size
        if size > MAX_PDF_BYTES:
            raise _unreadable(f"文件过大（{size // MiB} MB，报送文件不超过 {MAX_PDF_BYTES // MiB} MB）")
        with open(path, "rb") as handle:
            data = handle.read(MAX_PDF_BYTES + 1)
    except OSError as exc:
        raise _unreadable(str(exc)) from exc
    return _checked(data)


def _checked(data: bytes) -> bytes:
    """The bytes of what may be a PDF: not too large, with a PDF header."""
    if len(data) > MAX_PDF_BYTES:
        raise _unreadable("文件过大")
    if b"%PDF-" not in data[:1024]:
        raise _unreadable()
    return data


def _reader(data: bytes) -> Any:
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
    from pyhanko.pdf_utils.reader import PdfFileReader

    limits = DecodeLimits(
        per_stream=StreamDecodeLimits(max_ratio=1100, ratio_floor=MiB, max_output_size=64 * MiB),
        document_budget=DocumentDecodeBudget(base_allowance=128 * MiB, max_ratio=20),
    )
    try:
        return PdfFileReader(io.BytesIO(data), strict=False, decode_limits=limits)
    except Exception as exc:  # a hostile file can break the parser in many ways
        raise _unreadable() from exc


def _envelope(reader: Any) -> dict[str, Any]:
    """The attached envelope, parsed; ``not_tianbao`` if there is none."""
    from pyhanko.pdf_utils import generic

    try:
        names = reader.root.get("/Names")
        tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
        entries = tree.get_object().get("/Names") if tree is not None else None
        entries = entries.get_object() if entries is not None else None
        stream = None
        if isinstance(entries, generic.ArrayObject):
            for i in range(0, len(entries) - 1, 2):
                name = entries[i].get_object()
                if isinstance(name, generic.TextStringObject | generic.ByteStringObject) and (
                    str(name) == ATTACHMENT_NAME
                ):
                    spec = entries[i + 1].get_object()
                    stream = spec["/EF"].get_object()["/F"].get_object()
                    break
        if stream is None:
            raise VerificationError("not_tianbao", "该 PDF 不是填报通报送文件（没有附带签名报送数据）")
        if not isinstance(stream, generic.StreamObject) or len(stream.encoded_data) > MAX_ENVELOPE_BYTES:
            raise VerificationError("not_tianbao", "该 PDF 附带的报送数据无效")
        data = stream.data
    except VerificationError:
        raise
    except Exception as exc:
        raise _unreadable("附件无法读取") from exc
    if len(data) > MAX_ENVELOPE_BYTES:
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据过大")
    try:
        envelope = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据不是有效的 JSON") from exc
    if not isinstance(envelope, dict):
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据格式不对")
    return envelope


def read_envelope_pdf(path: Path) -> dict[str, Any]:
    """The envelope attached to a submission PDF, without checking any signature."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _envelope(_reader(_read_bytes(path)))


def read_envelope_pdf_data(data: bytes) -> dict[str, Any]:
    """The envelope attached to a submission PDF's bytes, without checking any signature."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _envelope(_reader(_checked(data)))


def verify_pdf(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The payload of a valid submission PDF, or :class:`VerificationError` with the reason."""
    payload: dict[str, Any] = verified_envelope_pdf(path, city_ca, at)["payload"]
    return payload


def verified_envelope_pdf(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The envelope of a valid submission PDF (for storing it), or :class:`VerificationError` with the reason."""
    return verified_envelope_pdf_data(_read_bytes(path), city_ca, at)


def verified_envelope_pdf_data(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """As :func:`verified_envelope_pdf`, for a PDF's bytes (an upload); the signing certificate judged at ``at``
    (default: now)."""
    data = _checked(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyHanko warns about oddities in hostile files; the verdict is ours
        return _verify(data, city_ca, at)


def _verify(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    reader = _reader(data)
    envelope = _envelope(reader)
    try:
        signatures = list(reader.embedded_signatures)
    except Exception as exc:
        raise _unreadable("签名域无法读取") from exc
    if not signatures:
        raise VerificationError("signature_invalid", "该 PDF 没有数字签名")
    if len(signatures) > 1:
        raise VerificationError("altered", "该 PDF 在签名后又被加签或改动过")
    embedded = signatures[0]
    ca = next(load_certs_from_pemder_data(city_ca.public_bytes(serialization.Encoding.DER)))
    try:
        status = validate_pdf_signature(
            embedded,
            ValidationContext(trust_roots=[ca], allow_fetching=False, moment=at),
            skip_diff=True,  # only a signature over the entire file is accepted, so there is no diff to judge
        )
    except Exception as exc:
        raise VerificationError("signature_invalid", "PDF 数字签名无法校验（签名数据已损坏）") from exc
    if not (status.intact and status.valid):
        raise VerificationError("signature_invalid", "PDF 数字签名不成立：文件内容与签名不符")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        raise VerificationError("altered", "该 PDF 在签名后被改动过（签名之后追加了内容）")
    # The one gap in the signed bytes must be exactly the signature value itself.
    try:
        _, len1, start2, _ = (int(x) for x in embedded.byte_range)
        hole = len(embedded.pkcs7_content) * 2 + 2
    except Exception as exc:
        raise VerificationError("signature_invalid", "PDF 数字签名的签名范围无效") from exc
    if start2 != len1 + hole or data[len1 : len1 + 1] != b"<" or data[start2 - 1 : start2] != b">":
        raise VerificationError("altered", "PDF 数字签名的签名范围不完整：文件有未签名的部分")
    try:
        signer = x509.load_der_x509_certificate(status.signing_cert.dump())
    except Exception as exc:
        raise VerificationError("signature_invalid", "PDF 签名证书已损坏") from exc
    try:
        check_issued_by(signer, city_ca, at)
    except KeysError as exc:
        raise VerificationError("unknown_certificate", f"PDF 签名证书无效：{exc}") from exc
    if not status.trusted:
        raise VerificationError("unknown_certificate", "PDF 签名证书不是本市 CA 签发的，或已失效")
    payload = verify_envelope(envelope, city_ca, at)
    envelope_cert = x509.load_pem_x509_certificate(str(envelope["certificate"]).encode("ascii"))
    if signer != envelope_cert:
        raise VerificationError(
            "wrong_signer", f"PDF 由单位 {unit_code_of(signer)} 的证书签名，与所附报送数据的签名证书不同"
        )
    unit = payload.get("unit")
    if unit_code_of(signer) != (unit.get("code") if isinstance(unit, dict) else None):
        raise VerificationError("wrong_signer", f"PDF 签名证书属于单位 {unit_code_of(signer)}，不是报送单位")
    return envelope
