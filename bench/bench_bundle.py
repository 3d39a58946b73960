"""Benchmark of the PyInstaller bundle: its size, and start to an interactive window against ``python main.py``.

Start is the median wall time of ``--smoke`` (start, open the demo database, show the main window, close) run
offscreen, for the built executable ``pyi-dist/Tianbao/Tianbao`` and for ``python main.py`` from the sources,
on the same demo database and with the user folders in a temporary folder. Prints figures; asserts nothing.
Build the bundle first with ``make bundle``; without it only the source figure is printed.

Run: ``python bench/bench_bundle.py`` (``--runs N``).
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
BUNDLE = REPO / "pyi-dist" / "Tianbao"
EXE = BUNDLE / ("Tianbao.exe" if sys.platform == "win32" else "Tianbao")
sys.path.insert(0, str(REPO))

from bench.bench_ui import env_for  # noqa: E402


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def smoke_once(command: list[str], db: Path, env: dict[str, str]) -> tuple[float, float | None]:
    """Wall time of one ``--smoke`` start, and the process's peak RSS in MiB where the system reports it."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*command, "--db", str(db), "--smoke"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss: float | None = usage.ru_maxrss / 1024  # KiB on Linux
    else:
        proc.wait()
        elapsed, rss = time.perf_counter() - start, None
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} --smoke exited with {proc.returncode}")
    return elapsed, rss


def report(label: str, samples: list[tuple[float, float | None]]) -> None:
    times = [t for t, _ in samples]
    rss = [r for _, r in samples if r is not None]
    memory = f"   peak RSS {statistics.median(rss):4.0f} MiB" if rss else ""
    median = statistics.median(times)
    print(f"  {label:<28} median {median:5.2f} s   min {min(times):5.2f} s{memory}   ({len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = env_for(tmp)
        db = tmp / "demo.db"
        subprocess.run(
            [sys.executable, str(REPO / "main.py"), "--db", str(db), "demo"], env=env, check=True, capture_output=True
        )
        print("Bundle (PyInstaller one-folder)")
        commands = {"python main.py": [sys.executable, str(REPO / "main.py")]}
        if EXE.exists():
            print(f"  size of {BUNDLE.relative_to(REPO)}: {folder_size(BUNDLE) / 2**20:.0f} MiB")
            commands[str(EXE.relative_to(REPO))] = [str(EXE)]
        else:
            print(f"  no bundle at {EXE.relative_to(REPO)}: run `make bundle` first; only the source figure follows")
        print("Start to window and close (--smoke, demo database, offscreen; runs alternate)")
        for command in commands.values():
            smoke_once(command, db, env)  # warm the file cache
        samples: dict[str, list[tuple[float, float | None]]] = {label: [] for label in commands}
        for _ in range(args.runs):
            for label, command in commands.items():
                samples[label].append(smoke_once(command, db, env))
        for label, runs in samples.items():
            report(label, runs)
        if len(samples) == 2:
            source, frozen = ([t for t, _ in runs] for runs in samples.values())
            print(f"  bundle / source: {statistics.median(frozen) / statistics.median(source):.2f}×")


if __name__ == "__main__":
    main()
