"""Values import: CSV in any encoding clerks produce and .xlsx give the same stored values; bad rows are all named
by row number and nothing of a refused file is saved; hostile files are refused with a message, never a crash."""

from __future__ import annotations

import csv
import io
import random
import struct
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from app.engine.catalog import CatalogSpec
from app.engine.numbers import to_text
from app.engine.periods import Period
from app.sheets import values_import
from app.sheets.values_import import ImportResult, ValuesImportError, import_values
from app.storage.db import Database
from app.storage.models import AuditEntry, Submission, Value
from app.storage.store import load_entries
from tests.app.helpers import store_template
from tests.app.sample_templates import D1, document, indicator, ratio

PERIOD = "2023Q2"
CN_HEADER = ["指标代码", "数值", "分子", "分母", "情况说明"]
EN_HEADER = ["code", "value", "numerator", "denominator", "explanation"]
DELAY = "受疫情影响，项目推迟至三季度开工。"
SCOPE = "统计口径调整，按住建部门核定数据填报。"
# (code, value, numerator, denominator, explanation) as a clerk keeps them
GOOD_ROWS = [
    ["A", "12.5", "", "", DELAY],
    ["B", "", "30.25", "40", SCOPE],
    ["C", "7", "", "", ""],
]
GOOD_STORED = {
    "A": ("12.5", None, None, DELAY),
    "B": (None, "30.25", "40", SCOPE),
    "C": ("7", None, None, ""),
}
Stored = dict[str, tuple[str | None, str | None, str | None, str]]


@pytest.fixture
def spec(db: Database, tmp_path: Path) -> CatalogSpec:
    inds = [
        indicator("A", decimals=2),
        ratio("B"),
        indicator("C"),
        indicator("G", decimals=1),
        indicator("H"),
        indicator("K"),
        indicator("F", kind="derived", aggregation="formula", accumulation="level", formula="A * 2"),
        ratio("P"),
    ]
    return store_template(db, document(inds), tmp_path)


def stored(db: Database) -> Stored:
    with db.session() as session:
        entries = load_entries(session, D1, Period.parse(PERIOD))
    return {
        code: (to_text(e.value), to_text(e.numerator), to_text(e.denominator), e.explanation)
        for code, e in entries.items()
    }


