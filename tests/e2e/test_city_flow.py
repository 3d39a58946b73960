"""From districts to the city: every district signs and exports its 2023Q2 submission; a fresh city database
imports the folder, verifies each file, and its figures reproduce the seed's mid-year evaluation."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.cli.main import main
from app.demo import DEMO_PASSPHRASE, TEMPLATE, VALUES
from app.storage.db import Database
from tests.app.test_demo import SEED_FIGURES, SEED_SENTENCE

CITY = "520100"
DISTRICTS = [
    "520102",
    "520103",
    "520111",
    "520112",
    "520113",
    "520115",
    "520181",
    "520123",
    "520122",
    "520121",
    "GA0001",
]


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("city-flow")
    secret = root / "pass.txt"
    secret.write_text(DEMO_PASSPHRASE, encoding="utf-8")
    district_db = root / "districts" / "demo.db"
    district_db.parent.mkdir()
    assert run("--db", str(district_db), "demo")[0] == 0
    keys = district_db.parent / "keys"  # the demo CA and every unit's certificate
    inbox = root / "inbox"
    inbox.mkdir()
    for unit in DISTRICTS:
        assert (
            run(
                "--db", str(district_db), "sign", "--unit", unit, "--period", "2023Q2", "--passphrase-file", str(secret)
            )[0]
            == 0
        )
        kind = "--pdf" if unit in ("520103", "GA0001") else "--xlsx"  # both kinds of file arrive
        suffix = ".pdf" if kind == "--pdf" else ".xlsx"
        assert (
            run(
                "--db",
                str(district_db),
                "export",
                "--unit",
                unit,
                "--period",
                "2023Q2",
                kind,
                str(inbox / f"{unit}{suffix}"),
                "--passphrase-file",
                str(secret),
            )[0]
            == 0
        )
    # The city signs the template it issued; a fresh city database imports it, then the folder.
    template = root / "template.json"
    shutil.copy(TEMPLATE, template)
    city_db = root / "city" / "city.db"
    city_db.parent.mkdir()
    base = ["--db", str(city_db), "--keys", str(keys)]
    assert run(*base, "template", "sign", str(template), "--passphrase-file", str(secret))[0] == 0
    assert run(*base, "template", "import", str(template))[0] == 0
    code, out = run(*base, "import", str(inbox), "--json")
    # The city enters its own figure for the indicator it does not aggregate (大数据融合发展水平).
    own = [
        v
        for v in json.loads(VALUES.read_text(encoding="utf-8"))["values"]
        if v["unit"] == CITY and v["period"] == "2023Q2"
    ]
    csv = root / "city-own.csv"
    csv.write_text("code,value\n" + "".join(f"{v['indicator']},{v['value']}\n" for v in own), encoding="utf-8")
    assert run(*base, "values", "import", "--unit", CITY, "--period", "2023Q2", str(csv))[0] == 0
    return {
        "root": root,
        "inbox": inbox,
        "base": base,
        "import_code": code,
        "imported": json.loads(out)["results"],
        "city_db": city_db,
        "secret": secret,
    }


def test_every_district_file_is_verified_and_imported(flow: dict[str, Any]) -> None:
    assert flow["import_code"] == 0
    assert sorted(r["unit"] for r in flow["imported"]) == sorted(DISTRICTS)
    assert {r["status"] for r in flow["imported"]} == {"accepted"}


def stored_envelopes(db_path: Path) -> dict[tuple[str, int], str]:
    """The envelope text stored for each revision, by unit and revision."""
    from sqlalchemy import select

    from app.storage.models import Submission, Unit

    db = Database(db_path)
    try:
        with db.session() as session:
            rows = session.execute(
                select(Unit.code, Submission.revision, Submission.signature).join(Unit, Submission.unit_id == Unit.id)
            )
            return {(code, revision): signature for code, revision, signature in rows if signature}
    finally:
        db.close()


def test_each_revision_keeps_the_envelope_its_file_carried(flow: dict[str, Any]) -> None:
    """The text stored is the file's own envelope (a workbook's, read whole by its check, is stored as it is; a
    PDF's is written out again): canonical JSON of exactly what was verified."""
    from app.submissions.verify_pdf import read_envelope_pdf
    from app.submissions.verify_xlsx import read_envelope_xlsx
    from app.trust.canonical import canonical_text

    stored = stored_envelopes(flow["city_db"])
    for file in sorted(flow["inbox"].iterdir()):
        read = read_envelope_pdf if file.suffix == ".pdf" else read_envelope_xlsx
        envelope = read(file)
        assert stored[(file.stem, 1)] == canonical_text(envelope), file.name


