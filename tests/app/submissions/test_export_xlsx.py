"""The submission Excel file: its printable layout, the envelope inside, and that any change is caught.

The tamper suite edits the sheet XML of a signed file directly (one cell at a time, the way any spreadsheet
program would store the edit) so that every data cell can be tried in a few seconds; a handful of edits are
also made the slow way, through openpyxl, to show real round trips are caught too.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl.utils import get_column_letter

from app.demo import create_demo
from app.engine.periods import Period
from app.engine.progress import STATUS_LABELS, Status
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.store import Change, apply_changes, catalog_for_year
from app.submissions.export_xlsx import (
    CHUNK,
    COLUMNS,
    FIRST_DATA_ROW,
    HEADER_ROW,
    HIDDEN_SHEET,
    MARKER,
    SHEET,
    clean,
    envelope_text,
    render_grid,
    signed_at_label,
    write_submission_xlsx,
)
from app.submissions.signing import VerificationError, sign_payload
from app.submissions.verify_xlsx import read_envelope_xlsx, verify_xlsx
from app.trust.keys import KeyStore
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units, signed_envelope

A, B = "520103", "520102"
PERIOD = "2023Q2"
VERSION = "9.8.7"
VISIBLE_XML = "xl/worksheets/sheet1.xml"
HIDDEN_XML = "xl/worksheets/sheet2.xml"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Signed:
    folder: Path
    db: Database
    keys: KeyStore
    envelopes: dict[str, dict[str, Any]]
    files: dict[str, bytes]

    @property
    def ca(self) -> Any:
        return self.keys.city_certificate()


def demo_db(folder: Path) -> tuple[Database, Any]:
    db = create_demo(folder / "demo.db")
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        spec = load_spec(session, catalog)
    return db, spec


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Signed]:
    folder = tmp_path_factory.mktemp("xlsx")
    db, spec = demo_db(folder)
    keys = keystore_with_units(folder / "test-keys", spec, [A, B])
    envelopes, files = {}, {}
    for unit in (A, B):
        envelopes[unit] = signed_envelope(db, keys, unit, PERIOD)
        path = folder / f"{unit}.xlsx"
        write_submission_xlsx(envelopes[unit], path, VERSION)
        files[unit] = path.read_bytes()
    yield Signed(folder, db, keys, envelopes, files)
    db.close()


# ---------------------------------------------------------------------------------------------- helpers


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> bytes:
    """The archive ``data`` with some members replaced or added (as a spreadsheet program would save it)."""
    parts = members(data)
    parts.update(replace or {})
    parts.update(add or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def set_cell(sheet_xml: str, coordinate: str, text: str, number: bool = False) -> str:
    """The sheet XML with the cell at ``coordinate`` holding ``text`` (as a string, or typed as a number)."""
    pattern = re.compile(rf'<c r="{coordinate}"(?P<attrs>[^>]*?)(?:/>|>.*?</c>)', re.S)
    match = pattern.search(sheet_xml)
    assert match, coordinate
    attrs = re.sub(r'\s*t="[^"]*"', "", match["attrs"])
    if number:
        new = f'<c r="{coordinate}"{attrs}><v>{text}</v></c>'
    else:
        new = f'<c r="{coordinate}"{attrs} t="inlineStr"><is><t>{escape(text)}</t></is></c>'
    return sheet_xml[: match.start()] + new + sheet_xml[match.end() :]


def tweak(text: str) -> str:
    """A small change: the last digit toggled, else "1" appended."""
    for i in range(len(text) - 1, -1, -1):
        if text[i].isdigit():
            return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    return text + "1"


def rejection(path: Path, ca: Any) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify_xlsx(path, ca)
    assert CJK.search(str(info.value)), str(info.value)
    return info.value


def store(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def edited(signed: Signed, name: str, change: Any) -> Path:
    """Load the signed file of unit A with openpyxl, apply ``change(workbook)``, save it as ``name``."""
    wb = openpyxl.load_workbook(io.BytesIO(signed.files[A]))
    change(wb)
    path = signed.folder / name
    wb.save(path)
    return path


def row_of(payload: dict[str, Any], code: str) -> int:
    return FIRST_DATA_ROW + [i["code"] for i in payload["indicators"]].index(code)


# ---------------------------------------------------------------------------------------------- layout


def test_layout_of_the_printable_sheet(signed: Signed) -> None:
    payload = signed.envelopes[A]["payload"]
    wb = openpyxl.load_workbook(io.BytesIO(signed.files[A]))
    assert wb.sheetnames == [SHEET, HIDDEN_SHEET]
    ws = wb[SHEET]
    assert wb.active.title == SHEET
    assert wb[HIDDEN_SHEET].sheet_state == "veryHidden"
    assert ws.sheet_state == "visible"

    # printing
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert (int(ws.page_setup.fitToWidth), int(ws.page_setup.fitToHeight)) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert ws.page_margins.left == ws.page_margins.right == 0.5
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text
    assert ws.protection.sheet

    # title and the signed facts
    assert ws["A1"].value == "贵阳贵安绿色经济指标体系（演示）指标完成情况报送表"
    assert "云岩区（520103）" in ws["A2"].value and "2023年第二季度" in ws["A2"].value
    assert ws["K2"].value == "演示数据"
    line = ws["A3"].value + ws["A4"].value + ws["A5"].value + ws["H4"].value
    for part in (payload["submission_id"], payload["signer"]["fingerprint"], signed_at_label(payload["signed_at"])):
        assert part in line
    assert VERSION in ws["H4"].value
    assert "第 1 版" in ws["A2"].value

    # the table
    headers = [ws.cell(row=HEADER_ROW, column=c).value for c in range(1, 13)]
    assert headers == [h for h, _, _ in COLUMNS]
    assert "".join(headers) == "序号指标代码指标单位分子分母本期值目标预期进度值完成率状态情况说明"
    for i, ind in enumerate(payload["indicators"]):
        r = FIRST_DATA_ROW + i
        row = [ws.cell(row=r, column=c).value for c in range(1, 13)]
        status = ind["status"]
        want = [
            str(i + 1),
            ind["code"],
            ind["name"],
            ind["unit"],
            ind["numerator"],
            ind["denominator"],
            ind["value"],
            ind["target"],
            ind["expected"],
            f"{ind['completion']}%" if ind["completion"] else None,
            STATUS_LABELS[Status(status)] if status else None,
            ind["explanation"] or None,
        ]
        assert row == want, ind["code"]
        for c in range(1, 13):
            cell = ws.cell(row=r, column=c)
            assert cell.value is None or cell.data_type == "s"
            assert cell.font.name == "Microsoft YaHei"
        assert ws.cell(row=r, column=12).alignment.wrap_text
    assert ws.column_dimensions["L"].width > ws.column_dimensions["G"].width > ws.column_dimensions["A"].width

    # status colours: green done, blue on track, red behind; grey missing (none in this file)
    def fill(code: str) -> str:
        return str(ws.cell(row=row_of(payload, code), column=11).fill.fgColor.rgb)[-6:]

    assert ws.cell(row=row_of(payload, "C12"), column=11).value == "滞后"
    assert fill("C12") == "FBDCDC"  # behind: red
    assert fill("H01") == "DCEAFB"  # on track: blue
    assert fill("C10") == "DFF3E4"  # completed: green
    assert fill("S14") == "C8ECD2"  # exceeded: green
    assert ws.cell(row=row_of(payload, "E01"), column=11).value is None  # not assessed

    # summary, counts and the signature block under the table
    last = FIRST_DATA_ROW + len(payload["indicators"]) - 1
    below = [ws.cell(row=r, column=c).value for r in range(last + 1, ws.max_row + 1) for c in range(1, 13)]
    texts = [t for t in below if t]
    assert f"情况汇总：{payload['summary']}" in texts
    assert any("超额完成 2 项" in t and "滞后 1 项" in t and "已完成 20 项" in t for t in texts)
    for label in ("填报人：", "审核人：", "单位负责人：", "日期：", "（盖章）"):
        assert label in texts
    assert ws.print_area == f"'{SHEET}'!$A$1:$L${ws.max_row}"


def test_envelope_travels_in_the_hidden_sheet(signed: Signed) -> None:
    env = signed.envelopes[A]
    wb = openpyxl.load_workbook(io.BytesIO(signed.files[A]))
    hidden = wb[HIDDEN_SHEET]
    assert hidden["B1"].value == MARKER
    assert hidden["A1"].value == envelope_text(env)
    assert read_envelope_xlsx(store(signed.folder, "read.xlsx", signed.files[A])) == env


def test_untouched_files_pass(signed: Signed) -> None:
    for unit in (A, B):
        path = store(signed.folder, f"ok-{unit}.xlsx", signed.files[unit])
        assert verify_xlsx(path, signed.ca) == signed.envelopes[unit]["payload"]


def test_an_untouched_files_verdict_carries_the_envelope_text_it_read(signed: Signed) -> None:
    """The text the import stores: the file's own, which is the canonical JSON of the envelope."""
    from app.submissions.verify import verify_submission

    verdict = verify_submission(signed.files[A], signed.ca, name="a.xlsx")
    assert verdict.valid and verdict.text == envelope_text(signed.envelopes[A])
    assert verdict.data() == (True, signed.envelopes[A], verdict.digest, verdict.text)


