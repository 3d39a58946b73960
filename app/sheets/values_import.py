"""Importing a clerk's own spreadsheet of values (CSV or .xlsx) into one unit and period.

Columns: ``code`` (指标代码), ``value`` (数值) or ``numerator`` (分子) and ``denominator`` (分母), and
``explanation`` (情况说明); English or Chinese headers. Every row is checked first; if any row is wrong, the
messages name each row and nothing from the file is saved.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from app.engine.catalog import CatalogSpec, IndicatorSpec
from app.engine.numbers import NumberError
from app.engine.periods import Period
from app.sheets.textenc import EncodingError, decode, looks_garbled
from app.sheets.values_export import from_text_cell
from app.storage.db import Database
from app.storage.store import MAX_EXPLANATION, Change, EntryError, apply_changes, parse_input

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 20000
MAX_UNZIPPED = 200 * 1024 * 1024
MAX_CELLS = 400_000

HEADERS = {
    "code": ("code", "指标代码", "代码", "编码"),
    "value": ("value", "数值", "本期值", "值"),
    "numerator": ("numerator", "分子"),
    "denominator": ("denominator", "分母"),
    "explanation": ("explanation", "情况说明", "说明"),
}


class ValuesImportError(ValueError):
    """The file cannot be imported; ``problems`` names each row that is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source, self.problems = source, problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  …另有 {len(problems) - 50} 处问题" if len(problems) > 50 else ""
        super().__init__(f"文件 {source} 未导入，任何数据都没有保存：\n{shown}{more}")


@dataclass(frozen=True)
class ImportResult:
    rows: int
    changed: int
    encoding: str


def read_rows(path: Path) -> tuple[list[list[str]], str]:
    """The file's rows as text cells, and the encoding it was read with."""
    source = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValuesImportError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    if size > MAX_BYTES:
        raise ValuesImportError(source, [f"文件过大（{size} 字节），上限 {MAX_BYTES // 1048576} MB"])
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path), "xlsx"
    if suffix not in (".csv", ".txt"):
        raise ValuesImportError(source, [f"不支持的文件类型 {suffix or '（无扩展名）'}，请使用 .csv 或 .xlsx"])
    try:
        text, encoding = decode(path.read_bytes())
    except EncodingError as exc:
        raise ValuesImportError(source, [str(exc)]) from exc
    except OSError as exc:  # a folder, or a file another program holds locked
        raise ValuesImportError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise ValuesImportError(source, [f"CSV 格式错误：{exc}"]) from exc
    return rows, encoding


def _read_xlsx(path: Path) -> list[list[str]]:
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
            if total > MAX_UNZIPPED:
                raise ValuesImportError(source, [f"Excel 文件解压后过大（{total} 字节），拒绝读取"])
            for info in archive.infolist():
                if info.filename.startswith(("/", "\\")) or ".." in info.filename.split("/"):
                    raise ValuesImportError(source, [f"Excel 文件内含非法路径 {info.filename}"])
    except zipfile.BadZipFile as exc:
        raise ValuesImportError(source, ["不是有效的 .xlsx 文件（无法作为 zip 打开）"]) from exc
    except OSError as exc:
        raise ValuesImportError(source, [f"无法读取文件：{exc.strerror or exc}"]) from exc
    import openpyxl

    # The file is ours to close: openpyxl leaves it open when it fails part way through.
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for broken files; all mean “unreadable”.
            raise _unreadable(source, exc) from exc
        try:
            sheet = workbook.worksheets[0]
            # The sheet's declared size is not trusted: a tiny file can declare column XFD and make openpyxl pad
            # every row to 16,384 cells. Without it, rows hold only the cells that are there.
            sheet.reset_dimensions()
            rows: list[list[str]] = []
            cells = 0
            # In read-only mode the sheet's XML is parsed while iterating, so a broken sheet fails here.
            for row in sheet.iter_rows():
                if len(rows) >= MAX_ROWS:
                    raise ValuesImportError(source, [f"行数超过 {MAX_ROWS}，请检查文件"])
                cells += len(row)
                if cells > MAX_CELLS:
                    raise ValuesImportError(source, [f"单元格超过 {MAX_CELLS} 个，请只保留指标代码、数值和说明几列"])
                rows.append([_cell_text(c.value, getattr(c, "number_format", "")) for c in row])
            return rows
        except ValuesImportError:
            raise
        except Exception as exc:
            raise _unreadable(source, exc) from exc
        finally:
            workbook.close()


def _unreadable(source: str, exc: BaseException) -> ValuesImportError:
    # openpyxl wraps the parser's error (e.g. defusedxml's EntitiesForbidden) in a ValueError: name the root.
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return ValuesImportError(source, [f"无法读取 Excel 文件（文件损坏或含有不安全的内容）：{type(exc).__name__}"])