def test_city_figures_reproduce_the_seed(flow: dict[str, Any]) -> None:
    code, out = run(*flow["base"], "aggregate", "--period", "2023Q2", "--json")
    assert code == 0
    rows = json.loads(out)["indicators"]
    for wording, figure in SEED_FIGURES.items():
        (row,) = [r for r in rows if wording in r["name"]]
        assert Decimal(row["value"]) == Decimal(figure), wording
        if row["aggregation"] not in ("none",):
            assert row["reported"] == len(DISTRICTS), wording
    code, out = run(*flow["base"], "check", "--unit", CITY, "--period", "2023Q2", "--json")
    check = json.loads(out)
    assert check["summary"] == SEED_SENTENCE
    assert check["counts"]["completed"] == 11 and check["counts"]["on_track"] == 26 and check["counts"]["exceeded"] == 2


def test_importing_the_folder_again_changes_nothing(flow: dict[str, Any]) -> None:
    def snapshot() -> tuple[int, int]:
        from sqlalchemy import func, select

        from app.storage.models import Submission, Value

        db = Database(flow["city_db"])
        try:
            with db.session() as session:
                return (
                    session.scalar(select(func.count()).select_from(Submission)) or 0,
                    session.scalar(select(func.count()).select_from(Value)) or 0,
                )
        finally:
            db.close()

    before = snapshot()
    code, out = run(*flow["base"], "import", str(flow["inbox"]), "--json")
    assert code == 0
    assert {r["status"] for r in json.loads(out)["results"]} == {"duplicate"}
    assert snapshot() == before


def test_an_altered_file_is_refused_and_named(flow: dict[str, Any], tmp_path: Path) -> None:
    altered = tmp_path / "520102-altered.xlsx"
    book = openpyxl.load_workbook(flow["inbox"] / "520102.xlsx")
    sheet = book["报送表"]
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == "绿色建筑占比":
                sheet.cell(row=cell.row, column=cell.column + 5).value = "99.9"  # the figure a few columns right
    book.save(altered)
    code, out = run(*flow["base"], "import", str(altered), "--json")
    assert code == 2
    (result,) = json.loads(out)["results"]
    assert result["file"] == str(altered) and result["status"] == "altered"
    assert "单元格" in result["message"]


def test_a_later_revision_supersedes_and_the_earlier_drops_out_of_the_totals(flow: dict[str, Any]) -> None:
    root, secret = flow["root"], flow["secret"]
    district_db = root / "districts" / "demo.db"
    # 南明区 corrects a figure: revision 2 of its 2023Q2 report.
    csv = root / "fix.csv"
    csv.write_text("code,value\nS13,9\n", encoding="utf-8")  # 落实非机动车道设置的道路
    assert run("--db", str(district_db), "values", "import", "--unit", "520102", "--period", "2023Q2", str(csv))[0] == 0
    assert (
        run(
            "--db", str(district_db), "sign", "--unit", "520102", "--period", "2023Q2", "--passphrase-file", str(secret)
        )[0]
        == 0
    )
    fixed = root / "520102-r2.xlsx"
    assert (
        run("--db", str(district_db), "export", "--unit", "520102", "--period", "2023Q2", "--xlsx", str(fixed))[0] == 0
    )
    before = _city_value(flow, "S13")
    code, out = run(*flow["base"], "import", str(fixed), "--json")
    assert code == 0 and json.loads(out)["results"][0]["status"] == "accepted"
    after = _city_value(flow, "S13")
    old = _district_value(root, "520102", "S13", revision=1)
    assert after == before - old + Decimal(9)
    # The first revision, imported again, is kept but no longer counts.
    code, out = run(*flow["base"], "import", str(flow["inbox"] / "520102.xlsx"), "--json")
    assert json.loads(out)["results"][0]["status"] == "duplicate"
    assert _city_value(flow, "S13") == after


def _city_value(flow: dict[str, Any], code: str) -> Decimal:
    _, out = run(*flow["base"], "aggregate", "--period", "2023Q2", "--json")
    (row,) = [r for r in json.loads(out)["indicators"] if r["code"] == code]
    return Decimal(row["value"])


def _district_value(root: Path, unit: str, code: str, revision: int) -> Decimal:
    values = json.loads(VALUES.read_text(encoding="utf-8"))["values"]
    (row,) = [v for v in values if v["unit"] == unit and v["period"] == "2023Q2" and v["indicator"] == code]
    return Decimal(row["value"])


