"""Jobs for real verification processes that die as a crash in a library would, on a file whose name begins with
"dies". A module of their own, importing nothing else until a job runs: each new process imports it, and with
the test modules (hypothesis, the fixtures) that took seconds a process under Wine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def dies(paths: list[str]) -> bool:
    return any(Path(path).name.startswith("dies") for path in paths)


def verdicts_or_death(paths: list[str], ca_pem: bytes, times: list[Any]) -> list[Any]:
    """Dies on a file named "dies…"; the others get the real verification."""
    if dies(paths):
        os._exit(3)
    from app.submissions.verify import verdicts_data

    return verdicts_data(paths, ca_pem, times)


def paths_or_death(paths: list[str], _ca: bytes, _times: list[Any]) -> list[Any]:
    """Dies on a file named "dies…"; any other file's verdict names it."""
    if dies(paths):
        os._exit(3)
    return [(True, path) for path in paths]


def death(_paths: list[str], _ca: bytes, _times: list[Any]) -> list[Any]:
    """A process that cannot work at all: it dies whatever it is given, nothing included."""
    os._exit(3)
