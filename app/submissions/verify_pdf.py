"""Checking a submission PDF: its PDF signature, the attached envelope, and that the two belong together.

The PDF must carry exactly one signature that covers the whole file (nothing appended after signing), made by a
certificate the city CA issued, and that certificate must be the one in the attached envelope, whose own signature
must hold. Any file, however broken or hostile, gives a :class:`~app.submissions.signing.VerificationError`.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from app.submissions.limits import MAX_PDF_OBJECTS, MAX_PDF_REVISIONS
from app.submissions.payload import parse_json
from app.submissions.signing import VerificationError, verified_payload
from app.submissions.xlsx_parts import APPLICATION, VERSION
from app.trust.keys import KeysError, check_issued_by, unit_code_of

ATTACHMENT_NAME = "tianbao-envelope.json"
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_ENVELOPE_BYTES = 16 * 1024 * 1024
MiB = 1024 * 1024


def _unreadable(detail: str = "") -> VerificationError:
    return VerificationError(
        "unreadable", "无法读取该 PDF 文件" + (f"：{detail}" if detail else "（文件不是 PDF 或已损坏）")
    )


def read_pdf_bytes(path: Path) -> bytes:
    try:
        size = Path(path).stat().st_size
        if size > MAX_PDF_BYTES:
            raise _unreadable(f"文件过大（{size // MiB} MB，报送文件不超过 {MAX_PDF_BYTES // MiB} MB）")
        with open(path, "rb") as handle:
            data = handle.read(MAX_PDF_BYTES + 1)
    except OSError as exc:
        raise _unreadable(str(exc)) from exc
    if len(data) > MAX_PDF_BYTES:
        raise _unreadable("文件过大")
    if b"%PDF-" not in data[:1024]:
        raise _unreadable()
    return data


def _reader(data: bytes) -> Any:
    from pyhanko.pdf_utils.decode_limits import DecodeLimits, DocumentDecodeBudget, StreamDecodeLimits
    from pyhanko.pdf_utils.reader import PdfFileReader

    from app.submissions import name_prep, pdf_strings

    pdf_strings.install()
    name_prep.install()
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
        envelope = parse_json(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据不是有效的 JSON") from exc
    except VerificationError as exc:
        if exc.reason == "malformed":
            raise
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据不是有效的 JSON") from exc
    if not isinstance(envelope, dict):
        raise VerificationError("not_tianbao", "该 PDF 附带的报送数据格式不对")
    return envelope


def read_envelope_pdf(path: Path) -> dict[str, Any]:
    """The envelope attached to a submission PDF, without checking any signature."""
    return read_envelope_pdf_bytes(read_pdf_bytes(path))


def read_envelope_pdf_bytes(data: bytes) -> dict[str, Any]:
    """The envelope attached to a submission PDF's bytes, without checking any signature."""
    if len(data) > MAX_PDF_BYTES or b"%PDF-" not in data[:1024]:
        raise _unreadable()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _envelope(_reader(data))