def test_the_same_envelope_always_gives_the_same_file(signed: Signed, tmp_path: Path) -> None:
    again = tmp_path / "again.xlsx"
    write_submission_xlsx(signed.envelopes[A], again, VERSION)
    assert again.read_bytes() == signed.files[A]


def test_a_file_saved_again_by_another_program_is_refused_plainly(signed: Signed) -> None:
    """Opened and saved again without a change: the texts are the signed ones, but what the file shows can no
    longer be checked, and a signed file must be the one that was signed."""
    error = rejection(edited(signed, "resaved.xlsx", lambda wb: None), signed.ca)
    assert error.reason == "altered"
    assert str(error) == "另存过的文件：版式无法核验，请用区县导出的原件或 PDF"

    # Names typed into the blanks of the signature block: the file is no longer the signed one either.
    def sign_block(wb: Any) -> None:
        ws = wb[SHEET]
        ws.protection.sheet = False
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=2).value == "填报人：")
        ws.cell(row=row, column=4).value = "张三"

    assert "另存过的文件" in str(rejection(edited(signed, "signed-by-hand.xlsx", sign_block), signed.ca))


def test_write_is_atomic_and_refuses_what_is_not_an_envelope(signed: Signed, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old")
    write_submission_xlsx(signed.envelopes[A], path, VERSION)
    assert zipfile.is_zipfile(path)
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]
    with pytest.raises(ValueError):
        write_submission_xlsx({"format": "something else"}, tmp_path / "bad.xlsx", VERSION)
    assert not (tmp_path / "bad.xlsx").exists()


