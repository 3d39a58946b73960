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
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
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
    from app.submissions.signing import payload_hash
    from app.submissions.verify import verify_submission

    if suffix not in SUFFIXES:
        return (False, "not_tianbao", f"不是报送文件（只接受 .xlsx 和 .pdf），扩展名为 {suffix or '空'}")
    verdict = verify_submission(data, _certificate(ca_pem), name=f"upload{suffix}")
    if verdict.envelope is None:
        return (False, verdict.reason or "unreadable", verdict.message)
    # The digest is taken here, beside the verification, and not again by the service's one busy process.
    return (True, verdict.envelope, payload_hash(verdict.payload))


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


# What one verification costs, in workbooks (measured: a workbook about 5 ms, a PDF about 45 ms).
COST = {".xlsx": 1, ".pdf": 10}
# How far behind (in workbooks per process, here about a second's work) the PDF processes may fall before a PDF goes
# to a process that has not verified one yet — which then loads what PDFs need, and keeps it.
PDF_BACKLOG = 200


class _Lane:
    """A pool of worker processes, and the work sent to it that is not finished yet."""

    def __init__(self, size: int, pdf: bool) -> None:
        self.size = size
        self.pdf = pdf  # its processes verify PDFs (and hold what that needs)
        self.pending = 0
        self.pool: ProcessPoolExecutor | None = None

    @property
    def load(self) -> float:
        return self.pending / self.size

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


class Verifier:
    """``processes`` worker processes (0: a thread of this process) that verify uploads.

    A PDF needs far more memory to verify than a workbook (pyHanko, the PDF drawing and its Chinese font: some
    60 MB per process), so with two or more processes half of them (at least one) verify PDFs and the others only
    workbooks; workbooks go wherever the least work is waiting. Only when PDFs pile up (more than about a second's
    work waiting) does one go to a workbook process, which from then on verifies PDFs too.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.lanes: list[_Lane] = []
        if processes == 1:
            self.lanes = [_Lane(1, pdf=True)]
        elif processes > 1:
            self.lanes = [_Lane(processes // 2, pdf=True), _Lane(processes - processes // 2, pdf=False)]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            await loop.run_in_executor(None, warm_job, True)
            return
        await asyncio.gather(
            *(
                loop.run_in_executor(lane.executor(), warm_job, lane.pdf)
                for lane in self.lanes
                for _ in range(lane.size)
            )
        )

    def _lane(self, suffix: str) -> _Lane:
        least = min(self.lanes, key=lambda lane: lane.load)
        if suffix != ".pdf":
            return least
        ready = min((lane for lane in self.lanes if lane.pdf), key=lambda lane: lane.load)
        if ready.load >= PDF_BACKLOG and ready.load > least.load:
            least.pdf = True
            return least
        return ready

    async def verify(self, data: bytes, suffix: str, ca_pem: bytes) -> Verdict:
        loop = asyncio.get_running_loop()
        if not self.lanes:
            return await loop.run_in_executor(None, verify_job, data, suffix, ca_pem)
        lane = self._lane(suffix)
        cost = COST.get(suffix, 1)
        lane.pending += cost
        pool = lane.executor()
        try:
            return await loop.run_in_executor(pool, verify_job, data, suffix, ca_pem)
        except BrokenProcessPool as exc:
            if lane.pool is pool:
                lane.close(wait=False)
            raise VerifierUnavailable("核验进程意外退出") from exc
        finally:
            lane.pending -= cost

    def close(self) -> None:
        for lane in self.lanes:
            lane.close(wait=True)
