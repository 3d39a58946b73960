"""The submission PDF: layout facts, the PAdES signature, the attached envelope, and the tamper suite."""

from __future__ import annotations

import copy
import io
import random
import shutil
import subprocess
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import __version__
from app.demo import create_demo
from app.submissions import export_pdf
from app.submissions.export_pdf import ATTACHMENT_NAME, qr_text, render_pdf, sign_pdf, write_submission_pdf
from app.submissions.signing import VerificationError, canonical, payload_hash
from app.submissions.verify_pdf import MAX_PDF_BYTES, read_envelope_pdf, verify_pdf
from app.trust.keys import KeysError, KeyStore
from tests.app.signing_helpers import PASSPHRASE, signed_envelope

UNIT = "520103"
OTHER = "520102"
REJECTED = {"altered", "signature_invalid", "unreadable", "not_tianbao"}


@dataclass
class Signed:
    folder: Path
    keys: KeyStore
    envelope: dict[str, Any]
    path: Path

    @property
    def data(self) -> bytes:
        return self.path.read_bytes()


def _issue(keys: KeyStore, code: str, name: str) -> None:
    request, _ = keys.request(code, name, PASSPHRASE)
    _, issued = keys.issue(request, PASSPHRASE)
    keys.import_certificate(issued, code)


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signed]:
    folder = tmp_path_factory.mktemp("pdf")
    db = create_demo(folder / "demo.db")
    keys = KeyStore(folder / "test-keys")  # not the demo keys beside the database
    keys.city_init("测试市生态环境局", PASSPHRASE)
    _issue(keys, UNIT, "云岩区")
    _issue(keys, OTHER, "南明区")
    envelope = signed_envelope(db, keys, UNIT, "2023Q2")
    db.close()
    path = folder / "520103-2023Q2.pdf"
    write_submission_pdf(envelope, path, keys, PASSPHRASE, __version__)
    yield Signed(folder, keys, envelope, path)


def _verify_bytes(tmp_path: Path, data: bytes, keys: KeyStore, name: str = "x.pdf") -> dict[str, Any]:
    path = tmp_path / name
    path.write_bytes(data)
    return verify_pdf(path, keys.city_certificate())


def _reason(tmp_path: Path, data: bytes, keys: KeyStore) -> str:
    with pytest.raises(VerificationError) as info:
        _verify_bytes(tmp_path, data, keys)
    assert str(info.value)  # a message for people
    return info.value.reason


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def _page_colours(data: bytes) -> set[str]:
    """The fill colours (``r g b rg``) the first page's drawing sets, as reportlab writes them."""
    import re

    from pyhanko.pdf_utils.reader import PdfFileReader

    page = PdfFileReader(io.BytesIO(data)).root["/Pages"]["/Kids"][0]
    return {m.decode() for m in re.findall(rb"[0-9. ]+ rg", page["/Contents"].data)}


def _rg(hex_colour: str) -> str:
    """``#fdf0c2`` as reportlab writes the fill colour: ``.992157 .941176 .760784 rg``."""
    from reportlab.lib.rl_accel import fp_str

    return fp_str(*(int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))) + " rg"


def test_a_ceiling_ahead_of_its_pace_is_drawn_in_the_warning_yellow(signed: Signed) -> None:
    from app.engine.progress import STATUS_COLORS, Status

    payload = copy.deepcopy(signed.envelope["payload"])
    background, text = (_rg(c) for c in STATUS_COLORS[Status.CAP_WARNING])
    assert background not in _page_colours(render_pdf(payload, __version__))
    payload["indicators"][0]["status"] = "cap_warning"
    colours = _page_colours(render_pdf(payload, __version__))
    assert {background, text} <= colours


_PLAIN_PYTHON_RENDER = """
import json, sys
sys.modules["_rl_accel"] = None  # reportlab's C helpers made unimportable: its pure-Python ones are used
from reportlab.lib import rl_accel
assert "fp_str" not in rl_accel._c_funcs
from app.submissions.export_pdf import render_pdf
# Bytes in, bytes out: the console's code page (936 on a Chinese Windows) must not touch the payload.
sys.stdout.buffer.write(render_pdf(json.loads(sys.stdin.buffer.read().decode("utf-8")), sys.argv[1]))
"""


