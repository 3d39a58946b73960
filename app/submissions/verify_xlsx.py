"""Reading and checking a submission Excel file written by :mod:`app.submissions.export_xlsx`.

A file passes when the envelope in its hidden sheet is validly signed
(:func:`app.submissions.signing.verify_envelope`) *and* every cell of the printable sheet shows exactly what
:func:`app.submissions.export_xlsx.render_grid` renders from the signed payload: a changed visible cell is as much an
alteration as a changed payload. Hostile files (zip bombs, XML entity tricks, odd member names, broken archives) are
refused before or while openpyxl reads them, always as a :class:`~app.submissions.signing.VerificationError` with a
Chinese message, never a crash.
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from defusedxml import DefusedXmlException

from app.submissions.export_xlsx import (
    FIRST_DATA_ROW,
    HEADER_ROW,
    HIDDEN_SHEET,
    MARKER,
    MARKER_VERSION,
    NCOLS,
    SHEET,
    GridCell,
    PayloadShapeError,
    SheetGrid,
    render_grid,
)
from app.submissions.signing import VerificationError, verify_envelope

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200
RATIO_FLOOR = 64 * 1024  # members smaller than this cannot hurt, whatever their ratio
MAX_MEMBERS = 1000
MAX_CHUNKS = 4000
MIN_ROW_HEIGHT = 8.0
MIN_COLUMN_WIDTH = 2.0
# Parts that put something on the sheet besides its cells: pictures, shapes, notes, controls, charts.
FOREIGN_PARTS = (
    "xl/drawings/",
    "xl/media/",
    "xl/comments",
    "xl/threadedcomments/",
    "xl/embeddings/",
    "xl/activex/",
    "xl/ctrlprops/",
    "xl/charts/",
    "xl/chartsheets/",
    "xl/vbaproject",
)
_DRIVE = re.compile(r"^[A-Za-z]:")


def _unreadable(message: str) -> VerificationError:
    return VerificationError("unreadable", message)


def _altered(message: str) -> VerificationError:
    return VerificationError("altered", message)


# ---------------------------------------------------------------------------------------------- the archive


def read_bytes(path: Path) -> bytes:
    """The file's bytes, read once (so what is checked is what is opened), refusing a file too large."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(f"无法读取文件：{exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise _unreadable(f"文件过大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），不是填报通的报送文件")
    return data


