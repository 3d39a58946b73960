"""The submission Excel file: a printable sheet drawn from the signed payload, with the envelope inside.

Everything on the sheet "报送表" is rendered from the envelope's payload by :func:`render_grid`, so what is shown and
printed is what was signed. The same function gives the verifier (``app.submissions.verify_xlsx``) the texts every
cell must hold, so any visible change of a cell is detected on import. The envelope itself travels in the
``veryHidden`` sheet "tianbao" as its canonical JSON, split into chunks (a cell holds at most 32,767 characters).

Sheet protection and the hidden sheet only deter casual edits; integrity comes from the signature alone. See
``docs/submission-format.md`` ("In the Excel file").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from app.engine.periods import Period
from app.engine.progress import STATUS_COLORS, STATUS_LABELS, Status
from app.memo import remembered_if_short
from app.storage.files import write_atomic
from app.submissions.rows import indicator_rows, status_of, timeliness_part, timeliness_rows, unassessed
from app.submissions.signing import ENVELOPE_FORMAT, PAYLOAD_FORMAT, beijing_time, payload_hash
from app.trust.canonical import canonical_text

SHEET = "报送表"
HIDDEN_SHEET = "tianbao"
MARKER = "tianbao-envelope-xlsx"
MARKER_VERSION = "1"
CHUNK = 30_000
FONT_NAME = "Microsoft YaHei"

# (header, width in Excel character units, horizontal alignment)
COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("序号", 5, "center"),
    ("指标代码", 8, "center"),
    ("指标", 26, "left"),
    ("单位", 8, "center"),
    ("分子", 10, "right"),
    ("分母", 10, "right"),
    ("本期值", 9, "right"),
    ("目标", 9, "right"),
    ("预期进度值", 11, "right"),
    ("完成率", 8, "right"),
    ("状态", 9, "center"),
    ("情况说明", 38, "left"),
)
NCOLS = len(COLUMNS)
HEADER_ROW = 6
FIRST_DATA_ROW = HEADER_ROW + 1
# The longest text a cell shows; the full text is always in the signed payload.
MAX_CELL_TEXT = 32_000

# (background, text) per status: the program's own colours, as Excel writes them (no “#”).
STATUS_COLOURS = {s: (bg.lstrip("#").upper(), fg.lstrip("#").upper()) for s, (bg, fg) in STATUS_COLORS.items()}

# Characters XML 1.0 cannot carry (openpyxl refuses them) and the carriage return, which Excel rewrites.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class PayloadShapeError(ValueError):
    """A payload whose structure cannot be rendered (not what Tianbao signs)."""


class GridCell(NamedTuple):
    """The text one cell must show, and what it is (for messages and styling).

    ``kind``: title, meta_strong, meta, demo, version (program version, not signed), header, data, summary, label, fill
    (a blank to be filled in by hand: neither signed nor checked).

    A named tuple, not a frozen dataclass: the verifier makes some 500 of these for every workbook it checks, and a
    frozen dataclass takes more than twice as long to make.
    """

    text: str
    what: str
    kind: str
    column: int = 0  # table column (1-based) for data cells
    status: str | None = None


@dataclass
class SheetGrid:
    """Everything the printable sheet shows, as texts at positions: the single source for writer and verifier."""

    cells: dict[tuple[int, int], GridCell] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    heights: dict[int, float] = field(default_factory=dict)
    last_data_row: int = HEADER_ROW
    last_row: int = HEADER_ROW
    header_left: str = ""
    header_right: str = ""
    footer: str = "第 &P 页 共 &N 页"
    # The indicator table's rows as placed whole (their cells are in ``cells`` too), so the renderer can write a
    # row at once and remember its XML from file to file.
    whole_rows: dict[int, tuple[GridCell, ...]] = field(default_factory=dict)

    def put(self, row: int, col: int, cell: GridCell, to_col: int | None = None) -> None:
        self.whole_rows.pop(row, None)  # a row with another cell is no longer the row as placed
        self.cells[(row, col)] = cell
        if to_col is not None and to_col > col:
            self.merges.append((row, col, row, to_col))


# ---------------------------------------------------------------------------------------------- texts


def clean(value: Any) -> str:
    """The display text of a payload value: what a cell can hold and keeps unchanged through Excel."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    # Printable text holds none of the characters replaced below: most texts are, and are taken as they are.
    if text.isprintable() and len(text) <= MAX_CELL_TEXT:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _UNSAFE.sub("\ufffd", text)
    if len(text) > MAX_CELL_TEXT:
        text = text[: MAX_CELL_TEXT - 12] + "…（全文见签名数据）"
    return text


