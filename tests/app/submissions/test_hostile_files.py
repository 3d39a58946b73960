"""The hostile corpus (tests/app/submissions/hostile_corpus.py), tried as an attacker would: every file is
refused with its reason, the city import stores none of them and goes on, and no refusal prints a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.city import importer
from app.city.importer import STORED, import_submission, import_submissions
from app.demo import create_demo
from app.storage.catalogs import load_spec
from app.storage.models import Submission
from app.storage.store import catalog_for_year
from app.submissions import workers
from app.submissions.export_pdf import sign_pdf
from app.submissions.signing import canonical, sign_payload
from app.submissions.verify import verify_submission
from app.trust.keys import KeyStore
from tests.app.city.dying_jobs import death, verdicts_or_death
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units, signed_envelope
from tests.app.submissions.hostile_corpus import Case, Material, corpus

UNIT = "520103"
# A stand-in for the verification of a chunk of files in a process (see tests/app/city/dying_jobs.py).
Job = Callable[[list[str], bytes, list[Any]], list[Any]]


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Material, KeyStore, Path]]:
    folder = tmp_path_factory.mktemp("hostile")
    db = create_demo(folder / "demo.db")
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        spec = load_spec(session, catalog)
    keys = keystore_with_units(folder / "test-keys", spec, [UNIT])
    envelope = signed_envelope(db, keys, UNIT, "2023Q2")
    db.close()
    key, cert, ca = keys.unit_key(UNIT, PASSPHRASE), keys.unit_certificate(UNIT), keys.city_certificate()

    def pdf(pages: bytes, env: dict[str, Any]) -> bytes:
        payload = env["payload"] if isinstance(env.get("payload"), dict) else {}
        return sign_pdf(pages, canonical(env), key, cert, [ca], payload)

    yield Material(envelope, lambda p: sign_payload(p, key, cert), pdf), keys, folder


@pytest.fixture(scope="module")
def cases(material: tuple[Material, KeyStore, Path]) -> list[Case]:
    return corpus(material[0])


def test_the_corpus_covers_every_class(cases: list[Case]) -> None:
    assert len(cases) > 150
    assert {c.cls for c in cases} == {"bomb", "visible", "cells", "malformed"}
    assert {c.suffix for c in cases} == {".xlsx", ".pdf"}


def test_every_hostile_file_is_refused_with_its_reason(
    material: tuple[Material, KeyStore, Path], cases: list[Case], capfd: pytest.CaptureFixture[str]
) -> None:
    ca = material[1].city_certificate()
    wrong = []
    for case in cases:
        verdict = verify_submission(case.data, ca, name=f"x{case.suffix}")
        if verdict.valid or verdict.reason not in case.reasons or not verdict.message:
            wrong.append((case.cls, case.name, verdict.reason, verdict.message[:120]))
    assert wrong == []
    assert "Traceback" not in capfd.readouterr().err


def test_a_refused_certificate_prints_nothing_on_stderr(
    material: tuple[Material, KeyStore, Path], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from app.submissions.export_pdf import write_submission_pdf

    folder = material[2]
    keys = KeyStore(folder / "test-keys")
    path = tmp_path / "ok.pdf"
    write_submission_pdf(material[0].envelope, path, keys, PASSPHRASE, "9.8.7")
    other = KeyStore(tmp_path / "other")
    other.city_init("别的市", PASSPHRASE)
    verdict = verify_submission(path, other.city_certificate())
    assert verdict.reason == "unknown_certificate"
    assert capfd.readouterr().err == ""


def hostile_inbox(cases: list[Case], tmp_path: Path) -> tuple[Path, list[Case]]:
    """A folder of the malformed and visibly altered files (numbered in corpus order), and those cases."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    chosen = [c for c in cases if c.cls in ("malformed", "visible")]
    for i, case in enumerate(chosen):
        (inbox / f"{i:03d}{case.suffix}").write_bytes(case.data)
    return inbox, chosen


def test_the_city_import_stores_none_of_them_and_goes_on(
    material: tuple[Material, KeyStore, Path], cases: list[Case], tmp_path: Path
) -> None:
    keys = material[1]
    inbox, malformed = hostile_inbox(cases, tmp_path)
    db = create_demo(tmp_path / "city.db")
    try:
        with db.session() as session:
            before = session.scalar(select(func.count()).select_from(Submission))
        results = import_submissions(db, keys, [inbox], workers=1)
        assert len(results) == len(malformed)
        assert [r for r in results if r.status in STORED] == []
        assert {r.status for r in results} <= {"altered", "malformed", "unreadable"}
        one = import_submission(db, keys.city_certificate(), malformed[0].data, name="upload.xlsx")
        assert one.status not in STORED
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Submission)) == before
    finally:
        db.close()


Outcome = tuple[str, str, str]  # file name, status, message


def import_outcomes(
    keys: KeyStore, inbox: Path, folder: Path, workers: int, job: Job | None = None
) -> tuple[list[Outcome], bool, int]:
    """``inbox`` imported into a fresh demo database in ``folder`` by ``workers`` verification processes (1: in
    this process; more: processes however few the files are), each given ``job`` instead of the real verification.
    Returns the outcomes in file order, whether processes verified them, and how many submissions were stored."""
    made: list[importer._Lanes] = []

    class Lanes(importer._Lanes):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs, **({"job": job} if job else {}))
            made.append(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "PARALLEL_FROM", 2)
        patch.setattr(importer, "_Lanes", Lanes)
        db = create_demo(folder / f"city-{workers}.db")
        try:
            with db.session() as session:
                before = session.scalar(select(func.count()).select_from(Submission)) or 0
            results = import_submissions(db, keys, [inbox], workers=workers)
            with db.session() as session:
                stored = (session.scalar(select(func.count()).select_from(Submission)) or 0) - before
        finally:
            db.close()
    return [(Path(r.file).name, r.status, r.message) for r in results], bool(made), stored


