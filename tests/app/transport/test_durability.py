"""The service killed with SIGKILL in the middle of uploads loses nothing it receipted: every receipt a client
holds names a stored revision with that very receipt, and sending everything again gives each submission once."""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from app.storage.models import Receipt as ReceiptRow
from app.storage.models import Submission
from app.transport.client import Unreachable
from app.transport.receipts import Receipt
from tests.app.transport.conftest import City, Files
from tests.app.transport.helpers import Server, city_database
from tests.pg import PgServer

CLIENTS = 8
KILL_AFTER = 8


def upload_all(server: Server, paths: list[Path], receipts: dict[Path, Receipt], stop_on_failure: bool) -> int:
    """Upload ``paths`` from several clients at once, putting each receipt in ``receipts`` as it comes; the number
    of uploads that got no answer."""
    todo: queue.Queue[Path] = queue.Queue()
    for path in paths:
        todo.put(path)
    failures = [0]
    lock = threading.Lock()

    def work() -> None:
        with server.client(timeout=60) as client:
            while True:
                try:
                    path = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    receipt = client.upload(path.read_bytes(), path.name)
                except Unreachable:
                    with lock:
                        failures[0] += 1
                    if stop_on_failure:
                        return
                    continue
                with lock:
                    receipts[path] = receipt

    threads = [threading.Thread(target=work) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return failures[0]


def test_a_killed_service_keeps_every_receipt_it_gave(city: City, files: Files, keys_dir: Path, tmp_path: Path) -> None:
    paths = files.load
    server = Server(city.location, keys_dir, tmp_path / "serve.log", tls=False).start()
    got: dict[Path, Receipt] = {}
    lost = [0]

    def load() -> None:
        lost[0] = upload_all(server, paths, got, stop_on_failure=True)

    loader = threading.Thread(target=load)
    loader.start()
    deadline = time.monotonic() + 120
    while len(got) < KILL_AFTER and loader.is_alive() and time.monotonic() < deadline:
        time.sleep(0.002)
    server.kill()  # SIGKILL, with uploads in flight
    loader.join(180)
    assert got, "no upload finished before the kill"
    assert lost[0] > 0 or len(got) < len(paths), "the kill came after every upload: nothing was in flight"

    # Every receipt a client holds is stored, byte for byte, with the revision it names.
    db = city.open()
    try:
        with db.session() as session:
            for receipt in got.values():
                row = session.scalar(select(ReceiptRow).where(ReceiptRow.submission_id == receipt.submission_id))
                assert row is not None and row.document.encode("utf-8") == receipt.raw
                stored = session.get(Submission, row.submission_row_id)
                assert stored is not None and stored.payload_hash == receipt.payload_hash
        assert db.integrity_check() == "ok"
    finally:
        db.close()

    # Started again on the same database, the service takes everything once more: each submission once, and
    # the receipts given before the kill are given again unchanged.
    server = Server(city.location, keys_dir, tmp_path / "serve-again.log", tls=False).start()
    again: dict[Path, Receipt] = {}
    try:
        failures = upload_all(server, paths, again, stop_on_failure=False)
    finally:
        server.stop()
    assert failures == 0 and set(again) == set(paths)
    for path, receipt in got.items():
        assert again[path].raw == receipt.raw
    db = city.open()
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Submission)) == len(paths)
            assert session.scalar(select(func.count()).select_from(ReceiptRow)) == len(paths)
            sequences = list(session.scalars(select(ReceiptRow.id)))
        assert len(set(sequences)) == len(paths)
        assert len({r.submission_id for r in again.values()}) == len(paths)
    finally:
        db.close()


def test_several_workers_share_a_postgresql_database(
    postgresql: PgServer, files: Files, keys_dir: Path, tmp_path: Path
) -> None:
    location = postgresql.fresh()
    try:
        city_database(location, files.district, tmp_path)
        server = Server(location, keys_dir, tmp_path / "serve.log", ["--workers", "2"], tls=False).start()
        receipts: dict[Path, Receipt] = {}
        try:
            # Each file twice, from clients on both workers at once: one submission and one receipt each.
            assert upload_all(server, files.load + files.load, receipts, stop_on_failure=False) == 0
            assert set(receipts) == set(files.load)
            again: dict[Path, Receipt] = {}
            assert upload_all(server, files.load, again, stop_on_failure=False) == 0
            assert all(again[p].raw == receipts[p].raw for p in files.load)
        finally:
            server.stop()
        city = City(location, tmp_path)
        db = city.open()
        try:
            with db.session() as session:
                assert session.scalar(select(func.count()).select_from(Submission)) == len(files.load)
                assert session.scalar(select(func.count()).select_from(ReceiptRow)) == len(files.load)
        finally:
            db.close()
    finally:
        postgresql.drop(location)
