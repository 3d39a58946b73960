"""Reading a workbook archive under a budget: its parts, the sheets by name, and each sheet's cells as text.

Only what the verifier needs, with every read bounded (``app.submissions.limits``): parts are inflated as a
stream and counted, whatever sizes the zip index claims; XML is parsed by expat with no document type
declaration allowed (entity bombs and external entities need one); cells are counted. Any breach, and anything
broken, is an ``unreadable`` :class:`~app.submissions.signing.VerificationError`.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from posixpath import normpath
from typing import Any
from xml.parsers import expat

from app.submissions.limits import MAX_CELLS, MAX_PARTS, MAX_RATIO, RATIO_FLOOR, Budget, MiB
from app.submissions.signing import VerificationError

_DRIVE = re.compile(r"^[A-Za-z]:")
_REF = re.compile(r"^([A-Z]{1,3})([0-9]{1,7})$")
_EXCEL_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_FEED = MiB


def unreadable(message: str) -> VerificationError:
    return VerificationError("unreadable", message)


# ---------------------------------------------------------------------------------------------- the archive


def read_parts(data: bytes, budget: Budget, scan_entities: bool = True) -> dict[str, bytes]:
    """Every part of the archive, in archive order, inflated under ``budget``; refused when the index or any part
    is suspicious (too many parts, odd names, encryption, a bomb's ratio, a document type declaration)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            parts = {info.filename: _inflate(archive, info, budget) for info in infos if not info.is_dir()}
    except VerificationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise unreadable("不是有效的 Excel 文件（.xlsx）：文件已损坏或格式不对") from exc
    except zlib.error as exc:
        raise unreadable("Excel 文件已损坏：压缩数据无法解开") from exc
    for name, content in parts.items():
        if scan_entities and _declares_entities(content):
            raise unreadable(f"Excel 文件的部件“{name[:80]}”含有 XML 实体定义（DOCTYPE），已拒绝")
    return parts


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(256 * 1024):
            budget.spend(len(chunk))
            out += chunk
    return bytes(out)


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if not infos:
        raise unreadable("不是有效的 Excel 文件（.xlsx）：压缩包是空的")
    if len(infos) > MAX_PARTS:
        raise unreadable(f"Excel 文件内含 {len(infos)} 个部件，过多，已拒绝")
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or ".." in parts
            or _DRIVE.match(name)
            or "\x00" in name
            or name.lower() in seen
        ):
            raise unreadable(f"Excel 文件内含可疑的部件名“{name[:80]}”，已拒绝")
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise unreadable("Excel 文件已加密，无法核验")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise unreadable(f"Excel 文件内的部件“{name[:80]}”压缩比异常（可能是“压缩炸弹”），已拒绝")


def _declares_entities(content: bytes) -> bool:
    return any(
        marker.encode(encoding) in content
        for marker in ("<!DOCTYPE", "<!ENTITY")
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    )


# ---------------------------------------------------------------------------------------------- XML


def parse_xml(
    content: bytes,
    budget: Budget,
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    what: str = "",
) -> None:
    """Parse ``content`` with expat, calling back with local element names (namespace prefixes dropped)."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> Any:
        raise unreadable(f"Excel 文件的部件“{what}”含有 XML 实体定义（DOCTYPE），已拒绝")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = lambda name, attrs: start(name.rpartition(":")[2], attrs)
    if end is not None:
        parser.EndElementHandler = lambda name: end(name.rpartition(":")[2])
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        for at in range(0, len(content), _FEED):
            parser.Parse(content[at : at + _FEED], False)
            budget.check_time()
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise unreadable(f"Excel 文件的部件“{what}”已损坏，无法读取") from exc


def unescape_excel(text: str) -> str:
    """Excel's ``_xHHHH_`` escapes in cell text, decoded as Excel shows them."""
    return _EXCEL_ESCAPED.sub(lambda m: chr(int(m[1], 16)), text) if "_x" in text else text


# ---------------------------------------------------------------------------------------------- workbook


@dataclass(frozen=True)
class SheetRef:
    name: str
    part: str
    state: str


def _rels(parts: dict[str, bytes], name: str, budget: Budget) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part) of the rels part ``name`` (targets resolved against its folder)."""
    content = parts.get(name)
    if content is None:
        return {}
    base = name.replace("_rels/", "").removesuffix(".rels").rpartition("/")[0]
    found: dict[str, tuple[str, str]] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else normpath(f"{base}/{target}" if base else target)
            found[attrs.get("Id", "")] = (attrs.get("Type", ""), path)

    parse_xml(content, budget, start, what=name)
    return found


def sheets(parts: dict[str, bytes], budget: Budget) -> tuple[list[SheetRef], str | None]:
    """The workbook's sheets in order, and its shared strings part (if any)."""
    workbook = parts.get("xl/workbook.xml")
    if workbook is None:
        raise unreadable("不是有效的 Excel 文件（.xlsx）：缺少工作簿部件")
    rels = _rels(parts, "xl/_rels/workbook.xml.rels", budget)
    found: list[SheetRef] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet":
            rid = next((v for k, v in attrs.items() if k.rpartition(":")[2] == "id"), "")
            found.append(SheetRef(attrs.get("name", ""), rels.get(rid, ("", ""))[1], attrs.get("state", "visible")))

    parse_xml(workbook, budget, start, what="xl/workbook.xml")
    shared = next((target for kind, target in rels.values() if kind.endswith("/sharedStrings")), None)
    return found, shared


