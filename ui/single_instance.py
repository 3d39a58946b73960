"""One running program per user and database: a second start brings the first window forward and exits.

The first instance holds a lock file and listens on a local socket (a named pipe on Windows, a socket file on
Linux), both named from the user and the database path; a later start on the same database connects, says
"activate" and quits instead of opening the database a second time. The lock makes "ask, then listen" safe when
two starts race (a double double-click): only its holder listens, the other keeps asking until it answers.
A different ``--db`` starts a separate program as before.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QAbstractSocket, QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

ACTIVATE = b"activate\n"
TIMEOUT_MS = 500
WAIT_FOR_FIRST_S = 5.0  # how long a start waits for a program that holds the lock but does not answer yet


class Busy(RuntimeError):
    """Another program holds the database's lock but does not answer (it is hung or still starting)."""


def server_name(db_path: Path) -> str:
    """A name unique per user and database file, short enough for a Unix socket path."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment: the database path still separates programs
        user = ""
    digest = hashlib.sha256(f"{user}\0{db_path.resolve()}".encode()).hexdigest()[:16]
    return f"tianbao-{digest}"


class SingleInstance(QObject):
    """Owns the listening socket of the first instance; ``activated`` fires when a later start asks for the window."""

    activated = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._server: QLocalServer | None = None
        self.lock: QLockFile | None = None

    def notify_running(self) -> bool:
        """Ask a running instance to come forward; True if one answered (then this start should quit)."""
        allow_foreground_handoff()
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(TIMEOUT_MS):
            return False
        socket.write(ACTIVATE)
        socket.waitForBytesWritten(TIMEOUT_MS)
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(TIMEOUT_MS)
        return True

    def listen(self) -> bool:
        """Become the first instance. A socket file left behind by a crashed program is removed and reused."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            if server.serverError() == QAbstractSocket.SocketError.AddressInUseError:
                QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance socket %s: %s", self.name, server.errorString())
                return False
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self.lock is not None:
            self.lock.unlock()
            self.lock = None

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._on_ready_read(socket)

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(ACTIVATE.strip()):
            log.info("a second start on the same database: coming forward")
            self.activated.emit()


def allow_foreground_handoff() -> None:
    """Let the running instance take the foreground from this one.

    Windows only lets the process the user just started raise a window; without this hand-over the first
    instance's activateWindow() merely flashes its taskbar button.
    """
    if sys.platform == "win32":
        import ctypes

        asfw_any = 0xFFFFFFFF  # ASFW_ANY: any process may set the foreground window once
        try:
            ctypes.windll.user32.AllowSetForegroundWindow(asfw_any)
        except (AttributeError, OSError):
            log.debug("AllowSetForegroundWindow unavailable", exc_info=True)


RUNNING_MUTEX = "Tianbao.Running"  # build/tianbao.iss AppMutex: setup and uninstall wait while it exists
_mutex_handle: int | None = None


def hold_running_mutex() -> None:
    """Create the named mutex by which the Windows installer and uninstaller know the program is running."""
    global _mutex_handle
    if sys.platform == "win32" and _mutex_handle is None:
        import ctypes

        try:
            _mutex_handle = ctypes.windll.kernel32.CreateMutexW(None, False, RUNNING_MUTEX)
        except (AttributeError, OSError):
            log.debug("CreateMutexW unavailable", exc_info=True)


def acquire(
    db_path: Path,
    bring_forward: Callable[[], None],
    parent: QObject | None = None,
    lock_dir: Path | None = None,
    wait_s: float = WAIT_FOR_FIRST_S,
) -> SingleInstance | None:
    """The guard for this start, or None if another instance on ``db_path`` was told to come forward instead.

    Raises :class:`Busy` when another program holds the database's lock and does not answer within ``wait_s``.
    """
    name = server_name(db_path)
    guard = SingleInstance(name, parent)
    if guard.notify_running():
        log.info("already running on %s: brought it forward", db_path)
        return None
    if lock_dir is None:
        from app.storage.db import data_dir

        lock_dir = data_dir()
    lock_dir.mkdir(parents=True, exist_ok=True)
    lock = QLockFile(str(lock_dir / f"{name}.lock"))
    lock.setStaleLockTime(0)  # held for the program's life; stale only when its process is gone
    held: QLockFile | None = lock
    deadline = time.monotonic() + wait_s
    while not lock.tryLock(100):
        if lock.error() != QLockFile.LockError.LockFailedError:
            # An unwritable folder: go on unguarded rather than refuse to start.
            log.warning("single-instance lock %s: %s", lock.fileName(), lock.error())
            held = None
            break
        if guard.notify_running():
            log.info("already starting on %s: brought it forward", db_path)
            return None
        if time.monotonic() > deadline:
            raise Busy(str(db_path))
    guard.lock = held
    # Holding the lock, a socket left by a crashed program may be removed and taken over.
    guard.listen()
    guard.activated.connect(bring_forward)
    return guard
