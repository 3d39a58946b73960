"""Verifying uploads beside the event loop: in worker processes (verification is CPU work under the GIL, and a
hostile file must not stall the service's other requests), or in a thread when no worker processes are wanted.

The job is :func:`app.city.importer.verified_upload` — the city import's own verification — and nothing else.
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

# (True, envelope) or (False, reason, message): plain data, so it crosses process boundaries.
Verdict = tuple[Any, ...]


@functools.lru_cache(maxsize=4)
def _certificate(pem: bytes) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem)


def verify_job(data: bytes, suffix: str, ca_pem: bytes) -> Verdict:
    """Verify one upload (in a worker process, or a thread)."""
    from app.city.importer import verified_upload
    from app.submissions.signing import VerificationError

    try:
        return (True, verified_upload(data, suffix, _certificate(ca_pem)))
    except VerificationError as exc:
        return (False, exc.reason, str(exc))


def warm_job() -> int:
    """Import what verification needs, so the first upload does not wait for it."""
    import openpyxl  # noqa: F401
    import pyhanko.sign.validation  # noqa: F401

    import app.city.importer
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