@pytest.mark.parametrize("backlog, ahead", [(20, 200), (1, 5)])
def test_worker_processes_give_every_file_the_verdict_it_gets_here(
    material: tuple[Material, KeyStore, Path],
    cases: list[Case],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backlog: int,
    ahead: int,
) -> None:
    """The hostile files, with valid ones among them, imported by two worker processes (one verifying the PDFs,
    the other the workbooks, and PDFs too when they pile up) give each file the outcome it gets in this process,
    in file order."""
    from app.submissions.export_pdf import write_submission_pdf
    from app.submissions.export_xlsx import write_submission_xlsx

    keys = material[1]
    inbox, chosen = hostile_inbox(cases, tmp_path)
    write_submission_xlsx(material[0].envelope, inbox / "005a.xlsx", "1.0.0")
    write_submission_pdf(material[0].envelope, inbox / "017a.pdf", keys, PASSPHRASE, "1.0.0")
    write_submission_pdf(material[0].envelope, inbox / "900.pdf", keys, PASSPHRASE, "1.0.0")
    monkeypatch.setattr(workers, "PDF_BACKLOG", backlog)
    monkeypatch.setattr(importer, "AHEAD", ahead)
    here, in_process, _ = import_outcomes(keys, inbox, tmp_path, 1)
    processes, by_processes, _ = import_outcomes(keys, inbox, tmp_path, 2)
    assert (in_process, by_processes) == (False, True)
    assert len(processes) == len(chosen) + 3
    assert {".pdf", ".xlsx"} <= {Path(name).suffix for name, _, _ in processes}
    # The valid files pass verification (the demo database holds other figures for that revision: a conflict).
    valid = {status for name, status, _ in processes if name in ("005a.xlsx", "017a.pdf", "900.pdf")}
    assert valid == {"conflict"}
    assert processes == here


def test_a_file_that_kills_its_verification_process_is_refused_and_the_import_goes_on(
    material: tuple[Material, KeyStore, Path], cases: list[Case], tmp_path: Path
) -> None:
    """A file whose verification ends its process (a crash in a library, the system ending it for its memory),
    stood in for by a job that dies on it: that file is refused as such, and every other file of the import,
    hostile or valid, gets the outcome it gets in this process."""
    from app.submissions.export_xlsx import write_submission_xlsx

    keys = material[1]
    inbox, _ = hostile_inbox(cases, tmp_path)
    write_submission_xlsx(material[0].envelope, inbox / "dies.xlsx", "1.0.0")
    write_submission_xlsx(material[0].envelope, inbox / "006a.xlsx", "1.0.0")
    alone = {name: rest for name, *rest in import_outcomes(keys, inbox, tmp_path, 1)[0]}
    processes = {name: rest for name, *rest in import_outcomes(keys, inbox, tmp_path, 2, verdicts_or_death)[0]}
    assert alone["dies.xlsx"][0] == alone["006a.xlsx"][0] == "conflict"  # valid, verified in this process
    assert processes.pop("dies.xlsx") == ["unreadable", importer.CRASHED[2]]
    del alone["dies.xlsx"]
    assert processes == alone


def test_processes_that_cannot_work_stop_the_import_and_say_so(
    material: tuple[Material, KeyStore, Path], tmp_path: Path
) -> None:
    """Verification processes that die whatever they are given: the import stops with every file left
    unprocessed and saying why, nothing refused in the files' name and nothing stored."""
    from app.submissions.export_xlsx import write_submission_xlsx

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        write_submission_xlsx(material[0].envelope, inbox / f"{i}.xlsx", "1.0.0")
    outcomes, by_processes, stored = import_outcomes(material[1], inbox, tmp_path, 2, death)
    stopped = "核验进程无法运行（新启动的核验进程未核验任何文件即退出），导入已停止；此文件未处理"
    assert outcomes == [(f"{i}.xlsx", "cancelled", stopped) for i in range(3)]
    assert by_processes and stored == 0


def test_a_locked_database_is_reported_as_sqlalchemy_reports_it(
    material: tuple[Material, KeyStore, Path], tmp_path: Path
) -> None:
    """Storing runs plain statements on the session's own SQLite connection; a collision with another writer
    still comes out as SQLAlchemy's OperationalError, which the intake service retries on."""
    import copy
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from app.city.importer import store_envelope

    envelope = copy.deepcopy(material[0].envelope)
    envelope["payload"]["revision"] = 7  # a revision the database does not hold: storing it writes
    db = create_demo(tmp_path / "city.db")
    other = sqlite3.connect(tmp_path / "city.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the file
        with db.session() as session:
            session.connection().exec_driver_sql("PRAGMA busy_timeout=0")
            with pytest.raises(OperationalError, match="locked"):
                store_envelope(session, Path("x.xlsx"), envelope)
        other.execute("ROLLBACK")
        with db.session() as session:
            assert store_envelope(session, Path("x.xlsx"), envelope).status == "accepted"
    finally:
        other.close()
        db.close()
