"""A unit's figures for one period as a sheet the clerk fills in with Excel and imports again.

The columns are those :mod:`app.sheets.values_import` reads (指标代码, 本期值, 分子, 分母, 情况说明) plus
columns it ignores that tell the clerk what each row is (指标, 计量单位, 目标, 填写方式). Rows follow the form.
Numbers are written as exact decimal text: in the .xlsx as text cells, so Excel neither rounds a long figure nor
drops a trailing zero; in the .csv as they are, UTF-8 with a BOM so that Excel on Chinese Windows opens it without
garbling.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from app.engine.numbers import to_text
from app.engine.selfcheck import CheckResult, IndicatorCheck
from app.storage.files import write_atomic

HEADER = ("指标代码", "指标", "计量单位", "目标", "本期值", "分子", "分母", "情况说明", "填写方式")
# Cells Excel would read as a formula (CSV injection) get a leading apostrophe, which keeps them text; so does
# text that already starts with one, so that the import can remove exactly one apostrophe and get the text back.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def as_text_cell(text: str) -> str:
    """Clerk or template text, made safe to open in a spreadsheet (undone by :func:`from_text_cell`)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def from_text_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def _number(value: Decimal | None) -> str:
    return to_text(value) or ""


# Columns (1-based) of the figures a row takes: 本期值, or 分子 and 分母; 情况说明 is open on every row.
VALUE_COLUMNS, RATIO_COLUMNS, EXPLANATION_COLUMN = (5,), (6, 7), 8


def _inputs(result: CheckResult, ic: IndicatorCheck) -> tuple[int, ...]:
    """The figure columns the clerk fills in on this indicator's row (none for a computed figure)."""
    if not result.catalog.entered_at(ic.spec, result.unit.code):
        return ()
    return RATIO_COLUMNS if ic.spec.kind == "ratio" else VALUE_COLUMNS


def _how(result: CheckResult, ic: IndicatorCheck) -> str:
    inputs = _inputs(result, ic)
    if inputs:
        return "填分子和分母" if inputs == RATIO_COLUMNS else "填本期值"
    return "自动计算，只填情况说明" if ic.spec.kind == "derived" else "由下级单位汇总，只填情况说明"


def rows(result: CheckResult) -> list[list[str]]:
    """The header and one row per indicator of the form, in the form's order."""
    out = [list(HEADER)]
    for ic in result.indicators:
        ind, entry = ic.spec, ic.entry
        inputs = _inputs(result, ic)
        out.append(
            [
                ind.code,
                as_text_cell(ind.name),
                as_text_cell(ind.unit),
                _number(ic.progress.target),
                _number(entry.value) if inputs == VALUE_COLUMNS else "",
                _number(entry.numerator) if inputs == RATIO_COLUMNS else "",
                _number(entry.denominator) if inputs == RATIO_COLUMNS else "",
                as_text_cell(entry.explanation),
                _how(result, ic),
            ]
        )
    return out


def values_csv(result: CheckResult) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows(result))
    return buffer.getvalue().encode("utf-8-sig")


def values_xlsx(result: CheckResult) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    period = result.period.label
    sheet.title = "填报数值"
    data = rows(result)
    for row in data:
        sheet.append(row)
    # Every cell is text ("@"): what the clerk types stays exactly as typed, as the import expects.
    for row in sheet.iter_rows():
        for cell in row:
            cell.number_format = "@"
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    input_fill = PatternFill("solid", fgColor="FFF2CC")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    for r, ic in enumerate(result.indicators, start=2):
        for c in (*_inputs(result, ic), EXPLANATION_COLUMN):
            sheet.cell(row=r, column=c).fill = input_fill
        sheet.cell(row=r, column=EXPLANATION_COLUMN).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGHI", (10, 42, 12, 12, 14, 14, 14, 48, 24), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "C2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.oddHeader.center.text = f"{result.unit.name} {period} 填报数值"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_values(result: CheckResult, path: Path) -> None:
    """Write the sheet as .xlsx or, for any other suffix, as CSV; atomically (temp name, then rename)."""
    data = values_xlsx(result) if path.suffix.lower() == ".xlsx" else values_csv(result)
    write_atomic(path, data)
