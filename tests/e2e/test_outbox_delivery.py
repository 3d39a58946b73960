"""Nothing lost between the district's outbox and the city's intake service, with a real ``serve`` on 127.0.0.1.

Whatever happens on the way — the server killed with SIGKILL after it committed, a connection reset, a 500, a
timeout, a captive portal's 200 with HTML, the server restarted, the district program killed while uploading —
every submission ends up stored at the city exactly once, the district holds exactly one verifiable receipt for
each, and it never shows 已送达 without one.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli.main import main
from app.storage.db import Database
from app.storage.models import OutboxEntry, Submission
from app.storage.models import Receipt as ReceiptRow
from app.transport import outbox
from app.transport.receipts import verify_receipt
from app.trust.keys import KeyStore
from tests.e2e import intake_setup
from tests.e2e.intake_setup import (
    D1,
    D2,
    MAIN,
    ROOT,
    Faults,
    IntakeServer,
    Setup,
    build,
    sign,
)

pytestmark = pytest.mark.slow
# The fixtures ``setup`` (a city and two districts) and ``server`` (its running intake service).
setup_fixture, server_fixture = intake_setup.setup_fixture, intake_setup.server_fixture


@pytest.fixture
def faults() -> Iterator[list[Faults]]:
    started: list[Faults] = []
    yield started
    for fault in started:
        fault.stop()


def upload(setup: Setup, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["--db", str(setup.district_db), "--keys", str(setup.district_keys), "upload", *extra])
    return code, out.getvalue()


def outbox_json(setup: Setup) -> dict[str, object]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--db", str(setup.district_db), "--keys", str(setup.district_keys), "outbox", "--json"]) == 0
    data: dict[str, object] = json.loads(out.getvalue())
    return data


def states(setup: Setup) -> dict[str, str]:
    db = Database(setup.district_db)
    try:
        return {i.submission_id: i.state for i in outbox.list_outbox(db)}
    finally:
        db.close()


def assert_nothing_lost(setup: Setup, signed: list[str]) -> None:
    """Every signed submission: stored once at the city, one receipt there, and at the district 已送达 with that
    very receipt, verifiable against the pinned city CA."""
    ca = KeyStore(setup.district_keys).city_certificate()
    city = Database(setup.city_db)
    district = Database(setup.district_db)
    try:
        with city.session() as session:
            receipts = {r.submission_id: r.document.encode("utf-8") for r in session.scalars(select(ReceiptRow))}
            stored = session.scalar(select(func.count()).select_from(Submission))
        with district.session() as session:
            entries = {e.submission_id: e for e in session.scalars(select(OutboxEntry))}
    finally:
        city.close()
        district.close()
    assert sorted(entries) == sorted(signed)
    assert sorted(receipts) == sorted(signed)
    assert stored == len(signed)
    for submission_id, entry in entries.items():
        assert entry.state == outbox.DELIVERED
        assert entry.receipt == receipts[submission_id]
        receipt = verify_receipt(entry.receipt, ca)
        assert (receipt.submission_id, receipt.payload_hash) == (submission_id, entry.payload_hash)
        assert receipt.sequence == entry.sequence


def assert_never_delivered_without_receipt(setup: Setup) -> None:
    ca = KeyStore(setup.district_keys).city_certificate()
    db = Database(setup.district_db)
    try:
        with db.session() as session:
            for entry in session.scalars(select(OutboxEntry)):
                if entry.state == outbox.DELIVERED:
                    assert entry.receipt is not None
                    assert verify_receipt(entry.receipt, ca).submission_id == entry.submission_id
                else:
                    assert entry.receipt is None
    finally:
        db.close()


def test_signed_revisions_are_delivered_with_receipts_and_listed(setup: Setup, server: IntakeServer) -> None:
    signed = [sign(setup, D1, "2023Q2"), sign(setup, D2, "2023Q2")]
    ids = [s.envelope["payload"]["submission_id"] for s in signed]
    listed = outbox_json(setup)
    assert listed["intake_url"] == setup.url
    assert [(s["submission_id"], s["state"]) for s in listed["submissions"]] == [  # type: ignore[index]
        (ids[1], "pending"),
        (ids[0], "pending"),
    ]
    code, text = upload(setup)
    assert code == 0, text
    assert "全部已送达" in text
    assert_nothing_lost(setup, ids)
    listed = outbox_json(setup)
    first = listed["submissions"][1]  # type: ignore[index]
    assert first["state_label"] == "已送达" and first["verdict"] == "accepted" and first["sequence"] >= 1
    assert listed["last_contact"]
    # Nothing pending: the next upload sends nothing again and says so.
    code, text = upload(setup)
    assert code == 0 and text.endswith(f"全部已送达（{setup.url}）\n") and "已送达  " not in text
    assert_nothing_lost(setup, ids)


def test_delivery_over_tls_trusts_the_server_certificate_the_city_issued(tmp_path: Path) -> None:
    setup = build(tmp_path / "tls", tls=True)
    assert setup.url.startswith("https://")
    server = IntakeServer(setup).start()
    try:
        signed = sign(setup, D1, "2023Q2")
        code, text = upload(setup)
    finally:
        server.stop()
    assert code == 0, text
    assert_nothing_lost(setup, [signed.envelope["payload"]["submission_id"]])


def test_a_revision_superseded_while_it_waits_is_delivered_before_the_newer_one(
    setup: Setup, server: IntakeServer
) -> None:
    first = sign(setup, D1, "2023Q2", "60")
    second = sign(setup, D1, "2023Q2", "61")
    assert (first.revision, second.revision) == (1, 2)
    assert upload(setup)[0] == 0
    ids = [first.envelope["payload"]["submission_id"], second.envelope["payload"]["submission_id"]]
    assert_nothing_lost(setup, ids)
    listed = {s["revision"]: s for s in outbox_json(setup)["submissions"]}  # type: ignore[attr-defined]
    assert listed[1]["verdict"] == listed[2]["verdict"] == "accepted"
    assert listed[1]["sequence"] < listed[2]["sequence"]
    city = Database(setup.city_db)
    try:
        with city.session() as session:
            assert sorted(session.scalars(select(Submission.revision))) == [1, 2]
    finally:
        city.close()


@pytest.mark.parametrize("mode", ["portal", "error", "reset", "hang"])
def test_anything_but_a_receipt_leaves_the_submission_pending(
    setup: Setup, server: IntakeServer, faults: list[Faults], mode: str
) -> None:
    fault = Faults(mode)
    faults.append(fault)
    signed = sign(setup, D1, "2023Q2")
    code, text = upload(setup, "--server", fault.url, "--timeout", "2")
    assert code == 3, text
    assert "仍待上报" in text
    assert states(setup) == {signed.envelope["payload"]["submission_id"]: outbox.PENDING}
    assert_never_delivered_without_receipt(setup)
    listed = outbox_json(setup)["submissions"][0]  # type: ignore[index]
    assert listed["attempts"] == 1 and listed["last_error"]
    code, text = upload(setup)
    assert code == 0, text
    assert_nothing_lost(setup, [signed.envelope["payload"]["submission_id"]])


def test_server_killed_after_committing_an_upload_gives_the_same_receipt_later(
    setup: Setup, server: IntakeServer, faults: list[Faults]
) -> None:
    signed = [sign(setup, unit, period) for unit in (D1, D2) for period in ("2023Q1", "2023Q2", "2023Q3")]
    ids = [s.envelope["payload"]["submission_id"] for s in signed]
    # The third upload reaches the server, which stores it and signs its receipt; then the server is killed
    # with SIGKILL before the district sees the answer.
    proxy = Faults("proxy", "--upstream", str(setup.port), "--kill-at", "3", "--kill-pid", str(server.pid))
    faults.append(proxy)
    code, text = upload(setup, "--server", proxy.url, "--timeout", "5")
    assert code == 3, text
    assert server.process is not None and server.process.wait(timeout=30) == -signal.SIGKILL
    now = states(setup)
    assert sorted(now.values()) == [outbox.DELIVERED] * 2 + [outbox.PENDING] * 4
    assert_never_delivered_without_receipt(setup)
    server.kill()  # the verifying processes too
    server.start()
    code, text = upload(setup)
    assert code == 0, text
    assert_nothing_lost(setup, ids)
    third = next(s for s in outbox_json(setup)["submissions"] if s["submission_id"] == ids[2])  # type: ignore[attr-defined]
    assert third["verdict"] == "accepted"  # the receipt signed before the kill, given again


def test_no_server_at_all_then_a_restarted_server(setup: Setup) -> None:
    signed = sign(setup, D1, "2023Q2")
    code, text = upload(setup, "--timeout", "2")
    assert code == 3 and "无法连接" in text
    server = IntakeServer(setup).start()
    try:
        assert upload(setup)[0] == 0
        server.kill()
        server.start()  # a new process: nothing of the old one's memory, the same database
        again = sign(setup, D1, "2023Q3")
        assert upload(setup)[0] == 0
    finally:
        server.stop()
    assert_nothing_lost(setup, [s.envelope["payload"]["submission_id"] for s in (signed, again)])


def test_the_district_program_killed_while_uploading_resumes_at_the_next_start(
    setup: Setup, server: IntakeServer, faults: list[Faults]
) -> None:
    signed = sign(setup, D1, "2023Q2")
    hang = Faults("hang")
    faults.append(hang)
    command = [
        sys.executable, str(MAIN), "--db", str(setup.district_db), "--keys", str(setup.district_keys),
        "upload", "--server", hang.url, "--timeout", "600",
    ]  # fmt: skip
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while states(setup) != {signed.envelope["payload"]["submission_id"]: outbox.SENDING}:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert states(setup) == {signed.envelope["payload"]["submission_id"]: outbox.SENDING}
    code, text = upload(setup)
    assert code == 0, text
    assert_nothing_lost(setup, [signed.envelope["payload"]["submission_id"]])


def test_a_refused_submission_is_kept_with_the_reason_and_the_exit_status_says_so(
    setup: Setup, server: IntakeServer, tmp_path: Path
) -> None:
    # A second PC with the same unit key signs its own first revision: the same submission id, other figures.
    other = build(tmp_path / "other", port=setup.port)
    import shutil

    shutil.rmtree(other.district_keys)
    shutil.copytree(setup.district_keys, other.district_keys)
    theirs = sign(other, D1, "2023Q2", "60")
    ours = sign(setup, D1, "2023Q2", "61")
    assert theirs.envelope["payload"]["submission_id"] == ours.envelope["payload"]["submission_id"]
    assert upload(other, "--server", setup.url)[0] == 0
    code, text = upload(setup)
    assert code == 2, text
    assert "被拒收" in text
    refused = outbox_json(setup)["submissions"][0]  # type: ignore[index]
    assert refused["state"] == "refused" and refused["reason_code"] and refused["reason"]
    assert_never_delivered_without_receipt(setup)
    # Refused stays refused: the next upload does not send it again, and still says something is refused.
    assert upload(setup)[0] == 2
