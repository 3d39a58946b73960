"""Benchmark of command start: how long light commands take from the shell, next to a bare ``python -c pass``, and
which heavy libraries each one imports. Prints figures; asserts nothing.

Target (the next one, from the limits rather than from today): a light command — ``units``, ``outbox``,
``verify`` of one file — at most 6 × a bare interpreter start (``units``), and nothing imported that the command
does not use.

Each command runs as its own process (``python main.py --db DB …``) on the demo database, offscreen, in a
temporary user folder. The runs go round-robin — the bare interpreter, then each command — so a busy machine
slows them alike; the figures are medians, and the ratios are of medians measured in the same rounds. One more
run per command with ``python -X importtime`` lists the heavy libraries it imported (the ones a light command can
do without: SQLAlchemy's ORM, openpyxl, reportlab, pyHanko, jsonschema, Qt, …) and how many modules in all.

``outbox`` is measured when this version of the program has that command.

Run: ``python bench/bench_cli.py`` (``--runs``, default 15).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MAIN = REPO / "main.py"
TARGET_UNITS_RATIO = 6.0
# Libraries that cost a light command most of its start when imported for nothing.
HEAVY = (
    "sqlalchemy",
    "sqlalchemy.orm",
    "alembic",
    "openpyxl",
    "reportlab",
    "pyhanko",
    "pyhanko.sign.signers",
    "aiohttp",
    "urllib.request",
    "jsonschema",
    "cryptography.x509",
    "PySide6",
    "multiprocessing",
    "asyncio",
    "pandas",
)
PASSPHRASE = "tianbao-demo"


def env_for(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
        TIANBAO_PASSPHRASE=PASSPHRASE,
    )
    for name in ("TIANBAO_DB", "TIANBAO_KEYS"):
        env.pop(name, None)
    return env


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)


def prepare(tmp: Path, env: dict[str, str]) -> tuple[Path, Path, Path]:
    """The demo database with one signed submission, exported as a workbook and as a PDF."""
    db = tmp / "demo.db"
    steps = [
        ["demo"],
        ["sign", "--unit", "520103", "--period", "2023Q2"],
        ["export", "--unit", "520103", "--period", "2023Q2", "--xlsx", str(tmp / "520103.xlsx")],
        ["export", "--unit", "520103", "--period", "2023Q2", "--pdf", str(tmp / "520103.pdf")],
    ]
    for step in steps:
        done = run([sys.executable, str(MAIN), "--db", str(db), *step], env)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(step)} failed: {done.stderr.strip()[:300]}")
    return db, tmp / "520103.xlsx", tmp / "520103.pdf"


def has_command(name: str, env: dict[str, str]) -> bool:
    done = run([sys.executable, str(MAIN), "--help"], env)
    return re.search(rf"^\s+{re.escape(name)}\b", done.stdout, re.MULTILINE) is not None


def imported(cmd: list[str], env: dict[str, str]) -> tuple[set[str], int]:
    """The modules a command imports (by ``-X importtime``) and how many."""
    done = run([cmd[0], "-X", "importtime", *cmd[1:]], env)
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$", done.stderr, re.MULTILINE))
    return names, len(names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15, help="rounds (median)")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = env_for(tmp)
        db, xlsx, pdf = prepare(tmp, env)
        base = [sys.executable, str(MAIN), "--db", str(db)]
        commands: dict[str, list[str]] = {
            'python -c "pass"': [sys.executable, "-c", "pass"],
            "units": [*base, "units"],
            "verify (one workbook)": [*base, "verify", str(xlsx)],
            "verify (one PDF)": [*base, "verify", str(pdf)],
            "check (one district)": [*base, "check", "--unit", "520103", "--period", "2023Q2"],
            "--help": [*base, "--help"],
        }
        if has_command("outbox", env):
            commands["outbox"] = [*base, "outbox"]
        for cmd in commands.values():  # warm the file cache, and check each command works
            done = run(cmd, env)
            if done.returncode not in (0,):
                raise SystemExit(f"{' '.join(cmd[2:])} failed ({done.returncode}): {done.stderr.strip()[:300]}")
        samples: dict[str, list[float]] = {label: [] for label in commands}
        for _ in range(args.runs):
            for label, cmd in commands.items():
                start = time.perf_counter()
                run(cmd, env)
                samples[label].append(time.perf_counter() - start)
        floor = statistics.median(samples['python -c "pass"'])
        print(f"(a) command start, median of {args.runs} rounds (min–max), ratio to a bare interpreter")
        for label, times in samples.items():
            median = statistics.median(times)
            verdict = ""
            if label == "units":
                met = median / floor <= TARGET_UNITS_RATIO
                verdict = f"  [target ≤ {TARGET_UNITS_RATIO:.0f}×: {'met' if met else 'MISSED'}]"
            print(
                f"  {label:<24} {median * 1000:7.0f} ms  ({min(times) * 1000:5.0f}–{max(times) * 1000:5.0f})  "
                f"{median / floor:5.1f}×{verdict}"
            )
        print("(b) what each command imports (python -X importtime)")
        _, bare_count = imported(commands['python -c "pass"'], env)
        for label, cmd in commands.items():
            if cmd[1] == "-c":
                continue
            names, count = imported(cmd, env)
            heavy = [h for h in HEAVY if h in names]
            shown = ", ".join(heavy) or "none"
            print(f"  {label:<24} {count - bare_count:4d} modules beyond a bare start; heavy: {shown}")


if __name__ == "__main__":
    main()
