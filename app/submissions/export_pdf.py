"""The submission PDF: a printable A4 report of one signed revision, carrying the envelope and a PDF signature.

Everything shown is rendered from the envelope's payload, so what is printed is what was signed. The page is
drawn with reportlab (the bundled WenQuanYi font, embedded as a subset); pyHanko then adds, in one incremental
update, the envelope JSON as an attached file ``tianbao-envelope.json`` and an invisible PAdES signature made with
the unit's key. See ``docs/submission-format.md``.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app import RESOURCES_DIR
from app.engine.periods import Period, PeriodError
from app.engine.progress import STATUS_COLORS, STATUS_LABELS, Status
from app.memo import remembered_if_short
from app.storage.files import write_atomic
from app.submissions import qr_code
from app.submissions.rows import IndicatorRow, indicator_rows, timeliness_part, timeliness_rows, unassessed
from app.submissions.signing import SigningError, beijing_time, canonical, payload_hash, verify_envelope
from app.submissions.xml_escape import escape
from app.trust.keys import KeyStore

ATTACHMENT_NAME = "tianbao-envelope.json"
ATTACHMENT_MIME = "application/json"
SIGNATURE_FIELD = "TianbaoSignature"
FONT_PATH = RESOURCES_DIR / "fonts" / "wqy-microhei.ttc"
FONT = "WenQuanYiMicroHei"
# reportlab subsets an embedded font through state kept on the font itself, shared by every document of the process:
# two documents saved at once in two threads corrupt each other (measured: a third of valid PDFs verified in six
# threads at once were refused). Every document this program builds is built under this lock.
BUILDING = threading.Lock()


HEADERS = ["序号", "指标", "单位", "分子", "分母", "本期值", "目标", "预期进度值", "完成率", "状态", "情况说明"]
# Points on landscape A4 (842 × 595) with 30 pt margins: 782 pt in all.
COL_WIDTHS = [26, 170, 56, 54, 54, 52, 52, 54, 46, 50, 168]
CELL_SIZE = 8.5
PAD = 3


def qr_text(payload: dict[str, Any], digest: str | None = None) -> str:
    """What the QR code on the page carries: the submission id and the payload hash (``digest``, when known)."""
    return f"tianbao:{payload.get('submission_id', '')}:{digest or payload_hash(payload)}"


def period_label(period: str) -> str:
    try:
        return Period.parse(period).label
    except (PeriodError, ValueError):
        return period


def signed_at_label(signed_at: str) -> str:
    """The signing time in Beijing time, as people there read it."""
    shown = beijing_time(signed_at)
    return str(signed_at) if shown is None else shown


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def register_font() -> None:
    """Register the bundled Chinese font with reportlab, once per process."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics

    from app.submissions.font_face import BundledFont

    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    font = BundledFont(FONT, str(FONT_PATH), subfontIndex=0)
    # Each document embeds the glyphs it uses as subsets of 256, made from the whole font file: the verifier draws
    # every PDF it checks again, and the documents of one import mostly use the same glyphs in the same order.
    font.face.makeSubset = _remembered_subsets(font.face.makeSubset)
    font.addObjects = _font_streams_compressed_once(font.addObjects)
    pdfmetrics.registerFont(font)
    for bold in (0, 1):  # the font has no bold or italic: map every variant to it
        for italic in (0, 1):
            addMapping(FONT, bold, italic, FONT)


def _remembered_subsets(make: Callable[[list[int]], bytes]) -> Callable[[list[int]], bytes]:
    """``make``, reportlab's subsetting (a pure function of the subset's characters, in order), remembering the
    last few dozen subsets it made (a few MB at most)."""

    @lru_cache(maxsize=64)
    def cached(codes: tuple[int, ...]) -> bytes:
        return make(list(codes))

    def subset(codes: list[int]) -> bytes:
        return cached(tuple(codes))

    return subset


@cache
def _remembered_flate() -> Any:
    """reportlab's Flate filter, remembering what it made of the last few dozen texts: a font's subset and its
    character map come out the same, text for text, in the documents of one import, and compressing them again was
    a tenth of drawing a report. The same bytes as reportlab's own filter (zlib at its default level)."""
    from reportlab.pdfbase.pdfdoc import PDFStreamFilterZCompress

    class RememberedFlate(PDFStreamFilterZCompress):  # type: ignore[misc]
        # Keyed by the text itself: a subset is one bytes object, remembered with it, whose hash is kept.
        @lru_cache(maxsize=64)  # noqa: B019 - one instance for the whole process, made once
        def encode(self, text: bytes | str) -> bytes:
            encoded: bytes = super().encode(text)
            return encoded

    return RememberedFlate()


