"""The reporting calendar through the template, the database and the commands: windows stored and exported as
signed, entry locked once a period closes, an extension granted by the city and imported by the district, and the
city's timeliness judged by when it received each submission."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from app.city.extensions import ExtensionError, extend_period, import_extension
from app.cli.main import main
from app.engine.calendar import Deadline, Timeliness
from app.engine.catalog import CapPacing
from app.engine.periods import Period
from app.engine.progress import Status
from app.engine.timefmt import BEIJING
from app.storage import calendar as storage_calendar
from app.storage.calendar import deadline_for, punctuality_for
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.form import FormError, FormService
from app.storage.models import AuditEntry
from app.storage.store import EntryError, catalog_for_year
from app.templates.document import TemplateError, read_document, write_document
from app.templates.export import document_from_spec
from app.templates.signing import import_signed_template_file, sign_template
from app.templates.spec import spec_from_document
from app.trust.keys import KeyStore
from tests.app.helpers import check, enter, store_template
from tests.app.sample_templates import CITY, D1, D2, document, indicator
from tests.app.signing_helpers import PASSPHRASE

CALENDAR = [
    {"period": "2023Q1", "opens": "2023-04-01", "due": "2023-04-15", "closes": "2023-04-30"},
    {"period": "2023Q2", "opens": "2023-07-01", "due": "2023-07-15", "closes": "2023-07-31"},
]


def calendar_doc(**catalog: Any) -> dict[str, Any]:
    doc = document([indicator("A"), indicator("K", direction="cap")])
    doc["calendar"] = copy.deepcopy(CALENDAR)
    doc["catalog"].update(catalog)
    return doc


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the clock the calendar reads: ``at(2023, 5, 1, 0, 0)`` is Beijing time."""

    def set_clock(*args: int) -> dt.datetime:
        moment = dt.datetime(*args, tzinfo=BEIJING)
        monkeypatch.setattr(storage_calendar, "clock", lambda: moment)
        return moment

    return set_clock


def test_the_calendar_and_pacing_are_stored_and_exported_as_the_template_gave_them(
    db: Database, tmp_path: Path
) -> None:
    doc = calendar_doc(cap_pacing={"warning_margin": "5", "alarm_margin": "20"})
    spec = store_template(db, doc, tmp_path)
    assert spec.cap_pacing == CapPacing(warning_margin=5, alarm_margin=20)  # type: ignore[arg-type]
    assert [str(p) for p in spec.calendar] == ["2023Q1", "2023Q2"]
    window = spec.window(Period(2023, 2))
    assert window is not None and (window.opens, window.due, window.closes) == (
        dt.date(2023, 7, 1),
        dt.date(2023, 7, 15),
        dt.date(2023, 7, 31),
    )
    assert spec.window(Period(2023, 3)) is None
    exported = document_from_spec(spec)
    assert exported["calendar"] == CALENDAR
    assert exported["catalog"]["cap_pacing"] == {"warning_margin": "5", "alarm_margin": "20"}


def test_a_template_without_a_calendar_exports_without_one_and_keeps_its_identity(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    assert spec.calendar == {} and spec.cap_pacing is None
    exported = document_from_spec(spec)
    assert "calendar" not in exported and "cap_pacing" not in exported["catalog"]


def test_a_signed_template_with_a_calendar_still_verifies_after_export(db: Database, tmp_path: Path) -> None:
    city = KeyStore(tmp_path / "city")
    city.city_init("测试市生态环境局", PASSPHRASE)
    path = tmp_path / "t.json"
    # The document as the program writes it (defaults filled in), so that an export can reproduce it to the byte.
    doc = document_from_spec(spec_from_document(calendar_doc(cap_pacing={"warning_margin": "0"})))
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    sign_template(path, city, PASSPHRASE)
    district = KeyStore(tmp_path / "district")
    import_signed_template_file(db, district, path)
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        signature = json.loads(catalog.signature or "null")
        again = document_from_spec(load_spec(session, catalog), signature)
    out = tmp_path / "exported.json"
    write_document(again, out)
    other = Database(tmp_path / "other.db")
    try:
        assert import_signed_template_file(other, KeyStore(tmp_path / "third"), out).new
    finally:
        other.close()
    assert read_document(out)["calendar"] == CALENDAR


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"period": "2024Q1", "opens": "2024-04-01", "due": "2024-04-15", "closes": "2024-04-30"}, "不属于 2023 年度"),
        (
            {"period": "2023Q3", "opens": "2023-10-01", "due": "2023-09-15", "closes": "2023-10-31"},
            "开始 ≤ 截止 ≤ 关闭",
        ),
        ({"period": "2023Q3", "opens": "2023-09-01", "due": "2023-09-15", "closes": "2023-10-31"}, "早于报告期结束"),
        ({"period": "2023Q3", "opens": "2023-10-01", "due": "2023-02-30", "closes": "2023-10-31"}, "不是有效日期"),
        ({"period": "2023Q1", "opens": "2023-04-01", "due": "2023-04-16", "closes": "2023-04-30"}, "填报期重复"),
        ({"period": "2023Q3", "opens": "2023-10-01", "due": "2023-10-15"}, "缺少必填字段"),
        ({"period": "2023Q5", "opens": "2023-10-01", "due": "2023-10-15", "closes": "2023-10-31"}, "格式不对"),
    ],
)
def test_a_calendar_that_cannot_be_is_refused_naming_the_place(
    db: Database, tmp_path: Path, entry: dict[str, str], message: str
) -> None:
    doc = calendar_doc()
    doc["calendar"].append(entry)
    with pytest.raises(TemplateError) as refused:
        store_template(db, doc, tmp_path)
    assert "calendar[2]" in str(refused.value) and message in str(refused.value)