def test_signed_at_is_shown_in_beijing_time_on_every_machine() -> None:
    assert signed_at_label("2023-07-10T08:15:02.123+00:00") == "2023-07-10 16:15:02（北京时间）"


def test_formula_like_clerk_text_is_stored_as_text(tmp_path: Path) -> None:
    db, spec = demo_db(tmp_path)
    try:
        texts = {"C08": "=1+1", "C09": "+SUM(A1:A9)", "C14": "-2", "C15": "@cmd", "S11": '=HYPERLINK("http://x","y")'}
        with db.transaction() as session:
            changes = [Change(code, explanation=text) for code, text in texts.items()]
            apply_changes(session, spec, A, Period.parse(PERIOD), changes, "tester")
        keys = keystore_with_units(tmp_path / "test-keys", spec, [A])
        env = signed_envelope(db, keys, A, PERIOD)
        path = tmp_path / "formula.xlsx"
        write_submission_xlsx(env, path, VERSION)
    finally:
        db.close()
    payload = env["payload"]
    ws = openpyxl.load_workbook(path)[SHEET]
    for code, text in texts.items():
        cell = ws.cell(row=row_of(payload, code), column=12)
        assert cell.value == text
        assert cell.data_type == "s"
        assert cell.quotePrefix
    assert b"<f>" not in members(path.read_bytes())[VISIBLE_XML]
    assert verify_xlsx(path, keys.city_certificate())["unit"]["code"] == A


