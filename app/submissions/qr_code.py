"""The QR code's modules, exactly as reportlab's encoder makes them, in a fraction of the time.

The city draws every PDF again to verify it, and reportlab's encoder spends much of a PDF's drawing in Python loops
over single modules and single bytes. Each of the following is held by a test to reportlab's own result, so that
the code and the PDF stay byte for byte the same:

- the mask: reportlab tries the eight and keeps the one with the fewest penalty points; :func:`lost_point` gives
  exactly its score (``QRUtil.getLostPoint``), and the eight candidates are made from one placement of the data
  (:func:`masked`), not built eight times; the code is then finished from the chosen candidate (:func:`make`);
- the error-correction codewords (:func:`codewords`): reportlab builds the generator polynomial anew for every
  block and divides by it through polynomial objects, a coefficient at a time; here the generator is made once per
  length and the division is the usual table-driven one.
"""

from __future__ import annotations

import itertools
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
    return _best(masked(qr))[0]


def _best(candidates: list[list[int]]) -> tuple[int, list[int]]:
    best, lowest = 0, -1
    for pattern, numbers in enumerate(candidates):
        point = _score(numbers, len(numbers))
        if lowest < 0 or point < lowest:
            best, lowest = pattern, point
    return best, candidates[best]


def make(qr: Any) -> None:
    """``QRCode.make()``: the data and its error correction (:func:`codewords`), the mask chosen by
    :func:`best_mask`, and the code finished from that mask's candidate instead of being placed again."""
    if qr.version is None:
        qr.version = qr.calculate_version()
    if qr.dataCache is None:
        qr.dataCache = codewords(qr)
    pattern, numbers = _best(masked(qr))
    size = len(numbers)
    qr.modules = [[bool(number >> c & 1) for c in range(size)] for number in numbers]
    # The candidates were made as reportlab scores them, with the format (and version) information blank: it is
    # written now, as reportlab's makeImpl(False, pattern) writes it; nothing else differs.
    qr.setupTypeInfo(False, pattern)
    if qr.version >= 7:
        qr.setupTypeNumber(False)


def codewords(qr: Any) -> list[int]:
    """``QRCode.createData``: the data's codewords, padded, then every block's error-correction codewords,
    interleaved as the standard lays them out."""
    from reportlab.graphics.barcode.qrencoder import QRBitBuffer, QRCode, QRRSBlock

    blocks = QRRSBlock.getRSBlocks(qr.version, qr.errorCorrectLevel)
    buffer = QRBitBuffer()
    for data in qr.dataList:
        data.write(buffer, qr.version)
    capacity = 8 * sum(block.dataCount for block in blocks)
    if buffer.getLengthInBits() > capacity:
        # reportlab's own exception and words, so that nothing above tells the two apart
        raise Exception(f"code length overflow. ({buffer.getLengthInBits()} > {capacity})")
    if buffer.getLengthInBits() + 4 <= capacity:
        buffer.put(0, 4)
    while buffer.getLengthInBits() % 8:
        buffer.putBit(False)
    pads = itertools.cycle((QRCode.PAD0, QRCode.PAD1))
    while buffer.getLengthInBits() < capacity:
        buffer.put(next(pads), 8)
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        data = buffer.buffer[offset : offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(data)
        ec_blocks.append(error_correction(data, block.totalCount - block.dataCount))
    return [
        byte
        for column in itertools.chain(itertools.zip_longest(*data_blocks), itertools.zip_longest(*ec_blocks))
        for byte in column
        if byte is not None
    ]


def error_correction(data: list[int], count: int) -> list[int]:
    """The ``count`` Reed-Solomon codewords of ``data`` (GF(256) of the QR code): the remainder of dividing
    data·x^count by the generator polynomial, most significant first."""
    exp, log = _tables()
    generator = _generator(count)
    remainder = [0] * count
    for byte in data:
        factor = byte ^ remainder.pop(0)
        remainder.append(0)
        if factor:
            shift = log[factor]
            for i, g in enumerate(generator):
                remainder[i] ^= exp[(shift + g) % 255]
    return remainder


@cache
def _tables() -> tuple[list[int], list[int]]:
    from reportlab.graphics.barcode.qrencoder import EXP_TABLE, LOG_TABLE

    return EXP_TABLE, LOG_TABLE


@cache
def _generator(count: int) -> tuple[int, ...]:
    """The generator polynomial of ``count`` codewords, (x - α^0)…(x - α^(count-1)), as the logarithms of its
    coefficients after the leading 1 (none of them is zero)."""
    exp, log = _tables()
    poly = [1]
    for i in range(count):
        product = [*poly, 0]
        for j, coefficient in enumerate(poly):
            product[j + 1] ^= exp[(log[coefficient] + i) % 255]
        poly = product
    return tuple(log[c] for c in poly[1:])