def counts(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        submissions, values, audit = (
            int(session.scalar(select(func.count()).select_from(m)) or 0) for m in (Submission, Value, AuditEntry)
        )
    return submissions, values, audit


def run_import(db: Database, spec: CatalogSpec, path: Path) -> ImportResult:
    with db.transaction() as session:
        return import_values(session, spec, D1, Period.parse(PERIOD), path, user="测试")


def refused(db: Database, spec: CatalogSpec, path: Path) -> ValuesImportError:
    before, before_counts = stored(db), counts(db)
    with pytest.raises(ValuesImportError) as info:
        run_import(db, spec, path)
    assert stored(db) == before, "a refused file must not change any value"
    assert counts(db) == before_counts, "a refused file must not leave submissions, values or audit rows"
    assert "未导入" in str(info.value)
    return info.value


def csv_bytes(rows: list[list[str]], encoding: str, header: list[str] = CN_HEADER, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def xlsx_file(path: Path, rows: Sequence[Sequence[object]], header: list[str] = CN_HEADER) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append([None if cell == "" else cell for cell in row])
    workbook.save(path)
    return path


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- the same values from every kind of file

NUMERIC_ROWS: list[list[object]] = [["A", 12.5, "", "", DELAY], ["B", "", 30.25, 40, SCOPE], ["C", 7, "", "", ""]]


def _csv(encoding: str, header: list[str] = CN_HEADER, delimiter: str = ",") -> Callable[[Path], Path]:
    return lambda tmp: write(tmp, "values.csv", csv_bytes(GOOD_ROWS, encoding, header, delimiter))


WRITERS: list[tuple[str, Callable[[Path], Path], str]] = [
    ("utf-8", _csv("utf-8"), "UTF-8"),
    ("utf-8 with BOM", _csv("utf-8-sig"), "UTF-8 (BOM)"),
    ("gbk", _csv("gbk"), "GB18030"),
    ("gb18030", _csv("gb18030"), "GB18030"),
    ("utf-16 (Excel “Unicode text”)", _csv("utf-16"), "UTF-16"),
    ("english headers", _csv("utf-8", header=EN_HEADER), "UTF-8"),
    ("semicolons", _csv("utf-8", delimiter=";"), "UTF-8"),
    ("tabs in a .txt", lambda tmp: write(tmp, "values.txt", csv_bytes(GOOD_ROWS, "gbk", delimiter="\t")), "GB18030"),
    ("xlsx, numeric cells", lambda tmp: xlsx_file(tmp / "values.xlsx", NUMERIC_ROWS), "xlsx"),
    ("xlsx, text cells", lambda tmp: xlsx_file(tmp / "values.xlsx", GOOD_ROWS), "xlsx"),
]


@pytest.mark.parametrize(("make", "encoding"), [(m, e) for _, m, e in WRITERS], ids=[w[0] for w in WRITERS])
def test_every_file_kind_stores_the_same_exact_values(
    db: Database, spec: CatalogSpec, tmp_path: Path, make: Callable[[Path], Path], encoding: str
) -> None:
    result = run_import(db, spec, make(tmp_path))
    assert result == ImportResult(rows=3, changed=6, encoding=encoding)
    assert stored(db) == GOOD_STORED


def test_values_are_stored_as_exact_text(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    rows = [["A", "123456.78", "", "", ""], ["B", "", "0.10", "3", ""]]
    run_import(db, spec, write(tmp_path, "v.csv", csv_bytes(rows, "utf-8")))
    with db.engine.connect() as conn:
        raw = set(conn.exec_driver_sql("SELECT value, numerator, denominator FROM submission_values").all())
    assert raw == {("123456.78", None, None), (None, "0.10", "3")}


def test_a_second_import_of_the_same_file_changes_nothing(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    path = write(tmp_path, "v.csv", csv_bytes(GOOD_ROWS, "gbk"))
    run_import(db, spec, path)
    audit = counts(db)[2]
    assert run_import(db, spec, path).changed == 0
    assert counts(db)[2] == audit


def test_each_imported_field_has_an_audit_row(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    run_import(db, spec, write(tmp_path, "v.csv", csv_bytes(GOOD_ROWS, "utf-8")))
    with db.session() as session:
        rows = session.execute(
            select(AuditEntry.indicator_code, AuditEntry.field, AuditEntry.new, AuditEntry.user).where(
                AuditEntry.action == "import"
            )
        ).all()
    assert sorted(rows) == sorted(
        [
            ("A", "value", "12.5", "测试"),
            ("A", "explanation", DELAY, "测试"),
            ("B", "numerator", "30.25", "测试"),
            ("B", "denominator", "40", "测试"),
            ("B", "explanation", SCOPE, "测试"),
            ("C", "value", "7", "测试"),
        ]
    )


def test_chinese_commas_in_explanations_do_not_split_columns(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    rows = [
        ["A", "1", "", "", "一，二，三"],
        ["C", "2", "", "", "四，五，六"],
        ["G", "3", "", "", "七，八，九"],
        ["H", "4", "", "", "十，十一，十二"],
    ]
    run_import(db, spec, write(tmp_path, "v.csv", csv_bytes(rows, "gbk")))
    assert stored(db)["H"] == ("4", None, None, "十，十一，十二")


def test_numbers_as_clerks_type_them(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    rows = [
        ["A", "1,234.50", "", "", ""],
        ["C", "１２", "", "", ""],
        ["G", " -3.5 ", "", "", ""],
        ["H", "", "", "", ""],
    ]
    run_import(db, spec, write(tmp_path, "v.csv", csv_bytes(rows, "utf-8")))
    values = {code: v[0] for code, v in stored(db).items()}
    assert values == {"A": "1234.50", "C": "12", "G": "-3.5"}  # H's blank row saves nothing


def test_xlsx_numbers_are_read_as_the_cell_shows_them(db: Database, tmp_path: Path) -> None:
    spec = store_template(
        db, document([indicator("A", decimals=6), indicator("C"), indicator("G", decimals=2)]), tmp_path
    )
    path = xlsx_file(tmp_path / "v.xlsx", [["A", 0.00005, "", "", ""], ["C", 1e16, "", "", ""], ["G", 0.1, "", "", ""]])
    run_import(db, spec, path)
    assert {code: v[0] for code, v in stored(db).items()} == {"A": "0.00005", "C": "10000000000000000", "G": "0.1"}


# ---------------------------------------------------------------- mojibake never enters the database


MOJIBAKE = [
    ("utf-8 read as gbk, with replacement", "中文说明".encode().decode("gbk", errors="replace")),
    ("utf-8 read as gbk, cleanly", "情况说明".encode().decode("gbk")),
    ("锟斤拷", "数据来源：锟斤拷锟斤拷"),
    ("gbk read as latin-1", DELAY.encode("gbk").decode("latin-1")),
    ("utf-8 read as latin-1", DELAY.encode().decode("latin-1")),
]


@pytest.mark.parametrize("garbled", [m for _, m in MOJIBAKE], ids=[m[0] for m in MOJIBAKE])
def test_mojibake_is_refused_and_does_not_enter_the_database(
    db: Database, spec: CatalogSpec, tmp_path: Path, garbled: str
) -> None:
    run_import(db, spec, write(tmp_path, "first.csv", csv_bytes(GOOD_ROWS, "utf-8")))
    rows = [["C", "9", "", "", ""], ["A", "13", "", "", garbled]]
    error = refused(db, spec, write(tmp_path, "garbled.csv", csv_bytes(rows, "utf-8")))
    assert error.problems == ["第 3 行：内容疑似乱码（编码转换出错），请用原文件重新导出"]
    assert stored(db) == GOOD_STORED


def test_mojibake_in_an_xlsx_cell_is_refused(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    garbled = DELAY.encode().decode("gbk", errors="replace")
    error = refused(db, spec, xlsx_file(tmp_path / "v.xlsx", [["A", 1, "", "", garbled]]))
    assert "第 2 行" in str(error) and "乱码" in str(error)


# ---------------------------------------------------------------- bad rows: all named, nothing saved


def test_every_bad_row_is_named_by_number_and_nothing_is_saved(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    run_import(db, spec, write(tmp_path, "first.csv", csv_bytes(GOOD_ROWS, "utf-8")))
    rows = [
        ["ZZ", "1", "", "", ""],  # 2 unknown code
        ["A", "12,3.4", "", "", ""],  # 3 not a number: a comma that groups nothing
        ["C", "abc", "", "", ""],  # 4
        ["G", "1e5", "", "", ""],  # 5 exponent
        ["H", "1.5", "", "", ""],  # 6 H has no decimals
        ["K", "1", "", "", ""],  # 7 fine
        ["K", "2", "", "", ""],  # 8 duplicate of row 7
        ["F", "5", "", "", ""],  # 9 derived
        ["B", "75", "", "", ""],  # 10 a percentage for a ratio
        ["P", "", "1.234", "5", ""],  # 11 numerator with 3 decimals
        ["P", "", "", "", "x" * 2001],  # 12 duplicate and too long (duplicate wins)
    ]
    error = refused(db, spec, write(tmp_path, "bad.csv", csv_bytes(rows, "utf-8")))
    by_row = {int(p.split(" ")[1]): p for p in error.problems}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert "ZZ" in by_row[2]
    assert "12,3.4" in by_row[3]
    assert "abc" in by_row[4]
    assert "1e5" in by_row[5]
    assert "1.5" in by_row[6] and "整数" in by_row[6]
    assert "第 7 行" in by_row[8]
    assert "计算型" in by_row[9]
    assert "分子和分母" in by_row[10]
    assert "1.234" in by_row[11] and "分子" in by_row[11]
    assert stored(db) == GOOD_STORED


def test_an_overlong_explanation_is_named_by_row(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    error = refused(db, spec, write(tmp_path, "v.csv", csv_bytes([["C", "1", "", "", "说" * 2001]], "utf-8")))
    assert error.problems == ["第 2 行（C）：情况说明超过 2000 字"]


def test_row_numbers_count_blank_lines(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    data = "指标代码,数值\r\nA,1\r\n\r\n,\r\nC,x\r\n".encode()
    error = refused(db, spec, write(tmp_path, "v.csv", data))
    assert len(error.problems) == 1 and error.problems[0].startswith("第 5 行")


def test_a_file_without_code_or_value_columns_is_refused(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    no_code = refused(db, spec, write(tmp_path, "a.csv", "名称,数值\r\nA,1\r\n".encode()))
    assert "第 1 行缺少指标代码列" in str(no_code)
    no_value = refused(db, spec, write(tmp_path, "b.csv", "指标代码,备注\r\nA,1\r\n".encode()))
    assert "第 1 行缺少数值列" in str(no_value)


# ---------------------------------------------------------------- hostile files


def _good_xlsx(tmp_path: Path) -> Path:
    return xlsx_file(tmp_path / "good.xlsx", NUMERIC_ROWS)


def rezip(src: Path, dst: Path, replace: dict[str, bytes] | None = None, extra: dict[str, bytes] | None = None) -> Path:
    replace, extra = replace or {}, extra or {}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in extra.items():
            zout.writestr(zipfile.ZipInfo(name), data)
    return dst


def _sheet_xml(tmp_path: Path) -> str:
    with zipfile.ZipFile(_good_xlsx(tmp_path)) as archive:
        return archive.read("xl/worksheets/sheet1.xml").decode("utf-8")


LAUGHS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY l0 "lol">'
    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 6))
    + "]>\n"
)


def _billion_laughs(tmp_path: Path) -> Path:
    sheet = _sheet_xml(tmp_path).split("?>", 1)[-1]
    sheet = sheet.replace(
        "</sheetData>", '<row r="9"><c r="E9" t="inlineStr"><is><t>&l5;</t></is></c></row></sheetData>'
    )
    return rezip(
        _good_xlsx(tmp_path), tmp_path / "laughs.xlsx", {"xl/worksheets/sheet1.xml": (LAUGHS + sheet).encode()}
    )


def _external_entity(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    head = f'<?xml version="1.0"?>\n<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file://{secret}">]>\n'
    sheet = _sheet_xml(tmp_path).split("?>", 1)[-1].replace(">A<", ">&x;<", 1)
    return rezip(_good_xlsx(tmp_path), tmp_path / "xxe.xlsx", {"xl/worksheets/sheet1.xml": (head + sheet).encode()})


def _laughs_in_properties(tmp_path: Path) -> Path:
    with zipfile.ZipFile(_good_xlsx(tmp_path)) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8").split("?>", 1)[-1]
    data = (LAUGHS.replace("worksheet", "cp:coreProperties") + core.replace("openpyxl", "&l5;", 1)).encode()
    return rezip(_good_xlsx(tmp_path), tmp_path / "props.xlsx", {"docProps/core.xml": data})


def _truncated_sheet(tmp_path: Path) -> Path:
    sheet = _sheet_xml(tmp_path)
    cut = sheet[: sheet.index("<sheetData>") + 60].encode()
    return rezip(_good_xlsx(tmp_path), tmp_path / "cut.xlsx", {"xl/worksheets/sheet1.xml": cut})


def _forged_size(tmp_path: Path) -> Path:
    """A zip whose directory declares a member of ~4 GB (what a zip bomb looks like before it is opened)."""
    path = _good_xlsx(tmp_path)
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # first central directory entry; its uncompressed size is at offset 24
    data[entry + 24 : entry + 28] = struct.pack("<I", 0xF000_0000)
    return write(tmp_path, "bomb.xlsx", bytes(data))


def _member(name: str) -> Callable[[Path], Path]:
    return lambda tmp: rezip(_good_xlsx(tmp), tmp / "member.xlsx", extra={name: b"x"})


def _random_bytes(name: str, seed: int = 20231012) -> Callable[[Path], Path]:
    return lambda tmp: write(tmp, name, random.Random(seed).randbytes(64 * 1024))


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _zip_not_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "这不是 Excel 文件")
    return path


HOSTILE: list[tuple[str, Callable[[Path], Path], str]] = [
    (".xlsx that is not a zip", lambda tmp: write(tmp, "v.xlsx", "指标代码,数值\nA,1\n".encode()), "无法作为 zip 打开"),
    (
        ".xlsx cut in half",
        lambda tmp: write(tmp, "v.xlsx", _good_xlsx(tmp).read_bytes()[:1500]),
        "无法作为 zip 打开",
    ),
    ("empty .xlsx", lambda tmp: write(tmp, "v.xlsx", b""), "无法作为 zip 打开"),
    ("zip bomb (declared size)", _forged_size, "解压后过大"),
    ("billion laughs in the sheet", _billion_laughs, "不安全的内容"),
    ("billion laughs in the properties", _laughs_in_properties, "不安全的内容"),
    ("external entity", _external_entity, "不安全的内容"),
    ("truncated sheet XML", _truncated_sheet, "无法读取 Excel 文件"),
    ("zip that is no workbook", _zip_not_workbook, "无法读取 Excel 文件"),
    ("path traversal member", _member("../../evil.xml"), "非法路径 ../../evil.xml"),
    ("absolute member", _member("/etc/evil.xml"), "非法路径 /etc/evil.xml"),
    ("windows absolute member", _member("\\windows\\evil.xml"), "非法路径"),
    ("empty .csv", lambda tmp: write(tmp, "v.csv", b""), "文件是空的"),
    ("blank .csv", lambda tmp: write(tmp, "v.csv", b"\r\n\r\n"), "第 1 行缺少指标代码列"),
    ("a folder named .csv", lambda tmp: _folder(tmp / "folder.csv"), "无法读取文件"),
    ("a folder named .xlsx", lambda tmp: _folder(tmp / "folder.xlsx"), "无法读取文件"),
    ("random bytes as .csv", _random_bytes("v.csv"), "无法识别文件编码"),
    ("random bytes as .txt", _random_bytes("v.txt", seed=7), "无法识别文件编码"),
    ("NUL bytes as .txt", lambda tmp: write(tmp, "v.txt", b"\x00" * 64), "缺少指标代码列"),
    ("an xlsx renamed .csv", lambda tmp: write(tmp, "v.csv", _good_xlsx(tmp).read_bytes()), "无法识别文件编码"),
    (
        "binary .xls",
        lambda tmp: write(tmp, "v.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        "不支持的文件类型 .xls",
    ),
    ("no extension", lambda tmp: write(tmp, "values", csv_bytes(GOOD_ROWS, "utf-8")), "不支持的文件类型"),
    ("broken BOM", lambda tmp: write(tmp, "v.csv", b"\xef\xbb\xbf\xff\xfe\xfa"), "UTF-8"),
    ("missing file", lambda tmp: tmp / "nowhere.csv", "无法读取文件"),
]


@pytest.mark.parametrize(("make", "expected"), [(m, e) for _, m, e in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_file_is_refused_with_a_message_and_nothing_changes(
    db: Database, spec: CatalogSpec, tmp_path: Path, make: Callable[[Path], Path], expected: str
) -> None:
    run_import(db, spec, write(tmp_path, "first.csv", csv_bytes(GOOD_ROWS, "utf-8")))
    error = refused(db, spec, make(tmp_path))
    assert expected in str(error)
    assert stored(db) == GOOD_STORED


def test_external_entity_is_never_read(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    error = refused(db, spec, _external_entity(tmp_path))
    assert "TOP-SECRET" not in str(error)
    assert "TOP-SECRET" not in repr(stored(db))


def test_openpyxl_parses_with_defusedxml() -> None:
    # Without defusedxml openpyxl would expand entities; the project depends on it for exactly this.
    assert openpyxl.DEFUSEDXML is True


def test_zip_bomb_of_real_zeros_is_refused_before_decompressing(
    db: Database, spec: CatalogSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(values_import, "MAX_UNZIPPED", 4 * 1024 * 1024)
    path = tmp_path / "zeros.xlsx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(8):
            member.write(bytes(1024 * 1024))
    assert path.stat().st_size < 64 * 1024  # the whole point of a bomb: small outside, huge inside
    error = refused(db, spec, path)
    assert "解压后过大（8388608 字节）" in str(error)


def test_oversized_file_is_refused_before_it_is_read(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:  # sparse: only the size matters
        handle.truncate(values_import.MAX_BYTES + 1)
    assert "文件过大" in str(refused(db, spec, path))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_rows_is_refused(
    db: Database, spec: CatalogSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(values_import, "MAX_ROWS", 5)
    rows: list[list[object]] = [["C", i, "", "", ""] for i in range(10)]
    text_rows = [[str(cell) for cell in row] for row in rows]
    path = (
        write(tmp_path, "v.csv", csv_bytes(text_rows, "utf-8"))
        if kind == "csv"
        else xlsx_file(tmp_path / "v.xlsx", rows)
    )
    assert "行数超过 5" in str(refused(db, spec, path))


def test_a_plus_before_a_sign_is_no_number(db: Database, spec: CatalogSpec, tmp_path: Path) -> None:
    rows = [["A", "+-1", "", "", ""], ["C", "++2", "", "", ""], ["G", "+1.5", "", "", ""]]
    error = refused(db, spec, write(tmp_path, "v.csv", csv_bytes(rows, "utf-8")))
    assert [p.split("：")[0] for p in error.problems] == ["第 2 行（A）", "第 3 行（C）"]
    assert "+-1" in error.problems[0]
