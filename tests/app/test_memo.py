"""What is remembered for short arguments, and what never is."""

from __future__ import annotations

from typing import Any

import pytest

from app.memo import remembered_if_short


def test_short_arguments_are_remembered_long_ones_and_refusals_never() -> None:
    calls: list[Any] = []

    @remembered_if_short(2, lambda text: len(text) if isinstance(text, str) else 99, 5)
    def shout(text: Any) -> str:
        calls.append(text)
        if text == "bad":
            raise ValueError(text)
        return str(text).upper()

    for _ in range(3):
        assert shout("abc") == "ABC"
        assert shout("abcdefgh") == "ABCDEFGH"  # longer than the limit
        assert shout(["a"]) == "['A']"  # cannot be hashed: its length says so
        with pytest.raises(ValueError, match="bad"):
            shout("bad")
    assert calls.count("abc") == 1
    assert calls.count("abcdefgh") == 3
    assert calls.count(["a"]) == 3
    assert calls.count("bad") == 3
    assert shout.cache_info().currsize == 1  # type: ignore[attr-defined]
    for text in ("x", "y", "z"):
        shout(text)
    assert shout.cache_info().currsize == 2  # type: ignore[attr-defined]  # the oldest pushed out
