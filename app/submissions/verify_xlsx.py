"""Checking a submission Excel file: it must be exactly the workbook this program writes for its signed payload.

A file passes when the envelope in its hidden sheet is validly signed
(:func:`app.submissions.signing.verify_envelope`), its payload is well-formed
(:mod:`app.submissions.payload`), and every part of the archive is byte for byte the part
:func:`app.submissions.xlsx_parts.render_parts` writes for that envelope and the program version named in the file.
So every cell, style, width, height, name, link, drawing and sheet is one the program itself wrote; anything
else is refused. When a file differs, the reason names what: a cell whose text is not the signed one, a part
this program never writes, or — for a workbook another program saved again — that its layout cannot be checked.

Every read is bounded (:mod:`app.submissions.limits`), and hostile files (zip bombs, lying zip indexes, XML
entity tricks, odd member names, broken archives) are refused as ``unreadable``, never a crash.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from app.submissions.export_xlsx import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    HIDDEN_SHEET,
    MARKER,
    MARKER_VERSION,
    SHEET,
    GridCell,
    PayloadShapeError,
    render_grid,
)
from app.submissions.limits import MAX_CHUNKS, MAX_ENVELOPE_BYTES, MAX_FILE_BYTES, Budget
from app.submissions.ooxml import (
    Cell,
    parse_xml,
    read_cells,
    read_parts,
    shared_strings,
    sheets,
    unescape_excel,
    unreadable,
)
from app.submissions.payload import parse_canonical_json, parse_json
from app.submissions.signing import VerificationError, verified_payload, verified_signed
from app.submissions.xlsx_parts import APP_PART, CORE_PART, CREATOR, HIDDEN_PART, VISIBLE_PART, render_parts
from app.submissions.xml_escape import unescape

RESAVED = "另存过的文件：版式无法核验，请用区县导出的原件或 PDF"
# What each part holds, for the message naming a part that differs.
PART_ROLES = {
    "[Content_Types].xml": "部件类型表",
    "_rels/.rels": "部件关系",
    APP_PART: "程序信息",
    CORE_PART: "文档属性",
    "xl/workbook.xml": "工作表、名称、链接或打印设置",
    "xl/_rels/workbook.xml.rels": "部件关系",
    "xl/styles.xml": "字体、颜色、边框或数字格式",
    VISIBLE_PART: "报送表的单元格、行高、列宽、样式、合并单元格、保护或打印设置",
    "xl/worksheets/sheet2.xml": "签名数据表",
}


def _altered(message: str) -> VerificationError:
    return VerificationError("altered", message)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, read once (so what is checked is what is opened), refusing a file too large."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise unreadable(f"无法读取文件：{exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise unreadable(f"文件过大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），不是填报通的报送文件")
    return data


class Workbook:
    """The parts of a workbook file read under one budget, and its sheets' cells on demand."""

    def __init__(self, data: bytes, budget: Budget | None = None) -> None:
        if len(data) > MAX_FILE_BYTES:
            raise unreadable(f"文件过大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），不是填报通的报送文件")
        self.budget = budget or Budget()
        self.parts = read_parts(data, self.budget)
        self.sheets, shared = sheets(self.parts, self.budget)
        self._shared_part = shared
        self._shared: list[str] | None = None
        self._counter = [0]

    def cells(self, name: str) -> dict[tuple[int, int], Cell] | None:
        """The cells of the sheet called ``name``, or ``None`` when there is no such sheet."""
        ref = next((s for s in self.sheets if s.name == name), None)
        if ref is None:
            return None
        content = self.parts.get(ref.part)
        if content is None:
            raise unreadable(f"Excel 文件缺少工作表“{name}”的部件")
        if self._shared is None:
            shared = self.parts.get(self._shared_part) if self._shared_part else None
            self._shared = shared_strings(shared, self.budget)
        return read_cells(content, self.budget, self._shared, self._counter, ref.part)

    def version(self) -> str | None:
        """The program version the file says wrote it (not signed: the comparison decides whether it did)."""
        return version_of(self.parts.get(CORE_PART, b""))


def version_of(core: bytes) -> str | None:
    """The program version a workbook's document properties name as its writer."""
    match = CREATOR.search(core[:4096].decode("utf-8", "replace"))
    return match[1] if match else None


# ---------------------------------------------------------------------------------------------- the envelope


