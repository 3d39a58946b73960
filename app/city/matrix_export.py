"""The completeness matrix as an Excel workbook the city officer can print, sort and chart.

Indicators run down the sheet and units across it, the city's aggregated figure first, so 39 indicators × 11
districts fit an A4 landscape page. Each figure is a number cell formatted to its indicator's decimals and filled
with its status colour (the same colours as the form and the signed files); a legend, each unit's submission
state and, when the template dates the period, its 按时 / 逾期 N 天 / 未报 with 按时报送率 head the sheet. This is a
working copy for analysis, not a signed document: the city report is the one to hand on.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.city.completeness import Matrix, UnitRow
from app.engine.calendar import TIMELINESS_COLORS
from app.engine.numbers import quantize
from app.engine.progress import STATUS_COLORS, STATUS_LABELS, Status
from app.storage.files import write_atomic

SUBMISSION_LABELS = {"draft": "填报中", "locked": "已锁定", "returned": "已退回", None: "未报送"}
FONT_NAME = "Microsoft YaHei"
FIRST_UNIT_COLUMN = 5  # A 指标代码, B 指标, C 计量单位, D 汇总规则
RULE_LABELS = {
    "sum": "求和",
    "ratio": "分子分母分别求和",
    "formula": "按公式重算",
    "max": "取最大",
    "min": "取最小",
    "none": "市级自填",
}


def _argb(colour: str) -> str:
    """``#c8ecd2`` → ``FFC8ECD2``: opaque, as Excel writes colours."""
    return "FF" + colour.lstrip("#").upper()


def _number_format(decimals: int) -> str:
    return "0" if decimals <= 0 else "0." + "0" * decimals


def _submission(row: UnitRow) -> str:
    if row.aggregated:
        return "汇总"
    text = SUBMISSION_LABELS.get(row.submission_status, row.submission_status or "")
    return f"{text} 第{row.revision}版" if row.revision and row.submission_status else text


