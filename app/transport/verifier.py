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


def warm_job() -> int:
    """Import what verification needs, so the first upload does not wait for it."""
    import pyhanko.sign.validation  # noqa: F401

    import app.submissions.export_pdf
    import app.submissions.verify
    import app.submissions.verify_pdf
    import app.submissions.verify_xlsx  # noqa: F401

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


class Verifier:
    """``processes`` worker processes (0: a thread of this process) that verify uploads."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn", as on Windows, and as the city import does.
        return ProcessPoolExecutor(
            max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=follow_parent
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if self.processes <= 0:
            await loop.run_in_executor(None, warm_job)
            return
        self._pool = self._new_pool()
        await asyncio.gather(*(loop.run_in_executor(self._pool, warm_job) for _ in range(self.processes)))

    async def verify(self, data: bytes, suffix: str, ca_pem: bytes) -> Verdict:
        loop = asyncio.get_running_loop()
        if self._pool is None and self.processes <= 0:
            return await loop.run_in_executor(None, verify_job, data, suffix, ca_pem)
        if self._pool is None:
            self._pool = self._new_pool()
        pool = self._pool
        try:
            return await loop.run_in_executor(pool, verify_job, data, suffix, ca_pem)
        except BrokenProcessPool as exc:
            if self._pool is pool:
                self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise VerifierUnavailable("核验进程意外退出") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
