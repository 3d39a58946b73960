"""The 回执单: a verified receipt as one A4 page the clerk can print, file and show.

Everything on the page comes from the receipt as the intake service signed it (its payload and certificate), with
the shipped CJK font embedded as in the submission PDF, and a QR code carrying the submission id, payload hash
and sequence so a paper copy can be matched to the stored receipt.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

from app import __version__
from app.engine.timefmt import beijing_text
from app.submissions.export_pdf import BUILDING, FONT, period_label, qr_drawing, register_font
from app.submissions.xml_escape import escape
from app.transport.outbox import VERDICT_LABELS
from app.transport.receipts import Receipt
from app.trust.keys import fingerprint


def _grouped(hex_text: str, size: int = 4) -> str:
    return " ".join(hex_text[i : i + size] for i in range(0, len(hex_text), size)).upper()


def _common_name(name: x509.Name) -> str:
    names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else name.rfc4514_string()


def receipt_facts(receipt: Receipt) -> list[tuple[str, str]]:
    """The lines of the 回执单, label and value, in the order printed."""
    document: dict[str, Any] = json.loads(receipt.raw.decode("utf-8"))
    payload: dict[str, Any] = document.get("payload") or {}
    unit = payload.get("unit") or {}
    certificate = x509.load_pem_x509_certificate(str(document.get("certificate", "")).encode("ascii"))
    signature = base64.b64decode(str(document.get("signature", "")))
    received = beijing_text(receipt.received_at)
    verdict = str(payload.get("verdict", ""))
    return [
        ("报送编号", str(payload.get("submission_id", ""))),
        ("报送单位", f"{unit.get('name', '')}（{unit.get('code', '')}）"),
        ("报告期", period_label(str(payload.get("period", "")))),
        ("版本", f"第 {payload.get('revision', '')} 版"),
        ("内容摘要（SHA-256）", _grouped(str(payload.get("payload_hash", "")))),
        ("接收时间", received),
        ("接收序号", str(payload.get("sequence", ""))),
        ("结论", VERDICT_LABELS.get(verdict, verdict)),
        ("接收服务", str(payload.get("server", ""))),
        ("回执签名证书", f"{_common_name(certificate.subject)}（{_common_name(certificate.issuer)} 签发）"),
        ("证书指纹（SHA-256）", fingerprint(certificate)),
        ("回执签名指纹（SHA-256）", _grouped(hashlib.sha256(signature).hexdigest()[:32])),
    ]


def render_receipt_pdf(receipt: Receipt) -> bytes:
    """The one-page 回执单 of a verified ``receipt``."""
    with BUILDING:  # see export_pdf.BUILDING
        return _render(receipt)


def _render(receipt: Receipt) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    register_font()
    facts = receipt_facts(receipt)
    values = dict(facts)
    submission_id = values["报送编号"]

    def style(name: str, size: float, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=FONT, fontSize=size, leading=kw.pop("leading", size * 1.4), wordWrap="CJK", **kw
        )

    title = style("title", 20, alignment=TA_CENTER, spaceAfter=4)
    subtitle = style("subtitle", 10.5, alignment=TA_CENTER, textColor=colors.HexColor("#404040"))
    label = style("label", 10.5, textColor=colors.HexColor("#1f2d3d"))
    value = style("value", 10.5)
    note = style("note", 8.5, textColor=colors.HexColor("#404040"), leading=13)

    def p(text: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), st)

    code = f"tianbao-receipt:{submission_id}:{receipt.payload_hash}:{receipt.sequence}"
    rows = [[p(k, label), p(v, value)] for k, v in facts]
    table = Table(rows, colWidths=[48 * mm, 122 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8a8a8a")),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    qr = Table(
        [[qr_drawing(code, 34 * mm), p("扫码核对：报送编号、内容摘要与接收序号", note)]],
        colWidths=[40 * mm, 130 * mm],
    )
    qr.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTNAME", (0, 0), (-1, -1), FONT)]))
    story: list[Any] = [
        p("报送回执单", title),
        p("市级上报服务已收到并保存以下报送（回执由市级 CA 签发的回执证书签名）", subtitle),
        Spacer(1, 8 * mm),
        table,
        Spacer(1, 8 * mm),
        qr,
        Spacer(1, 6 * mm),
        p(
            "说明：回执原文保存在报送单位的填报通中，“报送记录”可随时再次核验其签名。"
            "接收时间为市级上报服务收到报送的时间，是该报送的可信时间。",
            note,
        ),
    ]

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        width, _height = doc.pagesize
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(doc.leftMargin, 16, f"报送编号 {submission_id}")
        canvas.drawRightString(width - doc.rightMargin, 16, f"填报通 {__version__}")
        canvas.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=22 * mm,
        bottomMargin=18 * mm,
        title=f"报送回执单 {submission_id}",
        subject=f"回执 {submission_id}",
        creator=f"填报通 Tianbao {__version__}",
        lang="zh-CN",
        initialFontName=FONT,
    )
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