def matrix_xlsx(matrix: Matrix, app_version: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "完成情况"
    header, state = 6, 7
    _head(sheet, matrix, app_version, header, state)
    # With a calendar for the period, each unit's 按时 / 逾期 N 天 / 未报 under its submission state.
    heads = _timeliness(sheet, matrix, header, state + 1) if matrix.timeliness else state
    last_row = _figures(sheet, matrix, first_row=heads + 1)
    _finish(sheet, matrix, header, heads, last_row)
    workbook.properties.creator = f"填报通 Tianbao {app_version}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _font(bold: bool | None = None, size: float = 9, color: str | None = None) -> Any:
    from openpyxl.styles import Font

    return Font(name=FONT_NAME, size=size, bold=bold, color=color)


def _center() -> Any:
    from openpyxl.styles import Alignment

    return Alignment(horizontal="center", vertical="center", wrap_text=True)


def _put(sheet: Any, r: int, c: int, value: object, style: Any = None, align: Any = None) -> None:
    cell = sheet.cell(row=r, column=c, value=value)
    cell.font = style if style is not None else _font()
    if align is not None:
        cell.alignment = align


def _head(sheet: Any, matrix: Matrix, app_version: str, header: int, state: int) -> None:
    """Title, summary, legend, the column headers (one per unit) and each unit's submission state."""
    from openpyxl.styles import PatternFill

    font, bold, center = _font(), _font(bold=True), _center()
    demo = "（演示数据）" if matrix.spec.demo else ""
    _put(sheet, 1, 1, f"{matrix.spec.name} {matrix.period.label} 各单位指标完成情况{demo}", _font(True, 14))
    _put(sheet, 2, 1, matrix.summary, _font(size=10, color="1D4F91"))
    _put(
        sheet,
        3,
        1,
        f"单元格颜色表示完成状态，空白为未填报或不考核。程序版本：填报通 {app_version}。本表为工作底稿，不含签名。",
    )
    _put(sheet, 4, FIRST_UNIT_COLUMN - 1, "图例", bold, center)
    for i, shown in enumerate(Status):
        background = _argb(STATUS_COLORS[shown][0])
        cell = sheet.cell(row=4, column=FIRST_UNIT_COLUMN + i, value=STATUS_LABELS[shown])
        cell.font, cell.alignment = font, center
        cell.fill = PatternFill("solid", fgColor=background)
    for c, text in enumerate(("指标代码", "指标", "计量单位", "汇总规则"), start=1):
        _put(sheet, header, c, text, bold, center)
        _put(sheet, state, c, "报送情况" if c == 2 else "", bold, center)
    for j, row in enumerate(matrix.rows):
        _put(sheet, header, FIRST_UNIT_COLUMN + j, row.name, bold, center)
        _put(sheet, state, FIRST_UNIT_COLUMN + j, _submission(row), font, center)
        if row.missing:
            missing = PatternFill("solid", fgColor=_argb(STATUS_COLORS[Status.BEHIND][0]))
            sheet.cell(row=state, column=FIRST_UNIT_COLUMN + j).fill = missing


def _timeliness(sheet: Any, matrix: Matrix, header: int, row: int) -> int:
    """The sentence with 按时报送率 above the table, and the row of each unit's timeliness; that row."""
    from openpyxl.styles import PatternFill

    summary = matrix.timeliness_summary
    assert summary is not None
    _put(sheet, header - 1, 1, f"报送及时情况（以市级收到报送的时间为准）：{summary.sentence}", _font(True, 10))
    _put(sheet, row, 2, "报送及时", _font(bold=True), _center())
    for c in (1, 3, 4):
        _put(sheet, row, c, "", _font(bold=True), _center())
    for j, unit in enumerate(matrix.rows):
        judged = matrix.timeliness.get(unit.code)
        text = f"按时报送率 {summary.on_time_rate}%" if unit.aggregated and summary.on_time_rate is not None else ""
        if judged is not None:
            text = judged.label
        _put(sheet, row, FIRST_UNIT_COLUMN + j, text, _font(), _center())
        if judged is not None:
            background = _argb(TIMELINESS_COLORS[judged.timeliness][0])
            sheet.cell(row=row, column=FIRST_UNIT_COLUMN + j).fill = PatternFill("solid", fgColor=background)
    return row


def _figures(sheet: Any, matrix: Matrix, first_row: int) -> int:
    """One row per indicator from ``first_row``: each unit's figure in its status colour; the last row."""
    from openpyxl.styles import Alignment, PatternFill

    font, bold, center = _font(), _font(bold=True), _center()
    for i, ind in enumerate(matrix.indicators):
        r = first_row + i
        _put(sheet, r, 1, ind.code)
        _put(sheet, r, 2, ind.name)
        _put(sheet, r, 3, ind.unit, font, center)
        _put(sheet, r, 4, RULE_LABELS.get(ind.aggregation, ind.aggregation), font, center)
        for j, row in enumerate(matrix.rows):
            value: Decimal | None = row.values.get(ind.code)
            status = row.statuses.get(ind.code)
            cell = sheet.cell(row=r, column=FIRST_UNIT_COLUMN + j)
            if value is not None:
                # The figure as the form shows it, rounded to its decimals, as a number Excel can sum and chart
                # (a few decimals, well within a double).
                cell.value = float(quantize(value, ind.decimals))
                cell.number_format = _number_format(ind.decimals)
            cell.font = bold if row.aggregated else font
            cell.alignment = Alignment(horizontal="right", vertical="center")
            if status is not None:
                cell.fill = PatternFill("solid", fgColor=_argb(STATUS_COLORS[status][0]))
    return first_row + len(matrix.indicators) - 1


def _finish(sheet: Any, matrix: Matrix, header: int, state: int, last_row: int) -> None:
    """Borders round the table, widths, frozen headers and printing: A4 landscape, one page wide."""
    from openpyxl.styles import Border, Side
    from openpyxl.utils import get_column_letter

    last_column = FIRST_UNIT_COLUMN + len(matrix.rows) - 1
    thin = Side(style="thin", color="BFBFBF")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for line in sheet.iter_rows(min_row=header, max_row=last_row, min_col=1, max_col=last_column):
        for cell in line:
            cell.border = border
    widths = {1: 8, 2: 34, 3: 10, 4: 12}
    for c in range(1, last_column + 1):
        sheet.column_dimensions[get_column_letter(c)].width = widths.get(c, 10)
    sheet.row_dimensions[header].height = 30
    sheet.freeze_panes = sheet.cell(row=state + 1, column=FIRST_UNIT_COLUMN)
    sheet.print_title_rows = f"{header}:{state}"
    sheet.print_title_cols = "A:B"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"


def write_matrix_xlsx(matrix: Matrix, path: Path, app_version: str) -> None:
    """Write the workbook atomically (temp name, then rename)."""
    write_atomic(path, matrix_xlsx(matrix, app_version))