def _font_streams_compressed_once(add_objects: Callable[[Any], None]) -> Callable[[Any], None]:
    """``add_objects``, the font's adding of its subsets to a document, with their font files and character maps
    compressed by :func:`_remembered_flate` instead of reportlab's filter, and their widths written by
    :func:`_remembered_widths` (for every font of the document: this is its only embedded font)."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFTrueTypeFont, PDFZCompress

    def add(doc: Any) -> None:
        add_objects(doc)
        for name, item in doc.idToObject.items():
            if name.startswith(("fontFile:", "toUnicodeCMap:")) and getattr(item, "filters", None) == [PDFZCompress]:
                item.filters = [_remembered_flate()]
            elif isinstance(item, PDFTrueTypeFont) and type(getattr(item, "Widths", None)) is PDFArray:
                item.Widths = _remembered_widths()(item.Widths.sequence)

    return add


@cache
def _remembered_widths() -> type[Any]:
    """reportlab's array, for a font subset's widths (numbers, 256 at most), writing what it wrote before for the
    same numbers (:func:`_written_widths`): a subset's widths are the same in every document that embeds it."""
    from reportlab import rl_config
    from reportlab.pdfbase.pdfdoc import PDFArray

    class RememberedWidths(PDFArray):  # type: ignore[misc]
        def format(self, document: Any, IND: bytes = b"\n ") -> bytes:
            numbers = tuple(self.sequence)
            kinds = tuple(map(type, numbers))  # 1 and 1.0 are equal keys: kept apart, whatever they are written as
            if len(numbers) > 256 or not set(kinds) <= {int, float}:
                wrote: bytes = super().format(document, IND)
                return wrote
            return _written_widths(numbers, kinds, IND, rl_config.pdfMultiLine)

    return RememberedWidths


@lru_cache(maxsize=64)
def _written_widths(numbers: tuple[float, ...], kinds: tuple[type, ...], ind: bytes, multiline: Any) -> bytes:
    """An array of plain numbers as reportlab writes it (``multiline``: its setting, which the writing reads)."""
    from reportlab.pdfbase.pdfdoc import PDFArray

    written: bytes = PDFArray(list(numbers)).format(None, ind)  # a number is written without its document
    return written


# ---------------------------------------------------------------------------------------------- rendering


def render_pdf(payload: dict[str, Any], app_version: str, digest: str | None = None) -> bytes:
    """The report pages (not yet signed), drawn only from ``payload`` (``digest``: its hash, when known)."""
    with BUILDING:
        return _render(payload, app_version, digest or payload_hash(payload))


def _render(payload: dict[str, Any], app_version: str, digest: str) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.platypus import SimpleDocTemplate, Spacer

    register_font()
    catalog = payload.get("catalog") or {}
    unit_name = _text((payload.get("unit") or {}).get("name"))
    label = period_label(_text(payload.get("period")))
    submission_id = _text(payload.get("submission_id"))
    indicators = payload.get("indicators") or []
    styles = _styles()
    story: list[Any] = [
        _heading(payload, app_version, digest, styles),
        Spacer(1, 6),
        _indicator_table(indicators, styles),
        *_closing(payload, indicators, styles),
    ]

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        width, height = doc.pagesize
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(_colour("#555555"))
        if doc.page > 1:
            canvas.drawString(doc.leftMargin, height - 20, f"{unit_name} {label} · {_text(catalog.get('name'))}")
            canvas.drawRightString(width - doc.rightMargin, height - 20, f"报送编号 {submission_id}")
        canvas.drawString(doc.leftMargin, 16, f"报送编号 {submission_id}")
        canvas.drawRightString(width - doc.rightMargin, 16, f"填报通 {app_version}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=30,
        rightMargin=30,
        topMargin=28,
        bottomMargin=30,
        title=f"{unit_name} {label} {_text(catalog.get('name'))}",
        author=unit_name,
        subject=f"报送编号 {submission_id}",
        creator=f"填报通 Tianbao {app_version}",
        keywords=[submission_id, digest],
        lang="zh-CN",
        initialFontName=FONT,
        invariant=True,  # no time or random document id: the verifier draws the same pages and compares them
    )
    demo = bool(catalog.get("demo"))
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_numbered_canvas(demo))
    return buffer.getvalue()


