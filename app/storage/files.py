"""Writing files so that a crash never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

# On Windows a file another program has open cannot be replaced. A virus scanner or the search indexer lets go
# within moments, so the rename is tried again for a while; Excel holding the file open does not, and the
# clerk is told which file to close.
REPLACE_TRIES = 20
REPLACE_PAUSE_S = 0.1


class FileInUseError(PermissionError):
    """The finished file could not be put in place: another program holds the old one open, or it is read-only."""

    def __init__(self, path: Path, cause: OSError) -> None:
        message = f"{path} 正被其他程序打开（例如 Excel 或 PDF 阅读器）或是只读文件，无法替换；请关闭后重试"
        super().__init__(cause.errno, message, str(path))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes, private: bool = False) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``.

    The temporary file is created readable by its owner only; unless ``private`` (a private key), the finished
    file gets the permissions any other program's file would, so an export can be shared or printed by others.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if not private:
                os.chmod(tmp, 0o666 & ~_umask())
            os.fsync(handle.fileno())
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _replace(tmp: str, path: Path) -> None:
    for attempt in range(REPLACE_TRIES):
        try:
            os.replace(tmp, path)
            return
        except PermissionError as exc:
            # Elsewhere a refused rename is the folder's permissions, which waiting does not change.
            if os.name != "nt" or path.is_dir():
                raise
            if attempt == REPLACE_TRIES - 1:
                raise FileInUseError(path, exc) from exc
            time.sleep(REPLACE_PAUSE_S)
