"""Running a core job off the UI thread: one worker at a time, progress and outcome back by Qt signals.

A *job* is a plain callable from ``app/`` with the signature ``job(progress, cancel) -> result``: it reports
``progress(done, total)`` now and then and checks ``cancel.cancelled`` between steps; it knows nothing of Qt.
:class:`TaskRunner` runs the jobs handed to it one after another, never two at once, each on a worker thread,
and every signal of a :class:`Task` arrives in the UI thread. The runner shows nothing itself: a dialog decides
what to show, for instance a progress bar only once a job has run :data:`PROGRESS_DELAY_MS`.

The database rule: SQLite connections must not be shared across threads. A job never uses the window's open
:class:`app.storage.db.Database`; it opens its own from the path, inside the job, and closes it before returning::

    def job(progress, cancel):
        db = Database(path)
        try:
            return import_submissions(db, keys, paths, progress=progress, cancel=cancel)
        finally:
            db.close()

The worker is a plain Python thread, as in Anki's task manager, not a ``QThread``: Python 3.11 registers a
thread it did not start as a "dummy" thread that ``threading`` reports alive for ever and cannot join, so a
``QThread`` could never be seen to have finished. A worker thread lives only while its job runs; an idle runner
holds no thread. Whoever owns a runner calls :meth:`TaskRunner.wait` or :meth:`TaskRunner.shutdown` before it
goes away, so that no thread outlives the window that started it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, SignalInstance, Slot

from app.engine.cancel import CancelToken

log = logging.getLogger(__name__)

# Work that ends sooner than this shows no progress at all, so fast work does not make the window flicker.
PROGRESS_DELAY_MS = 600

Progress = Callable[[int, int], None]
Job = Callable[[Progress, CancelToken], object]

__all__ = ["PROGRESS_DELAY_MS", "CancelToken", "Job", "Progress", "Task", "TaskRunner", "runner_for"]


class Task(QObject):
    """One job handed to a :class:`TaskRunner`; its signals are delivered in the UI thread.

    ``progressed(done, total)`` may come any number of times (bursts are merged into the latest count), then
    exactly one of ``succeeded(result)`` or ``failed(exception)``, then ``finished()``.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)
    finished = Signal()

    # Emitted from the worker thread, received in the UI thread (queued connections to this object's slots).
    _worker_progress = Signal()
    _worker_done = Signal()

    def __init__(self, job: Job, token: CancelToken | None = None) -> None:
        super().__init__()
        self.job = job
        self.token = token if token is not None else CancelToken()
        self.result: object = None
        self.error: BaseException | None = None
        self.started = False
        self.done = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._latest: tuple[int, int] | None = None
        self._outcome_ready = False
        self._on_done: Callable[[Task], None] | None = None
        self._worker_progress.connect(self._deliver_progress, Qt.ConnectionType.QueuedConnection)
        self._worker_done.connect(self._deliver_outcome, Qt.ConnectionType.QueuedConnection)

    def cancel(self) -> None:
        """Ask the job to stop at its next check; the outcome still arrives (what the job returns then)."""
        self.token.cancel()

    @property
    def running(self) -> bool:
        return self.started and not self.done

    # ------------------------------------------------------------------ worker thread

    def _start(self, on_done: Callable[[Task], None]) -> None:
        self._on_done = on_done
        self.started = True
        self._thread = threading.Thread(target=self._work, name="tianbao-task", daemon=False)
        self._thread.start()

    def _work(self) -> None:
        try:
            self.result = self.job(self._report, self.token)
        except BaseException as exc:  # delivered to the UI thread, which decides what to show
            self.error = exc
        with self._lock:
            self._outcome_ready = True
        self._emit(self._worker_done)

    def _report(self, done: int, total: int) -> None:
        with self._lock:
            pending = self._latest is not None
            self._latest = (done, total)
        if not pending:  # one signal in flight at a time; the UI thread reads the newest count
            self._emit(self._worker_progress)

    def _emit(self, signal: SignalInstance) -> None:
        try:
            signal.emit()
        except RuntimeError:  # the Qt object is gone (program closing): nobody is listening any more
            log.debug("task signal after its object was deleted")

    # ------------------------------------------------------------------ UI thread

    @Slot()
    def _deliver_progress(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is not None and not self.done:
            self.progressed.emit(*latest)

    @Slot()
    def _deliver_outcome(self) -> None:
        """Join the finished worker and emit the outcome; safe to call again (a no-op then)."""
        if self.done:
            return
        with self._lock:
            if not self._outcome_ready:
                return
        if self._thread is not None:
            self._thread.join()
        self._deliver_progress()
        self.done = True
        if self.error is not None:
            self.failed.emit(self.error)
        else:
            self.succeeded.emit(self.result)
        self.finished.emit()
        if self._on_done is not None:
            self._on_done(self)

    def _join(self, timeout: float | None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
        self._deliver_outcome()
        return True


class TaskRunner(QObject):
    """A single worker for jobs off the UI thread: jobs run one after another in the order they were given.

    Build it in the UI thread. The database rule of this module's docstring applies to every job.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Task | None = None
        self._queue: deque[Task] = deque()

    def run(self, job: Job, token: CancelToken | None = None) -> Task:
        """Start ``job`` now, or after the jobs before it; connect to the returned task's signals at once
        (they are delivered by the event loop, never before this returns)."""
        task = Task(job, token)
        self._queue.append(task)
        if self._current is None:
            self._next()
        return task

    @property
    def busy(self) -> bool:
        return self._current is not None

    def _next(self) -> None:
        self._current = self._queue.popleft() if self._queue else None
        if self._current is not None:
            self._current._start(self._finished)

    def _finished(self, task: Task) -> None:
        if task is self._current:
            self._next()

    def wait(self, task: Task | None = None, timeout: float | None = None) -> bool:
        """Block until ``task`` (or every job given so far) has finished and its outcome has been emitted.

        Jobs queued before ``task`` run first. Returns False if ``timeout`` seconds (per job) ran out first.
        """
        while self._current is not None and (task is None or not task.done):
            current = self._current
            if current.done:  # called from one of its own signals' slots: its successor may start now
                self._next()
            elif not current._join(timeout):
                return False
        return task is None or task.done

    def shutdown(self, timeout: float | None = None) -> bool:
        """Cancel every job, running or queued, and wait for them (a cancelled job returns at its next check)."""
        for task in (self._current, *self._queue):
            if task is not None:
                task.cancel()
        return self.wait(timeout=timeout)


def runner_for(owner: QObject) -> TaskRunner:
    """The one runner of ``owner`` (the main window), made on first use, so that the window's jobs — imports,
    exports, aggregation — share a single worker and never touch the database at the same time."""
    runner = owner.findChild(TaskRunner, "TaskRunner", Qt.FindChildOption.FindDirectChildrenOnly)
    if runner is None:
        runner = TaskRunner(owner)
        runner.setObjectName("TaskRunner")
    return runner