def _colour(hex_colour: str) -> Any:
    from reportlab.lib import colors

    return colors.HexColor(hex_colour)


class _Styles:
    """The paragraph styles of the report."""

    def __init__(self) -> None:
        from reportlab.lib.enums import TA_CENTER, TA_RIGHT

        self.title = self.make("title", 17, alignment=TA_CENTER, spaceAfter=3)
        self.subtitle = self.make("subtitle", 12.5, alignment=TA_CENTER, spaceAfter=2)
        self.meta = self.make("meta", 8.5)
        self.body = self.make("body", 9.5, leading=14)
        self.cell = self.make("cell", CELL_SIZE)
        self.cell_num = self.make("cellnum", CELL_SIZE, alignment=TA_RIGHT)
        self.cell_mid = self.make("cellmid", CELL_SIZE, alignment=TA_CENTER)
        self.head = self.make("head", 8.5, alignment=TA_CENTER, textColor=_colour("#1f2d3d"))
        self.demo = self.make("demo", 10, alignment=TA_CENTER, textColor=_colour("#b3261e"))
        self.qr = self.make("qr", 6.5, alignment=TA_RIGHT)
        self.sign = self.make("sign", 10.5, leading=16)
        self.note = self.make("note", 7.5, textColor=_colour("#555555"))
        # per table column: centred, left, or right (figures)
        self.columns = [self.cell_mid, self.cell, self.cell_mid, *[self.cell_num] * 6, self.cell_mid, self.cell]

    @staticmethod
    def make(name: str, size: float, **kw: Any) -> Any:
        from reportlab.lib.styles import ParagraphStyle

        return ParagraphStyle(
            name, fontName=FONT, fontSize=size, leading=kw.pop("leading", size * 1.3), wordWrap="CJK", **kw
        )


@cache
def _styles() -> _Styles:
    """The report's styles, made once: a paragraph laid out in one of them is reused in later documents."""
    return _Styles()


def _p(text: Any, style: Any) -> Any:
    return _laid_paragraph()(escape(_text(text)), style)


def _cell_p(text: Any, style: Any) -> Any:
    """:func:`_p` for a cell that is never split across pages: the paragraph, laid out once, is reused by later
    documents (a table's header, the labels of the signed facts and of the signature block recur in every report,
    a district's name and period in all its revisions), as reportlab itself reuses a table's header paragraphs on
    every page. Only splitting a paragraph changes it. So: cells of tables without ``splitInRow``, and the
    repeated header row of one with it (reportlab never splits a repeated row); never the rows of a table that
    splits its rows."""
    return _laid_cell(_text(text), style)


# Keyed by the style object itself: the report's styles are made once (_styles).
@remembered_if_short(512, lambda text, style: len(text), 200)
def _laid_cell(text: str, style: Any) -> Any:
    return _p(text, style)


@cache
def _laid_paragraph() -> type[Any]:
    """reportlab's paragraph, laid out once per width: a table wraps each of its paragraphs again to measure,
    split and draw its rows, and the lines come out the same every time (the pages are byte for byte the same)."""
    from reportlab.platypus import Paragraph

    class LaidParagraph(Paragraph):  # type: ignore[misc]
        def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
            # A split that finds no room drops the lines (blPara); a width too narrow to wrap makes none.
            lines = self.__dict__.get("blPara")
            width, laid_lines, frags, height = self.__dict__.get("_laid", (None, None, None, 0.0))
            if lines is not None and laid_lines is lines and frags is self.frags and width == availWidth:
                self.width, self.height = availWidth, height
                return availWidth, height
            width, height = super().wrap(availWidth, availHeight)
            if self.__dict__.get("blPara") is not lines:
                self._laid = (availWidth, self.blPara, self.frags, height)
            return width, height

    return LaidParagraph