def period_label(period: Any) -> str:
    try:
        return Period.parse(str(period)).label
    except ValueError:
        return clean(period)


def signed_at_label(signed_at: Any) -> str:
    """The signing time in Beijing time: the same text on every machine, whatever its time zone."""
    shown = beijing_time(str(signed_at))
    return clean(signed_at) if shown is None else shown


def status_label(status: Any) -> str:
    if status is None:
        return ""
    known = status_of(status)
    return clean(status) if known is None else STATUS_LABELS[known]


def _char_units(ch: str) -> float:
    units = _CHAR_UNITS[ch] = 1.9 if unicodedata.east_asian_width(ch) in "WF" else 1.05
    return units


# Each character's width, looked up once: the verifier re-renders every sheet it checks.
_CHAR_UNITS: dict[str, float] = {}


def _units(text: str) -> float:
    """Approximate width of ``text`` in Excel character units (a CJK character is about two)."""
    known = _CHAR_UNITS
    return sum(known.get(ch) or _char_units(ch) for ch in text)


# The verifier renders every file it checks again, and the files of one import share most of their texts (the
# catalog's names and units, a district's figures from one revision to the next). What depends on short texts
# alone is remembered: a bounded number of cells' texts (MEMO) and of rows (MEMO_ROWS), each of bounded length
# (MEMO_TEXT), so hostile files can neither grow the memory (some 30 MB at most, escaping included) nor do more
# than push older texts out. Files come in order of unit and period, so a few hundred rows cover the forms at hand.
MEMO, MEMO_ROWS, MEMO_TEXT = 4096, 1024, 256


@remembered_if_short(MEMO, lambda text, width: len(text), MEMO_TEXT)
def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide."""
    usable = max(1.0, width - 1.2)
    if 2 * len(text) <= usable and "\n" not in text:
        return 1  # no character is 2 units wide: one line, whatever the rounding of the sum
    return sum(max(1, math.ceil(_units(part) / usable)) for part in text.split("\n")) if text else 1


def _height(lines: int, line: float = 14.0, pad: float = 6.0, least: float = 20.0) -> float:
    return min(409.0, max(least, lines * line + pad))


# Excel rows are at most 409 points high: 28 lines of 14 points. A longer explanation is shown in full in notes
# under the table, which span the sheet's whole width.
ROW_LINES = 28
MAX_NOTE_ROWS = 12


def _fitting(text: str, width: float, suffix: str = "") -> int:
    """How many leading characters of ``text``, followed by ``suffix``, wrap to at most ROW_LINES lines."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if _lines(text[:mid] + suffix, width) <= ROW_LINES:
            low = mid
        else:
            high = mid - 1
    return low


def _note_chunks(text: str, width: float) -> list[str]:
    """``text`` cut into pieces that each fit one row ``width`` units wide; the last piece may point to the
    signed data when even MAX_NOTE_ROWS rows are not enough."""
    chunks: list[str] = []
    rest = text
    while rest:
        if len(chunks) == MAX_NOTE_ROWS - 1 and _lines(rest, width) > ROW_LINES:
            tail = "…（全文见签名数据）"
            chunks.append(rest[: _fitting(rest, width, tail)] + tail)
            break
        n = max(1, _fitting(rest, width))
        chunks.append(rest[:n])
        rest = rest[n:]
    return chunks