def test_an_alarm_margin_must_exceed_the_warning_margin(db: Database, tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="alarm_margin：应大于 warning_margin"):
        store_template(db, calendar_doc(cap_pacing={"warning_margin": "10", "alarm_margin": "10"}), tmp_path)


def test_the_template_pacing_decides_the_ceiling_status(db: Database, tmp_path: Path, at: Any) -> None:
    at(2023, 7, 10, 9, 0)
    spec = store_template(db, calendar_doc(cap_pacing={"warning_margin": "5"}), tmp_path)
    enter(db, spec, D1, "2023Q2", A="50", K="52")  # pace 50; 4 % ahead, tolerated
    assert check(db, D1, "2023Q2").by_code["K"].status is Status.WITHIN_CAP
    enter(db, spec, D1, "2023Q2", K="53")
    assert check(db, D1, "2023Q2").by_code["K"].status is Status.CAP_WARNING


def test_entry_is_refused_once_the_period_closes_whatever_the_path(db: Database, tmp_path: Path, at: Any) -> None:
    spec = store_template(db, calendar_doc(), tmp_path)
    at(2023, 4, 30, 23, 59)
    enter(db, spec, D1, "2023Q1", A="10")  # late, but still open
    at(2023, 5, 1, 0, 0)
    with pytest.raises(EntryError, match="2023年第一季度已于2023年4月30日关闭填报"):
        enter(db, spec, D1, "2023Q1", A="11")
    form = FormService(db, D1, Period(2023, 1))
    with pytest.raises(FormError, match="关闭填报"):
        form.set_cells([("A", "value", "12")])
    assert check(db, D1, "2023Q1").by_code["A"].value == 10  # nothing was saved
    state = form.deadline()
    assert state is not None and state.state is Deadline.CLOSED and state.label == "已截止（2023年4月30日关闭填报）"
    enter(db, spec, D1, "2023Q2", A="30")  # the next period is open


def test_the_city_extends_one_unit_and_the_district_imports_the_notice(db: Database, tmp_path: Path, at: Any) -> None:
    city = KeyStore(tmp_path / "city")
    city.city_init("测试市生态环境局", PASSPHRASE)
    store_template(db, calendar_doc(), tmp_path)
    at(2023, 5, 3, 9, 0)
    with pytest.raises(ExtensionError, match="应晚于原关闭日期"):
        extend_period(db, city, D1, Period(2023, 1), None, dt.date(2023, 4, 20), "补报", PASSPHRASE, tmp_path / "x")
    with pytest.raises(ExtensionError, match="延期原因"):
        extend_period(db, city, D1, Period(2023, 1), None, dt.date(2023, 5, 10), " ", PASSPHRASE, tmp_path / "x")
    notice_path = tmp_path / "extension.json"
    notice = extend_period(
        db, city, D1, Period(2023, 1), dt.date(2023, 5, 8), dt.date(2023, 5, 10), "系统故障", PASSPHRASE, notice_path
    )
    assert notice.summary == "截止日期延至2023年5月8日，填报开放至2023年5月10日"

    district_db = Database(tmp_path / "district.db")
    try:
        district_spec = store_template(district_db, calendar_doc(), tmp_path, "district.json")
        with pytest.raises(EntryError):
            enter(district_db, district_spec, D1, "2023Q1", A="10")
        district_keys = KeyStore(tmp_path / "district")
        district_keys.pin_city_certificate(city.city_certificate())
        import_extension(district_db, district_keys, notice_path)
        import_extension(district_db, district_keys, notice_path)  # a second import changes nothing
        enter(district_db, district_spec, D1, "2023Q1", A="10")
        with pytest.raises(EntryError):
            enter(district_db, district_spec, D2, "2023Q1", A="10")  # the extension is for D1 alone
        with district_db.session() as session:
            state = deadline_for(session, district_spec, D1, Period(2023, 1))
            extends = session.query(AuditEntry).filter(AuditEntry.action == "extend").count()
        assert state is not None and state.label == "距截止还有 5 天（2023年5月8日截止）"
        assert extends == 1
    finally:
        district_db.close()

    tampered = json.loads(notice_path.read_text("utf-8"))
    tampered["closes"] = "2023-12-31"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(tampered, ensure_ascii=False), "utf-8")
    other = Database(tmp_path / "other.db")
    try:
        store_template(other, calendar_doc(), tmp_path, "other.json")
        with pytest.raises(ExtensionError, match="签名不符"):
            import_extension(other, district_keys, forged)
    finally:
        other.close()