def test_a_large_envelope_is_split_across_cells(signed: Signed) -> None:
    payload = copy.deepcopy(signed.envelopes[A]["payload"])
    long_text = ("由于项目推进需要逐项说明情况。" * 140)[:2000]  # the longest explanation a clerk can write
    for ind in payload["indicators"]:
        ind["explanation"] = long_text  # 39 × 2,000 characters
    env = sign_payload(payload, signed.keys.unit_key(A, PASSPHRASE), signed.keys.unit_certificate(A))
    path = signed.folder / "large.xlsx"
    write_submission_xlsx(env, path, VERSION)
    wb = openpyxl.load_workbook(path)
    hidden = wb[HIDDEN_SHEET]
    parts = [hidden.cell(row=r, column=1).value for r in range(1, hidden.max_row + 1)]
    parts = [p for p in parts if p]
    assert len(parts) >= 3
    assert all(len(p) <= CHUNK for p in parts)
    assert "".join(parts) == envelope_text(env)
    sheet = wb[SHEET]
    shown = sheet.cell(row=FIRST_DATA_ROW, column=12).value
    assert shown.endswith("…（全文见表后附注 1）")
    assert verify_xlsx(path, signed.ca)["indicators"][0]["explanation"] == long_text


def test_an_explanation_longer_than_a_row_is_printed_in_full_in_notes(signed: Signed) -> None:
    """An Excel row is at most 409 points high; the longest explanation a clerk can write (2,000 characters)
    continues in notes under the table instead of being cut off on paper."""
    payload = copy.deepcopy(signed.envelopes[A]["payload"])
    reason = "项目受征地影响推迟开工，已协调自然资源部门加快办理，预计三季度末完成。"
    full = "".join(f"第{i}条：{reason}" for i in range(60))[:2000]
    payload["indicators"][2]["explanation"] = full
    env = sign_payload(payload, signed.keys.unit_key(A, PASSPHRASE), signed.keys.unit_certificate(A))
    path = signed.folder / "long-explanation.xlsx"
    write_submission_xlsx(env, path, VERSION)
    sheet = openpyxl.load_workbook(path)[SHEET]
    shown = sheet.cell(row=FIRST_DATA_ROW + 2, column=12).value
    assert shown.endswith("…（全文见表后附注 1）") and full.startswith(shown.removesuffix("…（全文见表后附注 1）"))
    texts = [sheet.cell(row=r, column=1).value or "" for r in range(FIRST_DATA_ROW, sheet.max_row + 1)]
    first = next(i for i, t in enumerate(texts) if t.startswith("附注 1（"))
    chunks = [texts[first]]
    for t in texts[first + 1 :]:
        if not t or t.startswith(("附注 ", "填报人")):
            break
        chunks.append(t)
    joined = "".join(chunks)
    assert joined.split("情况说明：", 1)[1] == full  # every character, in order
    heights = [sheet.row_dimensions[r].height for r in range(1, sheet.max_row + 1) if sheet.row_dimensions[r].height]
    assert max(heights) <= 409
    assert verify_xlsx(path, signed.ca)["indicators"][2]["explanation"] == full
    # A changed word in a note is a changed file.
    wb = openpyxl.load_workbook(path)
    note = wb[SHEET].cell(row=FIRST_DATA_ROW + first, column=1)
    note.value = note.value.replace("推迟", "提前", 1)
    wb.save(path)
    with pytest.raises(VerificationError, match="附注 1"):
        verify_xlsx(path, signed.ca)


def test_odd_characters_survive_the_round_trip(signed: Signed) -> None:
    """Text Excel or XML would change (carriage returns, control characters, escapes) is shown so that an
    untouched file still matches what the verifier renders."""
    payload = copy.deepcopy(signed.envelopes[A]["payload"])
    odd = [
        "第一行\r\n第二行\r第三行",
        "控制\x01字符\x0b",
        "_x0041_ x005F_",
        "  前后空格  ",
        "表情😀\u2028",
        "&<>\"'",
        "_x0041_x0041_ 与 _x005F_x005F_x0041_",  # escapes that share their underscores
    ]
    for ind, text in zip(payload["indicators"], odd, strict=False):
        ind["explanation"] = text
    payload["unit"]["name"] = "云岩区 & <测试>"
    env = sign_payload(payload, signed.keys.unit_key(A, PASSPHRASE), signed.keys.unit_certificate(A))
    path = signed.folder / "odd.xlsx"
    write_submission_xlsx(env, path, VERSION)
    assert verify_xlsx(path, signed.ca) == payload
    ws = openpyxl.load_workbook(path)[SHEET]
    assert ws.cell(row=FIRST_DATA_ROW, column=12).value == "第一行\n第二行\n第三行"