def check_archive(data: bytes) -> list[str]:
    """Refuse what openpyxl should never be handed; the member names of an acceptable archive.

    First from the zip directory alone, before anything is decompressed: member count, declared uncompressed
    sizes and ratios, encryption, and member names that point outside the archive (Python's zipfile never
    inflates a member beyond its declared size, so the declared sizes bound what is read). Then every part is
    scanned for a document type declaration, which no Office part has and every entity trick needs.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            for info in infos:
                if not info.is_dir() and _declares_entities(archive.read(info)):
                    raise _unreadable(f"Excel 文件的部件“{info.filename[:80]}”含有 XML 实体定义（DOCTYPE），已拒绝")
    except VerificationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise _unreadable("不是有效的 Excel 文件（.xlsx）：文件已损坏或格式不对") from exc
    except zlib.error as exc:
        raise _unreadable("Excel 文件已损坏：压缩数据无法解开") from exc
    return [info.filename for info in infos]


def _declares_entities(content: bytes) -> bool:
    """Whether an XML part has a document type declaration: no Office part has one, entity bombs and
    external entities need one."""
    return any(
        marker.encode(encoding) in content
        for marker in ("<!DOCTYPE", "<!ENTITY")
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    )


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if not infos:
        raise _unreadable("不是有效的 Excel 文件（.xlsx）：压缩包是空的")
    if len(infos) > MAX_MEMBERS:
        raise _unreadable(f"Excel 文件内含 {len(infos)} 个部件，过多，已拒绝")
    total = 0
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
            raise _unreadable(f"Excel 文件内含可疑的部件名“{name[:80]}”，已拒绝")
        seen.add(name.lower())
        if info.flag_bits & 0x1:
            raise _unreadable("Excel 文件已加密，无法核验")
        total += info.file_size
        if total > MAX_TOTAL_UNCOMPRESSED:
            raise _unreadable("Excel 文件解压后过大（可能是“压缩炸弹”），已拒绝")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _unreadable(f"Excel 文件内的部件“{name[:80]}”压缩比异常（可能是“压缩炸弹”），已拒绝")


def _load(data: bytes) -> Any:
    """The workbook, read by openpyxl (which uses defusedxml), with every failure mapped to ``unreadable``."""
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), read_only=False, data_only=False, keep_vba=False, keep_links=False)
    except MemoryError as exc:
        raise _unreadable("Excel 文件过大，无法读取") from exc
    except Exception as exc:  # openpyxl raises many kinds on a broken file; none may escape as a crash
        cause: BaseException | None = exc
        while cause is not None:  # openpyxl wraps what the XML parser raised
            if isinstance(cause, DefusedXmlException):
                raise _unreadable("Excel 文件含有不安全的 XML 内容（实体定义），已拒绝") from exc
            cause = cause.__cause__ or cause.__context__
        raise _unreadable(f"Excel 文件已损坏，无法读取（{type(exc).__name__}）") from exc


# ---------------------------------------------------------------------------------------------- the envelope


def _envelope_of(workbook: Any) -> dict[str, Any]:
    if HIDDEN_SHEET not in workbook.sheetnames:
        raise VerificationError("not_tianbao", "这不是填报通导出的报送文件：文件中没有签名数据")
    sheet = workbook[HIDDEN_SHEET]
    if not hasattr(sheet, "cell") or sheet.cell(row=1, column=2).value != MARKER:
        raise VerificationError("not_tianbao", "这不是填报通导出的报送文件：缺少签名数据标记")
    if sheet.cell(row=2, column=2).value != MARKER_VERSION:
        raise VerificationError("not_tianbao", "报送文件的格式版本不受支持，请升级填报通")
    count, length = sheet.cell(row=3, column=2).value, sheet.cell(row=4, column=2).value
    if not (isinstance(count, str) and count.isdigit() and isinstance(length, str) and length.isdigit()):
        raise _altered("文件中的签名数据已损坏或被改动")
    n = int(count)
    if not 1 <= n <= MAX_CHUNKS:
        raise _altered("文件中的签名数据已损坏或被改动")
    pieces = [sheet.cell(row=i, column=1).value for i in range(1, n + 1)]
    if not all(isinstance(p, str) for p in pieces):
        raise _altered("文件中的签名数据已损坏或被改动")
    text = "".join(pieces)
    if len(text) != int(length):
        raise _altered("文件中的签名数据已损坏或被改动（长度不符）")
    try:
        envelope = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _altered("文件中的签名数据已损坏或被改动（无法解析）") from exc
    if not isinstance(envelope, dict):
        raise _altered("文件中的签名数据已损坏或被改动")
    return envelope


def read_envelope_xlsx(path: Path) -> dict[str, Any]:
    """The envelope carried in a submission workbook, not yet verified."""
    data = read_bytes(path)
    check_archive(data)
    workbook = _load(data)
    try:
        return _envelope_of(workbook)
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------- the sheet


def _show(value: Any, limit: int = 40) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _differs(coordinate: str, expected: GridCell, actual: Any) -> VerificationError:
    return _altered(
        f"单元格 {coordinate}（{expected.what}）与签名数据不符："
        f"文件中为“{_show(actual)}”，签名数据为“{_show(expected.text)}”"
    )


def _invisible(cell: Any) -> bool:
    """Text made unreadable by its font: white (explicit or theme background) or tiny."""
    font = cell.font
    if font is None:
        return False
    if font.sz is not None and float(font.sz) < 5:
        return True
    color = font.color
    if color is None:
        return False
    if color.type == "rgb" and isinstance(color.rgb, str) and color.rgb.upper()[-6:] == "FFFFFF":
        return True
    return bool(color.type == "theme" and color.theme == 0)


def _row_hidden(sheet: Any, row: int) -> bool:
    dim = sheet.row_dimensions.get(row)
    default = sheet.sheet_format.defaultRowHeight
    if dim is not None and dim.hidden:
        return True
    height = dim.height if dim is not None and dim.height is not None else default
    return height is not None and float(height) < MIN_ROW_HEIGHT


def check_sheet(workbook: Any, payload: dict[str, Any], names: list[str]) -> None:
    """Refuse a printable sheet that shows anything other than what the payload renders to."""
    from openpyxl.utils import get_column_letter, range_boundaries

    foreign = [n for n in names if n.lower().startswith(FOREIGN_PARTS)]
    if foreign:
        raise _altered(f"报送文件被加入了签名数据以外的内容（图片、批注或控件：{foreign[0]}）")
    visible = [s.title for s in workbook.worksheets if s.sheet_state == "visible"]
    if getattr(workbook, "chartsheets", None) or visible != [SHEET]:
        extra = [t for t in visible if t != SHEET]
        raise _altered(f"报送文件的工作表被改动：{('多了工作表“' + extra[0] + '”') if extra else '缺少工作表“报送表”'}")
    sheet = workbook[SHEET]
    try:
        grid: SheetGrid = render_grid(payload)
    except (PayloadShapeError, ValueError, TypeError, AttributeError) as exc:
        raise VerificationError("not_tianbao", f"报送数据格式不对：{exc}") from exc

    # Every cell: the expected text, as text; nothing anywhere else.
    for (row, col), expected in sorted(grid.cells.items()):
        if expected.kind in ("fill", "version"):
            continue
        cell = sheet.cell(row=row, column=col)
        value = cell.value
        if expected.text == "":
            if value is not None and value != "":
                raise _differs(cell.coordinate, expected, value)
            continue
        if not isinstance(value, str) or cell.data_type != "s" or value != expected.text:
            raise _differs(cell.coordinate, expected, value)
        if cell.number_format != "@":
            raise _altered(f"单元格 {cell.coordinate}（{expected.what}）的显示格式被改动")
        if _invisible(cell):
            raise _altered(f"单元格 {cell.coordinate}（{expected.what}）的文字被设为不可见")
    for (row, col), cell in sheet._cells.items():
        if cell.value is None or cell.value == "":
            continue
        known = grid.cells.get((row, col))
        if known is None:
            where = "表格中" if HEADER_ROW <= row <= grid.last_data_row else ""
            raise _altered(f"单元格 {cell.coordinate} 含有签名数据以外的内容（{where}“{_show(cell.value)}”）")

    # Rows or columns hidden or squeezed so that a figure or an indicator no longer shows.
    if sheet.sheet_format.zeroHeight:
        raise _altered("报送表的行被设为默认隐藏")
    for row in range(1, grid.last_row + 1):
        if _row_hidden(sheet, row):
            where = "表格中" if FIRST_DATA_ROW <= row <= grid.last_data_row else ""
            raise _altered(f"报送表{where}第 {row} 行被隐藏或压扁")
    for dim in sheet.column_dimensions.values():
        low, high = dim.min or 0, dim.max or 0
        if high < 1 or low > NCOLS:
            continue
        if dim.hidden or (dim.customWidth and dim.width is not None and float(dim.width) < MIN_COLUMN_WIDTH):
            raise _altered(f"报送表第 {get_column_letter(max(low, 1))} 列被隐藏或压扁")
    if len(sheet.conditional_formatting):
        raise _altered("报送表被加入了条件格式，显示的内容可能与签名数据不同")
    expected_merges = {(r1, c1, r2, c2) for r1, c1, r2, c2 in grid.merges}
    merges = set()
    for rng in sheet.merged_cells.ranges:
        c1, r1, c2, r2 = range_boundaries(str(rng))
        merges.add((r1, c1, r2, c2))
    if merges != expected_merges:
        odd = sorted(merges ^ expected_merges)[0]
        raise _altered(f"报送表的合并单元格被改动（第 {odd[0]} 行）")
    if sheet.print_area is not None:
        area = f"$A$1:${get_column_letter(NCOLS)}${grid.last_row}"
        areas = str(sheet.print_area).split(",")
        if len(areas) != 1 or areas[0].split("!")[-1] != area:
            raise _altered("报送表的打印区域被改动")
    hf = sheet.HeaderFooter
    if hf.differentFirst or hf.differentOddEven:
        raise _altered("报送表的页眉页脚被改动")
    checks: list[tuple[str, str | None, str | None]] = [
        ("页眉", sheet.oddHeader.left.text, grid.header_left),
        ("页眉", sheet.oddHeader.right.text, grid.header_right),
        ("页眉", sheet.oddHeader.center.text, None),
        ("页脚", sheet.oddFooter.center.text, grid.footer),
        ("页脚", sheet.oddFooter.left.text, None),
        ("页脚", sheet.oddFooter.right.text, None),
    ]
    for what, actual, want in checks:
        if (actual or None) != (want or None):
            raise _altered(f"报送表的{what}与签名数据不符：文件中为“{_show(actual)}”")


# ---------------------------------------------------------------------------------------------- all of it


def verify_xlsx(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The signed payload of a submission workbook that is authentic and untouched, else VerificationError."""
    payload: dict[str, Any] = verified_envelope_xlsx(path, city_ca, at)["payload"]
    return payload


def verified_envelope_xlsx(path: Path, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """The envelope of an authentic, untouched submission workbook (for storing it), else VerificationError."""
    return verified_envelope_xlsx_data(read_bytes(path), city_ca, at)


def verified_envelope_xlsx_data(data: bytes, city_ca: x509.Certificate, at: datetime | None = None) -> dict[str, Any]:
    """As :func:`verified_envelope_xlsx`, for a workbook's bytes (an upload); the unit certificate judged at
    ``at`` (default: now)."""
    if len(data) > MAX_FILE_BYTES:
        raise _unreadable(f"文件过大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），不是填报通的报送文件")
    names = check_archive(data)
    workbook = _load(data)
    try:
        envelope = _envelope_of(workbook)
        payload = verify_envelope(envelope, city_ca, at)
        check_sheet(workbook, payload, names)
        return envelope
    finally:
        workbook.close()


def read_envelope_xlsx_data(data: bytes) -> dict[str, Any]:
    """The envelope carried in a workbook's bytes, not yet verified."""
    if len(data) > MAX_FILE_BYTES:
        raise _unreadable(f"文件过大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），不是填报通的报送文件")
    check_archive(data)
    workbook = _load(data)
    try:
        return _envelope_of(workbook)
    finally:
        workbook.close()
