"""Logging to a file in the per-user data folder, so a clerk can send it when something goes wrong."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log that keeps writing when it cannot rotate.

    Programs open on different databases share the log file. On Windows a file another process has open cannot
    be renamed, and the standard handler would then drop every record; this one keeps appending to the current
    file and tries to rotate again with a later record.
    """

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            if self.stream is None:
                self.stream = self._open()


def configure(log_dir: Path) -> Path:
    """Log to ``log_dir/tianbao.log`` (rotated at 1 MB, 5 kept) and return the file's path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "tianbao.log"
    root = logging.getLogger()
    # Once per process: a second call (a command run from within the program, or twice in one test run) must not
    # open the file again and leave a handle behind.
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        handler = SharedRotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return path
