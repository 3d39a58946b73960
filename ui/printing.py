"""Printing a submission: the very pages of its PDF, drawn onto the printer (and the print preview).

The PDF is laid out once by ``app.submissions.export_pdf``; printing rasterises those pages with PDFium (pypdfium2) at
the printer's resolution, so paper and file show the same thing on any Windows PC.
"""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QWidget


def page_images(pdf: bytes, dpi: int) -> Iterator[QImage]:
    """Each page of ``pdf`` as an image at ``dpi``."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True, prefer_bgrx=True)
            image = QImage(
                bitmap.buffer, bitmap.width, bitmap.height, bitmap.stride, QImage.Format.Format_RGBX8888
            ).copy()  # the bitmap's memory goes away with it
            bitmap.close()
            page.close()
            yield image
    finally:
        document.close()


def paint_pages(printer: QPrinter, pdf: bytes) -> int:
    """Draw every page of ``pdf`` on ``printer``, one per sheet, scaled into the printable area. Returns pages."""
    dpi = min(printer.resolution(), 300)
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    count = 0
    try:
        for image in page_images(pdf, dpi):
            if count:
                printer.newPage()
            area = painter.viewport()
            scaled = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(area.x(), area.y(), scaled.width(), scaled.height())
            painter.drawImage(target, image)
            count += 1
    finally:
        painter.end()
    return count


def is_landscape(pdf: bytes) -> bool:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        width, height = document[0].get_size()
        return bool(width > height)
    finally:
        document.close()


def preview(pdf: bytes, parent: QWidget | None = None) -> None:
    """Open the print preview of ``pdf``; printing from it prints the same pages, in the PDF's orientation."""
    landscape = is_landscape(pdf)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.paintRequested.connect(lambda p: paint_pages(p, pdf))
    dialog.exec()