def verify_pdf(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The payload of a valid submission PDF, or :class:`VerificationError` with the reason."""
    payload: dict[str, Any] = verified_envelope_pdf(path, city_ca, at)["payload"]
    return payload


def verified_envelope_pdf(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The envelope of a valid submission PDF (for storing it), or :class:`VerificationError` with the reason."""
    return verified_envelope_pdf_bytes(read_pdf_bytes(path), city_ca, at)


def verified_envelope_pdf_bytes(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """:func:`verified_envelope_pdf` of a file's bytes; the signing certificate judged at ``at`` (default: now),
    the time of the city's receipt for it."""
    return verified_pdf_bytes(data, city_ca, at)[0]


def verified_pdf_bytes(
    data: bytes, city_ca: x509.Certificate, at: datetime | None = None
) -> tuple[dict[str, Any], str]:
    """:func:`verified_envelope_pdf_bytes`, with the payload's hash."""
    if len(data) > MAX_PDF_BYTES:
        raise _unreadable("文件过大")
    if b"%PDF-" not in data[:1024]:
        raise _unreadable()
    _check_bounds(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyHanko warns about oddities in hostile files; the verdict is ours
        return _verify(data, city_ca, at)


# A cross-reference entry is ten digits, a blank, five digits, a blank and n or f. Searched for from its middle,
# which starts with a byte the search can skip to (from the ten digits it would try at every digit of the file);
# entries cannot overlap, so the count is the same.
_XREF_TAIL = re.compile(rb" [0-9]{5} [nf]")


def _xref_entries(data: bytes) -> Iterator[int]:
    for tail in _XREF_TAIL.finditer(data):
        start = tail.start()
        if start >= 10 and data[start - 10 : start].isdigit():
            yield start - 10


def _check_bounds(data: bytes) -> None:
    """Refuse, before any parser sees it, a file whose structure is larger than a submission's can be: too many
    revisions, objects or cross-reference entries, or compressed object and cross-reference streams (which this
    program never writes and whose sizes a file can lie about)."""
    if data.count(b"startxref") > MAX_PDF_REVISIONS:
        raise VerificationError("altered", "该 PDF 在签名后又被改动过（多次增量更新）")
    if data.count(b" obj") > MAX_PDF_OBJECTS:
        raise _unreadable(f"对象超过 {MAX_PDF_OBJECTS} 个，不是填报通的报送文件")
    for entries, _ in enumerate(_xref_entries(data), start=1):
        if entries > MAX_PDF_OBJECTS:
            raise _unreadable(f"交叉引用表超过 {MAX_PDF_OBJECTS} 项，不是填报通的报送文件")
    if b"/ObjStm" in data or b"/XRefStm" in data or re.search(rb"/Type\s*/XRef\b", data):
        raise _unreadable("含有压缩对象流，不是填报通的报送文件")


def load_validation() -> None:
    """Load pyHanko's signature validation, and only that: its signers stay unloaded (:mod:`hanko_loading`)."""
    from app.submissions.hanko_loading import defer_signers

    defer_signers()
    import pyhanko.sign.validation  # noqa: F401


def _verify(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> tuple[dict[str, Any], str]:
    load_validation()
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
    payload, digest = verified_payload(envelope, city_ca, at)
    envelope_cert = x509.load_pem_x509_certificate(str(envelope["certificate"]).encode("ascii"))
    if signer != envelope_cert:
        raise VerificationError(
            "wrong_signer", f"PDF 由单位 {unit_code_of(signer)} 的证书签名，与所附报送数据的签名证书不同"
        )
    unit = payload.get("unit")
    if unit_code_of(signer) != (unit.get("code") if isinstance(unit, dict) else None):
        raise VerificationError("wrong_signer", f"PDF 签名证书属于单位 {unit_code_of(signer)}，不是报送单位")
    _check_pages(data, reader, payload, digest)
    return envelope, digest


def _altered(message: str) -> VerificationError:
    return VerificationError("altered", message)


def _check_pages(data: bytes, reader: Any, payload: dict[str, Any], digest: str) -> None:
    """What the pages show must be what this program draws for the payload: the drawn revision byte for byte,
    and the signing update adding nothing that shows."""
    from app.submissions.export_pdf import render_pdf

    try:
        creator = str(reader.trailer["/Info"]["/Creator"])
    except Exception as exc:
        raise _altered("PDF 的页面无法核验：文件中没有填报通的版本信息") from exc
    version = creator.removeprefix(f"{APPLICATION} ")
    if creator == version or not VERSION.match(version):
        raise _altered("PDF 的页面无法核验：不是填报通生成的页面")
    if not data.startswith(render_pdf(payload, version, digest)):
        raise _altered("PDF 的页面与签名数据不符：页面不是填报通根据所附签名数据生成的（数字、文字或版式被改动）")
    try:
        _check_update(reader)
    except VerificationError:
        raise
    except Exception as exc:
        raise _altered("PDF 签名时的更新无法核验") from exc


# What the signing update may add to the document catalog: none of it shows on a page.
_CATALOG_ADDITIONS = {"/Version", "/Names", "/AcroForm", "/Extensions", "/Metadata"}


def _check_update(reader: Any) -> None:
    """The update that attaches the envelope and signs may change only the catalog (attachment, form, metadata),
    the document information and the pages' annotation lists, and the only annotation is the invisible
    signature field."""
    from pyhanko.pdf_utils import generic

    if reader.xrefs.total_revisions != 2:
        raise _altered("PDF 的修订次数不对：不是填报通签名的文件")
    old = reader.get_historical_resolver(0)
    old_root = old.root
    pages = old_root["/Pages"]["/Kids"]
    page_refs = {(k.idnum, k.generation) for k in (p.reference for p in pages) if k is not None}
    catalog_ref = reader.trailer.raw_get("/Root")
    info_ref = reader.trailer.raw_get("/Info")
    allowed = page_refs | {(catalog_ref.idnum, catalog_ref.generation), (info_ref.idnum, info_ref.generation)}
    for ref in reader.xrefs.explicit_refs_in_revision(1):
        try:
            before = old.get_object(generic.Reference(ref.idnum, ref.generation, reader))
        except Exception:
            continue  # a new object: only what the allowed ones reach can show, and that is checked below
        if (
            before is not None
            and not isinstance(before, generic.NullObject)
            and (ref.idnum, ref.generation) not in allowed
        ):
            raise _altered(f"PDF 在签名时改动了页面内容（对象 {ref.idnum}）")
    for page in pages:
        now = page.get_object()
        then = old.get_object(generic.Reference(page.idnum, page.generation, reader))
        if {k: v for k, v in now.items() if k != "/Annots"} != dict(then):
            raise _altered("PDF 在签名时改动了页面（内容、字体或资源）")
        for annotation in now.get("/Annots", generic.ArrayObject()):
            _check_signature_widget(annotation.get_object())
    root = reader.root
    for key, value in old_root.items():
        if root.raw_get(key) != value:
            raise _altered(f"PDF 在签名时改动了文档目录（{key}）")
    extra = set(root) - set(old_root) - _CATALOG_ADDITIONS
    if extra:
        raise _altered(f"PDF 在签名时加入了{sorted(extra)[0]}")
    if set(root["/Names"]) != {"/EmbeddedFiles"} or len(root["/Names"]["/EmbeddedFiles"]["/Names"]) != 2:
        raise _altered("PDF 含有签名数据以外的附件或脚本")
    if len(root["/AcroForm"]["/Fields"]) != 1:
        raise _altered("PDF 含有签名以外的表单域")


def _check_signature_widget(widget: Any) -> None:
    rect = [float(x) for x in widget.get("/Rect", [])]
    if widget.get("/Subtype") != "/Widget" or widget.get("/FT") != "/Sig" or any(rect) or "/AP" in widget:
        raise _altered("PDF 的页面上加入了签名以外的批注或控件")
