"""Cancelling long work (a city import, an upload round): a flag the work looks at between its steps."""

from __future__ import annotations


class CancelToken:
    """Set by the window's cancel button; the work stops before its next step (the import, before the next file)."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
