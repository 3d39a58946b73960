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


def env_for(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_CACHE_HOME=str(tmp / "cache"),
    )
    env.pop("TIANBAO_DB", None)
    return env


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def time_smoke(command: list[str], db: Path, env: dict[str, str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*command, "--db", str(db), "--smoke"], env=env, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def report(label: str, samples: list[float]) -> None:
    print(
        f"  {label:<28} median {statistics.median(samples):5.2f} s   min {min(samples):5.2f} s   ({len(samples)} runs)"
    )


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
        if EXE.exists():
            print(f"  size of {BUNDLE.relative_to(REPO)}: {folder_size(BUNDLE) / 2**20:.0f} MiB")
        else:
            print(f"  no bundle at {EXE.relative_to(REPO)}: run `make bundle` first; only the source figure follows")
        print("Start to window and close (--smoke, demo database, offscreen)")
        source = time_smoke([sys.executable, str(REPO / "main.py")], db, env, 1)  # warm the file cache
        source = time_smoke([sys.executable, str(REPO / "main.py")], db, env, args.runs)
        report("python main.py", source)
        if EXE.exists():
            time_smoke([str(EXE)], db, env, 1)
            frozen = time_smoke([str(EXE)], db, env, args.runs)
            report(str(EXE.relative_to(REPO)), frozen)
            print(f"  bundle / source: {statistics.median(frozen) / statistics.median(source):.2f}×")


if __name__ == "__main__":
    main()