def test_every_status_has_its_label_and_colour(signed: Signed) -> None:
    payload = copy.deepcopy(signed.envelopes[A]["payload"])
    want = {
        "missing": ("未填报", "EEEEEE"),
        "within_cap": ("达标", "DFF3E4"),
        "cap_warning": ("预警", "FDF0C2"),  # a ceiling ahead of its pace: the barometer's yellow
        "over_cap": ("超标", "FBDCDC"),
    }
    for ind, status in zip(payload["indicators"], want, strict=False):
        ind["status"] = status
    env = sign_payload(payload, signed.keys.unit_key(A, PASSPHRASE), signed.keys.unit_certificate(A))
    path = signed.folder / "statuses.xlsx"
    write_submission_xlsx(env, path, VERSION)
    ws = openpyxl.load_workbook(path)[SHEET]
    for i, (label, colour) in enumerate(want.values()):
        cell = ws.cell(row=FIRST_DATA_ROW + i, column=11)
        assert (cell.value, str(cell.fill.fgColor.rgb)[-6:]) == (label, colour)
    assert verify_xlsx(path, signed.ca) == payload


# ---------------------------------------------------------------------------------------------- tampering


@pytest.mark.slow
def test_changing_any_single_visible_cell_is_detected(signed: Signed) -> None:
    payload = signed.envelopes[A]["payload"]
    sheet_xml = members(signed.files[A])[VISIBLE_XML].decode("utf-8")
    grid = render_grid(payload)
    cells = [(rc, cell) for rc, cell in sorted(grid.cells.items()) if cell.kind not in ("fill", "version")]
    assert len(cells) > 12 * len(payload["indicators"])
    path = signed.folder / "tampered.xlsx"
    missed = []
    for (row, col), cell in cells:
        coordinate = f"{get_column_letter(col)}{row}"
        path.write_bytes(
            rezip(signed.files[A], {VISIBLE_XML: set_cell(sheet_xml, coordinate, tweak(cell.text)).encode()})
        )
        try:
            verify_xlsx(path, signed.ca)
            missed.append(coordinate)
        except VerificationError as exc:
            if exc.reason != "altered" or coordinate not in str(exc):
                missed.append(f"{coordinate}: {exc.reason} {exc}")
    assert missed == []


def test_numbers_retyped_or_reformatted_are_detected(signed: Signed) -> None:
    payload = signed.envelopes[A]["payload"]
    sheet_xml = members(signed.files[A])[VISIBLE_XML].decode("utf-8")
    r = row_of(payload, "C12")
    path = signed.folder / "retyped.xlsx"
    # The same figure typed as a number, and the same figure with another decimal place.
    for col in "EFGHI":
        text = openpyxl.load_workbook(io.BytesIO(signed.files[A]))[SHEET][f"{col}{r}"].value
        for new, number in ((text, True), (text + "0", False)):
            path.write_bytes(
                rezip(signed.files[A], {VISIBLE_XML: set_cell(sheet_xml, f"{col}{r}", new, number).encode()})
            )
            error = rejection(path, signed.ca)
            assert error.reason == "altered" and f"{col}{r}" in str(error)
    # A formula in place of the figure.
    formula = re.sub(
        rf'<c r="G{r}"([^>]*?) t="inlineStr"><is><t>[^<]*</t></is></c>',
        rf'<c r="G{r}"\1 t="str"><f>83.7+0</f><v>83.7</v></c>',
        sheet_xml,
    )
    assert formula != sheet_xml
    path.write_bytes(rezip(signed.files[A], {VISIBLE_XML: formula.encode()}))
    assert rejection(path, signed.ca).reason == "altered"


