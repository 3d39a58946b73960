"""pytest plugin for the Windows run: Qt is not installed there, so pytest-qt's settings in pyproject.toml are
declared here; otherwise ``--strict-config`` would refuse them as unknown."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("qt_api", "pytest-qt's Qt binding (Qt is not installed here)")
    parser.addini("qt_log_level_fail", "pytest-qt's failing log level (Qt is not installed here)")
    parser.addini("qt_log_ignore", "pytest-qt's ignored messages (Qt is not installed here)", type="linelist")
