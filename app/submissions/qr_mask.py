"""The QR code's mask, chosen as reportlab chooses it, in a fraction of the time.

reportlab's encoder tries the eight masks and keeps the one with the fewest penalty points, scoring each with
Python loops over every module; that scoring was a quarter of the time of drawing a whole submission PDF, and the
city draws every PDF again to verify it. :func:`lost_point` gives exactly reportlab's score
(``QRUtil.getLostPoint``) — a test holds the two together — so the code, and the PDF, stay byte for byte the same.
The eight candidates are made from one placement of the data (:func:`masked`), not built eight times.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Rule 1: every run of five or more modules of one colour, in a row or a column, costs its length less two.
_RUN = re.compile(r"0{5,}|1{5,}")
# Rule 3: reportlab looks for this one finder-like pattern only, in rows only (its pass over the columns compares
# tuples with a list, which never match), left to right without overlaps, never touching a row's last module.
_FINDER = re.compile("10111010000")


def lost_point(modules: list[list[bool]]) -> int:
    """reportlab's penalty score of a finished module matrix (``QRUtil.getLostPoint``)."""
    return _score([_number(row) for row in modules], len(modules))


def _number(row: list[bool]) -> int:
    """A row of modules as a number whose bit c is module c."""
    return sum(1 << c for c, module in enumerate(row) if module)


def _score(numbers: list[int], size: int) -> int:
    rows = [format(number, f"0{size}b")[::-1] for number in numbers]
    lines = rows + ["".join(column) for column in zip(*rows, strict=True)]
    # "2" parts the lines so that no run or pattern crosses from one into the next.
    score = sum(len(run) - 2 for run in _RUN.findall("2".join(lines)))
    # Rule 2: every 2×2 block of one colour costs 3.
    inner = (1 << (size - 1)) - 1
    for below, above in zip(numbers[1:], numbers, strict=False):
        same = ~(below ^ above) & ~(below ^ (below >> 1)) & ~(above ^ (above >> 1)) & inner
        score += 3 * same.bit_count()
    score += 40 * len(_FINDER.findall("2".join(row[:-1] for row in rows)))
    # Rule 4: the share of dark modules away from half, in steps of 5 %.
    dark = sum(number.bit_count() for number in numbers)
    score += 10 * (abs(100 * dark // (size * size) - 50) // 5)
    return score


@cache
def _mask_rows(size: int) -> tuple[tuple[int, ...], ...]:
    """For each of the eight masks, the modules it darkens, row by row as numbers (bit c: column c)."""
    from reportlab.graphics.barcode.qrencoder import QRUtil

    return tuple(
        tuple(sum(1 << c for c in range(size) if QRUtil.getMask(pattern)(r, c)) for r in range(size))
        for pattern in range(8)
    )


_DATA_ROWS: dict[int, list[int]] = {}


def masked(qr: Any) -> list[list[int]]:
    """The eight matrices reportlab scores (``makeImpl(True, pattern)``), as numbers per row, placed once.

    Scoring builds the matrix with the type information left blank, so the eight differ only in the data
    modules, each the data bit flipped by its mask: one placement and a flip per mask give all eight."""
    qr.makeImpl(True, 0)
    size = len(qr.modules)
    data = _DATA_ROWS.get(qr.version)
    if data is None:  # where the data goes depends on the version alone
        data = [0] * size
        for col, row in qr.dataPosIterator():
            data[row] |= 1 << col
        _DATA_ROWS[qr.version] = data
    first = [_number(row) for row in qr.modules]
    masks = _mask_rows(size)
    return [
        [
            number ^ ((zero ^ other) & used)
            for number, used, zero, other in zip(first, data, masks[0], mask, strict=True)
        ]
        for mask in masks
    ]


def best_mask(qr: Any) -> int:
    """The mask reportlab's ``QRCode.getBestMaskPattern`` picks: the first of those with the lowest score."""
    best, lowest = 0, -1
    for pattern, numbers in enumerate(masked(qr)):
        point = _score(numbers, len(numbers))
        if lowest < 0 or point < lowest:
            best, lowest = pattern, point
    return best


def make(qr: Any) -> None:
    """``QRCode.make()``, with the mask chosen by :func:`best_mask`."""
    if qr.version is None:
        qr.version = qr.calculate_version()
    qr.makeImpl(False, best_mask(qr))
