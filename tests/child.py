"""Running Python code as a separate program, as the tests that check what a start or a command loads do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    """Run ``code`` with ``args`` in a fresh interpreter in the repository's root, without the developer's
    ``TIANBAO_DB`` and ``TIANBAO_KEYS``; its standard output, after checking that it succeeded."""
    environment = {k: v for k, v in os.environ.items() if k not in ("TIANBAO_DB", "TIANBAO_KEYS")}
    environment.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        # The program writes UTF-8 when its output is not a console; Windows would read it in the ANSI code page.
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout
