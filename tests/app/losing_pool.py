"""A stand-in for a process pool that broke without a word, shared by the tests of the city import's lanes and of
the intake service's verifier."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class LosingPool(ThreadPoolExecutor):
    """A pool that broke idle as work was handed to it (its process died just before): the work is taken and
    never comes back, and nothing else of the pool fails to say so; only its broken mark is left."""

    _broken: str | bool = False

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self._broken = "a process died"
        return Future()
