"""How the city import hands files to its verification processes (``app.city.importer._Lanes``), driven with
thread pools and a verification stand-in whose timing the test sets (the real processes' timing cannot be set):
every file's verdict comes back, in file order, whatever order the work finishes in; a workbook process takes a
PDF only when PDFs pile up. A process that dies is run for real: it costs no other file its verdict. The real
verification in processes runs in tests/app/submissions/test_hostile_files.py."""

from __future__ import annotations

import itertools
import random
import threading
import time
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.city import importer
from app.submissions import workers
from tests.app.city.dying_jobs import death, paths_or_death
from tests.app.losing_pool import LosingPool

TIMEOUT_S = 30
# Real processes: every death costs a new process, started one after another (seconds each under Wine).
PROCESSES_TIMEOUT_S = 180


class StandIn:
    """Verifies a chunk by sleeping: a PDF ``pdf_s``, a workbook ``workbook_s``, and a thread's first PDF
    ``first_pdf_s`` more (what loading pyHanko and the font costs a real process). Records who did what."""

    def __init__(self, pdf_s: float, workbook_s: float, first_pdf_s: float, jitter: random.Random | None = None):
        self.pdf_s, self.workbook_s, self.first_pdf_s, self.jitter = pdf_s, workbook_s, first_pdf_s, jitter
        self.lock = threading.Lock()
        self.warm: set[str] = set()
        self.done: list[tuple[str, str]] = []  # (thread name, file)

    def __call__(self, paths: list[str], _ca: bytes, _times: list[Any]) -> list[tuple[Any, ...]]:
        me = threading.current_thread().name
        for path in paths:
            pdf = path.endswith(".pdf")
            with self.lock:
                first = pdf and me not in self.warm
                if pdf:
                    self.warm.add(me)
                extra = self.jitter.uniform(0, 0.002) if self.jitter else 0.0
            time.sleep((self.pdf_s if pdf else self.workbook_s) + (self.first_pdf_s if first else 0.0) + extra)
            with self.lock:
                self.done.append((me, path))
        return [(True, path) for path in paths]


def lanes_of(kinds: str, count: int, job: StandIn) -> importer._Lanes:
    """``kinds``: one letter a file, P for a PDF, W for a workbook; lane threads are named pdf-… and workbook-…"""
    files = [Path(f"{i:04d}.{'pdf' if kind == 'P' else 'xlsx'}") for i, kind in enumerate(kinds)]
    names = itertools.chain(("pdf", "workbook"), itertools.repeat("again"))

    def pool(size: int) -> Executor:
        return ThreadPoolExecutor(max_workers=size, thread_name_prefix=next(names))

    lanes = importer._Lanes(files, b"", [None] * len(files), count, pool=pool, job=job)
    for lane in lanes.lanes:  # pools are made when first used: named here, in lane order
        lane.executor()
    return lanes


def all_verdicts(
    lanes: importer._Lanes, whole: bool = False, raises: type[Exception] | None = None, timeout: float = TIMEOUT_S
) -> list[Any]:
    """Every verdict (``whole`` or what it says of the file), in the order given; fails (instead of waiting for
    ever) when they stop coming. ``raises``: the error the verdicts must end with instead."""
    got: list[Any] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            got.extend(verdict if whole else verdict[1] for verdict in lanes.verdicts())
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    runner = threading.Thread(target=take, daemon=True)
    runner.start()
    runner.join(timeout)
    try:
        assert not runner.is_alive(), f"the verdicts stopped coming after {len(got)} of {len(lanes.paths)}"
        if raises is None:
            assert errors == []
        else:
            assert len(errors) == 1 and isinstance(errors[0], raises), errors
    finally:
        if not runner.is_alive():
            lanes.close()
    return got