# ---------------------------------------------------------------------------------------------- cells


@dataclass
class Cell:
    """A cell as a spreadsheet shows its value: the text, and whether it is text, a number or a formula."""

    text: str = ""
    kind: str = "text"  # text, number, formula, other
    count: int = 1  # how many times the file has this reference


@dataclass
class _CellReader:
    budget: Budget
    shared: Callable[[int], str]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    counter: list[int] = field(default_factory=lambda: [0])
    _row: int = 0
    _col: int = 0
    _type: str = ""
    _ref: tuple[int, int] | None = None
    _value: list[str] = field(default_factory=list)
    _inline: list[str] = field(default_factory=list)
    _formula: bool = False
    _in: str = ""  # "v", "t" (inline text) or "" (text to ignore: phonetic runs, formulas)
    _phonetic: int = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            self._row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self._row + 1
            self._col = 0
        elif tag == "c":
            self.counter[0] += 1
            if self.counter[0] > MAX_CELLS:
                raise unreadable(f"Excel 文件的单元格超过 {MAX_CELLS} 个，不是填报通的报送文件")
            match = _REF.match(attrs.get("r", ""))
            if match:
                col = 0
                for ch in match[1]:
                    col = col * 26 + ord(ch) - 64
                self._row, self._col = int(match[2]), col
            else:
                self._col += 1
            self._ref = (self._row, self._col)
            self._type = attrs.get("t", "n")
            self._value, self._inline, self._formula = [], [], False
        elif tag == "rPh":
            self._phonetic += 1
        elif tag == "v":
            self._in = "v"
        elif tag == "t" and self._phonetic == 0:
            self._in = "t"
        elif tag == "f":
            self._formula = True

    def end(self, tag: str) -> None:
        if tag in ("v", "t"):
            self._in = ""
        elif tag == "rPh":
            self._phonetic -= 1
        elif tag == "c" and self._ref is not None:
            self._finish(self._ref)
            self._ref = None

    def text(self, data: str) -> None:
        if self._in == "v":
            self._value.append(data)
        elif self._in == "t":
            self._inline.append(data)

    def _finish(self, ref: tuple[int, int]) -> None:
        value = "".join(self._value)
        if self._formula:
            cell = Cell(value, "formula")
        elif self._type == "inlineStr":
            cell = Cell(unescape_excel("".join(self._inline)))
        elif self._type == "s":
            cell = Cell(self.shared(int(value)) if value.strip().isdigit() else "", "text")
        elif self._type == "str":
            cell = Cell(value, "formula")
        elif self._type == "n":
            cell = Cell(value, "number" if value else "text")
        else:
            cell = Cell(value, "other")
        held = self.cells.get(ref)
        if held is not None:
            cell.count = held.count + 1
        self.cells[ref] = cell


def shared_strings(content: bytes | None, budget: Budget) -> list[str]:
    if content is None:
        return []
    strings: list[str] = []
    current: list[str] = []
    state = {"in_t": False, "phonetic": 0}

    def start(tag: str, _attrs: dict[str, str]) -> None:
        if tag == "si":
            current.clear()
        elif tag == "rPh":
            state["phonetic"] += 1
        elif tag == "t" and not state["phonetic"]:
            state["in_t"] = True

    def end(tag: str) -> None:
        if tag == "si":
            strings.append(unescape_excel("".join(current)))
            if len(strings) > MAX_CELLS:
                raise unreadable("Excel 文件的共享文字过多，不是填报通的报送文件")
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "t":
            state["in_t"] = False

    def text(data: str) -> None:
        if state["in_t"]:
            current.append(data)

    parse_xml(content, budget, start, end, text, what="共享文字")
    return strings


def read_cells(
    content: bytes, budget: Budget, shared: list[str], counter: list[int], what: str
) -> dict[tuple[int, int], Cell]:
    """The cells of a sheet part by (row, column)."""

    def lookup(index: int) -> str:
        if not 0 <= index < len(shared):
            raise unreadable(f"Excel 文件的部件“{what}”引用了不存在的共享文字")
        return shared[index]

    reader = _CellReader(budget, lookup, counter=counter)
    parse_xml(content, budget, reader.start, reader.end, reader.text, what=what)
    return reader.cells
