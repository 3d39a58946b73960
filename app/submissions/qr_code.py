"""The QR code's modules, exactly as reportlab's encoder makes them, in a fraction of the time.

The city draws every PDF again to verify it, and reportlab's encoder spends much of a PDF's drawing in Python loops
over single modules and single bytes. Each of the following is held by a test to reportlab's own result, so that
the code and the PDF stay byte for byte the same:

- the mask: reportlab tries the eight and keeps the one with the fewest penalty points; :func:`lost_point` gives
  exactly its score (``QRUtil.getLostPoint``), and the eight candidates are made from one placement of the data
  (:func:`masked`), not built eight times; the code is then finished from the chosen candidate (:func:`finished_rows`);
- the error-correction codewords (:func:`codewords`): reportlab builds the generator polynomial anew for every
  block and divides by it through polynomial objects, a coefficient at a time; here the generator's multiples are
  made once per length and the division takes a byte of the data at a time, the remainder held as one number;
- the data's bits are gathered in one number instead of being set one at a time (:class:`_BitBuffer`), and placed
  in the matrix from the places the version gives them, found once per version (:func:`_layout`), instead of
  building the matrix module by module for every code;
- the finished code is handed on as one number per row (:func:`finished_rows`), whose runs of dark modules the
  PDF draws (:func:`dark_runs`), instead of a list of modules per row.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

# A matrix of size × size modules is held as one number, a row after another, each row in a slot of size + 1 bits
# (bit r·(size + 1) + c is module c of row r) whose last bit stays 0, so that nothing read along a row runs into the
# next. Its columns are held the same way (bit c·(size + 1) + r). Placing the data, masking it and scoring a mask
# are then a few operations on whole matrices instead of loops over modules.
_FINDER = "10111010000"  # rule 3's pattern, module c first


def _slots(size: int, width: int) -> int:
    """Each row's first ``width`` bits."""
    return sum(((1 << width) - 1) << (r * (size + 1)) for r in range(size))


@cache
def _lines(size: int) -> tuple[int, int, int]:
    """Where a module has a right neighbour in its row; the same, not in the last row; where rule 3's pattern can
    start: reportlab looks for it in rows only (its pass over the columns compares tuples with a list, which never
    match), never touching a row's last module."""
    pairs = _slots(size, size - 1)
    return pairs, pairs & ((1 << ((size - 1) * (size + 1))) - 1), _slots(size, size - len(_FINDER))


def _whole(rows: Sequence[int]) -> int:
    """Rows as numbers (bit c: module c) as one number."""
    width = len(rows) + 1
    return sum(row << (r * width) for r, row in enumerate(rows))


def _rows(whole: int, size: int) -> list[int]:
    mask = (1 << size) - 1
    return [whole >> (r * (size + 1)) & mask for r in range(size)]


def _long_runs(whole: int, pairs: int) -> int:
    """Rule 1 along the lines: every run of five or more modules of one colour costs its length less two. A run of
    L modules is L - 1 equal neighbours in a row; the runs of four or more neighbours are covered by windows of
    four, and each costs its neighbours less one."""
    same = ~(whole ^ (whole >> 1)) & pairs
    four = same & (same >> 1) & (same >> 2) & (same >> 3)
    covered = four | (four << 1) | (four << 2) | (four << 3)
    return covered.bit_count() - (covered & ~(covered << 1)).bit_count()