def test_verifying_in_worker_processes_gives_the_same_results(
    flow: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.city.importer
    from app.trust.keys import KeyStore

    monkeypatch.setattr(app.city.importer, "PARALLEL_FROM", 2)  # the 11 files here, as if they were many
    db_path = tmp_path / "city.db"
    keys = KeyStore(Path(flow["base"][3]))
    template = flow["root"] / "template.json"
    from app.templates.signing import import_signed_template_file

    db = Database(db_path)
    try:
        import_signed_template_file(db, keys, template)
        seen: list[int] = []
        parallel = app.city.importer.import_submissions(
            db, keys, [flow["inbox"]], progress=lambda d, _t: seen.append(d), workers=2
        )
    finally:
        db.close()
    assert [(Path(r.file).name, r.status) for r in parallel] == [
        (Path(r["file"]).name, r["status"]) for r in flow["imported"]
    ]
    assert seen == list(range(1, len(parallel) + 1))
    # What the worker processes handed back is stored as the import in this process stored it.
    first = {key: text for key, text in stored_envelopes(flow["city_db"]).items() if key[1] == 1}
    assert stored_envelopes(db_path) == first


def test_the_city_report_is_signed_and_says_how_complete_it_is(flow: dict[str, Any], tmp_path: Path) -> None:
    from app.submissions.verify_pdf import verify_pdf
    from app.submissions.verify_xlsx import verify_xlsx
    from app.trust.keys import KeyStore

    xlsx, pdf = tmp_path / "全市.xlsx", tmp_path / "全市.pdf"
    args = [*flow["base"], "report", "--period", "2023Q2", "--xlsx", str(xlsx), "--pdf", str(pdf)]
    code, out = run(*args, "--passphrase-file", str(flow["secret"]))
    assert code == 0 and "已导出" in out
    ca = KeyStore(Path(flow["base"][3])).city_certificate()
    for payload in (verify_xlsx(xlsx, ca), verify_pdf(pdf, ca)):
        assert payload["unit"]["code"] == CITY
        assert payload["summary"].startswith(SEED_SENTENCE.rstrip("。"))
        assert "11 个单位中已报送 11 个" in payload["summary"]


def test_a_returned_unit_is_named_in_the_city_report(flow: dict[str, Any], tmp_path: Path) -> None:
    from app.submissions.verify_xlsx import verify_xlsx
    from app.trust.keys import KeyStore

    city_db = tmp_path / "city.db"
    shutil.copy(flow["city_db"], city_db)  # the other tests keep the flow's database as it was
    base = ["--db", str(city_db), *flow["base"][2:]]
    secret = ["--passphrase-file", str(flow["secret"])]
    notice = tmp_path / "退回通知.json"
    reason = ["--reason", "绿色建筑面积口径有误", "--out", str(notice)]
    assert run(*base, "return", "--unit", "520103", "--period", "2023Q2", *reason, *secret)[0] == 0
    xlsx = tmp_path / "全市.xlsx"
    assert run(*base, "report", "--period", "2023Q2", "--xlsx", str(xlsx), *secret)[0] == 0
    payload = verify_xlsx(xlsx, KeyStore(Path(flow["base"][3])).city_certificate())
    assert "11 个单位中已报送 11 个；已退回待更正（仍按退回的数字计入）：云岩区" in payload["summary"]
    assert payload["report"]["returned_units"] == ["云岩区"]


def test_a_report_to_an_unwritable_place_is_refused_with_a_message(
    flow: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    taken = tmp_path / "全市.xlsx"
    taken.mkdir()  # a folder where the file should go
    secret = ["--passphrase-file", str(flow["secret"])]
    assert run(*flow["base"], "report", "--period", "2023Q2", "--xlsx", str(taken), *secret)[0] == 2
    assert "无法写入文件" in capsys.readouterr().err


def test_cancelling_an_import_in_worker_processes_ends_them_and_keeps_what_was_stored(
    flow: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled after two files, the import keeps those two, reports the rest as cancelled, and leaves no
    verification process behind (their work in hand is dropped, not waited for)."""
    import multiprocessing

    import app.city.importer
    from app.engine.cancel import CancelToken
    from app.templates.signing import import_signed_template_file
    from app.trust.keys import KeyStore

    monkeypatch.setattr(app.city.importer, "PARALLEL_FROM", 2)
    keys = KeyStore(Path(flow["base"][3]))
    db = Database(tmp_path / "city.db")
    token = CancelToken()
    before = set(multiprocessing.active_children())  # whatever else this test process runs

    def progress(done: int, _total: int) -> None:
        if done == 2:
            token.cancel()

    try:
        import_signed_template_file(db, keys, flow["root"] / "template.json")
        results = app.city.importer.import_submissions(
            db, keys, [flow["inbox"]], progress=progress, cancel=token, workers=2
        )
    finally:
        db.close()
    assert [r.status for r in results[:2]] == ["accepted", "accepted"]
    assert {r.status for r in results[2:]} == {"cancelled"} and len(results) > 2
    assert set(multiprocessing.active_children()) <= before
