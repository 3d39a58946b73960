"""Returning a submission (退回) with a signed notice, and the diff between two revisions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from app import __version__
from app.city.returns import ReturnError, import_notice, return_submission
from app.cli.main import main
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.revisions import diff_revisions
from app.storage.store import Change, apply_changes, revisions
from app.submissions.signing import sign_and_lock
from app.trust.keys import KeyStore
from tests.app.helpers import enter, store_template
from tests.app.sample_templates import D1, document, indicator
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units

Q2 = Period(2023, 2)
Signed = tuple[Database, KeyStore, CatalogSpec]


@pytest.fixture
def signed(db: Database, tmp_path: Path) -> Signed:
    spec = store_template(db, document([indicator("A"), indicator("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="60", B="70")
    keys = keystore_with_units(tmp_path / "keys", spec, [D1])
    sign_and_lock(db, keys, D1, Q2, PASSPHRASE)
    return db, keys, spec


def test_a_returned_submission_is_recorded_and_the_district_imports_the_notice(signed: Signed, tmp_path: Path) -> None:
    db, keys, spec = signed
    notice_file = tmp_path / "退回通知.json"
    notice = return_submission(db, keys, D1, Q2, "绿色建筑面积口径有误，请核实", PASSPHRASE, notice_file)
    assert notice.revision == 1
    assert json.loads(notice_file.read_text(encoding="utf-8"))["generator"] == f"填报通 Tianbao {__version__}"
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Q2)] == [(1, "returned")]
    # The district's own database (here the same file) takes the notice; its next edit opens revision 2.
    assert import_notice(db, keys, notice_file).reason == "绿色建筑面积口径有误，请核实"
    with db.transaction() as session:
        apply_changes(session, spec, D1, Q2, [Change("A", value=Decimal("65"))], "clerk")
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Q2)] == [(1, "returned"), (2, "draft")]


def test_a_changed_or_foreign_notice_is_refused(signed: Signed, tmp_path: Path) -> None:
    db, keys, _ = signed
    notice_file = tmp_path / "n.json"
    return_submission(db, keys, D1, Q2, "请补充说明", PASSPHRASE, notice_file)
    document_ = json.loads(notice_file.read_text(encoding="utf-8"))
    document_["reason"] = "无需修改"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document_, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ReturnError, match="签名不符"):
        import_notice(db, keys, changed)
    other = keystore_with_units(tmp_path / "other", signed[2], [D1])
    with pytest.raises(ReturnError, match="市级证书"):
        import_notice(db, other, notice_file)
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\xff\x00not json")
    with pytest.raises(ReturnError, match="不是有效的退回通知"):
        import_notice(db, keys, garbage)


def test_the_diff_names_every_changed_field(signed: Signed) -> None:
    db, _, spec = signed
    with db.transaction() as session:
        apply_changes(
            session,
            spec,
            D1,
            Q2,
            [Change("A", value=Decimal("61")), Change("B", explanation="新增说明")],
            "c",
        )
    changes = diff_revisions(db, D1, Q2, 1, 2)
    assert [(c.indicator, c.field, c.old, c.new) for c in changes] == [
        ("A", "value", "60", "61"),
        ("B", "explanation", None, "新增说明"),
    ]
    with pytest.raises(LookupError, match="没有第 3 版"):
        diff_revisions(db, D1, Q2, 1, 3)


def test_cli_return_notice_and_history(signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, keys, _ = signed
    secret = tmp_path / "p.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    base = ["--db", str(db.path), "--keys", str(keys.folder)]
    notice = tmp_path / "notice.json"
    args = [*base, "return", "--unit", D1, "--period", "2023Q2", "--reason", "数据有误", "--out", str(notice)]
    assert main([*args, "--passphrase-file", str(secret)]) == 0
    assert main([*base, "notice", str(notice)]) == 0
    assert "修改后重新签名报送" in capsys.readouterr().out
    assert main([*base, "history", "--unit", D1, "--period", "2023Q2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["status"] == "returned" and rows[0]["returned"] == ["数据有误"]


def test_an_accepted_submission_gets_a_signed_notice_the_district_records(signed: Signed, tmp_path: Path) -> None:
    from app.city.returns import accept_submission, check_notice_document
    from app.storage.models import AuditEntry
    from app.storage.models import Notice as NoticeRow

    db, keys, _ = signed
    notice_file = tmp_path / "审核通过.json"
    notice = accept_submission(db, keys, D1, Q2, PASSPHRASE, "数据已核对，无误", notice_file)
    assert (notice.kind, notice.revision, notice.reason) == ("accepted", 1, "数据已核对，无误")
    document = json.loads(notice_file.read_text(encoding="utf-8"))
    assert (document["format"], document["kind"]) == ("tianbao-accept-notice", "accepted")
    assert check_notice_document(document, keys.city_certificate()) == notice
    # Accepting again gives the notice it has; the revision stays as it was.
    assert accept_submission(db, keys, D1, Q2, PASSPHRASE, "别的意见") == notice
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Q2)] == [(1, "locked")]
        kept = session.scalars(select(NoticeRow)).all()
        assert [(n.kind, json.loads(n.document)) for n in kept] == [("accepted", document)]
    # The district records it once, however often it is applied; it is never taken for a return.
    assert import_notice(db, keys, notice_file).kind == "accepted"
    assert import_notice(db, keys, notice_file).kind == "accepted"
    with db.session() as session:
        actions = [a.action for a in session.scalars(select(AuditEntry).where(AuditEntry.action == "accept"))]
        # Here the district's database is the city's own, which recorded the acceptance already: one entry.
        assert actions == ["accept"]
        assert [(r.revision, r.status) for r in revisions(session, D1, Q2)] == [(1, "locked")]


def test_a_returned_revision_cannot_be_accepted_and_notices_need_no_file(signed: Signed) -> None:
    from app.city.returns import accept_submission
    from app.storage.models import Notice as NoticeRow

    db, keys, _ = signed
    returned = return_submission(db, keys, D1, Q2, "请补充说明", PASSPHRASE)
    with pytest.raises(ReturnError, match="已被退回"):
        accept_submission(db, keys, D1, Q2, PASSPHRASE)
    with db.session() as session:
        (row,) = session.scalars(select(NoticeRow)).all()
        assert row.kind == "returned"
        document = json.loads(row.document)
    assert (document["format"], document["kind"], document["reason"]) == (
        "tianbao-return-notice",
        "returned",
        "请补充说明",
    )
    assert document["returned_at"] == returned.returned_at


def test_an_acceptance_notice_changed_into_a_return_is_refused(signed: Signed, tmp_path: Path) -> None:
    from app.city.returns import accept_submission

    db, keys, _ = signed
    notice_file = tmp_path / "n.json"
    accept_submission(db, keys, D1, Q2, PASSPHRASE, out=notice_file)
    document = json.loads(notice_file.read_text(encoding="utf-8"))
    document["format"], document["kind"] = "tianbao-return-notice", "returned"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ReturnError, match="签名不符"):
        import_notice(db, keys, changed)


def test_cli_accept_and_notice(signed: Signed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, keys, _ = signed
    secret = tmp_path / "p.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    base = ["--db", str(db.path), "--keys", str(keys.folder)]
    notice = tmp_path / "accept.json"
    args = [*base, "accept", "--unit", D1, "--period", "2023Q2", "--comment", "已核", "--out", str(notice)]
    assert main([*args, "--passphrase-file", str(secret)]) == 0
    assert "已审核通过" in capsys.readouterr().out
    assert main([*base, "notice", str(notice)]) == 0
    assert "市级已审核通过" in capsys.readouterr().out
    assert (
        main([*base, "accept", "--unit", D1, "--period", "2023Q2", "--revision", "9", "--passphrase-file", str(secret)])
        == 2
    )