def _cell_text(v: object, number_format: str = "") -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        # Excel keeps numbers as binary doubles; repr is the shortest text that gives the same double,
        # which is what the clerk typed — written without an exponent (5e-05 → 0.00005), as the cell shows it.
        number = Decimal(repr(v))
        if "%" in (number_format or ""):
            number = number.scaleb(2)  # a cell formatted as 60% holds 0.6; the clerk typed and sees 60
        text = format(number, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    return str(v)


def _columns(header: list[str], source: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.strip().lower()
        for field, names in HEADERS.items():
            if key in names and field not in found:
                found[field] = i
    if "code" not in found:
        raise ValuesImportError(source, [f"第 1 行缺少指标代码列（code / 指标代码），表头是：{'、'.join(header)}"])
    if not ({"value", "numerator", "denominator", "explanation"} & found.keys()):
        raise ValuesImportError(source, ["第 1 行缺少数值列（value / 数值，或 numerator、denominator）"])
    return found


def parse_changes(catalog: CatalogSpec, rows: list[list[str]], source: str) -> list[Change]:
    """Check every row and turn the file into changes; raise :class:`ValuesImportError` naming bad rows."""
    if not rows:
        raise ValuesImportError(source, ["文件是空的"])
    if len(rows) > MAX_ROWS:
        raise ValuesImportError(source, [f"行数超过 {MAX_ROWS}，请检查文件"])
    cols = _columns(rows[0], source)
    problems: list[str] = []
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):

        def cell(field: str, row: list[str] = row) -> str | None:
            i = cols.get(field)
            if i is None:
                return None
            return row[i].strip() if i < len(row) else ""

        code = cell("code") or ""
        if not any(c.strip() for c in row):
            continue
        if looks_garbled("".join(row)):
            problems.append(f"第 {number} 行：内容疑似乱码（编码转换出错），请用原文件重新导出")
            continue
        ind = catalog.by_code.get(code)
        if ind is None:
            problems.append(f"第 {number} 行：未知的指标代码“{code}”")
            continue
        if code in seen:
            problems.append(f"第 {number} 行：指标 {code} 与第 {seen[code]} 行重复")
            continue
        seen[code] = number
        # A blank cell leaves the stored figure alone: importing a half-filled sheet must not wipe what was
        # typed in the form. Clearing a figure is done in the form.
        fields: dict[str, Decimal | str | None] = {}
        try:
            if ind.kind == "derived":
                if cell("value"):
                    raise EntryError(f"{ind.name}是计算型指标，由公式计算，不应填写数值")
            elif ind.kind == "ratio":
                if cell("value") and not (cell("numerator") or cell("denominator")):
                    raise EntryError(f"{ind.name}是比率型指标，请填写分子和分母，而不是百分比")
                for part in ("numerator", "denominator"):
                    if cell(part):
                        fields[part] = _figure(ind, part, cell(part))
            elif cell("value"):
                fields["value"] = _figure(ind, "value", cell("value"))
        except (NumberError, EntryError) as exc:
            problems.append(f"第 {number} 行（{code}）：{exc}")
            continue
        explanation = cell("explanation")
        if explanation:
            explanation = from_text_cell(explanation)  # the apostrophe the export put before formula-like text
        if explanation:
            if len(explanation) > MAX_EXPLANATION:
                problems.append(f"第 {number} 行（{code}）：情况说明超过 {MAX_EXPLANATION} 字")
                continue
            fields["explanation"] = explanation
        if fields:  # a row left blank (a fill-in sheet's untouched row) has nothing to save
            changes.append(Change(code, **fields))  # type: ignore[arg-type]
    if problems:
        raise ValuesImportError(source, problems)
    return changes


def _figure(ind: IndicatorSpec, field: str, text: str | None) -> Decimal | None:
    # A plus sign before a sign is no number: lenient parsing drops a leading "+" and would read "+-1" as −1.
    if text is not None and text.startswith("+") and text[1:2] in ("+", "-", "－"):
        raise NumberError(f"“{text}”不是有效数字")
    return parse_input(ind, field, text)


def import_values(
    session: Session,
    catalog: CatalogSpec,
    unit_code: str,
    period: Period,
    path: Path,
    user: str | None = None,
) -> ImportResult:
    """Import a values file into the unit's open revision, all or nothing within the caller's transaction."""
    source = str(path)
    rows, encoding = read_rows(path)
    changes = parse_changes(catalog, rows, source)
    try:
        changed = apply_changes(session, catalog, unit_code, period, changes, user, action="import")
    except EntryError as exc:
        raise ValuesImportError(source, [str(exc)]) from exc
    return ImportResult(len(changes), changed, encoding)


def import_values_file(
    db: Database, catalog: CatalogSpec, unit_code: str, period: Period, path: Path, user: str | None = None
) -> ImportResult:
    """:func:`import_values` in a transaction of its own: the file's values are saved together or not at all."""
    with db.transaction() as session:
        return import_values(session, catalog, unit_code, period, path, user)
