"""The service's verification processes: PDFs (which need pyHanko, the PDF drawing and its font, some 60 MB per
process) are verified by their own processes while the rest take workbooks only; PDFs spill over only when they
pile up; a killed verification process costs one answer (503), not the service."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from app.submissions import workers
from app.submissions.workers import Lane
from app.transport import verifier
from app.transport.verifier import Verifier, VerifierUnavailable
from tests.app.losing_pool import LosingPool
from tests.app.transport.conftest import Files


def loaded() -> tuple[int, bool]:
    """(In a verification process) its pid, and whether it holds what PDFs need."""
    return os.getpid(), "reportlab" in sys.modules and "pyhanko" in sys.modules


def ca_pem(files: Files) -> bytes:
    return files.district.keys.city_certificate().public_bytes(serialization.Encoding.PEM)


async def probe(lane: Lane) -> tuple[int, bool]:
    return await asyncio.get_running_loop().run_in_executor(lane.executor(), loaded)


def test_workbooks_go_anywhere_and_pdfs_to_the_pdf_process(files: Files) -> None:
    async def run() -> None:
        service = Verifier(2)
        await service.start()
        try:
            pdf_lane, workbook_lane = service.lanes
            assert (await probe(pdf_lane))[1] and not (await probe(workbook_lane))[1]
            workbooks = [f for f in files.load if f.suffix == ".xlsx"]
            pdfs = [f for f in files.load if f.suffix == ".pdf"]
            assert workbooks and pdfs
            verdicts = await asyncio.gather(
                *(service.verify(f.read_bytes(), f.suffix, ca_pem(files)) for f in workbooks + pdfs)
            )
            assert all(v[0] for v in verdicts), [v[1:] for v in verdicts if not v[0]]
            # Workbooks were shared out, yet the workbook process never loaded what PDFs need.
            assert not workbook_lane.pdf and not (await probe(workbook_lane))[1]
            assert pdf_lane.busy == workbook_lane.busy == 0 and not service.pdfs and not service.workbooks
        finally:
            service.close()

    asyncio.run(run())


def test_pdfs_that_pile_up_spill_over_to_the_other_process(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "PDF_BACKLOG", 0)  # any PDF waiting is a pile here

    async def run() -> None:
        service = Verifier(2)
        await service.start()
        try:
            pdfs = [f for f in files.load if f.suffix == ".pdf"] * 3
            verdicts = await asyncio.gather(*(service.verify(f.read_bytes(), ".pdf", ca_pem(files)) for f in pdfs))
            assert all(v[0] for v in verdicts)
            assert service.lanes[1].pdf and (await probe(service.lanes[1]))[1]
        finally:
            service.close()

    asyncio.run(run())


def test_a_killed_verification_process_fails_one_answer_and_is_replaced(files: Files) -> None:
    pdf = next(f for f in files.load if f.suffix == ".pdf")

    async def run() -> None:
        service = Verifier(1)
        await service.start()
        try:
            (lane,) = service.lanes
            pid, _ = await probe(lane)
            pending = asyncio.ensure_future(service.verify(pdf.read_bytes(), ".pdf", ca_pem(files)))
            await asyncio.sleep(0.01)
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(VerifierUnavailable):
                await pending
            again = await service.verify(pdf.read_bytes(), ".pdf", ca_pem(files))
            assert again[0] and (await probe(lane))[0] != pid
        finally:
            service.close()

    asyncio.run(run())


def test_a_file_of_another_kind_is_refused_before_any_process_sees_it(files: Files) -> None:
    verdict = verifier.verify_job(Path(files.load[0]).read_bytes(), ".docx", ca_pem(files))
    assert verdict[:2] == (False, "not_tianbao")


class BreakingPool(ThreadPoolExecutor):
    """A pool whose process dies on its first job, just as a second one is handed to it: the first fails as
    broken, the second never comes back (as CPython 3.11 can leave it)."""

    given = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.given += 1
        future: Future[Any] = Future()
        if self.given == 1:
            threading.Timer(0.2, future.set_exception, [BrokenProcessPool("a process died")]).start()
        return future


def test_work_a_broken_pool_never_finishes_is_given_up_with_it(caplog: pytest.LogCaptureFixture) -> None:
    made: list[ThreadPoolExecutor] = []

    def make(size: int) -> ThreadPoolExecutor:
        made.append(BreakingPool(size) if not made else ThreadPoolExecutor(size))
        return made[-1]

    async def run() -> None:
        service = Verifier(4, make=make)  # two PDF processes: both uploads go to the first pool
        try:
            uploads = [asyncio.ensure_future(service.verify(b"x", ".docx", b"")) for _ in range(2)]
            done = await asyncio.wait_for(asyncio.gather(*uploads, return_exceptions=True), 30)
            assert [type(answer) for answer in done] == [VerifierUnavailable, VerifierUnavailable]
            assert [lane.busy for lane in service.lanes] == [0, 0] and not service.jobs
            # The next upload goes to a new pool, and is answered.
            again = await asyncio.wait_for(service.verify(b"x", ".docx", b""), 30)
            assert again[:2] == (False, "not_tianbao") and len(made) == 2
        finally:
            service.close()

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(run())
        gc.collect()
    # Every failure was answered, and none is reported again as never retrieved when its future goes.
    assert not [r.getMessage() for r in caplog.records if r.name == "asyncio"]


class StartlessPool(ThreadPoolExecutor):
    """A pool that cannot start a process for its second job (out of memory); its first job runs until the test
    lets it finish."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.given = 0
        self.gate = threading.Event()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.given += 1
        if self.given == 2:
            raise OSError("no memory for another process")
        return super().submit(self.gated, fn, *args)

    def gated(self, fn: Any, *args: Any) -> Any:
        self.gate.wait(30)
        return fn(*args)


