"""What one idle district program costs while it polls the city's intake service. Prints figures; asserts nothing.

A city and a district are made as the end-to-end tests make them (tests/e2e/intake_setup.py): the template names
``serve`` running on 127.0.0.1, the district has one signed revision waiting. Then:

(a) The district's window (``main.py`` offscreen) starts, its first round delivers the revision, and the benchmark
    reads the window process's CPU time (user + system, /proc) over ``--seconds`` of idle time that follows —
    with the window's default poll (every 300 s) and with a poll every 5 s (sixty times as often). The window has
    no unlocked key (nobody typed a passphrase), so an idle round is a health check (and hourly, the templates).
(b) The uploader core in this process, with the unit's key unlocked: the CPU time of one idle round (nothing
    pending; the unit's notices fetched with a signed request) and of one round that also fetches the templates,
    and what that makes at the default poll.

Target (product specification §7): one idle district program polling the server costs < 1 % CPU.

Run: ``python bench/bench_outbox_idle.py`` (``--seconds``, ``--rounds``). Linux only (reads /proc).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.intake_setup import D1, PASSPHRASE, IntakeServer, Setup, build, sign  # noqa: E402

TARGET_PERCENT = 1.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def delivered(setup: Setup) -> bool:
    from app.storage.db import Database
    from app.transport import outbox

    db = Database(setup.district_db)
    try:
        return outbox.pending_count(db) == 0
    finally:
        db.close()


def window_idle(setup: Setup, home: Path, poll: float, seconds: float) -> tuple[float, float, float]:
    """CPU seconds the idle window used over ``seconds`` polling every ``poll`` s, that as a percentage of one
    core, and the CPU seconds of its start-up and first round."""
    config = home / "config" / "Tianbao"
    config.mkdir(parents=True, exist_ok=True)
    (config / "Tianbao.ini").write_text(
        f"[General]\nrole=district\nunit={D1}\n\n[form]\nperiod=2023Q2\n\n[intake]\npoll_seconds={poll}\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    env.pop("TIANBAO_DB", None)
    command = [sys.executable, str(REPO / "main.py"), "--db", str(setup.district_db)]
    child = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not delivered(setup):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the window did not deliver the signed revision")
            time.sleep(0.2)
        time.sleep(2)  # the round that delivered ends; the window settles
        start_cpu, start = cpu_seconds(child.pid), time.monotonic()
        time.sleep(seconds)
        used, wall = cpu_seconds(child.pid) - start_cpu, time.monotonic() - start
        return used, 100 * used / wall, start_cpu
    finally:
        child.terminate()
        child.wait(timeout=30)


def core_rounds(setup: Setup, rounds: int) -> tuple[float, float]:
    """Median CPU ms of an idle round (notices) and of a round that also fetches the templates."""
    from app.transport.client import RequestSigner
    from app.transport.uploader import Uploader
    from app.trust.keys import KeyStore

    keys = KeyStore(setup.district_keys)
    uploader = Uploader(setup.district_db, setup.district_keys)
    uploader.add_signer(RequestSigner(D1, keys.unit_key(D1, PASSPHRASE), keys.unit_certificate(D1)))
    uploader.run_round()  # warm-up: imports, the first template fetch
    idle, with_templates = [], []
    for _ in range(rounds):
        started = time.process_time()
        result = uploader.run_round()
        idle.append(time.process_time() - started)
        assert result.reached, result.error
        uploader._templates_at = None  # the hourly template fetch, now
        started = time.process_time()
        uploader.run_round()
        with_templates.append(time.process_time() - started)
        time.sleep(0.6)  # within the service's per-unit rate
    return 1000 * statistics.median(idle), 1000 * statistics.median(with_templates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="idle time measured per run (default 60)")
    parser.add_argument("--rounds", type=int, default=20, help="uploader rounds timed in (b) (default 20)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        setup = build(tmp / "pair")
        server = IntakeServer(setup).start()
        try:
            print(f"(a) the district window, idle, {args.seconds:.0f} s each (CPU of one core):")
            for poll in (300.0, 5.0):
                sign(setup, D1, "2023Q2", str(60 + int(poll)))
                used, percent, startup = window_idle(setup, tmp / f"home-{poll:.0f}", poll, args.seconds)
                verdict = "met" if percent < TARGET_PERCENT else "NOT met"
                print(
                    f"    poll every {poll:>3.0f} s: {percent:.3f} % CPU ({used:.2f} s CPU in {args.seconds:.0f} s;"
                    f" start-up and first round {startup:.2f} s CPU)  target < {TARGET_PERCENT} %: {verdict}"
                )
            idle_ms, templates_ms = core_rounds(setup, args.rounds)
            print(f"(b) one uploader round, key unlocked (median of {args.rounds}):")
            print(f"    idle round (notices by signed request): {idle_ms:.1f} ms CPU")
            print(f"    round that also fetches the templates: {templates_ms:.1f} ms CPU")
            share = 100 * (idle_ms / 1000 / 300 + templates_ms / 1000 / 3600)
            print(f"    at the default poll (300 s, templates hourly): {share:.4f} % CPU")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
