"""The log file keeps every record even when another program has it open and it cannot be rotated."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from app.logsetup import SharedRotatingFileHandler


def _logger(path: Path) -> tuple[logging.Logger, SharedRotatingFileHandler]:
    handler = SharedRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger(f"test-logsetup-{path.name}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler


def test_records_are_kept_when_the_file_cannot_be_renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tianbao.log"
    logger, handler = _logger(path)

    def in_use(src: str, dst: str) -> None:
        raise PermissionError(32, "另一个程序正在使用此文件，进程无法访问。", src)

    monkeypatch.setattr(os, "rename", in_use)
    try:
        for i in range(20):
            logger.info("记录 %d %s", i, "x" * 40)
        handler.flush()
        text = path.read_text(encoding="utf-8")
        assert all(f"记录 {i} " in text for i in range(20))  # nothing dropped
        monkeypatch.undo()
        logger.info("rotated now")
        handler.flush()
        assert (tmp_path / "tianbao.log.1").exists()
        assert "rotated now" in path.read_text(encoding="utf-8")
    finally:
        logger.removeHandler(handler)
        handler.close()
