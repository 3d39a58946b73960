"""Imported by every Windows Python process of the Wine check (its ._pth file names this folder and runs site).

Wine 8's named pipes mishandle zero-length messages: Python's check for a waiting message can report one that a
read then waits for forever. concurrent.futures wakes its process pool's manager thread with exactly such a message
(``_ThreadWakeup.wakeup``), so a pool that is handed work while it runs hangs under Wine after a few hundred
tasks, its processes idle (on Windows 8 and later a zero-length read consumes the message, as Python expects).
Here the wake-up carries one byte, which the manager thread reads and drops all the same. The change is made when
concurrent.futures.process is first imported, so a process that never imports it loads nothing more (the light
commands' tests check what a command loads). Test harness only: nothing in the program or its bundle has it.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

_MODULE = "concurrent.futures.process"


def _under_wine() -> bool:
    import ctypes

    try:
        return hasattr(ctypes.WinDLL("ntdll"), "wine_get_version")  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return False


def _one_byte_wakeup(module: ModuleType) -> None:
    def wakeup(self: Any) -> None:
        if not self._closed:
            self._writer.send_bytes(b"\0")

    if _under_wine():
        module._ThreadWakeup.wakeup = wakeup


class _Loader:
    """The module's own loader, then the change (the loader itself is shared with the rest of the library)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        module: ModuleType | None = self.inner.create_module(spec)
        return module

    def exec_module(self, module: ModuleType) -> None:
        self.inner.exec_module(module)
        _one_byte_wakeup(module)


class _Finder:
    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != _MODULE:
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
        return spec


if sys.platform == "win32":
    sys.meta_path.insert(0, _Finder())