def test_the_pages_are_the_same_with_and_without_reportlabs_c_helpers(signed: Signed) -> None:
    """The city re-draws a PDF's pages to verify it, so a district PC and the city must draw the same bytes
    whether or not reportlab's C helpers (rl_accel) load there."""
    import json
    import sys

    from reportlab.lib import rl_accel

    assert "fp_str" in rl_accel._c_funcs, "rl_accel is a dependency: its C helpers should load here"
    payload = copy.deepcopy(signed.envelope["payload"])
    # Text widths and number formatting are what the helpers do: long Chinese text, odd decimals and signs.
    payload["indicators"][0]["explanation"] = "因统计口径调整，数值较上期变化较大。" * 12
    payload["indicators"][1]["value"] = "-0.000123"
    plain = subprocess.run(
        [sys.executable, "-c", _PLAIN_PYTHON_RENDER, __version__],
        input=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        capture_output=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert plain.returncode == 0, plain.stderr.decode("utf-8", "replace")
    assert plain.stdout.startswith(b"%PDF-")
    assert render_pdf(payload, __version__) == plain.stdout


_VERIFY_THEN_SIGN = """
import json, sys
from pathlib import Path
from app.submissions.verify import verify_submission
from app.trust.keys import KeyStore
path, keys_folder, out, passphrase, version = sys.argv[1:]
keys = KeyStore(Path(keys_folder))
first = verify_submission(Path(path), keys.city_certificate())
loaded = {name: name in sys.modules for name in ("aiohttp", "pyhanko.sign.signers", "pyhanko.sign.validation")}
from app.submissions.export_pdf import write_submission_pdf
from app.submissions.verify_pdf import read_envelope_pdf
write_submission_pdf(read_envelope_pdf(Path(path)), Path(out), keys, passphrase, version)
from pyhanko.sign import PdfSigner, signers  # the package's own names, as pyHanko gives them
again = verify_submission(Path(out), keys.city_certificate())
print(json.dumps({"first": first.valid, "loaded": loaded, "aiohttp": "aiohttp" in sys.modules,
                  "same": PdfSigner is signers.PdfSigner, "again": again.valid}))
"""


def test_verifying_a_pdf_loads_no_signer_and_signing_afterwards_works(signed: Signed, tmp_path: Path) -> None:
    """A process that verifies a PDF loads pyHanko's validation but not its signers, nor aiohttp (its timestamp
    client, whose import makes SSL contexts); signing in the same process afterwards gets pyHanko whole, and the
    PDF it signs verifies. A fresh interpreter: this one has loaded pyHanko long since."""
    import json
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            _VERIFY_THEN_SIGN,
            str(signed.path),
            str(signed.folder / "test-keys"),
            str(tmp_path / "again.pdf"),
            PASSPHRASE,
            __version__,
        ],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["first"] and seen["again"] and seen["same"]
    assert seen["loaded"] == {"aiohttp": False, "pyhanko.sign.signers": False, "pyhanko.sign.validation": True}
    assert seen["aiohttp"]  # signing ran the package's __init__ in full
    assert (tmp_path / "again.pdf").read_bytes() != signed.data  # signed anew (another signing time)


def test_documents_drawn_in_several_threads_at_once_are_drawn_right(signed: Signed) -> None:
    """reportlab keeps an embedded font's subsets on the font, shared by the whole process: an intake service that
    verifies in threads must still draw each PDF exactly (else it refuses valid files)."""
    import sys
    import threading

    from app.submissions.verify import verify_submission

    ca = signed.keys.city_certificate()
    others = []
    for n, text in enumerate(["春眠不觉晓处处闻啼鸟", "夜来风雨声花落知多少", "白日依山尽黄河入海流"]):
        payload = copy.deepcopy(signed.envelope["payload"])
        payload["indicators"][n]["explanation"] = text * 5
        others.append((payload, render_pdf(payload, __version__)))
    failures: list[str] = []

    def work(k: int) -> None:
        for r in range(6):
            if (k + r) % 2:
                verdict = verify_submission(signed.data, ca, name="x.pdf")
                if not verdict.valid:
                    failures.append(verdict.message)
            else:
                payload, expected = others[(k + r) % len(others)]
                if render_pdf(payload, __version__) != expected:
                    failures.append("drawn differently")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []


# ---------------------------------------------------------------------------------------------- the good file


def test_untouched_file_verifies_to_the_signed_payload(signed: Signed) -> None:
    payload = verify_pdf(signed.path, signed.keys.city_certificate())
    assert payload == signed.envelope["payload"]
    assert read_envelope_pdf(signed.path) == signed.envelope


def test_pyhanko_validates_a_pades_signature_over_the_whole_file(signed: Signed) -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    ca = asn1_x509.Certificate.load(signed.keys.city_certificate().public_bytes(serialization.Encoding.DER))
    reader = PdfFileReader(io.BytesIO(signed.data))
    [embedded] = reader.embedded_signatures
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[ca], allow_fetching=False))
    assert status.bottom_line
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.md_algorithm == "sha256"
    assert status.signing_cert.subject.native["serial_number"] == UNIT
    # the city CA travels in the signature too, so any reader can build the chain
    assert len(embedded.signed_data["certificates"]) == 2
    # the signature is invisible: its widget has an empty rectangle
    field = embedded.sig_field
    assert [float(x) for x in field["/Rect"]] == [0, 0, 0, 0]


def test_attachment_reads_back_byte_identical(signed: Signed) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(signed.data))
    names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    assert [str(names[i]) for i in range(0, len(names), 2)] == [ATTACHMENT_NAME]
    stream = names[1]["/EF"]["/F"]
    assert stream["/Subtype"] == "/application/json"
    assert stream.data == canonical(signed.envelope)


def test_pdfdetach_lists_and_saves_the_attachment(signed: Signed, tmp_path: Path) -> None:
    tool = _tool("pdfdetach")
    listing = subprocess.run([tool, "-list", str(signed.path)], capture_output=True, text=True, check=True)
    assert ATTACHMENT_NAME in listing.stdout
    out = tmp_path / "saved.json"
    subprocess.run([tool, "-save", "1", "-o", str(out), str(signed.path)], check=True, capture_output=True)
    assert out.read_bytes() == canonical(signed.envelope)


