"""The verification processes the city import and the intake service start: they end with the program that
started them, however it ended (killed from the Task Manager, or with SIGKILL, it cannot stop them itself); a lane
whose pool broke goes on with a new one and says what the old one left unfinished."""

from __future__ import annotations

import select
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from app.submissions.workers import Lane

ROOT = Path(__file__).resolve().parents[3]
# A program that starts a verification process, says its pid, and waits to be killed.
PROGRAM = """
import os, sys
from app.submissions.workers import spawn_pool

if __name__ == "__main__":
    pool = spawn_pool(1)
    print(pool.submit(os.getpid).result(), flush=True)
    sys.stdin.read()
"""


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its parent has not asked yet


@pytest.mark.skipif(sys.platform != "linux", reason="reads a process's state from Linux's /proc")
def test_a_verification_process_ends_when_its_program_is_killed(tmp_path: Path) -> None:
    # Its standard error to a file: the killed program's resource tracker reports the pool's semaphores there.
    errors = tmp_path / "stderr.txt"
    with (
        errors.open("wb") as stderr,
        subprocess.Popen(
            [sys.executable, "-c", PROGRAM],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        ) as program,
    ):
        try:
            assert program.stdout is not None
            # A program that hangs before it answers fails the test instead of holding it up.
            ready, _, _ = select.select([program.stdout], [], [], 120)
            assert ready, f"the program did not start its verification process: {errors.read_text()}"
            worker = int(program.stdout.readline())
            assert running(worker)
        finally:
            program.kill()
    deadline = time.monotonic() + 60
    while running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not running(worker), f"verification process {worker} outlived the program that started it"


class SilentPool(ThreadPoolExecutor):
    """A pool that never runs its work: each job's outcome is set by the test."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        return Future()


def test_a_lane_whose_pool_broke_gives_back_what_it_left_unfinished() -> None:
    made: list[SilentPool] = []

    def make(size: int) -> SilentPool:
        made.append(SilentPool(size))
        return made[-1]

    lane = Lane(2, pdf=False, make=make)
    first, second, third = (lane.submit(print, n) for n in range(3))
    third.set_result(None)
    assert lane.busy == 3 and lane.take(third) == [] and lane.busy == 2
    first.set_exception(BrokenProcessPool("a process died"))
    # The second never comes back from the broken pool: it is given back with the first, and the lane is free.
    assert lane.take(first) == [second] and lane.busy == 0 and lane.pool is None
    fourth = lane.submit(print, 4)
    assert len(made) == 2 and lane.handed == {fourth: made[1]}
    # A broken job of a pool the lane has already left renews nothing.
    second.set_exception(BrokenProcessPool("a process died"))
    assert lane.take(second) == [] and lane.pool is made[1]
    lane.close()
    assert lane.busy == 0 and lane.pool is None
