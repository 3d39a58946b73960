"""Redirected output of a command is UTF-8 whatever the system's locale: on Windows it would otherwise be the
ANSI code page (cp1252 cannot hold Chinese, cp936 garbles it for programs reading UTF-8). A Linux locale
without UTF-8 stands in for it here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_in_ascii_locale(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHON", "TIANBAO_"))}
    # The C locale without Python's UTF-8 overrides: the standard streams are ASCII, as cp1252 is for Chinese.
    env.update(LC_ALL="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False
    )


def test_a_usage_error_reaches_a_pipe_as_utf8() -> None:
    result = run_in_ascii_locale("check", "--unit", "520103", "--period", "2023Q5")
    assert result.returncode == 2
    assert "报告期“2023Q5”格式不对" in result.stderr.decode("utf-8")


def test_help_and_command_output_reach_a_pipe_as_utf8(tmp_path: Path) -> None:
    helped = run_in_ascii_locale("--help")
    assert helped.returncode == 0
    assert "自查" in helped.stdout.decode("utf-8")
    db = tmp_path / "demo.db"
    made = run_in_ascii_locale("--db", str(db), "demo")
    assert made.returncode == 0, made.stderr
    assert "演示数据库已创建" in made.stdout.decode("utf-8")
    checked = run_in_ascii_locale("--db", str(db), "check", "--unit", "520100", "--period", "2023Q2")
    assert "项指标任务总体按计划推进" in checked.stdout.decode("utf-8")


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """``check … | head -1``: the reader closes the pipe before the command has written; the command stops
    without a traceback, with the status a program stopped by a closed pipe has on Unix."""
    db = tmp_path / "demo.db"
    assert run_in_ascii_locale("--db", str(db), "demo").returncode == 0
    for extra in ([], ["--json"]):
        # A pipe with no reader left: every write of the command finds it closed.
        reader, writer = os.pipe()
        os.close(reader)
        try:
            child = subprocess.run(
                [sys.executable, "main.py", "--db", str(db), "check", "--unit", "520100", "--period", "2023Q2", *extra],
                cwd=ROOT,
                stdout=writer,
                stderr=subprocess.PIPE,
                timeout=60,
                check=False,
            )
        finally:
            os.close(writer)
        assert child.returncode == 141, child.stderr.decode("utf-8", "replace")
        assert child.stderr == b""
