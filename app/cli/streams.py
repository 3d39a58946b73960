"""The command's standard streams: UTF-8 whenever they go to a file or another program."""

from __future__ import annotations

import errno
import os
import stat
import sys

# What a program stopped by a closed pipe exits with on Unix (128 + SIGPIPE): a shell script sees why it ended.
EXIT_PIPE_CLOSED = 141


def use_utf8_when_redirected() -> None:
    """Make redirected standard output and error UTF-8 on every system.

    Python writes redirected streams in the locale's encoding, which on Windows is the ANSI code page: cp1252
    cannot hold Chinese at all and cp936 garbles it for any program that reads UTF-8 (``check --json > out.json``,
    a script reading the messages). A console keeps its own encoding: Windows' console takes Unicode whatever its
    code page, a terminal elsewhere decodes what its locale says. The windowed Windows executable has no
    streams at all (``None``).
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and not stream.isatty() and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def reader_gone(exc: OSError) -> bool:
    """Whether ``exc`` says that standard output's reader has gone: a broken pipe, or on Windows the "invalid
    argument" a write to a pipe whose reader has closed it gives there (when standard output is such a pipe)."""
    if isinstance(exc, BrokenPipeError):
        return True
    if os.name != "nt" or exc.errno != errno.EINVAL or sys.stdout is None:
        return False
    try:
        return stat.S_ISFIFO(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError):
        return False


def discard_stdout() -> None:
    """Send what standard output still holds, and anything written later, nowhere (its reader has gone)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