def _field(mapping: Any, key: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise PayloadShapeError(f"报送数据缺少“{key}”")
    return mapping.get(key)


def _header_text(text: str) -> str:
    # "&" starts a code in Excel page headers; a full-width one prints the same.
    return text.replace("&", "＆")


# ---------------------------------------------------------------------------------------------- the grid


def render_grid(payload: Mapping[str, Any], app_version: str | None = None, digest: str | None = None) -> SheetGrid:
    """The texts of the printable sheet, rendered only from ``payload``.

    Used by the writer to fill the sheet and by the verifier to know what each cell must show. ``app_version``
    is not signed: the verifier passes ``None`` and does not check that cell. ``digest`` is the payload's hash
    when the caller has it already.
    """
    if not isinstance(payload, Mapping) or payload.get("format") != PAYLOAD_FORMAT:
        raise PayloadShapeError("不是填报通的报送数据")
    indicators = payload.get("indicators")
    counts = payload.get("counts")
    if not isinstance(indicators, list) or not all(isinstance(i, Mapping) for i in indicators):
        raise PayloadShapeError("报送数据的指标列表格式不对")
    if not isinstance(counts, Mapping):
        raise PayloadShapeError("报送数据的统计格式不对")
    grid = SheetGrid()
    digest = digest or payload_hash(dict(payload))
    unit_name, unit_code, label, submission_id = _heading(grid, payload, app_version, digest)
    notes = _indicator_table(grid, indicators)
    row = _closing(grid, payload, counts, indicators, notes)
    row = _timeliness_table(grid, payload, row)
    _signature_block(grid, row)
    grid.header_left = _header_text(f"{unit_name}（{unit_code}）　{label}")
    grid.header_right = _header_text(f"报送编号：{submission_id}")
    return grid


WIDTHS = [w for _, w, _ in COLUMNS]
TOTAL_WIDTH = sum(WIDTHS)


def _heading(
    grid: SheetGrid, payload: Mapping[str, Any], app_version: str | None, digest: str
) -> tuple[str, str, str, str]:
    """Rows 1–5 (title and the signed facts) and the table header; the unit name, unit code, period label and
    submission id, which the page header repeats."""
    catalog = payload.get("catalog")
    unit = payload.get("unit")
    signer = payload.get("signer")
    catalog_name = clean(_field(catalog, "name"))
    demo = bool(_field(catalog, "demo"))
    unit_name, unit_code = clean(_field(unit, "name")), clean(_field(unit, "code"))
    label = period_label(payload.get("period"))
    submission_id = clean(payload.get("submission_id"))
    grid.put(1, 1, GridCell(f"{catalog_name}指标完成情况报送表", "标题", "title"), NCOLS)
    grid.heights[1] = _height(_lines(grid.cells[(1, 1)].text, TOTAL_WIDTH / 1.6), line=24, least=32)
    grid.put(
        2,
        1,
        GridCell(
            f"填报单位：{unit_name}（{unit_code}）　　报告期：{label}　　版次：第 {clean(payload.get('revision'))} 版",
            "填报单位和报告期",
            "meta_strong",
        ),
        NCOLS - 2,
    )
    grid.put(2, NCOLS - 1, GridCell("演示数据" if demo else "", "演示数据标记", "demo"), NCOLS)
    grid.heights[2] = 22
    grid.put(
        3,
        1,
        GridCell(
            f"报送编号：{submission_id}　　签名时间：{signed_at_label(payload.get('signed_at'))}"
            f"　　签名人：{clean(_field(signer, 'user'))}",
            "报送编号和签名时间",
            "meta",
        ),
        NCOLS,
    )
    grid.put(4, 1, GridCell(f"签名证书指纹：{clean(_field(signer, 'fingerprint'))}", "签名证书指纹", "meta"), 7)
    grid.put(4, 8, GridCell(f"程序版本：填报通 {app_version}" if app_version else "", "程序版本", "version"), NCOLS)
    grid.put(5, 1, GridCell(f"数据摘要（SHA-256）：{digest}", "数据摘要", "meta"), NCOLS)
    for row in (3, 4, 5):
        grid.heights[row] = 16
    for col, (header, _, _) in enumerate(COLUMNS, start=1):
        grid.put(HEADER_ROW, col, GridCell(header, f"表头“{header}”", "header"))
    grid.heights[HEADER_ROW] = _height(max(_lines(h, w) for h, w, _ in COLUMNS), least=24)
    return unit_name, unit_code, label, submission_id


def _indicator_table(grid: SheetGrid, indicators: list[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """One row per indicator; the (short name, full explanation) of each explanation too long for its row, to be
    shown under the table."""
    row = FIRST_DATA_ROW
    notes: list[tuple[str, str]] = []
    explanation_width = COLUMNS[-1][1]
    for line in indicator_rows(indicators, clean):
        texts = line.texts(status_label(line.status_key), with_code=True)
        short = line.name if len(line.name) <= 30 else line.name[:29] + "…"
        explanation = texts[-1]
        if _lines(explanation, explanation_width) > ROW_LINES:
            notes.append((short, explanation))
            pointer = f"…（全文见表后附注 {len(notes)}）"
            texts[-1] = explanation[: _fitting(explanation, explanation_width, pointer)] + pointer
        status = None if line.status_key is None else str(line.status_key)
        cells, grid.heights[row] = _table_row(tuple(texts), short, status)
        # put() without its merge: a table cell spans one column
        grid.cells.update(zip(_row_keys(row), cells, strict=True))
        grid.whole_rows[row] = cells
        row += 1
    grid.last_data_row = row - 1
    return notes


@remembered_if_short(MEMO_ROWS, lambda texts, short, status: sum(map(len, texts)), 2 * MEMO_TEXT)
def _table_row(texts: tuple[str, ...], short: str, status: str | None) -> tuple[tuple[GridCell, ...], float]:
    """The cells of one indicator's row of the table, and the row's height."""
    cells = tuple(
        GridCell(text, f"{header}，{short}", "data", col, status if col == 11 else None)
        for col, (text, (header, _, _)) in enumerate(zip(texts, COLUMNS, strict=True), start=1)
    )
    return cells, _height(max(map(_lines, texts, WIDTHS)))


@lru_cache(maxsize=MEMO_ROWS)
def _row_keys(row: int) -> tuple[tuple[int, int], ...]:
    """The grid keys of the cells of a table row."""
    return tuple((row, col) for col in range(1, len(COLUMNS) + 1))


def _closing(
    grid: SheetGrid,
    payload: Mapping[str, Any],
    counts: Mapping[str, Any],
    indicators: list[Mapping[str, Any]],
    notes: list[tuple[str, str]],
) -> int:
    """The summary sentence, the status counts and the notes under the table; the row after them."""
    row = grid.last_data_row + 2  # a blank row under the table
    summary = f"情况汇总：{clean(payload.get('summary'))}"
    grid.put(row, 1, GridCell(summary, "情况汇总", "summary"), NCOLS)
    grid.heights[row] = _height(_lines(summary, TOTAL_WIDTH))
    row += 1
    parts = []
    for status in Status:
        n = counts.get(status.value)
        if n:
            parts.append(f"{STATUS_LABELS[status]} {clean(n)} 项")
    not_assessed = unassessed(indicators)
    line = f"考核指标统计：{'，'.join(parts) if parts else '无'}"
    if not_assessed:
        line += f"；另有 {not_assessed} 项基础数据不考核"
    grid.put(row, 1, GridCell(line, "考核指标统计", "summary"), NCOLS)
    grid.heights[row] = _height(_lines(line, TOTAL_WIDTH))
    row += 1
    for n, (short, explanation) in enumerate(notes, start=1):
        for part, chunk in enumerate(_note_chunks(f"附注 {n}（{short}）情况说明：{explanation}", TOTAL_WIDTH)):
            where = f"情况说明附注 {n}，{short}" + (f"，第 {part + 1} 段" if part else "")
            grid.put(row, 1, GridCell(chunk, where, "summary"), NCOLS)
            grid.heights[row] = _height(_lines(chunk, TOTAL_WIDTH))
            row += 1
    return row + 1


# The city report's timeliness table lies over the indicator table's columns: 序号, 单位代码 (指标代码), 单位 (指标),
# 收到时间 across 单位 … 完成率, and the verdict in the 状态 column, in the status style of the same colours.
RECEIVED_FIRST, RECEIVED_LAST, VERDICT_COLUMN = 4, 10, 11
STYLE_OF_COLOURS = {colours: status.value for status, colours in STATUS_COLORS.items()}


def _timeliness_table(grid: SheetGrid, payload: Mapping[str, Any], row: int) -> int:
    """A city report's 报送及时情况 from ``row``: the sentence, then one row per unit; the row after it (``row``
    itself when the payload has none)."""
    part = timeliness_part(payload)
    if part is None:
        return row
    units = part.get("units")
    if not isinstance(units, list) or not all(isinstance(u, Mapping) for u in units):
        raise PayloadShapeError("报送数据的报送及时情况格式不对")
    line = f"报送及时情况（以市级收到报送的时间为准）：{clean(part.get('sentence'))}"
    grid.put(row, 1, GridCell(line, "报送及时情况", "summary"), NCOLS)
    grid.heights[row] = _height(_lines(line, TOTAL_WIDTH))
    row += 1
    headers = ((1, "序号"), (2, "单位代码"), (3, "单位"), (RECEIVED_FIRST, "收到时间"), (VERDICT_COLUMN, "报送情况"))
    for col, header in headers:
        to_col = RECEIVED_LAST if col == RECEIVED_FIRST else None
        grid.put(row, col, GridCell(header, f"报送及时情况表头“{header}”", "header"), to_col)
    grid.heights[row] = 20
    row += 1
    for line_ in timeliness_rows(units, clean):
        colours = line_.colours
        style = None if colours is None else STYLE_OF_COLOURS.get(colours)
        cells = (
            (1, str(line_.number), None),
            (2, line_.code, None),
            (3, line_.name, None),
            (RECEIVED_FIRST, line_.received, None),
            (VERDICT_COLUMN, line_.verdict, style),
        )
        for col, text, status in cells:
            to_col = RECEIVED_LAST if col == RECEIVED_FIRST else None
            where = f"报送及时情况，{line_.name}"
            grid.put(row, col, GridCell(text, where, "data", column=col, status=status), to_col)
        grid.heights[row] = _height(_lines(line_.name, COLUMNS[2][1]))
        row += 1
    return row + 1


def _signature_block(grid: SheetGrid, row: int) -> None:
    """The signature block from ``row``: labels are fixed, the blanks beside them are filled in by hand (or typed
    before printing: those cells are left unlocked and are not checked)."""
    grid.put(row, 2, GridCell("填报人：", "签名栏", "label"), 3)
    grid.put(row, 4, GridCell("", "填报人签名", "fill"), 5)
    grid.put(row, 6, GridCell("审核人：", "签名栏", "label"), 7)
    grid.put(row, 8, GridCell("", "审核人签名", "fill"), 9)
    grid.put(row, 10, GridCell("单位负责人：", "签名栏", "label"), 11)
    grid.put(row, 12, GridCell("", "单位负责人签名", "fill"))
    grid.heights[row] = 30
    row += 1
    grid.put(row, 2, GridCell("日期：", "签名栏", "label"), 3)
    grid.put(row, 4, GridCell("", "日期", "fill"), 5)
    grid.put(row, 10, GridCell("（盖章）", "签名栏", "label"), 11)
    grid.put(row, 12, GridCell("", "盖章处", "fill"))
    grid.heights[row] = 30
    grid.last_row = row


# ---------------------------------------------------------------------------------------------- the envelope


def envelope_text(envelope: Mapping[str, Any], payload_text: str | None = None) -> str:
    """The canonical JSON of the envelope, as carried in the hidden sheet. ``payload_text``: the canonical JSON of
    its payload, when the caller has it; the envelope's is then made around it, as json writes an object (its
    members in the order of their names, each written as it would be alone)."""
    if payload_text is None:
        return canonical_text(envelope)
    members = (
        f"{canonical_text(name)}:{payload_text if name == 'payload' else canonical_text(envelope[name])}"
        for name in sorted(envelope)
    )
    return "{" + ",".join(members) + "}"


def chunks(text: str, size: int = CHUNK) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


# ---------------------------------------------------------------------------------------------- writing


def write_submission_xlsx(envelope: dict[str, Any], path: Path, app_version: str) -> None:
    """Write the submission workbook of ``envelope`` to ``path`` (atomically)."""
    write_atomic(Path(path), submission_xlsx_bytes(envelope, app_version))


def submission_xlsx_bytes(envelope: Mapping[str, Any], app_version: str) -> bytes:
    """The workbook of ``envelope``: always the same bytes for the same envelope and program version."""
    from app.submissions.xlsx_parts import render_parts, zip_parts

    if not isinstance(envelope, Mapping) or envelope.get("format") != ENVELOPE_FORMAT:
        raise ValueError("不是填报通的签名报送数据")
    payload = envelope.get("payload")
    if not isinstance(payload, Mapping):
        raise ValueError("签名报送数据缺少内容")
    return zip_parts(render_parts(envelope, app_version))