def _received(db: Database, unit: str, period: str, moment: dt.datetime) -> None:
    with db.transaction() as session:
        session.add(AuditEntry(at=moment.astimezone(dt.UTC).isoformat(), user="city-import", action="import",
                               unit_code=unit, period=period))  # fmt: skip


def test_the_city_judges_timeliness_by_the_time_it_received(db: Database, tmp_path: Path, at: Any) -> None:
    city = KeyStore(tmp_path / "city")
    city.city_init("测试市生态环境局", PASSPHRASE)
    spec = store_template(db, calendar_doc(), tmp_path)
    _received(db, D1, "2023Q1", dt.datetime(2023, 4, 15, 23, 59, tzinfo=BEIJING))
    _received(db, D1, "2023Q1", dt.datetime(2023, 4, 20, 10, 0, tzinfo=BEIJING))  # a later revision: no matter
    _received(db, D2, "2023Q1", dt.datetime(2023, 4, 16, 0, 1, tzinfo=BEIJING))
    now = dt.datetime(2023, 6, 1, tzinfo=BEIJING)
    with db.session() as session:
        judged = punctuality_for(session, spec, Period(2023, 1), [D1, D2], now)
    assert judged[D1].timeliness is Timeliness.ON_TIME
    assert (judged[D2].timeliness, judged[D2].label) == (Timeliness.LATE, "逾期 1 天")
    # A unit given a later due date is judged against it.
    extend_period(db, city, D2, Period(2023, 1), dt.date(2023, 4, 20), None, "停电", PASSPHRASE, tmp_path / "n.json")
    with db.session() as session:
        judged = punctuality_for(session, spec, Period(2023, 1), [D1, D2, CITY], now)
        assert punctuality_for(session, spec, Period(2023, 3), [D1], now) == {}  # no calendar for Q3
    assert judged[D2].timeliness is Timeliness.ON_TIME
    assert judged[CITY].timeliness is Timeliness.MISSING


def test_the_demo_tells_its_story_as_of_its_own_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "demo.db"
    assert main(["--db", str(db_path), "--keys", str(tmp_path / "keys"), "demo"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "timeliness", "--period", "2023Q1", "--json"]) == 0
    q1 = json.loads(capsys.readouterr().out)
    late = [u for u in q1["units"] if u["timeliness"] == "late"]
    assert [(u["unit_name"], u["label"]) for u in late] == [("修文县", "逾期 3 天")]
    assert q1["on_time_rate"] == "90.9"
    assert main(["--db", str(db_path), "check", "--unit", "520123", "--period", "2023Q2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deadline"]["label"] == "距截止还有 5 天（2023年7月15日截止）"


def test_calendar_commands_refuse_bad_input_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "t.db"
    template = tmp_path / "t.json"
    template.write_text(json.dumps(document([indicator("A")]), ensure_ascii=False), "utf-8")
    assert main(["--db", str(db_path), "--keys", str(tmp_path / "keys"), "template", "import", "--allow-unsigned",
                 str(template)]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["--db", str(db_path), "timeliness", "--period", "2023Q1"]) == 2
    assert "没有规定 2023年第一季度 的填报期" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["--db", str(db_path), "extend", "--unit", "D1", "--period", "2023Q1", "--due", "2023-13-01",
              "--reason", "x", "--out", str(tmp_path / "n.json")])  # fmt: skip
    assert exited.value.code == 2 and "“2023-13-01”不是日期" in capsys.readouterr().err
