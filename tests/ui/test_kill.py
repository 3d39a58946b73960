"""A killed program loses no acknowledged edit and leaves a sound database.

A child process runs the real main window offscreen and edits cells through its model, printing
``ACK <code> <value>`` after each edit has returned. The parent kills it with SIGKILL at a random moment —
often in the middle of the next edit's transaction — then opens the database: every acknowledged edit is
there (value and audit row), a two-cell edit is never half-saved, and ``PRAGMA integrity_check`` is ``ok``.
Several rounds run on the same file, so each start also recovers what the previous kill left in the WAL.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.store import audit_trail, load_entries
from tests.app.sample_templates import D1
from tests.ui.conftest import offscreen_env

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 4

CHILD = textwrap.dedent(
    """
    import os, sys
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, {repo!r})
    from PySide6.QtWidgets import QApplication
    from app.storage.db import Database
    from ui.application import make_settings
    from ui.form_model import Col
    from ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    db = Database(sys.argv[1])
    start = int(sys.argv[2])
    window = MainWindow(db, make_settings())
    window.show()
    app.processEvents()
    model = window.model
    assert window.form.unit.code == "D1" and str(window.form.period) == "2023Q2", window.form.period
    print("READY", flush=True)
    for i in range(start, start + 100000):
        if i % 5 == 4:  # numerator and denominator together: one step, all or nothing
            row = model.row_of["R"]
            ok = model.set_texts([(row, int(Col.NUMERATOR), str(i)), (row, int(Col.DENOMINATOR), str(i + 1))])
            line = f"ACK R {{i}}/{{i + 1}}"
        else:
            code = "ABQ"[i % 5 % 3]
            ok = model.setData(model.index_of(code, Col.VALUE), str(i))
            line = f"ACK {{code}} {{i}}"
        if not ok:
            print("FAILED", model.last_error, flush=True)
            sys.exit(3)
        print(line, flush=True)
        app.processEvents()
    """
)


def run_round(script: Path, db_path: Path, start: int, kill_after: int, delay: float, env: dict[str, str]) -> list[str]:
    """Start the child, wait for ``kill_after`` acknowledgements and ``delay`` seconds, kill it; all its lines."""
    child = subprocess.Popen(
        [sys.executable, str(script), str(db_path), str(start)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        cwd=REPO,
    )
    assert child.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 10
        while sum(line.startswith("ACK") for line in lines) < kill_after:
            line = child.stdout.readline()
            if not line or time.monotonic() > deadline:
                break
            lines.append(line.strip())
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        out, err = child.communicate(timeout=10)
    lines += out.splitlines()
    assert child.returncode == -signal.SIGKILL, f"child ended by itself ({child.returncode}):\n{err}\n{lines[-3:]}"
    assert lines and lines[0] == "READY", err
    assert not any(line.startswith("FAILED") for line in lines), lines[-3:]
    return [line for line in lines if line.startswith("ACK")]


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_no_acknowledged_edit_is_lost_when_the_program_is_killed(
    db: Database, spec: CatalogSpec, tmp_path: Path
) -> None:
    path = db.path
    db.close()
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(repo=str(REPO)), encoding="utf-8")
    env = offscreen_env(tmp_path)
    # The child opens the form this test checks: D1, second quarter.
    settings_dir = Path(env["XDG_CONFIG_HOME"]) / "Tianbao"
    settings_dir.mkdir(parents=True)
    (settings_dir / "Tianbao.ini").write_text("[form]\nunit=D1\nyear=2023\nperiod=2023Q2\n", encoding="utf-8")

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    acked: list[tuple[str, str]] = []
    for round_no in range(ROUNDS):
        kill_after = rng.randint(3, 30)
        delay = rng.choice([0.0, rng.uniform(0, 0.02)])
        lines = run_round(script, path, 1000 * (round_no + 1), kill_after, delay, env)
        assert len(lines) >= kill_after, (seed, lines)
        acked += [(line.split()[1], line.split()[2]) for line in lines]
        check_database(path, acked, seed, round_no + 1)


def check_database(path: Path, acked: list[tuple[str, str]], seed: int, rounds: int) -> None:
    db = Database(path)
    try:
        assert db.integrity_check() == "ok", seed
        with db.session() as session:
            entries = load_entries(session, D1, Period.parse("2023Q2"))
            trail = audit_trail(session, D1, Period.parse("2023Q2"))
        # Each acknowledged edit left its audit rows, in order; between them only the edit that was in flight
        # when a round was killed may have been saved too (at most two rows: a numerator and a denominator).
        news = [(a.field, a.new) for a in trail if a.field]
        expected_rows: list[tuple[str, str | None]] = []
        for code, text in acked:
            if code == "R":
                num, den = text.split("/")
                expected_rows += [("numerator", num), ("denominator", den)]
            else:
                expected_rows.append(("value", text))
        position = 0
        for row in expected_rows:
            assert row in news[position:], (seed, row)
            position = news.index(row, position) + 1
        assert len(news) - len(expected_rows) <= 2 * rounds, seed
        # The last acknowledged value of each cell is what the file holds — or the one edit after it.
        last: dict[str, str] = {}
        for code, text in acked:
            last[code] = text
        in_flight = news[position:]
        for code, text in last.items():
            entry = entries[code]
            if code == "R":
                pair = f"{entry.numerator}/{entry.denominator}"
                num, den = (Decimal(x) for x in text.split("/"))
                assert entry.denominator == entry.numerator + 1, (seed, pair)  # never half a step
                assert pair == text or (in_flight and entry.numerator > num), (seed, pair, text)
            else:
                assert str(entry.value) == text or (in_flight and ("value", str(entry.value)) in in_flight), (
                    seed,
                    code,
                    entry.value,
                    text,
                )
    finally:
        db.close()