def test_fonts_are_embedded(signed: Signed) -> None:
    tool = _tool("pdffonts")
    out = subprocess.run([tool, str(signed.path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    assert any("WenQuanYiMicroHei" in row[0] for row in rows)
    for row in rows:  # name type encoding emb sub uni id gen: “emb” is the 4th column from the right
        assert row[-5] == "yes", f"font not embedded: {row}"


def test_pdfsig_agrees(signed: Signed) -> None:
    tool = _tool("pdfsig")
    out = subprocess.run([tool, str(signed.path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out


def test_pages_text_and_numbering(signed: Signed) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    pages = int(PdfFileReader(io.BytesIO(signed.data)).root["/Pages"]["/Count"])
    assert pages >= 2  # 41 rows do not fit on one landscape page: the header must repeat
    tool = _tool("pdftotext")
    text = subprocess.run([tool, "-layout", str(signed.path), "-"], capture_output=True, text=True, check=True).stdout
    # pdftotext drops or adds spaces between CJK glyphs as it likes: compare without any
    page_texts = ["".join(page.split()) for page in text.split("\f")]
    text = "".join(page_texts)
    for number in range(1, pages + 1):
        assert f"第{number}页共{pages}页" in page_texts[number - 1]
        assert "情况说明" in page_texts[number - 1]  # the table header on every page
    payload = signed.envelope["payload"]
    for expected in (
        "贵阳贵安绿色经济指标体系（演示）",
        "云岩区2023年第二季度",
        "演示数据",
        payload["submission_id"],
        "第1版",
        __version__,
        payload_hash(payload),
        "填报人",
        "审核人",
        "单位负责人",
        "盖章",
        "日期",
        "39项指标任务中1项需关注",
        "绿色建筑占比",
        "滞后",
    ):
        assert expected in text, expected
    # a long explanation is wrapped, not cut: its last characters are on the page
    explanation = next(i["explanation"] for i in payload["indicators"] if i["code"] == "C12")
    assert explanation[-8:] in text


def test_qr_code_carries_submission_id_and_hash(signed: Signed, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = signed.envelope["payload"]
    assert qr_text(payload) == f"tianbao:{payload['submission_id']}:{payload_hash(payload)}"
    seen: list[str] = []
    real = export_pdf.qr_drawing

    def spy(text: str, size: float) -> Any:
        seen.append(text)
        return real(text, size)

    monkeypatch.setattr(export_pdf, "qr_drawing", spy)
    render_pdf(payload, __version__)
    assert seen == [qr_text(payload)]


def test_very_long_explanation_splits_across_pages() -> None:
    payload: dict[str, Any] = {
        "submission_id": "X",
        "catalog": {"name": "测试", "demo": False},
        "unit": {"code": "1", "name": "<单位&>"},
        "period": "2023Q2",
        "revision": 1,
        "indicators": [
            {"name": "很长" * 200, "unit": "%", "value": "1", "status": "behind", "explanation": "说明" * 3000}
        ],
        "counts": {},
        "summary": "",
    }
    pdf = render_pdf(payload, __version__)
    assert pdf.startswith(b"%PDF-")


# ---------------------------------------------------------------------------------------------- refusing to export


def test_export_refuses_wrong_passphrase_and_altered_envelope(signed: Signed, tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    with pytest.raises(KeysError):
        write_submission_pdf(signed.envelope, out, signed.keys, "wrong-passphrase", __version__)
    altered = {**signed.envelope, "payload": {**signed.envelope["payload"], "summary": "全部完成"}}
    with pytest.raises(VerificationError):
        write_submission_pdf(altered, out, signed.keys, PASSPHRASE, __version__)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# ---------------------------------------------------------------------------------------------- the tamper suite


def test_every_flipped_byte_in_the_signed_range_is_rejected(signed: Signed, tmp_path: Path) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = signed.data
    [embedded] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    start1, len1, start2, len2 = (int(x) for x in embedded.byte_range)
    assert start1 == 0 and start2 + len2 == len(data)
    covered = [*range(start1, start1 + len1), *range(start2, start2 + len2)]
    rng = random.Random(20230710)
    positions = rng.sample(covered, 300)
    reasons: dict[str, int] = {}
    for position in positions:
        mutated = bytearray(data)
        mutated[position] ^= rng.randrange(1, 256)
        t0 = time.perf_counter()
        reason = _reason(tmp_path, bytes(mutated), signed.keys)
        assert time.perf_counter() - t0 < 5, f"flip at {position} took too long"
        assert reason in REJECTED, f"flip at {position}: {reason}"
        reasons[reason] = reasons.get(reason, 0) + 1
    assert reasons.get("signature_invalid", 0) > 100, reasons


def _incremental(data: bytes) -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    return IncrementalPdfFileWriter(io.BytesIO(data), strict=False)


def _written(writer: Any) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_appended_update_changing_a_page_is_rejected(signed: Signed, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import generic

    writer = _incremental(signed.data)
    stream = generic.StreamObject(stream_data=b"1 1 1 rg 300 300 200 40 re f")  # paint over a figure
    writer.add_stream_to_page(0, writer.add_object(stream))
    assert _reason(tmp_path, _written(writer), signed.keys) == "altered"


def test_appended_update_replacing_the_attachment_is_rejected(signed: Signed, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import embed

    envelope = signed.envelope
    forged = {**envelope, "payload": {**envelope["payload"], "summary": "39项指标全部完成。"}}
    writer = _incremental(signed.data)
    names = writer.root["/Names"]["/EmbeddedFiles"]["/Names"]
    spec = embed.FileSpec(
        file_spec_string=ATTACHMENT_NAME,
        embedded_data=embed.EmbeddedFileObject.from_file_data(writer, canonical(forged), mime_type="application/json"),
    )
    names[1] = writer.add_object(spec.as_pdf_object())
    writer.update_container(names)
    forged_pdf = _written(writer)
    assert _reason(tmp_path, forged_pdf, signed.keys) == "altered"
    # and the forged envelope is what a careless reader would see
    (tmp_path / "f.pdf").write_bytes(forged_pdf)
    assert read_envelope_pdf(tmp_path / "f.pdf")["payload"]["summary"] == "39项指标全部完成。"


def test_an_empty_update_or_trailing_bytes_are_rejected(signed: Signed, tmp_path: Path) -> None:
    writer = _incremental(signed.data)
    writer.set_info(None)
    writer.mark_update(writer.root.container_ref or writer.trailer.raw_get("/Root"))
    assert _reason(tmp_path, _written(writer), signed.keys) == "altered"
    assert _reason(tmp_path, signed.data + b"\n% a comment\n", signed.keys) in {"altered", "signature_invalid"}


def test_a_second_signature_by_another_unit_is_rejected(signed: Signed, tmp_path: Path) -> None:
    from pyhanko.sign import signers

    keys = signed.keys
    signer = export_pdf._pyhanko_signer(
        keys.unit_key(OTHER, PASSPHRASE), keys.unit_certificate(OTHER), [keys.city_certificate()]
    )
    writer = _incremental(signed.data)
    out = io.BytesIO()
    signers.PdfSigner(signers.PdfSignatureMetadata(field_name="Other"), signer=signer).sign_pdf(writer, output=out)
    assert _reason(tmp_path, out.getvalue(), keys) == "altered"


def test_resigning_with_another_units_key_is_rejected(signed: Signed, tmp_path: Path) -> None:
    keys, envelope = signed.keys, signed.envelope
    payload = envelope["payload"]
    pages = render_pdf(payload, __version__)
    forged = sign_pdf(
        pages,
        canonical(envelope),
        keys.unit_key(OTHER, PASSPHRASE),
        keys.unit_certificate(OTHER),
        [keys.city_certificate()],
        payload,
    )
    with pytest.raises(VerificationError) as info:
        _verify_bytes(tmp_path, forged, keys)
    assert info.value.reason == "wrong_signer"


def test_a_changed_envelope_signed_again_by_the_unit_pdf_key_is_rejected(signed: Signed, tmp_path: Path) -> None:
    keys, envelope = signed.keys, signed.envelope
    forged = {**envelope, "payload": {**envelope["payload"], "revision": 7}}
    pdf = sign_pdf(
        render_pdf(forged["payload"], __version__),
        canonical(forged),
        keys.unit_key(UNIT, PASSPHRASE),
        keys.unit_certificate(UNIT),
        [keys.city_certificate()],
        forged["payload"],
    )
    assert _reason(tmp_path, pdf, keys) == "altered"


def test_a_certificate_from_another_city_is_unknown(signed: Signed, tmp_path: Path) -> None:
    other = KeyStore(tmp_path / "other-keys")
    other.city_init("别的市", PASSPHRASE)
    _issue(other, UNIT, "云岩区")
    envelope = signed.envelope
    pdf = sign_pdf(
        render_pdf(envelope["payload"], __version__),
        canonical(envelope),
        other.unit_key(UNIT, PASSPHRASE),
        other.unit_certificate(UNIT),
        [other.city_certificate()],
        envelope["payload"],
    )
    with pytest.raises(VerificationError) as info:
        _verify_bytes(tmp_path, pdf, signed.keys)
    assert info.value.reason == "unknown_certificate"


def test_unsigned_pdfs_are_rejected(signed: Signed, tmp_path: Path) -> None:
    from pyhanko.pdf_utils import embed

    pages = render_pdf(signed.envelope["payload"], __version__)
    assert _reason(tmp_path, pages, signed.keys) == "not_tianbao"
    writer = _incremental(pages)
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=ATTACHMENT_NAME,
            embedded_data=embed.EmbeddedFileObject.from_file_data(writer, canonical(signed.envelope)),
        ),
    )
    assert _reason(tmp_path, _written(writer), signed.keys) == "signature_invalid"


# ---------------------------------------------------------------------------------------------- hostile files


def _pdf(objects: dict[int, bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A hand-made PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d " % size + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


CATALOG_WITH_ATTACHMENT = (
    b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(tianbao-envelope.json) 3 0 R] >> >> >>"
)
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"
FILESPEC = b"<< /Type /Filespec /F (tianbao-envelope.json) /EF << /F 4 0 R >> >>"


def _hostile_files(signed: Signed) -> dict[str, bytes]:
    rng = random.Random(7)
    bomb = zlib.compress(b"\0" * (80 * 1024 * 1024), 9)
    data = signed.data
    return {
        "empty": b"",
        "random": rng.randbytes(100_000),
        "random with a pdf header": b"%PDF-1.7\n" + rng.randbytes(50_000),
        "truncated": data[: len(data) // 2],
        "truncated at the end": data[:-200],
        "json": canonical(signed.envelope),
        "huge declared stream": _pdf(
            {
                1: CATALOG_WITH_ATTACHMENT,
                2: PAGES,
                3: FILESPEC,
                4: b"<< /Type /EmbeddedFile /Length 99999999999 >>\nstream\n{}\nendstream",
            }
        ),
        "flate bomb attachment": _pdf(
            {
                1: CATALOG_WITH_ATTACHMENT,
                2: PAGES,
                3: FILESPEC,
                4: b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb)
                + bomb
                + b"\nendstream",
            }
        ),
        "attachment that is not json": _pdf(
            {
                1: CATALOG_WITH_ATTACHMENT,
                2: PAGES,
                3: FILESPEC,
                4: b"<< /Type /EmbeddedFile /Length 8 >>\nstream\n[[[[[[[[\nendstream",
            }
        ),
        "self-referencing field tree": _pdf(
            {
                1: CATALOG_WITH_ATTACHMENT[:-2] + b" /AcroForm << /Fields [5 0 R] >> >>",
                2: PAGES,
                3: FILESPEC,
                4: b"<< /Type /EmbeddedFile /Length 2 >>\nstream\n{}\nendstream",
                5: b"<< /FT /Sig /Kids [5 0 R] /V 6 0 R >>",
                6: b"<< /Type /Sig /ByteRange [0 1 2 99999999] /Contents <00> >>",
            }
        ),
        "xref loop": _pdf({1: b"<< /Type /Catalog /Pages 2 0 R >>", 2: PAGES}, b"/Root 1 0 R /Prev 9"),
        "catalog is not a dictionary": _pdf({1: b"[1 2 3]", 2: PAGES}),
        "names loop": _pdf(
            {
                1: b"<< /Type /Catalog /Pages 2 0 R /Names 3 0 R >>",
                2: PAGES,
                3: b"<< /EmbeddedFiles 3 0 R /Names 3 0 R >>",
            }
        ),
    }


def test_hostile_files_give_a_clean_error(signed: Signed, tmp_path: Path) -> None:
    for name, data in _hostile_files(signed).items():
        t0 = time.perf_counter()
        with pytest.raises(VerificationError) as info:
            _verify_bytes(tmp_path, data, signed.keys)
        assert info.value.reason in REJECTED, (name, info.value.reason)
        assert time.perf_counter() - t0 < 5, name
        try:  # reading the attachment alone checks nothing, but must not crash either
            assert isinstance(read_envelope_pdf(tmp_path / "x.pdf"), dict)
        except VerificationError as exc:
            assert exc.reason in REJECTED


def test_a_file_over_the_size_limit_is_not_read(signed: Signed, tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(MAX_PDF_BYTES + 1)  # sparse: nothing is written
    with pytest.raises(VerificationError) as info:
        verify_pdf(path, signed.keys.city_certificate())
    assert info.value.reason == "unreadable"
    assert "过大" in str(info.value)
    with pytest.raises(VerificationError):
        verify_pdf(tmp_path / "missing.pdf", signed.keys.city_certificate())


def golden_payloads() -> dict[str, dict[str, Any]]:
    """The payload of golden/workbook-envelope.json (blanks at either end, markup, control characters, a very long
    explanation); the same with every indicator thirteen times over (a table across many pages) in a demo
    catalog (the demo marking on every page); with a summary longer than a page (a paragraph that finds no
    room at the foot of a page, and is drawn on the next); and as a city report whose timeliness table runs over
    pages, unit names repeated."""
    import json

    envelope = json.loads((Path(__file__).parent / "golden" / "workbook-envelope.json").read_text(encoding="utf-8"))
    payload = envelope["payload"]
    long = copy.deepcopy(payload)
    long["catalog"]["demo"] = True
    long["indicators"] = [
        {**indicator, "code": f"{indicator['code']}-{n}"} for n in range(13) for indicator in payload["indicators"]
    ]
    summary = copy.deepcopy(payload)
    summary["summary"] = "汇总说明" * 800
    city = copy.deepcopy(payload)
    verdicts = ["on_time", "late", "missing", "not_due"]
    city["report"] = {
        "kind": "city",
        "contributors": {},
        "missing_units": [],
        "returned_units": [],
        "timeliness": {
            "units": [
                {
                    "code": f"5201{n:02d}",
                    "name": ["南明区", "云岩区", "花溪区"][n % 3] + ("（名称很长的开发区管理委员会）" * (n % 5)),
                    "timeliness": verdicts[n % 4],
                    "days_late": 3 if verdicts[n % 4] == "late" else 0,
                    "received_at": None if verdicts[n % 4] == "missing" else f"2023-07-{1 + n % 28:02d}T02:00:00Z",
                }
                for n in range(60)
            ],
            "on_time": 15,
            "late": 15,
            "missing": 15,
            "not_due": 15,
            "on_time_rate": "25.0",
            "sentence": "应报 60 个单位，按时 15 个，逾期 15 个，未报 15 个。",
        },
    }
    return {"golden": payload, "long": long, "summary": summary, "city": city}


# The pages render_pdf draws for golden_payloads(), as version 0.1.0 draws them. The verifier draws a received
# file's pages again and compares them byte for byte: a PDF a district made must verify with every later build, so a
# change of any byte here is a change of the file format, not a refactoring.
GOLDEN_PAGES = {
    "golden": "4c085c7e87cdc9c3b63251f532a22e5a8d85ffa8fccc47879d3b6b5e1b81402c",
    "long": "8fdf8c8a4e51ffa1728e27426c7cf898c5cf96f95b72b1f8339283eb77274019",
    "summary": "95a946c746b4a311b875a21639ea7f22f0dd56015e6d4ec1c7e4cb362a203f46",
    "city": "b09548aae7eb3c1ee18b2db8c073e1b78ab76afa518fa56f06bba14cb0cd81fc",
}


@pytest.mark.parametrize("name", sorted(GOLDEN_PAGES))
def test_the_pages_are_byte_for_byte_those_of_earlier_builds(name: str) -> None:
    import hashlib

    pages = render_pdf(golden_payloads()[name], "0.1.0")
    assert hashlib.sha256(pages).hexdigest() == GOLDEN_PAGES[name]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([b"0", b"7", b" ", b"n", b"f", b"x", b"00000", b" 00000 n", b"0000000000 00000 n"])))
def test_cross_reference_entries_are_counted_as_the_plain_pattern_counts_them(parts: list[bytes]) -> None:
    import re

    from app.submissions.verify_pdf import _xref_entries

    data = b"".join(parts)
    plain = [m.start() for m in re.finditer(rb"[0-9]{10} [0-9]{5} [nf]", data)]
    assert list(_xref_entries(data)) == plain


def test_font_streams_compressed_from_memory_are_the_bytes_zlib_makes() -> None:
    """The font subsets and their character maps are compressed once and remembered: a document drawn again gives
    the same bytes, the remembered streams among them, and they are what zlib makes of the texts."""
    import hashlib
    import re

    payload = golden_payloads()["golden"]
    first = render_pdf(payload, "0.1.0")
    encode = type(export_pdf._remembered_flate()).encode
    hits = encode.cache_info().hits
    again = render_pdf(payload, "0.1.0")
    assert encode.cache_info().hits >= hits + 2  # at least a subset and its character map
    written = export_pdf._written_widths
    written.cache_clear()
    assert render_pdf(payload, "0.1.0") == first
    assert written.cache_info().currsize == 2  # the two subsets' widths
    kept = written.cache_info()
    assert render_pdf(payload, "0.1.0") == first
    assert written.cache_info().currsize == 2 and written.cache_info().misses == kept.misses  # from memory
    assert again == first
    assert hashlib.sha256(again).hexdigest() == GOLDEN_PAGES["golden"]
    fonts = 0
    for match in re.finditer(rb"<<\n/Filter \[ /FlateDecode \] /Length (\d+)( /Length1 (\d+))?\n>>\nstream\n", again):
        body = again[match.end() : match.end() + int(match.group(1))]
        content = zlib.decompress(body)
        assert zlib.compress(content) == body
        if match.group(3):
            fonts += 1
            assert len(content) == int(match.group(3))
    assert fonts == 2  # the golden payload's glyphs fill two subsets


# More distinct characters than one font subset holds (256), so that texts switch subsets within a text object.
_MANY_GLYPHS = [chr(c) for c in range(0x4E00, 0x4E00 + 600)] + list("0123456789.%-— ")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.text(alphabet=st.sampled_from(_MANY_GLYPHS), max_size=12), min_size=1, max_size=3),
            st.sampled_from([7.5, 8.5, 12]),
            st.sampled_from([None, 11.05, 14]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_texts_remembered_in_a_document_are_written_as_reportlab_writes_them(
    drawn: list[tuple[list[str], float, float | None]],
) -> None:
    """The report's canvas writes a line of text without a text object, and a text it wrote before in the document
    from memory: whatever the texts, sizes, leadings and subsets, the pages are reportlab's own."""
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.pdfgen.textobject import PDFTextObject

    export_pdf.register_font()
    remembering = export_pdf._numbered_canvas(False)

    class Plain(remembering):  # type: ignore[misc, valid-type]
        def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
            return PDFTextObject(self, x, y, direction=direction)

        drawString = Canvas.drawString
        drawRightString = Canvas.drawRightString
        drawCentredString = Canvas.drawCentredString

    from reportlab.pdfgen import textobject

    assert not textobject.rtlSupport, "with a bidi library the plain lines go reportlab's way: nothing is tested"
    remembered: list[int] = []

    def page(canvas_class: Any) -> bytes:
        out = io.BytesIO()
        canvas = canvas_class(out, invariant=1)
        for n, (lines, size, leading) in enumerate(drawn):
            canvas.setFont(export_pdf.FONT, size, leading)
            canvas.drawRightString(500, 20 + n * 13 % 700, lines[0])
            canvas.drawCentredString(300.5, 700 - n * 11 % 600, lines[-1])
            canvas.drawString(n * 7.25, 400, lines[n % len(lines)])
            text = canvas.beginText(40, 20 + n * 17 % 700)
            for line in lines:
                text.textLine(line)
            canvas.drawText(text)
            if n % 7 == 6:
                canvas.showPage()
        canvas.showPage()
        remembered.append(len(canvas._formatted))
        canvas.save()
        return out.getvalue()

    assert page(remembering) == page(Plain)
    assert remembered[0] > 0  # the texts written by the report's canvas were remembered


def test_pages_are_the_same_whatever_was_drawn_before() -> None:
    """The paragraphs of table cells are laid out once and reused by later documents: drawn in any order, after
    one another, each document's pages are those of earlier builds."""
    import hashlib

    payloads = golden_payloads()
    for name in ["long", "city", "golden", "summary", "city", "golden", "long", "summary", "city", "long"]:
        assert hashlib.sha256(render_pdf(payloads[name], "0.1.0")).hexdigest() == GOLDEN_PAGES[name], name