@pytest.mark.parametrize(
    "name",
    [
        "value",
        "hide_row",
        "hide_column",
        "insert_hidden_row",
        "extra_cell",
        "number_format",
        "white_font",
        "conditional_format",
        "extra_sheet",
        "page_header",
        "print_area",
        "picture",
        "unmerge",
    ],
)
def test_edits_saved_by_openpyxl_are_detected(signed: Signed, name: str) -> None:
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill

    payload = signed.envelopes[A]["payload"]
    r = row_of(payload, "C12")

    def change(wb: Any) -> None:
        ws = wb[SHEET]
        if name == "value":
            ws[f"G{r}"].value = "84.0"
        elif name == "hide_row":
            ws.row_dimensions[r].hidden = True
        elif name == "hide_column":
            ws.column_dimensions["K"].hidden = True
        elif name == "insert_hidden_row":
            ws.insert_rows(r)
            ws.row_dimensions[r].hidden = True
        elif name == "extra_cell":
            ws["M10"].value = "已核实"
        elif name == "number_format":
            ws[f"G{r}"].number_format = ';;;"84.0"'
        elif name == "white_font":
            ws[f"K{r}"].font = Font(color="FFFFFF")
        elif name == "conditional_format":
            ws.conditional_formatting.add(f"G{r}", CellIsRule(operator="equal", formula=['"82.2"'], fill=PatternFill()))
        elif name == "extra_sheet":
            wb.create_sheet("报送表（修订）")
        elif name == "page_header":
            ws.oddHeader.left.text = "南明区（520102）　2023年第二季度"
        elif name == "print_area":
            ws.print_area = f"A1:L{r - 1}"
        elif name == "picture":
            from openpyxl.drawing.image import Image as XlImage
            from PIL import Image

            png = io.BytesIO()
            Image.new("RGB", (40, 12), "white").save(png, format="PNG")
            ws.add_image(XlImage(io.BytesIO(png.getvalue())), f"G{r}")
        elif name == "unmerge":
            ws.unmerge_cells("A1:L1")

    error = rejection(edited(signed, f"edit-{name}.xlsx", change), signed.ca)
    assert error.reason == "altered", error


def test_swapped_envelopes_are_detected(signed: Signed) -> None:
    hidden_b = members(signed.files[B])[HIDDEN_XML]
    path = store(signed.folder, "swapped.xlsx", rezip(signed.files[A], {HIDDEN_XML: hidden_b}))
    assert read_envelope_xlsx(path) == signed.envelopes[B]  # a valid envelope, but not of what is shown
    error = rejection(path, signed.ca)
    assert error.reason == "altered"
    assert "单元格" in str(error) and "与签名数据不符" in str(error)


def test_envelope_re_signed_with_another_units_key_is_refused(signed: Signed) -> None:
    payload = signed.envelopes[A]["payload"]
    forged = sign_payload(payload, signed.keys.unit_key(B, PASSPHRASE), signed.keys.unit_certificate(B))
    path = signed.folder / "wrong-signer.xlsx"
    write_submission_xlsx(forged, path, VERSION)
    assert rejection(path, signed.ca).reason == "wrong_signer"


def test_a_certificate_from_another_ca_is_refused(signed: Signed, tmp_path: Path) -> None:
    other = KeyStore(tmp_path / "other")
    other.city_init("别的市", PASSPHRASE)
    path = store(signed.folder, "other-ca.xlsx", signed.files[A])
    assert rejection(path, other.city_certificate()).reason == "unknown_certificate"


@pytest.mark.parametrize("fix_length", [True, False])
def test_payload_edited_in_the_hidden_sheet_is_detected(signed: Signed, fix_length: bool) -> None:
    def change(wb: Any) -> None:
        hidden = wb[HIDDEN_SHEET]
        text = hidden["A1"].value
        assert '"value":"82.2"' in text
        hidden["A1"].value = text.replace('"value":"82.2"', '"value":"84.2"', 1)
        if fix_length:
            hidden["B4"].value = str(len(hidden["A1"].value))
        wb[SHEET][f"G{row_of(signed.envelopes[A]['payload'], 'C12')}"].value = "84.2"

    error = rejection(edited(signed, f"payload-{fix_length}.xlsx", change), signed.ca)
    assert error.reason == "altered"
    if fix_length:
        assert "签名不符" in str(error)


# ---------------------------------------------------------------------------------------------- hostile files