def _heading(payload: dict[str, Any], app_version: str, digest: str, styles: _Styles) -> Any:
    """Title and the signed facts on the left, the QR code on the right."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer, Table, TableStyle

    catalog = payload.get("catalog") or {}
    unit = payload.get("unit") or {}
    unit_name = _text(unit.get("name"))
    label = period_label(_text(payload.get("period")))
    heading: list[Any] = [
        _cell_p(catalog.get("name") or "指标完成情况", styles.title),
        _cell_p(f"{unit_name} {label}指标完成情况报送表", styles.subtitle),
    ]
    if catalog.get("demo"):
        heading.append(_cell_p("【演示数据】本表由演示数据生成，不作正式报送", styles.demo))
    revision = payload.get("revision")
    signer = payload.get("signer") or {}
    facts = [
        ("报送编号", _text(payload.get("submission_id"))),
        ("版本", f"第 {revision} 版" if revision is not None else ""),
        ("填报单位", f"{unit_name}（{_text(unit.get('code'))}）"),
        ("报告期", label),
        ("签名时间", signed_at_label(_text(payload.get("signed_at")))),
        ("填报账号", signer.get("user")),
        ("指标体系", f"{_text(catalog.get('code'))} {_text(catalog.get('version'))}"),
        ("程序版本", f"填报通 {app_version}"),
    ]
    fact_rows = [
        [_cell_p(f"{a}：{_text(b)}", styles.meta), _cell_p(f"{c}：{_text(d)}", styles.meta)]
        for (a, b), (c, d) in zip(facts[0::2], facts[1::2], strict=True)
    ]
    fact_rows.append([_cell_p(f"签名证书指纹：{_text(signer.get('fingerprint'))}", styles.meta), ""])
    fact_rows.append([_p(f"数据摘要（SHA-256）：{digest}", styles.meta), ""])
    fact_table = Table(fact_rows, colWidths=[300, 300], hAlign="CENTER")
    fact_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),  # also for empty cells, or Helvetica is pulled in
                ("SPAN", (0, len(fact_rows) - 2), (1, len(fact_rows) - 2)),
                ("SPAN", (0, len(fact_rows) - 1), (1, len(fact_rows) - 1)),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    qr_size = 30 * mm
    top = Table(
        [
            [
                [*heading, Spacer(1, 3), fact_table],
                [qr_drawing(qr_text(payload, digest), qr_size), _cell_p("扫码核对报送编号与数据摘要", styles.qr)],
            ]
        ],
        colWidths=[sum(COL_WIDTHS) - qr_size - 12, qr_size + 12],
    )
    top.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return top


def _status_text(row: IndicatorRow) -> str:
    if row.status is not None:
        return STATUS_LABELS[row.status]
    return "—" if row.status_key is None else _text(row.status_key)


def _indicator_table(indicators: list[dict[str, Any]], styles: _Styles) -> Any:
    """The indicators. Short cells are plain strings (fast); text that would not fit is a wrapping paragraph."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Table, TableStyle

    rows: list[list[Any]] = [[_cell_p(h, styles.head) for h in HEADERS]]
    table_style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), CELL_SIZE),
        ("LEADING", (0, 1), (-1, -1), CELL_SIZE * 1.3),
        ("GRID", (0, 0), (-1, -1), 0.4, _colour("#8a94a3")),
        ("BACKGROUND", (0, 0), (-1, 0), _colour("#e4e9f0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (2, 1), (2, -1), "CENTER"),
        ("ALIGN", (3, 1), (8, -1), "RIGHT"),
        ("ALIGN", (9, 1), (9, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
    ]
    for line in indicator_rows(indicators, _text):
        texts = line.texts(_status_text(line), with_code=False)
        row: list[Any] = []
        tallest = 0.0
        for text, width, st in zip(texts, COL_WIDTHS, styles.columns, strict=True):
            if "\n" not in text and stringWidth(text, FONT, CELL_SIZE) <= width - 2 * PAD:
                row.append(text)
            else:
                para = _laid_paragraph()(escape(text).replace("\n", "<br/>"), st)
                tallest = max(tallest, para.wrap(width - 2 * PAD, 100_000)[1])
                row.append([para])
        number = line.number
        if line.status is not None:
            background, foreground = STATUS_COLORS[line.status]
            table_style.append(("BACKGROUND", (9, number), (9, number), _colour(background)))
            table_style.append(("TEXTCOLOR", (9, number), (9, number), _colour(foreground)))
        if tallest > 200:
            # Taller than a good part of the page: it may have to be split across pages, which reportlab can
            # only do for top-aligned cells.
            table_style.append(("VALIGN", (0, number), (-1, number), "TOP"))
        rows.append(row)
    for r in range(2, len(rows), 2):  # light banding, under the status colours
        table_style.insert(5, ("BACKGROUND", (0, r), (-1, r), _colour("#f7f8fa")))
    table = Table(rows, colWidths=COL_WIDTHS, repeatRows=1, splitInRow=40, hAlign="CENTER")
    table.setStyle(TableStyle(table_style))
    return table


TIMELINESS_HEADERS = ["序号", "单位代码", "单位", "收到时间", "报送情况"]
TIMELINESS_WIDTHS = [30, 70, 190, 200, 110]


def _timeliness(payload: dict[str, Any], styles: _Styles) -> list[Any]:
    """A city report's 报送及时情况: the sentence and one row per unit, the verdict in its colour; nothing for a
    payload without it."""
    from reportlab.platypus import Spacer, Table, TableStyle

    part = timeliness_part(payload)
    if part is None:
        return []
    rows: list[list[Any]] = [[_cell_p(h, styles.head) for h in TIMELINESS_HEADERS]]
    table_style: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 1), (-1, -1), CELL_SIZE),
        ("GRID", (0, 0), (-1, -1), 0.4, _colour("#8a94a3")),
        ("BACKGROUND", (0, 0), (-1, 0), _colour("#e4e9f0")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (0, 1), (1, -1), "CENTER"),
        ("ALIGN", (3, 1), (-1, -1), "CENTER"),
    ]
    units = part.get("units")
    for line in timeliness_rows(units if isinstance(units, list) else [], _text):
        rows.append([str(line.number), line.code, _cell_p(line.name, styles.cell), line.received, line.verdict])
        if line.colours is not None:
            background, foreground = line.colours
            table_style.append(("BACKGROUND", (4, line.number), (4, line.number), _colour(background)))
            table_style.append(("TEXTCOLOR", (4, line.number), (4, line.number), _colour(foreground)))
    table = Table(rows, colWidths=TIMELINESS_WIDTHS, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(table_style))
    sentence = f"报送及时情况（以市级收到报送的时间为准）：{_text(part.get('sentence'))}"
    return [Spacer(1, 6), _p(sentence, styles.body), Spacer(1, 3), table]


def _closing(payload: dict[str, Any], indicators: list[dict[str, Any]], styles: _Styles) -> list[Any]:
    """Summary and counts, a city report's timeliness, and the signature block; kept together when short."""
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    counts = payload.get("counts") or {}
    count_parts = []
    for s in Status:
        n = counts.get(s.value, 0)
        if n or s in (Status.EXCEEDED, Status.COMPLETED, Status.ON_TRACK, Status.BEHIND, Status.MISSING):
            count_parts.append(f"{STATUS_LABELS[s]} {_text(n)} 项")
    not_assessed = unassessed(indicators)
    count_line = "状态统计：" + "，".join(count_parts)
    if not_assessed:
        count_line += f"（另列基础数据 {not_assessed} 项，不评价进度）"
    summary: list[Any] = [
        Spacer(1, 8),
        _p(f"汇总：{_text(payload.get('summary'))}", styles.body),
        _p(count_line + "。", styles.body),
    ]
    timeliness = _timeliness(payload, styles)
    closing: list[Any] = [Spacer(1, 14)] if timeliness else [*summary, Spacer(1, 14)]
    line = "_" * 16
    block = Table(
        [
            [
                _cell_p(f"填报人：{line}", styles.sign),
                _cell_p(f"审核人：{line}", styles.sign),
                _cell_p(f"单位负责人：{line}", styles.sign),
            ],
            [_cell_p("盖章：", styles.sign), "", _cell_p("日期：________年____月____日", styles.sign)],
        ],
        colWidths=[sum(COL_WIDTHS) / 3] * 3,
        rowHeights=[26, 62],
        hAlign="CENTER",
    )
    block.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    closing.append(block)
    closing.append(
        _p(
            f"本表由填报通根据第 {_text(payload.get('revision'))} 版签名数据生成，电子签名数据以附件 {ATTACHMENT_NAME} "
            "随本文件报送；扫描右上角二维码可将纸质件与电子件核对。",
            styles.note,
        )
    )
    if timeliness:
        # A table of many units may take pages: only the signature block is kept in one piece.
        return [*summary, *timeliness, KeepTogether(closing)]
    return [KeepTogether(closing)]