def test_a_process_that_cannot_start_fails_its_upload_only() -> None:
    made: list[StartlessPool] = []

    def make(size: int) -> StartlessPool:
        made.append(StartlessPool(size))
        return made[-1]

    async def run() -> None:
        service = Verifier(4, make=make)  # two PDF processes: both uploads go to the first pool
        try:
            first = asyncio.ensure_future(service.verify(b"x", ".docx", b""))
            second = asyncio.ensure_future(service.verify(b"x", ".docx", b""))
            with pytest.raises(VerifierUnavailable, match="无法启动核验进程"):
                await asyncio.wait_for(second, 30)
            made[0].gate.set()
            # The upload the pool was already verifying is answered, by that pool.
            answer = await asyncio.wait_for(first, 30)
            assert answer[:2] == (False, "not_tianbao") and made[0].given == 2
            assert [lane.busy for lane in service.lanes] == [0, 0] and not service.jobs
        finally:
            made[0].gate.set()
            service.close()

    asyncio.run(run())


def test_a_lane_whose_pool_broke_without_a_word_is_freed_by_the_next_upload() -> None:
    made: list[ThreadPoolExecutor] = []

    def make(size: int) -> ThreadPoolExecutor:
        made.append(LosingPool(size) if not made else ThreadPoolExecutor(size))
        return made[-1]

    async def run() -> None:
        service = Verifier(2, make=make)  # one process a lane: the first upload goes to the PDF lane's pool
        try:
            lost = asyncio.ensure_future(service.verify(b"x", ".docx", b""))
            await asyncio.sleep(0.05)
            assert not lost.done() and service.lanes[0].busy == 1
            # The next upload finds that pool broken: the lost one is answered, and the lane works again.
            answer = await asyncio.wait_for(service.verify(b"x", ".docx", b""), 30)
            assert answer[:2] == (False, "not_tianbao")
            with pytest.raises(VerifierUnavailable):
                await asyncio.wait_for(lost, 30)
            assert [lane.busy for lane in service.lanes] == [0, 0] and not service.jobs and len(made) == 2
        finally:
            service.close()

    asyncio.run(run())
