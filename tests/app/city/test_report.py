"""The signed city report with the reporting calendar: each unit's 按时 / 逾期 N 天 / 未报 and 按时报送率 in the
payload, drawn in the Excel and the PDF, and still verified strictly (a changed verdict is detected).

The demo: 2023Q1 closed on 04-30 and 修文县 sent it three days after the due date (04-15); as of the demo's day
(2023-07-10) six districts have sent 2023Q2, due 07-15.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.city.report import city_report_envelope
from app.demo import DEMO_PASSPHRASE, create_demo
from app.engine.calendar import TIMELINESS_COLORS, Timeliness
from app.engine.periods import Period
from app.storage.db import Database
from app.submissions.export_pdf import write_submission_pdf
from app.submissions.export_xlsx import write_submission_xlsx
from app.submissions.signing import VerificationError, sign_payload
from app.submissions.verify import verify_submission
from app.submissions.verify_xlsx import verify_xlsx
from app.trust.keys import KeyStore
from tests.app.submissions.test_export_xlsx import VISIBLE_XML, members, rezip, set_cell

VERSION = "0.1.0"
XIUWEN_SENTENCE = "应报 11 个单位，按时 10 个，逾期 1 个，按时报送率 90.9%。"


@dataclass
class Demo:
    folder: Path
    db: Database
    keys: KeyStore


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("report")
    db = create_demo(folder / "demo.db")
    yield Demo(folder, db, KeyStore(folder / "keys"))
    db.close()


@pytest.fixture(scope="module")
def q1(demo: Demo) -> dict[str, Any]:
    return city_report_envelope(demo.db, demo.keys, Period(2023, 1), DEMO_PASSPHRASE)


def test_the_report_payload_names_the_late_unit_and_the_rate(q1: dict[str, Any]) -> None:
    part = q1["payload"]["report"]["timeliness"]
    assert (part["on_time"], part["late"], part["missing"], part["not_due"]) == (10, 1, 0, 0)
    assert part["on_time_rate"] == "90.9" and part["sentence"] == XIUWEN_SENTENCE
    (late,) = [u for u in part["units"] if u["timeliness"] == "late"]
    assert late == {
        "code": "520123",
        "name": "修文县",
        "timeliness": "late",
        "days_late": 3,
        "received_at": "2023-04-18T02:30:00+00:00",
    }
    assert [u["name"] for u in part["units"]][:3] == ["南明区", "云岩区", "花溪区"]  # template order


def test_before_the_due_date_the_report_counts_only_units_due(demo: Demo) -> None:
    part = city_report_envelope(demo.db, demo.keys, Period(2023, 2), DEMO_PASSPHRASE)["payload"]["report"]
    timeliness = part["timeliness"]
    assert (timeliness["on_time"], timeliness["not_due"], timeliness["on_time_rate"]) == (6, 5, "100.0")
    assert timeliness["sentence"] == "应报 6 个单位，按时 6 个，按时报送率 100.0%；另有 5 个尚未报送，未到截止日。"
    q3 = city_report_envelope(demo.db, demo.keys, Period(2023, 3), DEMO_PASSPHRASE)["payload"]["report"]
    assert q3["timeliness"]["on_time_rate"] is None and q3["timeliness"]["sentence"] == "尚未到截止日。"


def test_the_excel_report_shows_each_verdict_in_its_colour_and_verifies(demo: Demo, q1: dict[str, Any]) -> None:
    path = demo.folder / "全市汇总_2023Q1.xlsx"
    write_submission_xlsx(q1, path, VERSION)
    assert verify_submission(path, demo.keys.city_certificate()).valid
    sheet = openpyxl.load_workbook(path)["报送表"]
    rows = {sheet.cell(row=r, column=3).value: r for r in range(1, sheet.max_row + 1)}
    sentences = [c.value for c in sheet["A"] if isinstance(c.value, str) and c.value.startswith("报送及时情况")]
    assert sentences == [f"报送及时情况（以市级收到报送的时间为准）：{XIUWEN_SENTENCE}"]
    late = rows["修文县"]
    assert [sheet.cell(row=late, column=c).value for c in (2, 4, 11)] == [
        "520123",
        "2023-04-18 10:30:00（北京时间）",
        "逾期 3 天",
    ]
    fill = sheet.cell(row=late, column=11).fill.fgColor.rgb
    assert fill == "FF" + TIMELINESS_COLORS[Timeliness.LATE][0].lstrip("#").upper()
    on_time = sheet.cell(row=rows["南明区"], column=11)
    assert on_time.value == "按时"
    assert on_time.fill.fgColor.rgb == "FF" + TIMELINESS_COLORS[Timeliness.ON_TIME][0].lstrip("#").upper()
    assert sheet.cell(row=late, column=4).coordinate + ":J" + str(late) in str(sheet.merged_cells)


def test_a_verdict_changed_in_the_excel_report_is_detected(demo: Demo, q1: dict[str, Any]) -> None:
    path = demo.folder / "r.xlsx"
    write_submission_xlsx(q1, path, VERSION)
    sheet = openpyxl.load_workbook(path)["报送表"]
    late = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(row=r, column=3).value == "修文县")
    xml = members(path.read_bytes())[VISIBLE_XML].decode("utf-8")
    tampered = demo.folder / "tampered.xlsx"
    tampered.write_bytes(rezip(path.read_bytes(), {VISIBLE_XML: set_cell(xml, f"K{late}", "按时").encode()}))
    with pytest.raises(VerificationError) as refused:
        verify_xlsx(tampered, demo.keys.city_certificate())
    assert refused.value.reason == "altered"
    assert f"K{late}（报送及时情况，修文县）" in str(refused.value)


def test_the_pdf_report_prints_the_verdicts_and_verifies(demo: Demo, q1: dict[str, Any]) -> None:
    path = demo.folder / "全市汇总_2023Q1.pdf"
    write_submission_pdf(q1, path, demo.keys, DEMO_PASSPHRASE, VERSION)
    assert verify_submission(path, demo.keys.city_certificate()).valid
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = "".join(subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout.split())
    assert "".join(XIUWEN_SENTENCE.split()) in text
    assert "修文县2023-04-1810:30:00（北京时间）逾期3天" in text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(on_time_rate="100.0"), "on_time_rate"),
        (lambda t: t.update(sentence="应报 11 个单位，按时 11 个，按时报送率 100.0%。"), "sentence"),
        (lambda t: t.update(on_time=11, late=0), "按时、逾期、未报数"),
        (lambda t: t["units"][7].update(days_late=0), "逾期天数"),
        (lambda t: t["units"][7].update(timeliness="on_time", days_late=0), "按时、逾期、未报数"),
        (lambda t: t["units"][0].update(received_at=None), "收到时间"),
        (lambda t: t["units"].append(dict(t["units"][0])), "出现了 2 次"),
        (lambda t: t["units"][0].update(timeliness="early"), "不合规"),
    ],
)
def test_a_report_whose_timeliness_does_not_add_up_is_malformed_even_when_signed(
    demo: Demo, q1: dict[str, Any], change: Any, message: str
) -> None:
    payload = copy.deepcopy(q1["payload"])
    change(payload["report"]["timeliness"])
    key = demo.keys.unit_key(payload["unit"]["code"], DEMO_PASSPHRASE)
    forged = sign_payload(payload, key, demo.keys.unit_certificate(payload["unit"]["code"]))
    path = demo.folder / "forged.xlsx"
    write_submission_xlsx(forged, path, VERSION)
    verdict = verify_submission(path, demo.keys.city_certificate())
    assert not verdict.valid and verdict.reason == "malformed", verdict.message
    assert message in verdict.message
