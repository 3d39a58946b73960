"""Loading pyHanko's signature validation without its signers.

The package ``pyhanko.sign`` runs, as it is imported, an ``__init__`` that imports every signer and, through the
timestamp client, aiohttp, which builds SSL contexts as it is imported: some 0.4 s of CPU on a slow day, half of
what loading pyHanko costs, and nothing that checking a signature uses. A process that verifies PDFs (a worker of
the city import or of the intake service, the ``verify`` command) calls :func:`defer_signers` first: the package
then stands without that ``__init__`` having run, its subpackages (``validation``, ``fields``, ``signers``)
imported as always, and the first time anything asks the package itself for a name (``from pyhanko.sign import
PdfSigner``, ``pyhanko.sign.sign_pdf``) the ``__init__`` runs, in full, before the name is given. Nothing else
changes: whoever signs gets the package as pyHanko makes it.
"""

from __future__ import annotations

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
        spec = importlib.util.find_spec(PACKAGE)
        if spec is None or spec.loader is None or not spec.submodule_search_locations:
            return
        package = importlib.util.module_from_spec(spec)
        loader = spec.loader
        state = {"run": False}

        def complete(name: str) -> Any:
            # Python asks a module's __getattr__ only for names its namespace does not hold (PEP 562).
            with _lock:
                if not state["run"]:
                    state["run"] = True
                    del package.__dict__["__getattr__"]
                    loader.exec_module(package)
            try:
                return package.__dict__[name]
            except KeyError:
                raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

        package.__dict__["__getattr__"] = complete
        sys.modules[PACKAGE] = package
        parent: ModuleType = sys.modules["pyhanko"]  # imported by find_spec
        parent.sign = package  # type: ignore[attr-defined]
