"""The PDF's QR code is drawn without a shape object per module, and must still be exactly what reportlab's own
QR widget draws: the verifier compares a PDF's pages byte for byte with what the program draws, so files written
before must keep verifying."""

from __future__ import annotations

import io
import itertools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.submissions.export_pdf import FONT, qr_drawing, register_font


def reportlab_drawing(text: str, size: float) -> Drawing:
    """The QR code as reportlab draws it, shape by shape (what the program drew before)."""
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.initialFontName = FONT
    drawing.add(widget)
    return drawing


def page(drawing: Drawing) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, invariant=1, pageCompression=0)
    drawing.drawOn(canvas, 40, 50)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        "tianbao:520103-2023Q2-r1-f7b2cdf0:4efbec142894904e0f3dcb41bfcd8b1a524377f2133e2f586ab158b554c044b9",
        "tianbao:GA0001-2023-r999999-00000000:" + "0" * 64,
        "tianbao::",
        "x",
        "tianbao:" + "A" * 40 + "-2023Q4-r12-abcdef01:" + "f" * 64,
    ],
)
def test_the_qr_code_is_drawn_as_reportlab_draws_it(text: str) -> None:
    register_font()
    assert page(qr_drawing(text, 30 * mm)) == page(reportlab_drawing(text, 30 * mm))


@settings(max_examples=40, deadline=None)
@given(text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=300))
def test_any_code_is_drawn_as_reportlab_draws_it(text: str) -> None:
    """Codes of every size the texts reach (versions 1 to 10 or so), their runs of modules written as one text."""
    register_font()
    assert page(qr_drawing(text, 30 * mm)) == page(reportlab_drawing(text, 30 * mm))


@settings(max_examples=300, deadline=None)
@given(row=st.integers(0, 2**177 - 1), size=st.integers(21, 177))
def test_the_dark_runs_of_a_row_are_found_left_to_right(row: int, size: int) -> None:
    from app.submissions.qr_code import dark_runs

    row &= (1 << size) - 1
    expected, column = [], 0
    for dark, group in itertools.groupby(bool(row >> c & 1) for c in range(size)):
        count = len(list(group))
        if dark:
            expected.append((column, count))
        column += count
    assert dark_runs(row, size) == expected


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=400),
    level=st.sampled_from("LMQH"),
)
def test_the_mask_is_scored_and_chosen_as_reportlab_does(text: str, level: str) -> None:
    """The fast scoring of the eight masks gives reportlab's own points for each, so the same mask is chosen."""
    from reportlab.graphics.barcode.qrencoder import QRUtil

    from app.submissions.qr_code import best_mask, lost_point, masked

    qr = QrCodeWidget(text, barLevel=level).qr
    qr.version = qr.calculate_version()
    flipped = masked(qr)
    for pattern in range(8):
        qr.makeImpl(True, pattern)
        assert lost_point(qr.modules) == QRUtil.getLostPoint(qr)
        # The eight matrices made from one placement are the ones reportlab builds one by one.
        assert flipped[pattern] == [sum(1 << c for c, m in enumerate(row) if m) for row in qr.modules]
    assert best_mask(qr) == qr.getBestMaskPattern()


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=600),
    level=st.sampled_from("LMQH"),
)
def test_the_code_is_made_as_reportlab_makes_it(text: str, level: str) -> None:
    """The data and error-correction codewords, and the finished matrix (format and version information
    included), are reportlab's own."""
    from reportlab.graphics.barcode.qrencoder import QRCode

    from app.submissions.qr_code import codewords, finished_rows

    ours, theirs = QrCodeWidget(text, barLevel=level).qr, QrCodeWidget(text, barLevel=level).qr
    ours.version = theirs.version = theirs.calculate_version()
    assert codewords(ours) == QRCode.createData(theirs.version, theirs.errorCorrectLevel, theirs.dataList)
    rows = finished_rows(ours)
    theirs.make()
    # Its rows as numbers, and its modules read through them, are reportlab's.
    assert rows == [sum(1 << c for c, dark in enumerate(row) if dark) for row in theirs.modules]
    assert [list(row) for row in ours.modules] == theirs.modules
    assert all(
        ours.isDark(r, c) == theirs.isDark(r, c) for r in range(ours.moduleCount) for c in (0, 8, ours.moduleCount - 1)
    )


@settings(max_examples=200, deadline=None)
@given(data=st.lists(st.integers(0, 255), min_size=1, max_size=160), count=st.integers(1, 68))
def test_error_correction_is_reportlabs(data: list[int], count: int) -> None:
    """Any block and any number of codewords, zeros leading or throughout included."""
    from reportlab.graphics.barcode.qrencoder import QRPolynomial, QRUtil

    from app.submissions.qr_code import error_correction

    generator = QRUtil.getErrorCorrectPolynomial(count)
    remainder = QRPolynomial(data, generator.getLength() - 1).mod(generator)
    length = remainder.getLength()
    expected = [remainder.get(i) if i >= 0 else 0 for i in range(length - count, length)]
    assert error_correction(data, count) == expected


@settings(max_examples=200, deadline=None)
@example(puts=[], text="\n")  # a text reportlab cannot write
@given(
    puts=st.lists(st.tuples(st.integers(-(2**40), 2**40), st.integers(0, 40)), max_size=60), text=st.text(max_size=80)
)
def test_the_data_is_gathered_as_reportlabs_bit_buffer_gathers_it(puts: list[tuple[int, int]], text: str) -> None:
    """Any numbers and lengths put, and every data segment reportlab makes of any text (bytes, kanji, numbers,
    letters), give reportlab's bytes and length."""
    from reportlab.graphics.barcode.qrencoder import QRBitBuffer

    from app.submissions.qr_code import _BitBuffer

    ours, theirs = _BitBuffer(), QRBitBuffer()
    for num, length in puts:
        ours.put(num, length)
        theirs.put(num, length)
        ours.putBit(num % 3)
        theirs.putBit(num % 3)
    qr = QrCodeWidget(text or "x", barLevel="M").qr
    for segment in qr.dataList:
        try:
            segment.write(theirs, 40)
        except Exception as exc:  # reportlab cannot write some texts (a lone "\n"): nor can it into ours
            with pytest.raises(type(exc)):
                segment.write(ours, 40)
            break
        segment.write(ours, 40)
    assert ours.getLengthInBits() == theirs.getLengthInBits()
    assert ours.buffer == theirs.buffer


@st.composite
def matrices(draw: st.DrawFn) -> list[list[bool]]:
    """Square matrices of the sizes of QR codes, with long runs and finder-like patterns more often than chance."""
    size = draw(st.sampled_from([21, 25, 29, 41, 45, 57]))
    pieces = st.sampled_from([[True], [False], [True] * 7, [False] * 6, [bool(int(b)) for b in "10111010000"]])
    rows = []
    for _ in range(size):
        row: list[bool] = []
        while len(row) < size:
            row += draw(pieces)
        rows.append(row[:size])
    return rows


@settings(max_examples=300, deadline=None)
@given(matrices())
def test_any_matrix_is_scored_as_reportlab_scores_it(modules: list[list[bool]]) -> None:
    from types import SimpleNamespace

    from reportlab.graphics.barcode.qrencoder import QRUtil

    from app.submissions.qr_code import lost_point

    assert lost_point(modules) == QRUtil.getLostPoint(SimpleNamespace(modules=modules))