def qr_drawing(text: str, size: float) -> Any:
    """The QR code of ``text`` as a drawing ``size`` points square.

    It draws exactly what reportlab's own ``QrCodeWidget`` in a ``Drawing`` draws (the verifier compares pages
    byte for byte), only without building one shape object per dark run of modules: with those several hundred
    shapes the code took most of the time of drawing a whole report.
    """
    widget_class, drawing_class = _qr_classes()
    widget = widget_class(text, barLevel="M")
    # The widget's frame is its bounds (every module lies inside it); widget.getBounds() would draw the whole code
    # once just to measure it.
    x0, y0, x1, y1 = widget.x, widget.y, widget.x + widget.barWidth, widget.y + widget.barHeight
    drawing = drawing_class(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.initialFontName = FONT  # a drawing starts in Helvetica, which would be a font not embedded
    drawing.add(widget)
    return drawing


@cache
def _qr_classes() -> tuple[type, type]:
    """A QR widget whose dark runs are plain rectangles, and a drawing whose renderer draws them as reportlab
    draws one ``SRect`` shape each (the same operators, in the same order)."""
    from reportlab.graphics.barcode.qr import QrCodeWidget, SRect
    from reportlab.graphics.renderbase import getStateDelta, renderScaledDrawing
    from reportlab.graphics.renderPDF import _PDFRenderer
    from reportlab.graphics.shapes import Drawing, Group
    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfgen.canvas import PATH_OPS

    class Modules(Group):  # type: ignore[misc]
        """The frame as a shape, the dark runs as (x, y, width, height) with the state of one such shape."""

        def __init__(self, frame: Any, runs: list[tuple[float, float, float, float]], delta: dict[str, Any]) -> None:
            super().__init__(frame)
            self._runs, self._delta = runs, delta  # private names: a shape refuses unknown public ones

    class Widget(QrCodeWidget):  # type: ignore[misc]
        def draw(self) -> Any:
            # QrCodeWidget.draw, with the same arithmetic, collecting rectangles instead of shapes.
            rows = qr_code.finished_rows(self.qr)
            color = self.barFillColor
            border = self.barBorder
            width = self.barWidth
            height = self.barHeight
            x = self.x
            y = self.y
            frame = SRect(x, y, width, height, fillColor=None)
            module_count = self.qr.getModuleCount()
            minwh = float(min(width, height))
            boxsize = minwh / (module_count + border * 2.0)
            offset_x = x + (width - minwh) / 2.0
            offset_y = y + (minwh - height) / 2.0
            runs = []
            for r, row in enumerate(rows):
                y = (r + border + 1) * boxsize
                for c, count in qr_code.dark_runs(row, module_count):
                    x = (c + border) * boxsize
                    runs.append((offset_x + x, offset_y + height - y, count * boxsize, boxsize))
            return Modules(frame, runs, getStateDelta(SRect(0, 0, 1, 1, fillColor=color)))

    class Renderer(_PDFRenderer):  # type: ignore[misc]
        def drawGroup(self, group: Any) -> None:
            super().drawGroup(group)
            if isinstance(group, Modules) and group._runs:
                runs = group._runs
                # The first run as drawNode draws an SRect: save, apply its state, a filled rectangle, restore.
                start = len(self.canv_code)
                self._run(*runs[0], group._delta)
                drawn = self.canv_code[start:]
                # Every other run writes the same operators around its own rectangle; they are written as the
                # first one's text (checked to be what the canvas wrote), without the calls that produce it.
                ops = PATH_OPS[self._stroke, self._fill, self._canvas._fillMode]
                rect = f"n {fp_str(*runs[0])} re {ops}"
                if len(drawn) < 3 or drawn[0] != "q" or drawn[-1] != "Q" or drawn[-2] != rect:
                    for run in runs[1:]:  # not the canvas this was written for: the slow way, which is exact
                        self._run(*run, group._delta)
                    return
                if len(runs) > 1:
                    # The canvas writes its operators one line each, joined with newlines when the page is
                    # finished: the other runs' lines are added as one text, joined the same way.
                    head = "\n".join(["q", *drawn[1:-2]])
                    self.canv_code.append(
                        "\n".join(f"{head}\nn {fp_str(x, y, w, h)} re {ops}\nQ" for x, y, w, h in runs[1:])
                    )

        @property
        def canv_code(self) -> list[str]:
            code: list[str] = self._canvas._code
            return code

        def _run(self, x: float, y: float, w: float, h: float, delta: dict[str, Any]) -> None:
            canvas = self._canvas
            canvas.saveState()
            self._tracker.push(delta)
            self.applyStateChanges(delta, {})
            canvas.rect(x, y, w, h, stroke=self._stroke, fill=self._fill)
            self._tracker.pop()
            canvas.restoreState()

    class QrDrawing(Drawing):  # type: ignore[misc]
        def draw(self, showBoundary: Any = None) -> None:
            Renderer().draw(renderScaledDrawing(self), self.canv, 0, 0, showBoundary=False)

    return Widget, QrDrawing


@cache
def _remembering_text() -> type[Any]:
    """reportlab's text object, remembering within one document the operators it wrote for a text.

    A report writes the same texts again and again (units, statuses, dashes, headings on every page): more than
    half of what its text objects write is a text written before in the document. What is written depends on the
    font, its size and leading, the font subset last selected, and where the document's font subsets put the
    text's characters, which is fixed once they were first written; the first time it is written, reportlab
    writes it (assigning its new characters), and it is looked up after that. Remembered on the canvas, so in one
    document only."""
    from reportlab.pdfgen.textobject import PDFTextObject

    class RememberingText(PDFTextObject):  # type: ignore[misc]
        def _formatText(self, text: Any) -> str:
            if type(text) is not str:  # a shaped text carries its own positions
                written: str = super()._formatText(text)
                return written
            state: dict[str, Any] = self.__dict__
            key = _key(state, state["_curSubset"], text)
            memo: dict[tuple[Any, ...], tuple[str, int]] = state["_canvas"]._formatted
            found = memo.get(key)
            if found is None:
                found = memo[key] = (super()._formatText(text), state["_curSubset"])
            state["_curSubset"] = found[1]
            return found[0]

        @classmethod
        def fresh(cls, canvas: Any, text: str) -> str:
            """What a new text object of ``canvas`` (no subset selected yet) writes for ``text``, without making one
            when it was written before."""
            found = canvas._formatted.get(_key(canvas.__dict__, -1, text))
            return cls(canvas)._formatText(text) if found is None else str(found[0])

    def _key(state: dict[str, Any], subset: int, text: str) -> tuple[Any, ...]:
        # A text object and its canvas name the font, size and leading alike.
        return (state["_fontname"], state["_fontsize"], state["_leading"], subset, text)

    return RememberingText


def _numbered_canvas(demo: bool) -> Callable[..., Any]:
    """A canvas class that holds pages back until the end, so each can say “第 x 页 共 y 页”.

    Demo data also gets a faint “演示数据” across each page, drawn over the content so no cell hides it.
    """
    from reportlab.lib.colors import Color
    from reportlab.lib.rl_accel import fp_str
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import textobject
    from reportlab.pdfgen.canvas import Canvas

    text_class = _remembering_text()
    bidi = textobject.rtlSupport  # with a bidi library, reportlab may reorder a line's text first

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []
            self._formatted: dict[tuple[Any, ...], tuple[str, int]] = {}

        def beginText(self, x: float = 0, y: float = 0, direction: Any = None) -> Any:
            return text_class(self, x, y, direction=direction)

        # A plain line of text, as reportlab's drawString, drawRightString and drawCentredString write it (a text
        # object at the point, the text's operators, a new line), without making the text object: a table cell
        # is one such line, and a report draws hundreds. Anything else (a render mode, spacing, a direction,
        # shaping, a shaped text, a canvas upside down) goes reportlab's way.
        def drawString(self, x: float, y: float, text: Any, *args: Any, **kwargs: Any) -> None:
            if self._plain(text, args, kwargs):
                self._line(x, y, text)
            else:
                super().drawString(x, y, text, *args, **kwargs)

        def drawRightString(self, x: float, y: float, text: Any, *args: Any, **kwargs: Any) -> None:
            if self._plain(text, args, kwargs):
                self._line(x - stringWidth(text, self._fontname, self._fontsize), y, text)
            else:
                super().drawRightString(x, y, text, *args, **kwargs)

        def drawCentredString(self, x: float, y: float, text: Any, *args: Any, **kwargs: Any) -> None:
            if self._plain(text, args, kwargs):
                self._line(x - 0.5 * stringWidth(text, self._fontname, self._fontsize), y, text)
            else:
                super().drawCentredString(x, y, text, *args, **kwargs)

        def _plain(self, text: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
            return not (args or kwargs or bidi or not self.bottomup) and type(text) is str

        def _line(self, x: float, y: float, text: str) -> None:
            self._code.append(f"BT 1 0 0 1 {fp_str(x, y)} Tm {text_class.fresh(self, text)} T* ET")

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(FONT, 8.5)
                self.setFillGray(0.2)
                width = self._pagesize[0]
                self.drawCentredString(width / 2, 16, f"第 {number} 页 共 {total} 页")
                if demo:
                    self.saveState()
                    self.setFont(FONT, 96)
                    self.setFillColor(Color(0.8, 0.1, 0.1, alpha=0.07))
                    self.translate(width / 2, self._pagesize[1] / 2)
                    self.rotate(20)
                    self.drawCentredString(0, -30, "演示数据")
                    self.restoreState()
                super().showPage()
            super().save()

    return NumberedCanvas


# ---------------------------------------------------------------------------------------------- signing


def _pyhanko_signer(key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, chain: list[x509.Certificate]) -> Any:
    """A pyHanko signer from cryptography objects; the private key stays in memory."""
    from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    def asn1(c: x509.Certificate) -> Any:
        return next(load_certs_from_pemder_data(c.public_bytes(serialization.Encoding.DER)))

    der_key = key.private_bytes(  # in memory only, never written
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return signers.SimpleSigner(
        signing_cert=asn1(cert),
        signing_key=load_private_key_from_pemder_data(der_key, passphrase=None),
        cert_registry=SimpleCertificateStore.from_certs([asn1(c) for c in chain]),  # type: ignore[no-untyped-call]
    )


def sign_pdf(
    pdf: bytes,
    envelope_bytes: bytes,
    key: ec.EllipticCurvePrivateKey,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    payload: dict[str, Any],
) -> bytes:
    """Attach the envelope and sign, in one incremental update."""
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    data = embed.EmbeddedFileObject.from_file_data(
        writer,
        data=envelope_bytes,
        mime_type=ATTACHMENT_MIME,
        params=embed.EmbeddedFileParams(embed_size=True, embed_checksum=True),
    )
    embed.embed_file(
        writer,
        embed.FileSpec(
            file_spec_string=ATTACHMENT_NAME,
            file_name=ATTACHMENT_NAME,
            embedded_data=data,
            description="填报通签名报送数据（机读）",
        ),
    )
    unit = payload.get("unit") or {}
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"报送 {payload.get('submission_id')}",
        name=_text(unit.get("name")) or None,
    )
    out = io.BytesIO()
    signers.PdfSigner(metadata, signer=_pyhanko_signer(key, cert, chain)).sign_pdf(writer, output=out)
    return out.getvalue()


def write_submission_pdf(
    envelope: dict[str, Any], path: Path, keys: KeyStore, passphrase: str, app_version: str
) -> None:
    """Write the signed submission PDF of ``envelope`` to ``path`` (atomically).

    Raises :class:`~app.submissions.signing.VerificationError` if the envelope itself is not valid,
    :class:`~app.submissions.signing.SigningError` if this installation's key is not the one that signed it, and
    :class:`~app.trust.keys.KeysError` for a missing key or a wrong passphrase.
    """
    city = keys.city_certificate()
    payload = verify_envelope(envelope, city)  # never print a submission that would not verify
    unit_code = _text((payload.get("unit") or {}).get("code"))
    cert = keys.unit_certificate(unit_code)
    envelope_cert = x509.load_pem_x509_certificate(str(envelope["certificate"]).encode("ascii"))
    if cert != envelope_cert:
        raise SigningError(f"本机单位 {unit_code} 的证书与签名数据中的证书不同，不能为它生成签名 PDF")
    key = keys.unit_key(unit_code, passphrase)
    if key.public_key().public_numbers() != cert.public_key().public_numbers():  # type: ignore[union-attr]
        raise SigningError("本单位的私钥与证书不配对")
    pages = render_pdf(payload, app_version)
    signed = sign_pdf(pages, canonical(envelope), key, cert, [city], payload)
    write_atomic(path, signed)