def forged_sizes(data: bytes, size: int) -> bytes:
    """The archive with every member claiming ``size`` uncompressed bytes (local and central headers)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            out[at + offset : at + offset + 4] = struct.pack("<I", size)
            start = at + 4
    return bytes(out)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">
<c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def hostile(signed: Signed, name: str) -> bytes:
    valid = signed.files[A]
    if name == "not_a_zip":
        return "这不是表格文件".encode()
    if name == "random_bytes":
        return random.Random(7).randbytes(20_000)
    if name == "empty":
        return b""
    if name == "truncated":
        return valid[: len(valid) // 2]
    if name == "forged_size_bomb":
        return forged_sizes(valid, 0xFFFF_FFF0)
    if name == "ratio_bomb":
        return rezip(valid, add={"xl/padding.bin": bytes(20 * 1024 * 1024)})
    if name == "billion_laughs_sheet":
        return rezip(valid, {VISIBLE_XML: BILLION_LAUGHS})
    if name == "billion_laughs_workbook":
        return rezip(valid, {"xl/workbook.xml": BILLION_LAUGHS.replace(b"worksheet", b"workbook")})
    if name == "external_entity":
        xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><sst>&e;</sst>'
        return rezip(valid, add={"xl/sharedStrings.xml": xxe})
    if name == "utf16_doctype":
        return rezip(
            valid, {VISIBLE_XML: BILLION_LAUGHS.decode().replace('"1.0"?', '"1.0" encoding="UTF-16"?').encode("utf-16")}
        )
    if name == "path_traversal":
        return rezip(valid, add={"../../evil.txt": b"x"})
    if name == "absolute_path":
        return rezip(valid, add={"/etc/evil.txt": b"x"})
    if name == "missing_part":
        parts = members(valid)
        del parts["xl/workbook.xml"]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as archive:
            for member, content in parts.items():
                archive.writestr(member, content)
        return out.getvalue()
    if name == "garbage_sheet_xml":
        return rezip(valid, {VISIBLE_XML: b"<worksheet><sheetData><row"})
    raise AssertionError(name)


@pytest.mark.parametrize(
    "name",
    [
        "not_a_zip",
        "random_bytes",
        "empty",
        "truncated",
        "forged_size_bomb",
        "ratio_bomb",
        "billion_laughs_sheet",
        "billion_laughs_workbook",
        "external_entity",
        "utf16_doctype",
        "path_traversal",
        "absolute_path",
        "missing_part",
        "garbage_sheet_xml",
    ],
)
def test_hostile_files_are_refused_with_a_clear_message(signed: Signed, name: str) -> None:
    path = store(signed.folder, f"hostile-{name}.xlsx", hostile(signed, name))
    error = rejection(path, signed.ca)
    assert error.reason == "unreadable", (error.reason, str(error))
    with pytest.raises(VerificationError):
        read_envelope_xlsx(path)


def test_entity_tricks_are_refused_by_the_xml_parser_too(signed: Signed) -> None:
    """The second line of defence: should a part with entities get past the scan, openpyxl's parser refuses it."""
    from app.submissions.verify_xlsx import _load

    for bad in (hostile(signed, "billion_laughs_sheet"), hostile(signed, "billion_laughs_workbook")):
        with pytest.raises(VerificationError) as info:
            _load(bad)
        assert info.value.reason == "unreadable"


def test_a_workbook_without_the_hidden_sheet_is_not_a_submission(signed: Signed, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "随便一个表格"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    assert rejection(plain, signed.ca).reason == "not_tianbao"
    stripped = edited(signed, "stripped.xlsx", lambda wb: wb.remove(wb[HIDDEN_SHEET]))
    error = rejection(stripped, signed.ca)
    assert error.reason == "not_tianbao"
    assert "不是填报通" in str(error)
    with pytest.raises(VerificationError) as info:
        read_envelope_xlsx(stripped)
    assert info.value.reason == "not_tianbao"


def test_a_missing_file_is_unreadable(signed: Signed, tmp_path: Path) -> None:
    assert rejection(tmp_path / "nowhere.xlsx", signed.ca).reason == "unreadable"


def test_hidden_sheet_content_that_is_not_json_is_altered(signed: Signed) -> None:
    def change(wb: Any) -> None:
        wb[HIDDEN_SHEET]["A1"].value = "{broken"
        wb[HIDDEN_SHEET]["B4"].value = "7"

    assert rejection(edited(signed, "broken-json.xlsx", change), signed.ca).reason == "altered"


def test_json_of_the_envelope_is_canonical(signed: Signed) -> None:
    env = signed.envelopes[A]
    assert envelope_text(env) == json.dumps(env, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60)
    | st.sampled_from(["正常文字", "a\r\nb", "\x00", "\ufffe", "\ud800", "\u3000全角空格", "x" * 32_001])
)
def test_a_cell_text_is_cleaned_the_same_whether_or_not_it_is_printable(text: str) -> None:
    """The quick way for printable text gives what the replacements give: line breaks as \\n, characters a cell
    cannot hold as U+FFFD, over-long text cut with a pointer to the signed data."""
    from app.submissions.export_xlsx import _UNSAFE, MAX_CELL_TEXT

    slow = _UNSAFE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
    if len(slow) > MAX_CELL_TEXT:
        slow = slow[: MAX_CELL_TEXT - 12] + "…（全文见签名数据）"
    assert clean(text) == slow


