"""The QR code's mask, chosen as reportlab chooses it, in a fraction of the time.

reportlab's encoder tries the eight masks and keeps the one with the fewest penalty points, scoring each with
Python loops over every module; that scoring was a quarter of the time of drawing a whole submission PDF, and the
city draws every PDF again to verify it. :func:`lost_point` gives exactly reportlab's score
(``QRUtil.getLostPoint``) — a test holds the two together — so the code, and the PDF, stay byte for byte the same.
"""

from __future__ import annotations

import re
from typing import Any

# Rule 1: every run of five or more modules of one colour, in a row or a column, costs its length less two.
_RUN = re.compile(r"0{5,}|1{5,}")
# Rule 3: reportlab looks for this one finder-like pattern only, in rows only (its pass over the columns compares
# tuples with a list, which never match), left to right without overlaps, never touching a row's last module.
_FINDER = re.compile("10111010000")


def lost_point(modules: list[list[bool]]) -> int:
    """reportlab's penalty score of a finished module matrix (``QRUtil.getLostPoint``)."""
    size = len(modules)
    rows = ["".join("1" if module else "0" for module in row) for row in modules]
    lines = rows + ["".join(column) for column in zip(*rows, strict=True)]
    # "2" parts the lines so that no run or pattern crosses from one into the next.
    score = sum(len(run) - 2 for run in _RUN.findall("2".join(lines)))
    # Rule 2: every 2×2 block of one colour costs 3; bit c of a row's number is its module c.
    numbers = [int(row[::-1], 2) for row in rows]
    inner = (1 << (size - 1)) - 1
    for below, above in zip(numbers[1:], numbers, strict=False):
        same = ~(below ^ above) & ~(below ^ (below >> 1)) & ~(above ^ (above >> 1)) & inner
        score += 3 * same.bit_count()
    score += 40 * len(_FINDER.findall("2".join(row[:-1] for row in rows)))
    # Rule 4: the share of dark modules away from half, in steps of 5 %.
    dark = sum(row.count("1") for row in rows)
    score += 10 * (abs(100 * dark // (size * size) - 50) // 5)
    return score


def best_mask(qr: Any) -> int:
    """The mask reportlab's ``QRCode.getBestMaskPattern`` picks: the first of those with the lowest score."""
    best, lowest = 0, -1
    for pattern in range(8):
        qr.makeImpl(True, pattern)
        point = lost_point(qr.modules)
        if lowest < 0 or point < lowest:
            best, lowest = pattern, point
    return best


def make(qr: Any) -> None:
    """``QRCode.make()``, with the mask chosen by :func:`best_mask`."""
    if qr.version is None:
        qr.version = qr.calculate_version()
    qr.makeImpl(False, best_mask(qr))
