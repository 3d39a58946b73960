"""Loading pyHanko's signature validation without its signers.

The package ``pyhanko.sign`` runs, as it is imported, an ``__init__`` that imports every signer and, through the
timestamp client, aiohttp, which builds SSL contexts as it is imported: some 0.4 s of CPU on a slow day, half of
what loading pyHanko costs, and nothing that checking a signature uses. A process that verifies PDFs (a worker of
the city import or of the intake service, the ``verify`` command) calls :func:`defer_signers` first: the package
then stands without that ``__init__`` having run. Its subpackages and modules (``validation``, ``fields``,
``signers``) import as always, also when asked for as the package's attributes (``from pyhanko.sign import
fields``); the first time anything asks the package for a name its ``__init__`` defines (``from pyhanko.sign import
PdfSigner``, ``pyhanko.sign.sign_pdf``) the ``__init__`` runs, in full, before the name is given, and another
thread asking meanwhile waits for it. Whoever signs gets the package as pyHanko makes it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

PACKAGE = "pyhanko.sign"
_lock = threading.RLock()


def defer_signers() -> None:
    """Make ``pyhanko.sign`` importable without running its ``__init__`` until one of its own names is asked
    for. Does nothing once the package is imported, or if pyHanko is not laid out as expected."""
    if PACKAGE in sys.modules:
        return
    with _lock:
        if PACKAGE in sys.modules:
            return
        try:
            spec = importlib.util.find_spec(PACKAGE)
        except ImportError:
            return
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            return
        package = importlib.util.module_from_spec(spec)
        loader = spec.loader
        state = {"run": False}

        def complete(name: str) -> Any:
            # Python asks a module's __getattr__ only for names its namespace does not hold (PEP 562): a
            # submodule not imported yet, or a name of the __init__.
            if not name.startswith("__") and importlib.util.find_spec(f"{PACKAGE}.{name}") is not None:
                return importlib.import_module(f"{PACKAGE}.{name}")
            with _lock:
                if not state["run"]:
                    state["run"] = True
                    try:
                        loader.exec_module(package)
                    except BaseException:
                        state["run"] = False  # tried again, as an import that failed would be
                        raise
                    # Only now: meanwhile another thread's question waits on the lock, not a missing name.
                    package.__dict__.pop("__getattr__", None)
            try:
                return package.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

        package.__dict__["__getattr__"] = complete
        if sys.modules.setdefault(PACKAGE, package) is not package:
            return  # imported the usual way by another thread just now
        parent: ModuleType = sys.modules["pyhanko"]  # imported by find_spec
        parent.sign = package  # type: ignore[attr-defined]