def test_a_slow_first_pdf_does_not_stop_the_files_behind_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything in the window handed out and done except one slow PDF: once it is in, the window moves on
    and the next files are handed out, though nothing else is running."""
    monkeypatch.setattr(importer, "AHEAD", 20)
    job = StandIn(pdf_s=0.001, workbook_s=0.0, first_pdf_s=0.3)
    lanes = lanes_of("P" + "W" * 80, 4, job)
    assert all_verdicts(lanes) == lanes.paths


@settings(max_examples=40, deadline=None)
@given(
    kinds=st.text(alphabet="PW", min_size=1, max_size=90),
    count=st.integers(2, 5),
    ahead=st.integers(1, 12),
    backlog=st.integers(0, 4),
    seed=st.integers(0, 2**16),
)
def test_every_verdict_comes_back_in_file_order(kinds: str, count: int, ahead: int, backlog: int, seed: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importer, "AHEAD", ahead)
        patch.setattr(workers, "PDF_BACKLOG", backlog)
        job = StandIn(pdf_s=0.002, workbook_s=0.0, first_pdf_s=0.01, jitter=random.Random(seed))
        lanes = lanes_of(kinds, count, job)
        assert all_verdicts(lanes) == lanes.paths
        assert sorted(path for _, path in job.done) == lanes.paths  # each file verified once


def lanes_that_did(job: StandIn, suffix: str) -> set[str]:
    return {name.split("_")[0] for name, path in job.done if path.endswith(suffix)}


@pytest.mark.parametrize(
    "kinds, expected",
    [
        # One in ten, a PDF a fifth of nine workbooks' time: the PDF process keeps up, and takes workbooks too.
        ("WWWWWWWWWP" * 30, {"pdf"}),
        ("P" * 120 + "W", {"pdf", "workbook"}),  # PDFs pile up: the workbook process takes them too
        ("P" * 120 + "W" * 600, {"pdf", "workbook"}),  # ...even with workbooks to come, out of reach behind them
    ],
)
def test_a_workbook_process_takes_pdfs_only_when_they_pile_up(kinds: str, expected: set[str]) -> None:
    job = StandIn(pdf_s=0.004 if "PP" in kinds else 0.0008, workbook_s=0.0004, first_pdf_s=0.02)
    lanes = lanes_of(kinds, 2, job)
    assert all_verdicts(lanes) == lanes.paths
    assert lanes_that_did(job, ".pdf") == expected
    assert lanes_that_did(job, ".xlsx") <= {"pdf", "workbook"}


def files_named(folder: Path, count: int, dying: tuple[int, ...]) -> list[Path]:
    return [folder / f"{'dies-' if i in dying else ''}{i:02d}.{'pdf' if i % 7 == 3 else 'xlsx'}" for i in range(count)]


def test_a_file_that_kills_its_process_costs_no_other_file_its_verdict(tmp_path: Path) -> None:
    """Real processes: two files kill the process verifying them, each in a chunk with others, with more work
    queued behind them in the same pool. Each of them is refused as such; every other file gets its own verdict,
    in file order, and the import goes on."""
    files = files_named(tmp_path, 40, (5, 22))
    lanes = importer._Lanes(files, b"", [None] * len(files), 2, job=paths_or_death)
    expected = [importer.CRASHED if p.name.startswith("dies") else (True, str(p)) for p in files]
    assert all_verdicts(lanes, whole=True, timeout=PROCESSES_TIMEOUT_S) == expected


def test_processes_that_cannot_work_at_all_stop_the_import_instead_of_blaming_every_file(tmp_path: Path) -> None:
    """Real processes that die whatever they are given: the lone process's empty first job dies too, and the
    verdicts end with VerifierBroken after the first files instead of each file being refused in turn."""
    files = files_named(tmp_path, 30, ())
    lanes = importer._Lanes(files, b"", [None] * len(files), 2, job=death)
    assert all_verdicts(lanes, raises=importer.VerifierBroken, timeout=PROCESSES_TIMEOUT_S) == []


class Die(Exception):
    """Raised by a stand-in job: its "process" dies."""


class DyingPool(Executor):
    """Threads standing in for a pool of processes: a job that raises :class:`Die` breaks the pool as a dead
    process does: every unfinished future fails as broken, later submits are refused. With ``lose``, the
    unfinished futures other than the dying one are left unfinished for ever instead, as CPython 3.11 can leave
    work handed to a pool just as it breaks."""

    def __init__(self, size: int, lose: bool) -> None:
        self.size, self.lose = size, lose
        self.threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"size{size}")
        self.lock = threading.Lock()
        self.broken = False
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self.lock:
            if self.broken:
                raise BrokenProcessPool("the pool is broken")
            outer: Future[Any] = Future()
            self.futures.append(outer)

        def run() -> None:
            try:
                result = fn(*args, **kwargs)
            except Die:
                with self.lock:
                    self.broken = True
                    for future in self.futures:
                        if not future.done() and (future is outer or not self.lose):
                            future.set_exception(BrokenProcessPool("a process died"))
                return
            with self.lock:
                if not self.broken:  # a dead pool sends nothing back
                    outer.set_result(result)

        self.threads.submit(run)
        return outer

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.threads.shutdown(wait=wait, cancel_futures=cancel_futures)


@pytest.mark.parametrize("lose", [False, True])
def test_a_death_is_blamed_on_a_file_only_when_it_happens_twice_alone(lose: bool) -> None:
    """ "dies" kills every process it is in; "unlucky", in the same chunk, kills the lone process the first time
    it is given it (a death that was not its doing: the previous file's, the system's). Only "dies" is refused;
    with ``lose``, the work the broken pool leaves unfinished comes back all the same."""
    runs: dict[str, int] = {}
    lock = threading.Lock()

    def job(paths: list[str], _ca: bytes, _times: list[Any]) -> list[Any]:
        lone = threading.current_thread().name.startswith("size1")
        for path in paths:
            with lock:
                if lone:
                    runs[path] = runs.get(path, 0) + 1
                first_alone = lone and path.endswith("unlucky.xlsx") and runs[path] == 1
            if path.endswith("dies.xlsx") or first_alone:
                time.sleep(0.1)  # more of the pool's work is handed out meanwhile, and waits
                raise Die
        time.sleep(0.04)
        return [(True, path) for path in paths]

    files = [Path(f"{i:02d}.xlsx") for i in range(60)]
    files[9], files[10] = Path("09-dies.xlsx"), Path("10-unlucky.xlsx")
    lanes = importer._Lanes(files, b"", [None] * len(files), 4, pool=lambda n: DyingPool(n, lose), job=job)
    expected = [importer.CRASHED if p.name.endswith("dies.xlsx") else (True, str(p)) for p in files]
    assert all_verdicts(lanes, whole=True) == expected
    # Each given to the lone process twice: "unlucky" passed the second time, "dies" died again.
    assert runs["09-dies.xlsx"] == runs["10-unlucky.xlsx"] == 2


def test_work_a_pool_loses_without_a_word_is_found_and_sent_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "STALL_S", 0.05)
    made: list[Executor] = []

    def pool(size: int) -> Executor:
        made.append(LosingPool(size) if not made else ThreadPoolExecutor(size))
        return made[-1]

    files = [Path(f"{i:02d}.xlsx") for i in range(20)]
    job = StandIn(pdf_s=0.0, workbook_s=0.001, first_pdf_s=0.0)
    lanes = importer._Lanes(files, b"", [None] * len(files), 2, pool=pool, job=job)
    assert all_verdicts(lanes) == lanes.paths
    assert sorted(path for _, path in job.done) == lanes.paths


class OneFilePool(DyingPool):
    """The lone process's pool: it verifies one file, then its process dies idle, and the pool refuses the next
    file as broken when it is handed over (the empty first job it takes as any pool does)."""

    files = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        if args[0]:
            if self.files:
                with self.lock:
                    self.broken = True
            self.files += 1
        return super().submit(fn, *args, **kwargs)


def test_a_lone_process_found_dead_is_replaced_though_nothing_else_runs() -> None:
    """The first PDF's process dies while the lone process verifies a later file (slowly); the lone process then
    dies idle, so the PDF, handed to it next, finds its pool broken, when no other work is running. The lone lane
    starts a new pool (its empty first job, then the PDF) and the import goes on."""

    def job(paths: list[str], _ca: bytes, _times: list[Any]) -> list[Any]:
        lone = threading.current_thread().name.startswith("size1")
        for path in paths:
            if path.endswith("dies.xlsx") or (path.endswith("unlucky.pdf") and not lone):
                time.sleep(0.0 if path.endswith(".xlsx") else 0.1)
                raise Die
            if lone and path.endswith("04.xlsx"):
                time.sleep(0.3)
        return [(True, path) for path in paths]

    lone: list[OneFilePool] = []

    def pool(size: int) -> Executor:
        if size > 1:
            return DyingPool(size, lose=False)
        lone.append(OneFilePool(size, lose=False))
        return lone[-1]

    files = [Path(f"{i:02d}.pdf") for i in range(4)] + [Path(f"{i:02d}.xlsx") for i in range(4, 12)]
    files[0], files[6] = Path("00-unlucky.pdf"), Path("06-dies.xlsx")
    lanes = importer._Lanes(files, b"", [None] * len(files), 4, pool=pool, job=job)
    expected = [importer.CRASHED if p.name.endswith("dies.xlsx") else (True, str(p)) for p in files]
    assert all_verdicts(lanes, whole=True) == expected
    assert lone[0].broken  # the first lone pool was found dead when the PDF was handed to it
