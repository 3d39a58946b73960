"""Logging to a file in the per-user data folder, so a clerk can send it when something goes wrong."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


def configure(log_dir: Path) -> Path:
    """Log to ``log_dir/tianbao.log`` (rotated at 1 MB, 5 kept) and return the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "tianbao.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