def _score(rows: int, columns: int, size: int) -> int:
    """reportlab's penalty points (``QRUtil.getLostPoint``) of the matrix held as ``rows`` and ``columns``."""
    pairs, upper_pairs, starts = _lines(size)
    score = _long_runs(rows, pairs) + _long_runs(columns, pairs)
    # Rule 2: every 2×2 block of one colour costs 3.
    beside = ~(rows ^ (rows >> 1))
    block = beside & (beside >> (size + 1)) & ~(rows ^ (rows >> (size + 1))) & upper_pairs
    score += 3 * block.bit_count()
    # Rule 3: each finder-like pattern in a row costs 40 (it cannot overlap itself, so every one is counted).
    found = starts
    for k, module in enumerate(_FINDER):
        found &= rows >> k if module == "1" else ~(rows >> k)
    score += 40 * found.bit_count()
    # Rule 4: the share of dark modules away from half, in steps of 5 %.
    score += 10 * (abs(100 * rows.bit_count() // (size * size) - 50) // 5)
    return score


def lost_point(modules: list[list[bool]]) -> int:
    """reportlab's penalty score of a finished module matrix (``QRUtil.getLostPoint``)."""
    rows = [_number(row) for row in modules]
    return _score(*_both(rows), len(rows))


def _number(row: list[bool]) -> int:
    """A row of modules as a number whose bit c is module c."""
    return sum(1 << c for c, module in enumerate(row) if module)


def _both(rows: Sequence[int]) -> tuple[int, int]:
    """A square matrix given by its rows as numbers (bit c: module c), as one number of rows and one of columns."""
    columns = [sum(1 << r for r, row in enumerate(rows) if row >> c & 1) for c in range(len(rows))]
    return _whole(rows), _whole(columns)


@cache
def _masks(size: int) -> tuple[tuple[int, int], ...]:
    """For each of the eight masks, the modules it darkens, as rows and as columns."""
    from reportlab.graphics.barcode.qrencoder import QRUtil

    masks = []
    for pattern in range(8):
        masks.append(_both([sum(1 << c for c in range(size) if QRUtil.getMask(pattern)(r, c)) for r in range(size)]))
    return tuple(masks)


@cache
def _layout(version: int) -> tuple[tuple[int, int, int, int], tuple[int, ...], tuple[int, ...]]:
    """A version's matrix apart from the data, as reportlab scores it (``makeImpl(True, …)``: format and version
    information blank), and the modules the data fills, each as rows and as columns; and for the data's bits in
    the order they fill those modules, each one's place in the rows and in the columns (counted as digits of a
    binary numeral, from its left)."""
    from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

    qr = QRCode(version, QRErrorCorrectLevel.M)
    qr.dataCache = []  # no data: every data module is left to the mask alone, and cleared below
    qr.makeImpl(True, 0)
    size = qr.moduleCount
    places = qr.dataPosIterator()
    used = [0] * size
    for col, row in places:
        used[row] |= 1 << col
    fixed = [_number(row) & ~data for row, data in zip(qr.modules, used, strict=True)]
    matrices = (*_both(fixed), *_both(used))
    last = size * (size + 1) - 1
    in_rows = tuple(last - (row * (size + 1) + col) for col, row in places)
    in_columns = tuple(last - (col * (size + 1) + row) for col, row in places)
    return matrices, in_rows, in_columns


def _candidates(qr: Any) -> list[tuple[int, int]]:
    """The eight matrices reportlab scores (``makeImpl(True, pattern)``), as rows and as columns, placed once.

    Scoring builds the matrix with the type information left blank, so the eight differ only in the data
    modules, each the data bit flipped by its mask: one placement and a flip per mask give all eight."""
    if qr.dataCache is None:
        qr.dataCache = codewords(qr)
    (fixed, fixed_columns, used, used_columns), in_rows, in_columns = _layout(qr.version)
    # The data's bits, most significant first, in their places (mapData without a mask); places left over stay
    # light, as in mapData.
    size = qr.version * 4 + 17
    rows, columns = bytearray(b"0" * (size * (size + 1))), bytearray(b"0" * (size * (size + 1)))
    bits = "".join(format(byte, "08b") for byte in qr.dataCache)
    for bit, r, c in zip(bits, in_rows, in_columns, strict=False):
        if bit == "1":
            rows[r] = columns[c] = 49  # "1"
    data, data_columns = int(rows, 2), int(columns, 2)
    return [
        (fixed | ((data ^ mask) & used), fixed_columns | ((data_columns ^ mask_columns) & used_columns))
        for mask, mask_columns in _masks(size)
    ]


def masked(qr: Any) -> list[list[int]]:
    """The eight matrices reportlab scores (``makeImpl(True, pattern)``), as numbers per row."""
    return [_rows(rows, qr.version * 4 + 17) for rows, _ in _candidates(qr)]


def best_mask(qr: Any) -> int:
    """The mask reportlab's ``QRCode.getBestMaskPattern`` picks: the first of those with the lowest score."""
    return _best(_candidates(qr), qr.version * 4 + 17)[0]


def _best(candidates: list[tuple[int, int]], size: int) -> tuple[int, int]:
    best, lowest = 0, -1
    for pattern, (rows, columns) in enumerate(candidates):
        point = _score(rows, columns, size)
        if lowest < 0 or point < lowest:
            best, lowest = pattern, point
    return best, candidates[best][0]


def finished_rows(qr: Any) -> list[int]:
    """What ``QRCode.make()`` makes, as one number per row (bit c: module c): the data and its error correction
    (:func:`codewords`), the mask chosen by :func:`best_mask`, and the code finished from that mask's candidate
    instead of being placed again. Sets the code's version, size and modules as ``make`` does, the modules read
    and written through those numbers."""
    if qr.version is None:
        qr.version = qr.calculate_version()
    size = qr.moduleCount = qr.version * 4 + 17
    pattern, whole = _best(_candidates(qr), size)
    rows = _rows(whole, size)
    # The candidates were made as reportlab scores them, with the format (and version) information blank: it is
    # written now by reportlab's own code, as its makeImpl(False, pattern) writes it; nothing else differs.
    qr.modules = _Modules(rows)
    qr.setupTypeInfo(False, pattern)
    if qr.version >= 7:
        qr.setupTypeNumber(False)
    return rows


class _Modules:
    """Rows held as numbers, read and written as reportlab reads and writes its modules (``modules[row][column]``),
    left as the code's modules once it is finished."""

    def __init__(self, rows: list[int]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, row: int) -> _Row:
        if not 0 <= row < len(self.rows):
            raise IndexError(row)
        return _Row(self.rows, row)


class _Row:
    def __init__(self, rows: list[int], row: int) -> None:
        self.rows, self.row = rows, row

    def __len__(self) -> int:
        return len(self.rows)  # the matrix is square

    def __getitem__(self, column: int) -> bool:
        if not 0 <= column < len(self.rows):
            raise IndexError(column)
        return bool(self.rows[self.row] >> column & 1)

    def __setitem__(self, column: int, dark: Any) -> None:
        if not 0 <= column < len(self.rows):
            raise IndexError(column)
        if dark:
            self.rows[self.row] |= 1 << column
        else:
            self.rows[self.row] &= ~(1 << column)


def dark_runs(row: int, size: int) -> list[tuple[int, int]]:
    """The runs of dark modules in a row held as a number: (first column, length), left to right."""
    bits = format(row, f"0{size}b")[::-1]  # column 0 first
    return [(run.start(), run.end() - run.start()) for run in _DARK.finditer(bits)]


_DARK = re.compile("1+")


def codewords(qr: Any) -> list[int]:
    """``QRCode.createData``: the data's codewords, padded, then every block's error-correction codewords,
    interleaved as the standard lays them out."""
    from reportlab.graphics.barcode.qrencoder import QRCode, QRRSBlock

    blocks = QRRSBlock.getRSBlocks(qr.version, qr.errorCorrectLevel)
    buffer = _BitBuffer()
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
    stream = buffer.buffer
    for block in blocks:
        data = stream[offset : offset + block.dataCount]
        offset += block.dataCount
        data_blocks.append(data)
        ec_blocks.append(error_correction(data, block.totalCount - block.dataCount))
    return [
        byte
        for column in itertools.chain(itertools.zip_longest(*data_blocks), itertools.zip_longest(*ec_blocks))
        for byte in column
        if byte is not None
    ]


class _BitBuffer:
    """reportlab's ``QRBitBuffer`` as the data segments write to it (``put``, ``putBit``, ``getLengthInBits``,
    ``buffer``), the bits kept in one number instead of being set one at a time."""

    def __init__(self) -> None:
        self.bits = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        """The ``length`` lowest bits of ``num``, most significant first."""
        self.bits = (self.bits << length) | (num & ((1 << length) - 1))
        self.length += length

    # The camelCase names are reportlab's, which its data segments call.
    def putBit(self, bit: Any) -> None:
        self.put(1 if bit else 0, 1)

    def getLengthInBits(self) -> int:
        return self.length

    @property
    def buffer(self) -> list[int]:
        """The bytes, the last one filled with zeros."""
        pad = -self.length % 8
        return list((self.bits << pad).to_bytes((self.length + pad) // 8, "big"))


def error_correction(data: list[int], count: int) -> list[int]:
    """The ``count`` Reed-Solomon codewords of ``data`` (GF(256) of the QR code): the remainder of dividing
    data·x^count by the generator polynomial, most significant first.

    The remainder is held as one number of ``count`` bytes; each step shifts it by a byte and adds (XOR) the
    generator times the leading factor, made once per factor (:func:`_multiples`)."""
    multiples = _multiples(count)
    top, mask = 8 * (count - 1), (1 << (8 * count)) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder << 8) & mask) ^ multiples[byte ^ (remainder >> top)]
    return list(remainder.to_bytes(count, "big"))


@cache
def _multiples(count: int) -> tuple[int, ...]:
    """For each factor, the generator's coefficients after the leading 1 times that factor, as one number of
    ``count`` bytes (most significant first)."""
    exp, log = _tables()
    generator = _generator(count)
    multiples = [0]
    for factor in range(1, 256):
        multiples.append(int.from_bytes(bytes(exp[(log[factor] + g) % 255] for g in generator), "big"))
    return tuple(multiples)


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
