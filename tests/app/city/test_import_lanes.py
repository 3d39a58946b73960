"""How the city import hands files to its verification processes (``app.city.importer._Lanes``), driven with
thread pools and a verification stand-in whose timing the test sets (the real processes' timing cannot be set):
every file's verdict comes back, in file order, whatever order the work finishes in; a workbook process takes a
PDF only when PDFs pile up. A process that dies is run for real: it costs no other file its verdict. The real
verification in processes runs in tests/app/submissions/test_hostile_files.py."""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.city import importer
from app.submissions.verify import verdicts_data

TIMEOUT_S = 30


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

    return importer._Lanes(files, b"", [None] * len(files), count, pool=pool, job=job)


def all_verdicts(lanes: importer._Lanes) -> list[Any]:
    """Every verdict, in the order given; fails (instead of waiting for ever) when they stop coming."""
    got: list[Any] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            got.extend(verdict[1] for verdict in lanes.verdicts())
        except BaseException as exc:  # shown by the assertion below
            errors.append(exc)

    runner = threading.Thread(target=take, daemon=True)
    runner.start()
    runner.join(TIMEOUT_S)
    try:
        assert not runner.is_alive(), f"the verdicts stopped coming after {len(got)} of {len(lanes.paths)}"
        assert errors == []
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
        patch.setattr(importer, "PDF_BACKLOG", backlog)
        job = StandIn(pdf_s=0.002, workbook_s=0.0, first_pdf_s=0.01, jitter=random.Random(seed))
        lanes = lanes_of(kinds, count, job)
        assert all_verdicts(lanes) == lanes.paths
        assert sorted(path for _, path in job.done) == lanes.paths  # each file verified once


def lanes_that_did(job: StandIn, suffix: str) -> set[str]:
    return {name.split("_")[0] for name, path in job.done if path.endswith(suffix)}


@pytest.mark.parametrize(
    "kinds, expected",
    [
        ("WWWWWWWWWP" * 30, {"pdf"}),  # one in ten: the PDF process keeps up
        ("P" * 120 + "W", {"pdf", "workbook"}),  # PDFs pile up: the workbook process takes them too
    ],
)
def test_a_workbook_process_takes_pdfs_only_when_they_pile_up(kinds: str, expected: set[str]) -> None:
    job = StandIn(pdf_s=0.004, workbook_s=0.0004, first_pdf_s=0.02)
    lanes = lanes_of(kinds, 2, job)
    assert all_verdicts(lanes) == lanes.paths
    assert lanes_that_did(job, ".pdf") == expected
    assert lanes_that_did(job, ".xlsx") <= {"pdf", "workbook"}


def verdicts_or_death(paths: list[str], ca_pem: bytes, times: list[Any]) -> list[Any]:
    """A verification process's job that dies (as a crash in a library would) when a file's name begins with
    "dies"; the others get the real verification. Module-level, so that a process can be given it."""
    if any(Path(path).name.startswith("dies") for path in paths):
        os._exit(3)
    return verdicts_data(paths, ca_pem, times)


def test_a_file_that_kills_its_process_costs_no_other_file_its_verdict(tmp_path: Path) -> None:
    """Real processes: two files kill the process verifying them, each in a chunk with others, with more work
    queued behind them in the same pool. Each of them is refused as such; every other file gets its own verdict,
    in file order, and the import goes on."""
    from cryptography.hazmat.primitives import serialization

    from app.trust.keys import KeyStore

    ca_pem = KeyStore(tmp_path / "keys").city_init("市级", "口令 12345678").public_bytes(serialization.Encoding.PEM)
    files = []
    for i in range(40):
        name = f"dies-{i:02d}" if i in (5, 22) else f"{i:02d}"
        path = tmp_path / f"{name}.{'pdf' if i % 7 == 3 else 'xlsx'}"
        path.write_bytes(b"not a submission")
        files.append(path)
    lanes = importer._Lanes(files, ca_pem, [None] * len(files), 2, job=verdicts_or_death)
    try:
        verdicts = list(lanes.verdicts())
    finally:
        lanes.close()
    assert len(verdicts) == len(files)
    for path, verdict in zip(files, verdicts, strict=True):
        if path.name.startswith("dies"):
            assert verdict == importer.CRASHED
        else:
            assert verdict == verdicts_data([str(path)], ca_pem, [None])[0]  # what it gets in this process
