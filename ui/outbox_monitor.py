"""The window's side of uploading: a timer that runs the uploader's rounds off the UI thread, and what the status
bar and the 报送记录 view show of it.

The rounds are :meth:`app.transport.uploader.Uploader.run_round` on a :class:`ui.tasks.TaskRunner` of their own,
not the window's: a round may wait on the network for up to the request timeout, and the clerk's exports and
imports must not queue behind it. A round opens its own database connection, as every job does.

The unit's private key is needed to read its notices (the request is signed). It is never stored: after the clerk
entered the passphrase once in this run (to sign, or to ask for notices), the unlocked key stays in memory until
the program ends, and the rounds fetch the unit's notices from then on. Uploads and templates need no key.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.storage import uploads
from app.storage.db import Database
from app.transport.settings import POLL_SECONDS, SOON_SECONDS, AddressError, address_for
from ui.tasks import CancelToken, Task, TaskRunner

if TYPE_CHECKING:
    from app.transport.uploader import RoundResult, Uploader

# The uploader (and the HTTP client, keys and file formats it brings) is loaded for the first round, not at start:
# the status bar needs only a few counts, which are read in plain SQL.

log = logging.getLogger(__name__)

OVERRIDE_KEY = "intake/override"
# How often an idle window asks the service for notices (not shown in 设置; bench/bench_outbox_idle.py sets it).
POLL_KEY = "intake/poll_seconds"
# The first round waits until the window is up and the clerk has started working.
FIRST_ROUND_MS = 3000
# The window's requests give up sooner than the command line's: the clerk is waiting for nothing, but a closing
# window should not leave a round behind for long.
REQUEST_TIMEOUT = 20.0
CLOSE_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class OutboxSummary:
    """What the status bar shows: the address, what waits, the last contact and the last problem."""

    address: str | None
    pending: int
    refused: int
    offered: int
    last_contact: str | None
    reachable: bool | None  # None: not tried yet in this run
    error: str | None
    next_try_seconds: float | None


class OutboxMonitor(QObject):
    """Runs the uploader while the window is open and an intake address is known.

    ``changed`` is emitted in the UI thread after every round and every change made from the window (a signing,
    a retry, a notice applied): whoever shows the outbox reads :attr:`summary` and refreshes.
    """

    changed = Signal()
    # A notice or template the clerk applied from the 报送记录 view (its kind): the window shows the change.
    applied = Signal(str)

    def __init__(self, db: Database, settings: QSettings, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("OutboxMonitor")
        self.db = db
        self.settings = settings
        self._uploader: Uploader | None = None
        self._making = threading.Lock()
        # The address of 设置 (for testing), kept here for the round's thread, which must not read the settings.
        self._address = self._override()
        self.runner = TaskRunner(self)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self.timer.timeout.connect(self.run_now)
        self._task: Task | None = None
        self._token: CancelToken | None = None
        self._last: RoundResult | None = None
        self._delay: float | None = None
        self._stopped = False
        self.summary = self._read_summary()
        parent.installEventFilter(self)
        if self.summary.address is not None:
            self.timer.start(FIRST_ROUND_MS)

    @property
    def uploader(self) -> Uploader:
        return self._uploader_for(self._poll_seconds())

    def _poll_seconds(self) -> float:
        """Read in the window's thread: the settings object is the window's."""
        return max(5.0, float(str(self.settings.value(POLL_KEY, POLL_SECONDS) or POLL_SECONDS)))

    def _uploader_for(self, poll: float) -> Uploader:
        # Imported before the lock, which is then held only while the uploader is made.
        from app.transport.uploader import Uploader
        from app.trust.keys import default_keys_dir

        with self._making:  # the first round's thread and the window may both ask first
            if self._uploader is None:
                self._uploader = Uploader(
                    self.db.path,
                    default_keys_dir(self.db.path),
                    self._address,
                    timeout=REQUEST_TIMEOUT,
                    poll_seconds=poll,
                )
            return self._uploader

    # ------------------------------------------------------------------ what the window asks

    def _override(self) -> str | None:
        value = str(self.settings.value(OVERRIDE_KEY, "") or "").strip()
        return value or None

    def reconsider(self) -> None:
        """The address may have changed (a template imported, 设置 saved): start or stop accordingly."""
        with self._making:
            self._address = self._override()
            if self._uploader is not None:
                self._uploader.override = self._address
        self.refresh()
        if self.summary.address is None:
            self.timer.stop()
        elif not self.timer.isActive() and self._task is None:
            self.timer.start(int(SOON_SECONDS * 1000))

    def remember_key(self, unit_code: str, passphrase: str) -> bool:
        """Unlock the unit's key for reading its notices in this run. False if the key cannot be unlocked."""
        from app.transport.client import RequestSigner
        from app.trust.keys import KeysError, KeyStore, default_keys_dir

        keys = KeyStore(default_keys_dir(self.db.path))
        try:
            signer = RequestSigner(unit_code, keys.unit_key(unit_code, passphrase), keys.unit_certificate(unit_code))
        except (KeysError, ValueError, OSError) as exc:
            log.info("key of %s not kept for notices: %s", unit_code, exc)
            return False
        self.uploader.add_signer(signer)
        return True

    def has_key(self, unit_code: str) -> bool:
        return unit_code in self.uploader.signers

    @property
    def busy(self) -> bool:
        """Whether a round is running now."""
        return self._task is not None

    def run_now(self) -> None:
        """Start a round now (unless one is running; the next one then follows it soon)."""
        if self._stopped:
            return
        self.timer.stop()
        if self._task is not None:
            self._delay = SOON_SECONDS
            return
        if self.summary.address is None:
            return
        self._token = CancelToken()
        # The first round makes the uploader in the round's thread: importing it (the HTTP client, the keys, the
        # file formats) takes a few hundred milliseconds the clerk's typing should not wait for.
        poll = self._poll_seconds()
        self._task = self.runner.run(lambda _progress, cancel: self._uploader_for(poll).run_round(cancel), self._token)
        self._task.succeeded.connect(self._round_done)
        self._task.failed.connect(self._round_failed)
        self._task.finished.connect(self._after_round)

    def refresh(self) -> None:
        """Read the counts again (after a change made in the window) and tell the views."""
        self.summary = self._read_summary()
        self.changed.emit()

    def stop(self) -> None:
        """Cancel the running round and wait a moment for it (the window is closing).

        A round waiting on the network is not waited for: it ends within the request timeout on its own, its
        entry stays 上报中 and goes back to 待上报 at the next start, and the service's answer to a repeated upload
        is the same receipt.
        """
        self._stopped = True
        self.timer.stop()
        if self.runner.shutdown(timeout=CLOSE_WAIT_SECONDS):
            if self._uploader is not None:
                self._uploader.close()
        else:
            log.info("an upload round was still waiting on the network when the window closed")

    # ------------------------------------------------------------------ rounds

    def _round_done(self, result: object) -> None:
        from app.transport.uploader import RoundResult

        assert isinstance(result, RoundResult)
        self._last = result
        delay = self.uploader.next_delay(result)
        self._delay = delay if self._delay is None or delay is None else min(delay, self._delay)
        if result.delivered or result.refused or result.offered:
            log.info(
                "upload round: %d delivered, %d refused, %d offered",
                len(result.delivered),
                len(result.refused),
                result.offered,
            )

    def _round_failed(self, error: object) -> None:
        log.error("upload round failed: %r", error)
        self._last = None
        # The uploader may be what failed to be made: then the next round is tried after the idle interval.
        self._delay = self._uploader.backoff.failed() if self._uploader is not None else self._poll_seconds()

    def _after_round(self) -> None:
        self._task = None
        delay, self._delay = self._delay, None
        if not self._stopped and delay is not None:
            self.timer.start(int(delay * 1000))
        self.summary = self._read_summary()
        if self.summary.address is None:
            self.timer.stop()
        self.changed.emit()

    def _read_summary(self) -> OutboxSummary:
        address, error = None, None
        with self.db.reading() as source:
            counts = uploads.counts(source)
            try:
                address = address_for(source, self._override())
            except AddressError as exc:
                error = str(exc)
        last = self._last
        if last is not None and last.error:
            error = last.error
        remaining = self.timer.remainingTime() if self.timer.isActive() else -1
        return OutboxSummary(
            address,
            counts.pending,
            counts.refused,
            counts.offered,
            counts.last_contact,
            None if last is None else last.reached,
            error,
            remaining / 1000 if remaining >= 0 else None,
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parent() and event.type() == QEvent.Type.Close:
            self.stop()
        return False


def monitor_of(window: QWidget) -> OutboxMonitor | None:
    """The window's outbox monitor, if it has one."""
    found = window.findChild(OutboxMonitor, "OutboxMonitor", Qt.FindChildOption.FindDirectChildrenOnly)
    return found if isinstance(found, OutboxMonitor) else None


def after_signing(window: QWidget, unit_code: str, passphrase: str) -> None:
    """A revision was just signed (so it is in the outbox): keep the key for notices and send it soon."""
    monitor = monitor_of(window)
    if monitor is None:
        return
    monitor.remember_key(unit_code, passphrase)
    monitor.refresh()
    monitor.run_now()