def _envelope_of(book: Workbook) -> dict[str, Any]:
    cells = book.cells(HIDDEN_SHEET)
    if cells is None:
        raise VerificationError("not_tianbao", "这不是填报通导出的报送文件：文件中没有签名数据")

    def text(row: int, col: int) -> str | None:
        cell = cells.get((row, col))
        return cell.text if cell is not None and cell.kind == "text" else None

    if text(1, 2) != MARKER:
        raise VerificationError("not_tianbao", "这不是填报通导出的报送文件：缺少签名数据标记")
    if text(2, 2) != MARKER_VERSION:
        raise VerificationError("not_tianbao", "报送文件的格式版本不受支持，请升级填报通")
    count, length = text(3, 2), text(4, 2)
    if not (count and count.isdigit() and length and length.isdigit() and len(length) < 10):
        raise _altered("文件中的签名数据已损坏或被改动")
    n = int(count)
    if not 1 <= n <= MAX_CHUNKS or int(length) > MAX_ENVELOPE_BYTES:
        raise _altered("文件中的签名数据已损坏或被改动")
    pieces = [text(i, 1) for i in range(1, n + 1)]
    if not all(isinstance(p, str) for p in pieces):
        raise _altered("文件中的签名数据已损坏或被改动")
    joined = "".join(p or "" for p in pieces)
    if len(joined) != int(length):
        raise _altered("文件中的签名数据已损坏或被改动（长度不符）")
    envelope = parse_json(joined)
    if not isinstance(envelope, dict):
        raise _altered("文件中的签名数据已损坏或被改动")
    return envelope


def read_envelope_xlsx(path: Path) -> dict[str, Any]:
    """The envelope carried in a submission workbook, not yet verified (the printable sheet must be readable)."""
    return read_envelope_xlsx_bytes(read_bytes(path))


def read_envelope_xlsx_bytes(data: bytes) -> dict[str, Any]:
    """The envelope carried in a workbook's bytes, not yet verified (the printable sheet must be readable)."""
    book = Workbook(data)
    envelope = _envelope_of(book)
    book.cells(SHEET)
    return envelope


# ---------------------------------------------------------------------------------------------- the comparison


