"""Verifying uploads beside the event loop: in worker processes (verification is CPU work under the GIL, and a
hostile file must not stall the service's other requests), or in a thread when no worker processes are wanted.

The job is :func:`app.submissions.verify.verify_submission` — the city import's own verification — and nothing
else. A worker loads the verifier and nothing more: no database, no ORM, no openpyxl (measured: that alone is some
50 MB per process).
"""

from __future__ import annotations

import asyncio
import functools
from collections import deque
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from dataclasses import dataclass
from typing import Any

from app.submissions.verify import SUFFIXES, VerdictData, not_ours, refused, verify_submission
from app.submissions.workers import Lane, lanes_for, pdfs_pile_up, spawn_pool


@functools.lru_cache(maxsize=4)
def _certificate(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def verify_job(data: bytes, suffix: str, ca_pem: bytes) -> VerdictData:
    """Verify one upload (in a worker process, or a thread) exactly as the city import verifies a file."""
    if suffix not in SUFFIXES:
        return refused("not_tianbao", not_ours(suffix)).data()
    # The digest comes with the verification, and is not taken again by the service's one busy process.
    return verify_submission(data, _certificate(ca_pem), name=f"upload{suffix}").data()


def warm_job(pdf: bool) -> int:
    """Import what verification needs, so the first upload does not wait for it; for PDFs also pyHanko, the PDF
    drawing and its Chinese font (together some 60 MB more than the workbook verifier)."""
    import app.submissions.verify
    import app.submissions.verify_xlsx  # noqa: F401

    if pdf:
        from app.submissions.export_pdf import register_font
        from app.submissions.verify_pdf import load_validation

        load_validation()
        register_font()
    return 0


DIED = "核验进程意外退出"


class VerifierUnavailable(RuntimeError):
    """The worker processes died (killed, out of memory); a new set is started for the next upload."""


@dataclass
class _Job:
    data: bytes
    suffix: str
    ca_pem: bytes
    future: asyncio.Future[VerdictData]


class Verifier:
    """``processes`` worker processes (0: a thread of this process) that verify uploads, in the two lanes of
    :mod:`app.submissions.workers` (PDFs to half of them).

    Uploads wait here, not in the pools: a process that comes free takes the oldest upload it verifies — a PDF
    process the oldest PDF first, then the oldest workbook — so a PDF never waits behind workbooks that another
    process could take. Only when PDFs pile up does a workbook process take one, and from then on it verifies
    PDFs too. A process that dies fails the upload it had (:class:`VerifierUnavailable`, the client sends it
    again) and its lane starts a new pool for the next one.
    """

    def __init__(self, processes: int, make: Callable[[int], Executor] = spawn_pool) -> None:
        """``make`` makes a lane's pool of ``n`` processes; another one lets a test break pools at will."""
        self.lanes: list[Lane] = lanes_for(processes, make) if processes > 0 else []
        self.jobs: dict[Future[VerdictData], _Job] = {}  # what the lanes have in hand
        self.pdfs: deque[_Job] = deque()
        self.workbooks: deque[_Job] = deque()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            await loop.run_in_executor(None, warm_job, True)
            return
        warming = [(lane.executor(), lane.pdf) for lane in self.lanes for _ in range(lane.size)]
        await asyncio.gather(*(loop.run_in_executor(pool, warm_job, pdf) for pool, pdf in warming))

    async def verify(self, data: bytes, suffix: str, ca_pem: bytes) -> VerdictData:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            return await loop.run_in_executor(None, verify_job, data, suffix, ca_pem)
        job = _Job(data, suffix, ca_pem, loop.create_future())
        (self.pdfs if suffix == ".pdf" else self.workbooks).append(job)
        self._dispatch()
        return await job.future

    def _dispatch(self) -> None:
        for lane in self.lanes:
            # A pool that broke without failing the upload it had would keep that lane busy for ever.
            self._lost(lane.found_broken(wait=False))
            while lane.busy < lane.size:
                job = self._next(lane)
                if job is None:
                    break
                self._run(lane, job)

    def _next(self, lane: Lane) -> _Job | None:
        """The job a free process of ``lane`` takes (a job whose client has gone is dropped)."""
        while True:
            if lane.pdf:
                queue = self.pdfs or self.workbooks
            elif self.workbooks:
                queue = self.workbooks
            else:
                if not pdfs_pile_up(len(self.pdfs), self.lanes):
                    return None
                lane.pdf = True
                queue = self.pdfs
            if not queue:
                return None
            job = queue.popleft()
            if not job.future.done():
                return job

    def _run(self, lane: Lane, job: _Job) -> None:
        try:
            running = lane.submit(verify_job, job.data, job.suffix, job.ca_pem)
        except BrokenExecutor as exc:  # a process died, and its pool is seen broken before its work came back
            self._lost(lane.renew(wait=False))
            job.future.set_exception(VerifierUnavailable(f"{DIED}：{exc}"))
            return
        except (OSError, RuntimeError) as exc:  # no process could be started (out of memory, of processes)
            # The uploads the pool is verifying still get their answers from it. (CPython 3.11 queues the work
            # before it starts a process for it: a pool with a process left may still verify this upload, for
            # no one; cancelling it there would reach the others' work too.)
            lane.renew(wait=False, broken=False)
            job.future.set_exception(VerifierUnavailable(f"无法启动核验进程：{exc}"))
            return
        self.jobs[running] = job
        asyncio.wrap_future(running).add_done_callback(lambda done: self._finished(lane, running, done))

    def _finished(self, lane: Lane, running: Future[VerdictData], done: asyncio.Future[VerdictData]) -> None:
        """``running`` came back (``done`` is it on the event loop)."""
        exc = None if done.cancelled() else done.exception()  # taken even when unused, or asyncio logs it
        job = self.jobs.pop(running, None)
        if job is None:  # given up with its broken pool
            return
        self._lost(lane.take(running, wait=False))
        if not job.future.done():  # else its client has gone
            if isinstance(exc, BrokenExecutor):
                job.future.set_exception(VerifierUnavailable(DIED))
            elif exc is not None:
                job.future.set_exception(exc)
            elif done.cancelled():
                job.future.cancel()
            else:
                job.future.set_result(done.result())
        self._dispatch()

    def _lost(self, left: list[Future[VerdictData]]) -> None:
        """Work a broken pool left unfinished fails as the dead process's: waiting on, it could wait for ever,
        its upload waiting out its client and its lane busy until the service restarts (see Lane.renew)."""
        for running in left:
            job = self.jobs.pop(running)
            if not job.future.done():
                job.future.set_exception(VerifierUnavailable(DIED))

    def close(self) -> None:
        for lane in self.lanes:
            lane.close()
