"""Verifying uploads beside the event loop: in worker processes (verification is CPU work under the GIL, and a
hostile file must not stall the service's other requests), or in a thread when no worker processes are wanted.

The job is :func:`app.submissions.verify.verify_submission` — the city import's own verification — and nothing
else. A worker loads the verifier and nothing more: no database, no ORM, no openpyxl (measured: that alone is some
50 MB per process).
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

# (True, envelope, payload hash) or (False, reason, message): plain data, so it crosses process boundaries.
Verdict = tuple[Any, ...]
SUFFIXES = (".xlsx", ".pdf")


@functools.lru_cache(maxsize=4)
def _certificate(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def verify_job(data: bytes, suffix: str, ca_pem: bytes) -> Verdict:
    """Verify one upload (in a worker process, or a thread) exactly as the city import verifies a file."""
    from app.submissions.verify import verify_submission

    if suffix not in SUFFIXES:
        return (False, "not_tianbao", f"不是报送文件（只接受 .xlsx 和 .pdf），扩展名为 {suffix or '空'}")
    verdict = verify_submission(data, _certificate(ca_pem), name=f"upload{suffix}")
    if verdict.envelope is None:
        return (False, verdict.reason or "unreadable", verdict.message)
    # The digest comes with the verification, and is not taken again by the service's one busy process.
    return (True, verdict.envelope, verdict.digest)


def warm_job(pdf: bool) -> int:
    """Import what verification needs, so the first upload does not wait for it; for PDFs also pyHanko, the PDF
    drawing and its Chinese font (together some 60 MB more than the workbook verifier)."""
    import app.submissions.verify
    import app.submissions.verify_xlsx

    if pdf:
        import pyhanko.sign.validation  # noqa: F401

        import app.submissions.verify_pdf  # noqa: F401
        from app.submissions.export_pdf import register_font

        register_font()
    return 0


def follow_parent() -> None:
    """(In a worker process) Exit as soon as the service's process is gone, however it went: a service killed
    with SIGKILL cannot stop its workers, and they must not linger."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


class VerifierUnavailable(RuntimeError):
    """The worker processes died (killed, out of memory); a new set is started for the next upload."""


# How many PDFs may wait, per PDF process (about a second's work each), before a workbook process takes one too —
# and from then on holds what PDFs need.
PDF_BACKLOG = 20


class _Lane:
    """A pool of worker processes, given one job per process at a time."""

    def __init__(self, size: int, pdf: bool) -> None:
        self.size = size
        self.pdf = pdf  # its processes verify PDFs (and hold what that needs)
        self.busy = 0
        self.pool: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self.pool is None:
            # "spawn", as on Windows, and as the city import does.
            self.pool = ProcessPoolExecutor(
                max_workers=self.size, mp_context=multiprocessing.get_context("spawn"), initializer=follow_parent
            )
        return self.pool

    def close(self, wait: bool) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
            self.pool = None


@dataclass
class _Job:
    data: bytes
    suffix: str
    ca_pem: bytes
    future: asyncio.Future[Verdict]


class Verifier:
    """``processes`` worker processes (0: a thread of this process) that verify uploads.

    A PDF needs far more memory to verify than a workbook (pyHanko, the PDF drawing and its Chinese font: some
    60 MB per process), so with two or more processes half of them (at least one) verify PDFs and the others only
    workbooks. Uploads wait here, not in the pools: a process that comes free takes the oldest upload it verifies
    — a PDF process the oldest PDF first, then the oldest workbook — so a PDF never waits behind workbooks that
    another process could take. Only when PDFs pile up (:data:`PDF_BACKLOG`) does a workbook process take one,
    and from then on it verifies PDFs too.
    """

    def __init__(self, processes: int) -> None:
        self.lanes: list[_Lane] = []
        if processes == 1:
            self.lanes = [_Lane(1, pdf=True)]
        elif processes > 1:
            self.lanes = [_Lane(processes // 2, pdf=True), _Lane(processes - processes // 2, pdf=False)]
        self.pdfs: deque[_Job] = deque()
        self.workbooks: deque[_Job] = deque()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            await loop.run_in_executor(None, warm_job, True)
            return
        warming = [(lane.executor(), lane.pdf) for lane in self.lanes for _ in range(lane.size)]
        await asyncio.gather(*(loop.run_in_executor(pool, warm_job, pdf) for pool, pdf in warming))

    async def verify(self, data: bytes, suffix: str, ca_pem: bytes) -> Verdict:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            return await loop.run_in_executor(None, verify_job, data, suffix, ca_pem)
        job = _Job(data, suffix, ca_pem, loop.create_future())
        (self.pdfs if suffix == ".pdf" else self.workbooks).append(job)
        self._dispatch()
        return await job.future

    def _dispatch(self) -> None:
        for lane in self.lanes:
            while lane.busy < lane.size:
                job = self._next(lane)
                if job is None:
                    break
                self._run(lane, job)

    def _next(self, lane: _Lane) -> _Job | None:
        """The job a free process of ``lane`` takes (a job whose client has gone is dropped)."""
        while True:
            if lane.pdf:
                queue = self.pdfs or self.workbooks
            elif self.workbooks:
                queue = self.workbooks
            else:
                ready = sum(other.size for other in self.lanes if other.pdf)
                if len(self.pdfs) <= PDF_BACKLOG * ready:
                    return None
                lane.pdf = True
                queue = self.pdfs
            if not queue:
                return None
            job = queue.popleft()
            if not job.future.done():
                return job

    def _run(self, lane: _Lane, job: _Job) -> None:
        try:
            pool = lane.executor()
            running = asyncio.get_running_loop().run_in_executor(pool, verify_job, job.data, job.suffix, job.ca_pem)
        except (OSError, RuntimeError) as exc:  # no process could be started (out of memory, of processes)
            lane.close(wait=False)
            job.future.set_exception(VerifierUnavailable(f"无法启动核验进程：{exc}"))
            return
        lane.busy += 1

        def finished(done: asyncio.Future[Verdict]) -> None:
            lane.busy -= 1
            exc = None if done.cancelled() else done.exception()
            if isinstance(exc, BrokenProcessPool):
                if lane.pool is pool:
                    lane.close(wait=False)
                exc = VerifierUnavailable("核验进程意外退出")
            if not job.future.done():
                if done.cancelled():
                    job.future.cancel()
                elif exc is not None:
                    job.future.set_exception(exc)
                else:
                    job.future.set_result(done.result())
            self._dispatch()

        running.add_done_callback(finished)

    def close(self) -> None:
        for lane in self.lanes:
            lane.close(wait=True)
