"""The parts of the submission workbook, written as bytes by this program alone: the same envelope and program
version always give the same parts, byte for byte.

That is what lets the verifier compare a file with what this program writes for its payload instead of judging
what some other program made of it (``app.submissions.verify_xlsx``). No part depends on the time of writing,
the machine or a library version: the creation time is the signing time, the zip entries carry a fixed date, and
the XML is written here rather than by a spreadsheet library.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from app.engine.progress import Status
from app.memo import remembered_if_short
from app.submissions.export_xlsx import (
    COLUMNS,
    FIRST_DATA_ROW,
    FONT_NAME,
    HEADER_ROW,
    HIDDEN_SHEET,
    MARKER,
    MARKER_VERSION,
    MEMO,
    MEMO_ROWS,
    MEMO_TEXT,
    NCOLS,
    SHEET,
    STATUS_COLOURS,
    GridCell,
    SheetGrid,
    chunks,
    envelope_text,
    render_grid,
)
from app.submissions.xml_escape import escape

VISIBLE_PART = "xl/worksheets/sheet1.xml"
HIDDEN_PART = "xl/worksheets/sheet2.xml"
CORE_PART = "docProps/core.xml"
APP_PART = "docProps/app.xml"
PART_NAMES = (
    "[Content_Types].xml",
    "_rels/.rels",
    APP_PART,
    CORE_PART,
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    VISIBLE_PART,
    HIDDEN_PART,
)
APPLICATION = "填报通 Tianbao"
CREATOR = re.compile(r"<dc:creator>填报通 Tianbao ([0-9A-Za-z.+-]{1,32})</dc:creator>")
VERSION = re.compile(r"^[0-9A-Za-z.+-]{1,32}\Z")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Excel reads "_x0041_" in a text as an escaped character; a literal one is written with its "_" escaped. Every
# such "_" is, even one that closes the sequence before it ("_x0041_x0041_"): Excel reads left to right.
_EXCEL_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


def text_xml(text: str) -> str:
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub("_x005F_", text)
    # Most texts have nothing to escape; escape() would copy each three times.
    return escape(text) if "&" in text or "<" in text or ">" in text else text


# ---------------------------------------------------------------------------------------------- styles

_FONTS: list[tuple[int, bool, str | None]] = [(11, False, None)]  # (size, bold, colour)
_FILLS: list[str | None] = [None, None]  # the two fills every workbook starts with
_BORDERS = ["box", "underline"]
# cellXfs: name -> (font, fill, border, horizontal, vertical, wrap, unlocked)
_XFS: dict[str, tuple[int, int, int, str, str, bool, bool]] = {}


def _font(size: int, bold: bool = False, colour: str | None = None) -> int:
    _FONTS.append((size, bold, colour))
    return len(_FONTS) - 1


def _fill(colour: str) -> int:
    _FILLS.append(colour)
    return len(_FILLS) - 1


def _define_styles() -> None:
    data = _font(10)
    meta = _font(9, colour="404040")
    big = _font(11)
    _XFS["title"] = (_font(16, True), 0, 0, "center", "center", True, False)
    _XFS["meta_strong"] = (_font(11, True), 0, 0, "left", "center", False, False)
    _XFS["demo"] = (_font(11, True, "B3261E"), 0, 0, "right", "center", False, False)
    _XFS["meta"] = (meta, 0, 0, "left", "center", False, False)
    _XFS["version"] = (meta, 0, 0, "right", "center", False, False)
    _XFS["header"] = (_font(10, True, "1F2D3D"), _fill("D9E1F2"), 1, "center", "center", True, False)
    for align in ("center", "left", "right"):
        _XFS[f"data_{align}"] = (data, 0, 1, align, "center", True, False)
    for status in Status:
        background, foreground = STATUS_COLOURS[status]
        _XFS[f"status_{status.value}"] = (
            _font(10, True, foreground),
            _fill(background),
            1,
            "center",
            "center",
            True,
            False,
        )
    _XFS["summary"] = (data, 0, 0, "left", "center", True, False)
    _XFS["label"] = (big, 0, 0, "right", "bottom", False, False)
    _XFS["fill"] = (big, 0, 2, "center", "bottom", False, True)


_define_styles()
# Every style again with Excel's quote prefix, for text that begins like a formula.
_XF_INDEX = {name: i + 1 for i, name in enumerate(_XFS)}
_QUOTED = len(_XFS)


def _styles_xml() -> str:
    fonts = "".join(
        f'<font>{"<b/>" if bold else ""}<sz val="{size}"/>'
        f'<color rgb="FF{colour or "000000"}"/><name val="{FONT_NAME if i else "Calibri"}"/></font>'
        for i, (size, bold, colour) in enumerate(_FONTS)
    )
    fills = '<fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>' + "".join(
        f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/><bgColor indexed="64"/></patternFill></fill>'
        for c in _FILLS[2:]
    )
    thin = '<{0} style="thin"><color rgb="FF808080"/></{0}>'
    borders = (
        "<border><left/><right/><top/><bottom/><diagonal/></border>"
        f"<border>{''.join(thin.format(side) for side in ('left', 'right', 'top', 'bottom'))}<diagonal/></border>"
        '<border><left/><right/><top/><bottom style="thin"><color rgb="FF000000"/></bottom><diagonal/></border>'
    )
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
    for quoted in (False, True):
        for font, fill, border, horizontal, vertical, wrap, unlocked in _XFS.values():
            flags = ' applyProtection="1"' if unlocked else ""
            flags += ' quotePrefix="1"' if quoted else ""
            wrapping = ' wrapText="1"' if wrap else ""
            protection = '<protection locked="0"/>' if unlocked else ""
            xfs.append(
                f'<xf numFmtId="49" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                f' applyNumberFormat="1" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"{flags}>'
                f'<alignment horizontal="{horizontal}" vertical="{vertical}"{wrapping}/>{protection}</xf>'
            )
    return (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        f'<fonts count="{len(_FONTS)}">{fonts}</fonts><fills count="{len(_FILLS)}">{fills}</fills>'
        f'<borders count="3">{borders}</borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
    )


STYLES_XML = _styles_xml().encode("utf-8")


_STATUS_KEYS = frozenset(s.value for s in Status)


@lru_cache(maxsize=256)
def _style_index(kind: str, column: int, status: str | None) -> int:
    """The cellXfs index of a cell of ``kind`` (in table ``column``, with ``status``)."""
    if kind == "data":
        if column == 11 and status in _STATUS_KEYS:
            return _XF_INDEX[f"status_{status}"]
        return _XF_INDEX[f"data_{COLUMNS[column - 1][2]}"]
    return _XF_INDEX[kind]


def _xf(cell: GridCell) -> int:
    index = _style_index(cell.kind, cell.column, cell.status)
    return index + _QUOTED if cell.text[:1] in ("=", "+", "-", "@") else index


# ---------------------------------------------------------------------------------------------- the sheets


def _letter(col: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[col - 1]


def _number(value: float) -> str:
    return f"{value:g}"


# The verifier renders every file again and most cells recur from file to file (see export_xlsx.MEMO).
@remembered_if_short(MEMO, lambda row, col, text, style: len(text), MEMO_TEXT)
def _cell_xml(row: int, col: int, text: str, style: int | None) -> str:
    s = f' s="{style}"' if style is not None else ""
    ref = f"{_letter(col)}{row}"
    if not text:
        return f'<c r="{ref}"{s}/>'
    # Excel drops blanks at either end of a text and may fold line breaks unless told to keep them. (str.strip()
    # strips exactly what str.isspace() calls blank.)
    keep = ""
    if text[0].isspace() or text[-1].isspace() or "\n" in text or "\t" in text:
        keep = ' xml:space="preserve"'
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{keep}>{text_xml(text)}</t></is></c>'


def _sheet_data(grid: SheetGrid) -> str:
    whole = grid.whole_rows
    cells: dict[int, dict[int, str]] = {}
    for (r, c), cell in grid.cells.items():
        if r not in whole:
            cells.setdefault(r, {})[c] = _cell_xml(r, c, cell.text, _xf(cell))
    for r1, c1, _, c2 in grid.merges:
        first = grid.cells[(r1, c1)]
        # A merged blank or table cell is drawn with the borders of every cell it covers.
        if first.kind in ("fill", "data", "header"):
            tail = _style_index(first.kind, first.column, first.status)
            for c in range(c1 + 1, c2 + 1):
                cells[r1][c] = _cell_xml(r1, c, "", tail)
    rows = []
    for r in sorted(set(cells) | set(grid.heights) | set(whole)):
        if r in whole:
            rows.append(_whole_row(r, grid.heights.get(r), whole[r]))
        else:
            row = cells.get(r, {})
            rows.append(_row_xml(r, grid.heights.get(r), "".join(row[c] for c in sorted(row))))
    return "".join(rows)


def _row_xml(r: int, height: float | None, body: str) -> str:
    attrs = f' ht="{_number(height)}" customHeight="1"' if height is not None else ""
    return f'<row r="{r}"{attrs}>{body}</row>'


@remembered_if_short(MEMO_ROWS, lambda r, height, cells: sum(len(cell.text) for cell in cells), 2 * MEMO_TEXT)
def _whole_row(r: int, height: float | None, cells: tuple[GridCell, ...]) -> str:
    """A row placed whole (columns 1, 2, …), as the general way above writes it."""
    return _row_xml(r, height, "".join(_cell_xml(r, c, cell.text, _xf(cell)) for c, cell in enumerate(cells, 1)))


_PROTECTION = (
    '<sheetProtection sheet="1" objects="1" scenarios="1" formatCells="1" formatColumns="1" formatRows="1"'
    ' insertColumns="1" insertRows="1" insertHyperlinks="1" deleteColumns="1" deleteRows="1" sort="1"'
    ' autoFilter="1" pivotTables="1"/>'
)


def _visible_sheet(grid: SheetGrid) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_number(width)}" customWidth="1"/>'
        for i, (_, width, _) in enumerate(COLUMNS, start=1)
    )
    merges = "".join(f'<mergeCell ref="{_letter(c1)}{r1}:{_letter(c2)}{r2}"/>' for r1, c1, r2, c2 in grid.merges)
    header = text_xml(f"&L{grid.header_left}&R{grid.header_right}")
    footer = text_xml(f"&C{grid.footer}")
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<dimension ref="A1:{_letter(NCOLS)}{grid.last_row}"/>'
        '<sheetViews><sheetView showGridLines="0" tabSelected="1" workbookViewId="0">'
        f'<pane ySplit="{HEADER_ROW}" topLeftCell="A{FIRST_DATA_ROW}" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A1" sqref="A1"/></sheetView></sheetViews>'
        '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>'
        f"<cols>{cols}</cols><sheetData>{_sheet_data(grid)}</sheetData>{_PROTECTION}"
        f'<mergeCells count="{len(grid.merges)}">{merges}</mergeCells>'
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" fitToWidth="1" fitToHeight="0" orientation="landscape"/>'
        f"<headerFooter><oddHeader>{header}</oddHeader><oddFooter>{footer}</oddFooter></headerFooter>"
        "</worksheet>"
    )


def _hidden_sheet(envelope: Mapping[str, Any], payload_text: str | None = None) -> str:
    parts = chunks(envelope_text(envelope, payload_text))
    marks = (MARKER, MARKER_VERSION, str(len(parts)), str(sum(map(len, parts))))
    rows = []
    for r in range(1, max(len(parts), len(marks)) + 1):
        body = _cell_xml(r, 1, parts[r - 1], None) if r <= len(parts) else ""
        body += _cell_xml(r, 2, marks[r - 1], None) if r <= len(marks) else ""
        rows.append(f'<row r="{r}">{body}</row>')
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<dimension ref="A1:B{len(rows)}"/><sheetData>{"".join(rows)}</sheetData>{_PROTECTION}'
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>'
    )


# ---------------------------------------------------------------------------------------------- the package


def _content_types() -> str:
    sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = [
        ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        ("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"),
        (f"/{VISIBLE_PART}", sheet),
        (f"/{HIDDEN_PART}", sheet),
        (f"/{CORE_PART}", "application/vnd.openxmlformats-package.core-properties+xml"),
        (f"/{APP_PART}", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
    ]
    return (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
        + "</Types>"
    )


def _relationships(targets: list[tuple[str, str]]) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{kind}" Target="{target}"/>' for i, (kind, target) in enumerate(targets, 1)
    )
    return f'{_XML}<Relationships xmlns="{_PKG_REL}">{rels}</Relationships>'


def _workbook(grid: SheetGrid) -> str:
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
        '<workbookProtection lockStructure="1"/>'
        '<bookViews><workbookView activeTab="0"/></bookViews>'
        f'<sheets><sheet name="{SHEET}" sheetId="1" r:id="rId1"/>'
        f'<sheet name="{HIDDEN_SHEET}" sheetId="2" state="veryHidden" r:id="rId2"/></sheets>'
        "<definedNames>"
        f'<definedName name="_xlnm.Print_Titles" localSheetId="0">\'{SHEET}\'!${HEADER_ROW}:${HEADER_ROW}</definedName>'
        f'<definedName name="_xlnm.Print_Area" localSheetId="0">\'{SHEET}\'!$A$1:${_letter(NCOLS)}${grid.last_row}'
        "</definedName></definedNames></workbook>"
    )


def _created(signed_at: Any) -> str:
    try:
        when = dt.datetime.fromisoformat(str(signed_at).replace("Z", "+00:00"))
    except ValueError:
        return "1980-01-01T00:00:00Z"
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _core(grid: SheetGrid, app_version: str, signed_at: Any) -> str:
    when = _created(signed_at)
    return (
        f"{_XML}<cp:coreProperties"
        ' xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{text_xml(grid.cells[(1, 1)].text)}</dc:title><dc:creator>{APPLICATION} {app_version}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>'
    )


def _app() -> str:
    return (
        f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        f"<Application>{APPLICATION}</Application><DocSecurity>0</DocSecurity></Properties>"
    )


def render_parts(
    envelope: Mapping[str, Any], app_version: str, digest: str | None = None, payload_text: str | None = None
) -> dict[str, bytes]:
    """Every part of the submission workbook of ``envelope``, in archive order (``digest``: the payload's hash, and
    ``payload_text``: its canonical JSON, when the caller has them)."""
    if not VERSION.match(app_version):
        raise ValueError(f"程序版本“{app_version[:40]}”格式不对")
    payload = envelope["payload"]
    grid = render_grid(payload, app_version, digest)
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    texts = {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _relationships(
            [
                (f"{office}/officeDocument", "xl/workbook.xml"),
                ("http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties", CORE_PART),
                (f"{office}/extended-properties", APP_PART),
            ]
        ),
        APP_PART: _app(),
        CORE_PART: _core(grid, app_version, payload.get("signed_at")),
        "xl/workbook.xml": _workbook(grid),
        "xl/_rels/workbook.xml.rels": _relationships(
            [
                (f"{office}/worksheet", "worksheets/sheet1.xml"),
                (f"{office}/worksheet", "worksheets/sheet2.xml"),
                (f"{office}/styles", "styles.xml"),
            ]
        ),
        VISIBLE_PART: _visible_sheet(grid),
        HIDDEN_PART: _hidden_sheet(envelope, payload_text),
    }
    parts = {name: STYLES_XML if name == "xl/styles.xml" else texts[name].encode("utf-8") for name in PART_NAMES}
    return parts


def zip_parts(parts: Mapping[str, bytes]) -> bytes:
    """The archive of ``parts``: fixed order, fixed dates, deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, content, compresslevel=6)
    return buffer.getvalue()
