"""One running program per database: a second start on the same database brings the first window forward."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app import __version__
from tests.ui.conftest import offscreen_env
from ui.application import bring_forward
from ui.single_instance import Busy, SingleInstance, acquire, server_name


@pytest.fixture
def name() -> str:
    return f"tianbao-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def first(qapp: QApplication, name: str) -> Iterator[SingleInstance]:
    guard = SingleInstance(name)
    assert guard.listen()
    yield guard
    guard.close()


def test_name_depends_on_the_database(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert server_name(a) == server_name(tmp_path / "." / "a.db")
    assert server_name(a) != server_name(b)
    assert len(server_name(a)) < 40  # Unix socket paths are short


def test_nobody_running_means_this_start_is_the_first(qapp: QApplication, name: str) -> None:
    assert not SingleInstance(name).notify_running()


def test_second_start_asks_the_first_to_come_forward(qtbot: QtBot, first: SingleInstance, name: str) -> None:
    with qtbot.waitSignal(first.activated, timeout=2000):
        assert SingleInstance(name).notify_running()


def test_acquire_returns_none_when_another_instance_has_the_database(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    db = tmp_path / "tianbao.db"
    calls: list[int] = []
    guard = acquire(db, lambda: calls.append(1))
    assert guard is not None
    try:
        assert acquire(db, lambda: None) is None
        qtbot.waitUntil(lambda: calls == [1], timeout=2000)
        assert acquire(tmp_path / "other.db", lambda: None) is not None  # another database: its own program
    finally:
        guard.close()


@pytest.mark.skipif(sys.platform == "win32", reason="named pipes leave nothing behind")
def test_a_stale_socket_is_taken_over(qapp: QApplication, name: str) -> None:
    # A crashed program leaves its socket file behind with nobody listening on it.
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = Path(tempfile.gettempdir()) / name
    stale.bind(str(path))
    stale.close()
    try:
        assert not SingleInstance(name).notify_running()
        again = SingleInstance(name)
        assert again.listen()
        assert SingleInstance(name).notify_running()
        again.close()
    finally:
        path.unlink(missing_ok=True)


def test_bring_forward_restores_a_minimised_window(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    bring_forward(window)
    assert window.isVisible()
    assert not window.isMinimized()
    bring_forward(None)  # before the main window exists: nothing to do


REPO = Path(__file__).resolve().parents[2]


def _wait_for(path: Path, text: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8"):
            return
        assert process.poll() is None, f"the first program exited with {process.returncode}"
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in {path} after {seconds} s")


@pytest.mark.slow
def test_a_second_program_on_the_same_database_hands_over_and_exits(tmp_path: Path) -> None:
    env = offscreen_env(tmp_path)
    db = tmp_path / "demo.db"
    main = [sys.executable, str(REPO / "main.py"), "--db", str(db)]
    subprocess.run([*main, "demo"], env=env, check=True, capture_output=True, timeout=120)
    log = Path(env["XDG_DATA_HOME"]) / "Tianbao" / "logs" / "tianbao.log"
    first = subprocess.Popen(main, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(log, f"start {__version__} on", first)
        second = subprocess.run(main, env=env, capture_output=True, timeout=60)
        assert second.returncode == 0
        _wait_for(log, "coming forward", first)
        text = log.read_text(encoding="utf-8")
        assert text.count(f"start {__version__} on") == 1  # the second start never opened the database
        assert "already running" in text
        # Another database is another program.
        other = subprocess.run(
            [sys.executable, str(REPO / "main.py"), "--db", str(tmp_path / "other.db"), "--smoke"],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert other.returncode == 0
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_a_program_that_holds_the_lock_but_does_not_answer_is_reported(qapp: QApplication, tmp_path: Path) -> None:
    from PySide6.QtCore import QLockFile

    db = tmp_path / "tianbao.db"
    hung = QLockFile(str(tmp_path / f"{server_name(db)}.lock"))
    assert hung.tryLock(0)  # held by a live process (this one) that never listens
    try:
        with pytest.raises(Busy):
            acquire(db, lambda: None, lock_dir=tmp_path, wait_s=0.3)
    finally:
        hung.unlock()
    guard = acquire(db, lambda: None, lock_dir=tmp_path)
    assert guard is not None and guard.lock is not None and guard.lock.isLocked()
    guard.close()


@pytest.mark.slow
def test_two_starts_at_once_open_the_database_once(tmp_path: Path) -> None:
    env = offscreen_env(tmp_path)
    db = tmp_path / "new.db"  # empty: each start that gets through waits in the first-run wizard
    main = [sys.executable, str(REPO / "main.py"), "--db", str(db)]
    log = Path(env["XDG_DATA_HOME"]) / "Tianbao" / "logs" / "tianbao.log"
    starts = [subprocess.Popen(main, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in starts) and time.monotonic() < deadline:
            time.sleep(0.05)
        finished = [p for p in starts if p.poll() is not None]
        assert len(finished) == 1 and finished[0].returncode == 0
        running = next(p for p in starts if p.poll() is None)
        _wait_for(log, "coming forward", running)
        assert log.read_text(encoding="utf-8").count(f"start {__version__} on {db}") == 1
    finally:
        for p in starts:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