def _show(value: Any, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _coordinate(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _differs(coordinate: str, expected: GridCell, actual: Cell | None) -> VerificationError:
    shown = "空白" if actual is None else _show(actual.text)
    return _altered(
        f"单元格 {coordinate}（{expected.what}）与签名数据不符：文件中为“{shown}”，签名数据为“{_show(expected.text)}”"
    )


def check_cells(book: Workbook, payload: dict[str, Any], digest: str | None = None) -> None:
    """Refuse a workbook whose sheets or cell texts are not what the payload renders to, naming the first cell
    that differs. Layout is not judged here (see :func:`check_layout`). ``digest``: the payload's hash, if known."""
    visible = [s.name for s in book.sheets if s.state == "visible"]
    if visible != [SHEET] or [s.name for s in book.sheets] != [SHEET, HIDDEN_SHEET]:
        extra = [s.name for s in book.sheets if s.name not in (SHEET, HIDDEN_SHEET)]
        if extra:
            raise _altered(f"报送文件的工作表被改动：多了工作表“{_show(extra[0])}”")
        raise _altered("报送文件的工作表被改动：工作表缺少、改名、隐藏或次序不对")
    try:
        grid = render_grid(payload, digest=digest)
    except (PayloadShapeError, ValueError, TypeError, AttributeError) as exc:
        raise VerificationError("malformed", f"报送数据格式不合规：{exc}") from exc
    cells = book.cells(SHEET) or {}
    for (row, col), expected in sorted(grid.cells.items()):
        if expected.kind in ("fill", "version"):
            continue
        actual = cells.get((row, col))
        if actual is not None and actual.count > 1:
            raise _altered(f"单元格 {_coordinate(row, col)}（{expected.what}）在文件中出现了 {actual.count} 次")
        if expected.text == "":
            if actual is not None and actual.text != "":
                raise _differs(_coordinate(row, col), expected, actual)
            continue
        if actual is None or actual.kind != "text" or actual.text != expected.text:
            raise _differs(_coordinate(row, col), expected, actual)
    for (row, col), cell in sorted(cells.items()):
        known = grid.cells.get((row, col))
        if cell.text != "" and known is None:
            where = "表格中" if HEADER_ROW <= row <= grid.last_data_row else ""
            raise _altered(
                f"单元格 {_coordinate(row, col)} 含有签名数据以外的内容（{where}“{_show(cell.text)}”）"
                if row >= FIRST_DATA_ROW or col > 1
                else f"单元格 {_coordinate(row, col)} 含有签名数据以外的内容“{_show(cell.text)}”"
            )


def check_layout(book: Workbook, envelope: dict[str, Any], digest: str | None = None) -> None:
    """Refuse a workbook any part of which is not the one this program writes for ``envelope`` (``digest``: its
    payload's hash, if known)."""
    version = book.version()
    expected = None
    if version is not None:
        try:
            expected = render_parts(envelope, version, digest)
        except (PayloadShapeError, ValueError, TypeError, KeyError) as exc:
            raise VerificationError("malformed", f"报送数据格式不合规：{exc}") from exc
    if expected is None or book.parts.get(APP_PART) != expected[APP_PART] or CORE_PART not in book.parts:
        raise _altered(RESAVED)
    extra = [name for name in book.parts if name not in expected]
    if extra:
        raise _altered(f"报送文件含有填报通不会写出的部件“{_show(extra[0], 80)}”，已拒绝")
    missing = [name for name in expected if name not in book.parts]
    if missing:
        raise _altered(f"报送文件缺少部件“{missing[0]}”")
    for name, content in expected.items():
        if book.parts[name] != content:
            raise _altered(f"报送文件的部件“{name}”与填报通为签名数据写出的不同（{PART_ROLES.get(name, name)}被改动）")
    if list(book.parts) != list(expected):
        raise _altered("报送文件的部件次序与填报通写出的不同")


# ---------------------------------------------------------------------------------------------- all of it


def verify_xlsx(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The signed payload of a submission workbook that is authentic and untouched, else VerificationError."""
    payload: dict[str, Any] = verified_envelope_xlsx(path, city_ca, at)["payload"]
    return payload


def verified_envelope_xlsx(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The envelope of an authentic, untouched submission workbook (for storing it), else VerificationError."""
    return verified_envelope_xlsx_bytes(read_bytes(path), city_ca, at)


def verified_envelope_xlsx_bytes(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """:func:`verified_envelope_xlsx` of a file's bytes; the unit certificate judged at ``at`` (default: now), the
    time of the city's receipt for it."""
    return verified_xlsx_bytes(data, city_ca, at)[0]


def verified_xlsx_bytes(
    data: bytes, city_ca: x509.Certificate, at: datetime | None = None
) -> tuple[dict[str, Any], str, str | None]:
    """:func:`verified_envelope_xlsx_bytes`, with the payload's hash and, when the check read it whole, the
    envelope's canonical JSON text as the file carries it (``None`` otherwise)."""
    quick = _exactly_ours(data, city_ca, at)
    if quick is not None:
        return quick
    book = Workbook(data)
    envelope = _envelope_of(book)
    payload, digest = verified_payload(envelope, city_ca, at)
    # Here the file is not exactly one this program writes (that went the quick way): find what differs.
    check_cells(book, payload, digest)  # a changed cell is named first: the clearest reason
    check_layout(book, envelope, digest)
    return envelope, digest, None


# A cell of the hidden sheet as this program writes it (xlsx_parts._hidden_sheet): column A holds the envelope's
# pieces. Only the quick path reads it this way; what it finds counts only if the whole file then matches.
_PIECE = re.compile(rb'<c r="A(\d{1,4})" t="inlineStr"><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>')


def _exactly_ours(
    data: bytes, city_ca: x509.Certificate, at: datetime | None
) -> tuple[dict[str, Any], str, str] | None:
    """The envelope (with its payload's hash and its canonical JSON text) of a file that is, part for part and
    byte for byte, the workbook this program writes for it and whose envelope is validly signed; ``None`` for
    anything else, which then goes the careful way.

    Nearly every file the city receives is such a file. This reads the envelope straight from the hidden sheet's
    bytes instead of parsing its XML: whatever is read, the file counts only when every part is what this
    program renders for that envelope, so nothing is accepted here that the careful way would refuse.
    """
    try:
        # The same bounded reading as the careful way. No XML parser sees these parts (the envelope is read with a
        # pattern), and a part declaring entities cannot be one this program writes: it is refused by the careful
        # way, which scans for them, so they are not scanned for here.
        parts = read_parts(data, Budget(), scan_entities=False)
    except VerificationError:
        return None
    hidden, core = parts.get(HIDDEN_PART), parts.get(CORE_PART)
    if hidden is None or core is None or len(hidden) > 2 * MAX_ENVELOPE_BYTES:
        return None
    pieces = _PIECE.findall(hidden)
    if not pieces or [int(row) for row, _ in pieces] != list(range(1, len(pieces) + 1)):
        return None
    try:
        text = "".join(unescape_excel(unescape(piece.decode("utf-8"))) for _, piece in pieces)
        # Repeated keys and deep nesting are not looked for: the file counts only if this text is the canonical
        # JSON of what is parsed here (the hidden sheet is compared below), which has neither.
        envelope = parse_canonical_json(text)
        if not isinstance(envelope, dict):
            return None
        _, digest, signed = verified_signed(envelope, city_ca, at)
    except (VerificationError, UnicodeDecodeError, RecursionError):
        return None
    version = version_of(core)
    if version is None:
        return None
    try:
        expected = render_parts(envelope, version, digest, signed.decode("utf-8"))
    except (PayloadShapeError, ValueError, TypeError, KeyError):
        return None
    if list(parts) != list(expected) or any(parts[name] != content for name, content in expected.items()):
        return None
    return envelope, digest, text


def _load(data: bytes) -> dict[str, bytes]:
    """Every part of a workbook, each XML part parsed by the safe parser without the archive's entity scan: the
    second line of defence, should a part with entities ever get past that scan."""
    budget = Budget()
    parts = read_parts(data, budget, scan_entities=False)
    for name, content in parts.items():
        if name.endswith((".xml", ".rels")):
            parse_xml(content, budget, lambda _tag, _attrs: None, what=name)
    return parts
