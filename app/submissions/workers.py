"""Worker processes that verify submission files, shared by the city import and the intake service.

Both split their processes into two lanes: PDFs need far more to verify than workbooks (pyHanko, the PDF drawing
and its Chinese font: some 60 MB and over half a second to load per process), so half the processes (at least
one) verify PDFs and the others workbooks only, unless PDFs pile up (:data:`PDF_BACKLOG`). A process that never
sees a PDF never loads what a PDF needs. What each lane does when a process dies is its user's to decide; a lane
only keeps the work it has handed out, gives its work a fresh pool after that (:meth:`Lane.renew`), saying what
the dead process's pool left unfinished, and ends its processes for good (:meth:`Lane.close`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor
from typing import Any

# PDFs waiting per PDF process before an idle workbook process takes them too: it then loads what a PDF needs,
# and from then on verifies PDFs as well. Loading costs some 14 PDFs' time (the first PDF a process verifies
# against the next ones, once pyHanko's signers stay unloaded): with fewer waiting, the PDF processes are done with
# them before it could help; with more, it would only stand idle until they are.
PDF_BACKLOG = 15


def follow_parent() -> None:
    """(In a worker process) Exit as soon as the process that started it is gone, however it went: a program
    killed with SIGKILL, or ended from the Task Manager, cannot stop its workers, and they must not linger."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def spawn_pool(size: int) -> ProcessPoolExecutor:
    """``size`` worker processes, started with "spawn" as on Windows (forking a process that runs Qt or the
    service's threads can deadlock the child), each following its parent out (:func:`follow_parent`)."""
    return ProcessPoolExecutor(
        max_workers=size, mp_context=multiprocessing.get_context("spawn"), initializer=follow_parent
    )


def end_pool(pool: Executor, wait: bool = True, cancel: bool = True, kill: bool = False) -> None:
    """Shut ``pool`` down. Waiting, also end any of its processes still running: a pool whose own thread failed as
    it broke leaves them, and they would hold up the program's exit. Not waiting (an event loop must not block),
    what is left ends with its parent (:func:`follow_parent`). ``kill``: end its processes first, their work in
    hand dropped, instead of letting them finish it (they only verify files: nothing is left half done)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # gone from the pool once shut down
    if kill:
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
    pool.shutdown(wait=wait, cancel_futures=cancel)
    if wait:
        for process in processes:
            with contextlib.suppress(Exception):
                if process.is_alive():
                    process.terminate()


class Lane:
    """A pool of ``size`` worker processes (made by ``make`` when first needed) and the work handed to it."""

    def __init__(self, size: int, pdf: bool, make: Callable[[int], Executor] = spawn_pool) -> None:
        self.size = size
        self.pdf = pdf  # its processes verify PDFs (and hold what that needs)
        self.make = make
        self.pool: Executor | None = None
        self.handed: dict[Future[Any], Executor] = {}  # work not yet taken back, and the pool it went to

    @property
    def busy(self) -> int:
        return len(self.handed)

    def executor(self) -> Executor:
        if self.pool is None:
            self.pool = self.make(self.size)
        return self.pool

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        """Hand ``fn(*args)`` to the lane's pool. Raises what the pool raises: :class:`BrokenExecutor` when a
        process of it died (:meth:`renew` the lane), ``OSError`` when no process can be started."""
        pool = self.executor()
        future = pool.submit(fn, *args)
        self.handed[future] = pool
        return future

    def take(self, future: Future[Any], wait: bool = True) -> list[Future[Any]]:
        """Take ``future``, done, back from the lane. If it failed because its pool broke and that pool is still
        the lane's, the lane goes on with a new one (:meth:`renew`, whose work left over is returned)."""
        assert future.done(), "only finished work is taken back"
        pool = self.handed.pop(future, None)
        broken = not future.cancelled() and isinstance(future.exception(), BrokenExecutor)
        if broken and pool is not None and pool is self.pool:
            return self.renew(wait)
        return []

    def found_broken(self, wait: bool = True) -> list[Future[Any]]:
        """A pool can break with nothing of its own to fail (its process died idle, just as work was handed to
        it) and leave that work unfinished for ever: if the lane's pool is marked broken, :meth:`renew` it."""
        if getattr(self.pool, "_broken", False):  # ProcessPoolExecutor's mark, its only sign of it
            return self.renew(wait)
        return []

    def renew(self, wait: bool = True, broken: bool = True) -> list[Future[Any]]:
        """The next job goes to a new pool, and the old one is shut down, its unfinished work not cancelled.

        ``broken``: a process of the old pool died, and its unfinished work fails as the broken pool's; returned,
        and no longer the lane's, is what the old pool was handed and has not finished, to be taken as the dead
        process's too (in CPython 3.11 work handed to a pool just as it broke can stay unfinished for ever, or its
        processes go on running). Not broken (no new process could be started), its work goes on and is taken
        back as it finishes."""
        old, self.pool = self.pool, None
        if old is None:
            return []
        end_pool(old, wait=wait, cancel=False)
        if not broken:
            return []
        left = [future for future, pool in self.handed.items() if pool is old and not future.done()]
        for future in left:
            del self.handed[future]
        return left

    def close(self, wait: bool = True, kill: bool = False) -> None:
        """End the lane's processes for good, the work they have not started cancelled (``kill``: and the work in
        hand dropped)."""
        if self.pool is not None:
            end_pool(self.pool, wait=wait, kill=kill)
            self.pool = None
        self.handed.clear()


def lanes_for(count: int, make: Callable[[int], Executor] = spawn_pool) -> list[Lane]:
    """``count`` processes in lanes: half of them (at least one) for PDFs, the rest for workbooks."""
    pdfs = max(1, count // 2)
    return [Lane(size, pdf, make) for size, pdf in ((pdfs, True), (count - pdfs, False)) if size > 0]


def pdfs_pile_up(waiting: int, lanes: Iterable[Lane]) -> bool:
    """Whether ``waiting`` PDFs (uploads waiting, or the PDFs of an import within reach of an idle workbook
    process) are more than the PDF processes of ``lanes`` should be left to."""
    return waiting > PDF_BACKLOG * sum(lane.size for lane in lanes if lane.pdf)
