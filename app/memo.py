"""Remembering a pure function's results for short arguments only.

The verifier checks file after file whose contents mostly recur (a catalog's texts, a district's figures, the same
few certificates), so several of its steps remember what they computed. Anyone can hand the city a file, so what is
remembered must stay small whatever the files hold: the results are kept for the last ``maxsize`` calls, and only
for arguments short enough; longer ones are computed every time and never kept.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import ParamSpec, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")


def remembered_if_short(
    maxsize: int, length: Callable[P, int], limit: int
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The function, its results remembered (the last ``maxsize``; raising is never remembered) for arguments
    whose size (``length`` of the arguments) is at most ``limit``; for larger ones computed every time. ``length``
    must say more than ``limit`` for anything it cannot hash. ``cache_info`` tells what is remembered, as
    functools' does."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        remembered = cast("Callable[P, R]", lru_cache(maxsize=maxsize)(fn))

        @wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if length(*args, **kwargs) <= limit:
                return remembered(*args, **kwargs)
            return fn(*args, **kwargs)

        call.cache_info = remembered.cache_info  # type: ignore[attr-defined]
        return call

    return decorate