@settings(max_examples=500, deadline=None)
@example("_x0041_x0041_")
@given(
    st.lists(st.sampled_from(["_x00e9_", "x0041_", "_", "x", "005F", "A", "中", "&", "<"]), max_size=12).map("".join)
    | st.text(max_size=20)
)
def test_a_cell_text_reads_back_as_written(text: str) -> None:
    """Excel's escapes of a literal "_xHHHH_", however they run into each other, and XML's: the text the checker
    reads from a cell is the text written into it."""
    from xml.sax.saxutils import unescape

    from app.submissions.ooxml import unescape_excel
    from app.submissions.xlsx_parts import text_xml

    assert unescape_excel(unescape(text_xml(text))) == text


# The parts of golden/workbook-envelope.json (a demo submission whose explanations were given blanks at either end,
# markup characters, "_x0041_", control characters, a formula-like text and one very long text), as version 0.1.0
# writes them. A workbook a district made must verify with every later build: a change of any byte here is a change
# of the file format, not a refactoring.
GOLDEN_PARTS = "0bd7fddf50a93983308388d86a91c44a9695acdc0b66a21d9777d872a090faaf"


def test_the_workbook_parts_are_byte_for_byte_those_of_earlier_builds() -> None:
    import hashlib

    from app.submissions.xlsx_parts import render_parts

    envelope = json.loads((Path(__file__).parent / "golden" / "workbook-envelope.json").read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    for name, content in render_parts(envelope, "0.1.0").items():
        digest.update(name.encode() + b"\0" + content)
    assert digest.hexdigest() == GOLDEN_PARTS


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    others=st.dictionaries(st.text(max_size=12).filter(lambda k: k != "payload"), _JSON, max_size=6),
    payload=st.dictionaries(st.text(max_size=8), _JSON, max_size=6),
)
def test_the_envelope_text_made_around_its_payloads_text_is_the_envelopes_canonical_json(
    others: dict[str, Any], payload: dict[str, Any]
) -> None:
    """The verifier makes the hidden sheet's envelope text around the payload bytes it verified, instead of writing
    the payload out again: for any envelope, names and values, it is the envelope's own canonical JSON."""
    from app.submissions.export_xlsx import envelope_text
    from app.submissions.signing import canonical

    envelope = {**others, "payload": payload}
    assert envelope_text(envelope, canonical(payload).decode("utf-8")) == envelope_text(envelope)
    assert envelope_text(envelope) == json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def test_a_repeated_key_in_the_hidden_sheet_is_refused_though_the_signature_holds(signed: Signed) -> None:
    """JSON keeps the last of a repeated key: the genuine signature then holds for what is parsed, and the hidden
    sheet differs from the canonical text only by the repetition. The file is refused, naming the key."""
    from app.submissions.xlsx_parts import HIDDEN_PART, zip_parts

    parts = members(signed.files[A])
    hidden = parts[HIDDEN_PART].decode("utf-8")
    genuine = f'"period":"{PERIOD}"'
    assert hidden.count(genuine) == 1
    repeated = f'"period":"2023Q1",{genuine}'
    length = re.search(r'<c r="B4" t="inlineStr"><is><t>(\d+)</t>', hidden)
    assert length is not None
    longer = str(int(length.group(1)) + len(repeated) - len(genuine))  # the length mark agrees
    hidden = hidden[: length.start(1)] + longer + hidden[length.end(1) :]
    parts[HIDDEN_PART] = hidden.replace(genuine, repeated).encode("utf-8")
    with pytest.raises(VerificationError) as info:
        verify_xlsx(_written(signed.folder, zip_parts(parts)), signed.ca)
    assert info.value.reason == "malformed"
    assert "period" in str(info.value) and "两次" in str(info.value)


def _written(folder: Path, data: bytes) -> Path:
    path = folder / "repeated-key.xlsx"
    path.write_bytes(data)
    return path
