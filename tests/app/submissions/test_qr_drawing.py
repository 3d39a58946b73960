"""The PDF's QR code is drawn without a shape object per module, and must still be exactly what reportlab's own
QR widget draws: the verifier compares a PDF's pages byte for byte with what the program draws, so files written
before must keep verifying."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
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

    from app.submissions.qr_code import codewords, make

    ours, theirs = QrCodeWidget(text, barLevel=level).qr, QrCodeWidget(text, barLevel=level).qr
    ours.version = theirs.version = theirs.calculate_version()
    assert codewords(ours) == QRCode.createData(theirs.version, theirs.errorCorrectLevel, theirs.dataList)
    make(ours)
    theirs.make()
    assert ours.modules == theirs.modules


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
