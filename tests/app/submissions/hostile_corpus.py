"""A corpus of altered and hostile submission files, made from genuine ones: every class of attack the verifier
and the city import must refuse. Used by the tests (refusal, reason, nothing stored) and by
bench/bench_hostile.py (time and memory per class)."""

from __future__ import annotations

import copy
import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app.submissions.export_pdf import canonical, render_pdf, sign_pdf
from app.submissions.export_xlsx import envelope_text, submission_xlsx_bytes
from app.submissions.signing import sign_payload
from app.submissions.xlsx_parts import HIDDEN_PART, VISIBLE_PART, zip_parts

VERSION = "9.8.7"


@dataclass(frozen=True)
class Case:
    cls: str  # the class of attack
    name: str
    suffix: str  # ".xlsx" or ".pdf"
    data: bytes
    reasons: frozenset[str]  # acceptable refusal reasons


@dataclass
class Material:
    """What the corpus is made from: a genuine envelope, and a way to sign another payload with the unit's key."""

    envelope: dict[str, Any]
    sign: Callable[[dict[str, Any]], dict[str, Any]]
    pdf_signer: Callable[[bytes, dict[str, Any]], bytes]  # (pages, envelope) -> signed PDF

    @property
    def payload(self) -> dict[str, Any]:
        return self.envelope["payload"]


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def _sheet_edit(parts: dict[str, bytes], old: str, new: str, count: int = 1) -> dict[str, bytes]:
    text = parts[VISIBLE_PART].decode()
    assert old in text, old
    return {**parts, VISIBLE_PART: text.replace(old, new, count).encode()}


def _row_of(payload: dict[str, Any], code: str) -> int:
    return 7 + [i["code"] for i in payload["indicators"]].index(code)


def _hidden_sheet_of(envelope: dict[str, Any]) -> bytes:
    from xml.sax.saxutils import escape

    text = envelope_text(envelope)
    size = 30_000
    pieces = [text[i : i + size] for i in range(0, len(text), size)] or [""]
    marks = ["tianbao-envelope-xlsx", "1", str(len(pieces)), str(len(text))]
    rows = []
    for r in range(1, max(len(pieces), 4) + 1):
        cells = ""
        if r <= len(pieces):
            cells += f'<c r="A{r}" t="inlineStr"><is><t>{escape(pieces[r - 1])}</t></is></c>'
        if r <= 4:
            cells += f'<c r="B{r}" t="inlineStr"><is><t>{marks[r - 1]}</t></is></c>'
        rows.append(f'<row r="{r}">{cells}</row>')
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    ).encode()


def forged_sizes(data: bytes, size: int) -> bytes:
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            out[at + offset : at + offset + 4] = struct.pack("<I", size)
            start = at + 4
    return bytes(out)


def _malformed_payloads(payload: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        p = copy.deepcopy(payload)
        change(p)
        return p

    first = 0
    yield "revision abc", changed(lambda p: p.update(revision="abc"))
    yield "revision 10^30", changed(lambda p: p.update(revision=10**30))
    yield "revision 0", changed(lambda p: p.update(revision=0))
    yield "revision -3", changed(lambda p: p.update(revision=-3))
    yield "revision true", changed(lambda p: p.update(revision=True))
    yield "unit without name", changed(lambda p: p["unit"].pop("name"))
    yield "no signer", changed(lambda p: p.pop("signer"))
    yield "no catalog", changed(lambda p: p.pop("catalog"))
    yield "indicators as an object", changed(lambda p: p.update(indicators={"C12": p["indicators"][0]}))
    yield "indicator without code", changed(lambda p: p["indicators"][first].pop("code"))
    yield "indicator listed twice", changed(lambda p: p["indicators"].append(copy.deepcopy(p["indicators"][first])))
    yield "too many decimals", changed(lambda p: p["indicators"][first].update(value="3.4012345"))
    yield (
        "2 million character explanation",
        changed(lambda p: p["indicators"][first].update(explanation="长" * 2_000_000)),
    )
    yield "signed_at as an object", changed(lambda p: p.update(signed_at={"when": "now"}))


def xlsx_cases(material: Material) -> Iterator[Case]:
    payload = material.payload
    genuine = submission_xlsx_bytes(material.envelope, VERSION)
    parts = members(genuine)
    altered = frozenset({"altered"})
    unreadable = frozenset({"unreadable"})
    r = _row_of(payload, "C12")

    # Resource bombs.
    yield Case("bomb", "zip index lies about sizes", ".xlsx", forged_sizes(genuine, 0xFFFF_FFF0), unreadable | altered)
    yield Case("bomb", "zip index claims tiny sizes", ".xlsx", forged_sizes(genuine, 10), unreadable | altered)
    custom = {f"customXml/item{i}.xml": b"<a>" + b"x" * 900_000 + b"</a>" for i in range(60)}
    yield Case("bomb", "extra customXml parts", ".xlsx", rezip({**parts, **custom}), unreadable | altered)
    big_rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 600_001))
    very_hidden = f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{big_rows}</sheetData></worksheet>'
    yield Case(
        "bomb",
        "very hidden sheet of 600,000 cells",
        ".xlsx",
        rezip({**parts, "xl/worksheets/sheet3.xml": very_hidden.encode()}),
        unreadable | altered,
    )
    yield Case("bomb", "zeros", ".xlsx", rezip({**parts, "xl/padding.bin": bytes(40 * 1024 * 1024)}), unreadable)

    # What a person sees differs from what was signed.
    textbox = b'<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"><xdr:sp><xdr:txBody>99.9</xdr:txBody></xdr:sp></xdr:wsDr>'
    yield Case(
        "visible",
        "white text box under another part name",
        ".xlsx",
        rezip({**parts, "xl/shapes/box1.xml": textbox}),
        altered,
    )
    cell = f'<c r="G{r}" s="'
    text = parts[VISIBLE_PART].decode()
    at = text.index(cell)
    end = text.index("</c>", at) + 4
    rich = (
        text[:at]
        + re.sub(
            r"<is><t>82\.2</t></is>",
            '<is><r><rPr><color rgb="FFFFFFFF"/></rPr><t>8</t></r><r><t>2.2</t></r></is>',
            text[at:end],
        )
        + text[end:]
    )
    yield Case(
        "visible", "rich text run shows 2.2 of 82.2", ".xlsx", rezip({**parts, VISIBLE_PART: rich.encode()}), altered
    )
    styles = parts["xl/styles.xml"].decode()
    yield Case(
        "visible",
        "figures in white",
        ".xlsx",
        rezip({**parts, "xl/styles.xml": styles.replace('rgb="FF000000"', 'rgb="FFFFFFFF"').encode()}),
        altered,
    )
    yield Case(
        "visible",
        "figures in near-white",
        ".xlsx",
        rezip({**parts, "xl/styles.xml": styles.replace('rgb="FF000000"', 'rgb="FFFEFEFE"').encode()}),
        altered,
    )
    yield Case(
        "visible",
        "figures in the fill colour",
        ".xlsx",
        rezip({**parts, "xl/styles.xml": styles.replace('rgb="FF000000"', 'rgb="FFDCEAFB"').encode()}),
        altered,
    )
    yield Case(
        "visible",
        "value column squeezed",
        ".xlsx",
        rezip(_sheet_edit(parts, '<col min="7" max="7" width="9"', '<col min="7" max="7" width="2"')),
        altered,
    )
    duplicate = text[:end] + text[at:end].replace("82.2", "99.9") + text[end:]
    yield Case(
        "visible",
        "second cell with the same reference",
        ".xlsx",
        rezip({**parts, VISIBLE_PART: duplicate.encode()}),
        altered,
    )
    workbook = parts["xl/workbook.xml"].decode()
    yield Case(
        "visible",
        "extra hidden sheet",
        ".xlsx",
        rezip(
            {
                **parts,
                "xl/workbook.xml": workbook.replace(
                    "</sheets>", '<sheet name="x" sheetId="3" state="hidden" r:id="rId9"/></sheets>'
                ).encode(),
            }
        ),
        altered,
    )
    yield Case(
        "visible",
        "external link",
        ".xlsx",
        rezip({**parts, "xl/externalLinks/externalLink1.xml": b"<externalLink/>"}),
        altered,
    )
    yield Case(
        "visible",
        "hyperlink to an executable",
        ".xlsx",
        rezip(
            _sheet_edit(
                parts, "<printOptions", '<hyperlinks><hyperlink ref="G7" r:id="rId1"/></hyperlinks><printOptions'
            )
        ),
        altered,
    )
    yield Case(
        "visible",
        "DDE in a defined name",
        ".xlsx",
        rezip(
            {
                **parts,
                "xl/workbook.xml": workbook.replace(
                    "</definedNames>", "<definedName name=\"x\">cmd|' /c calc'!A0</definedName></definedNames>"
                ).encode(),
            }
        ),
        altered,
    )
    yield Case(
        "visible",
        "data-validation pop-up",
        ".xlsx",
        rezip(
            _sheet_edit(
                parts,
                "<printOptions",
                f'<dataValidations count="1"><dataValidation showInputMessage="1" prompt="实际为 99.9"'
                f' sqref="G{r}"/></dataValidations><printOptions',
            )
        ),
        altered,
    )
    phonetic = (
        text[:at] + text[at:end].replace("</t></is>", '</t><rPh sb="0" eb="1"><t>99.9</t></rPh></is>') + text[end:]
    )
    yield Case("visible", "phonetic guide", ".xlsx", rezip({**parts, VISIBLE_PART: phonetic.encode()}), altered)
    yield Case(
        "visible",
        "version cell rewritten",
        ".xlsx",
        rezip(_sheet_edit(parts, f"程序版本：填报通 {VERSION}", "程序版本：本期值以此为准 99.9")),
        altered,
    )

    # Every figure, status and row of every indicator, changed one at a time.
    for ind in payload["indicators"]:
        row = _row_of(payload, ind["code"])
        start = text.index(f'<c r="G{row}"')
        stop = text.index("</c>", start) + 4
        changed = text[:start] + f'<c r="G{row}" t="inlineStr"><is><t>{ind["value"] or ""}1</t></is></c>' + text[stop:]
        yield Case(
            "cells",
            f"value of {ind['code']} changed",
            ".xlsx",
            rezip({**parts, VISIBLE_PART: changed.encode()}),
            altered,
        )
        start = text.index(f'<c r="K{row}"')
        stop = text.index("</c>", start) + 4
        relabelled = text[:start] + f'<c r="K{row}" t="inlineStr"><is><t>已完成</t></is></c>' + text[stop:]
        yield Case(
            "cells",
            f"status of {ind['code']} changed",
            ".xlsx",
            rezip({**parts, VISIBLE_PART: relabelled.encode()}),
            altered,
        )
        squeezed = text.replace(f'<row r="{row}" ht="', f'<row r="{row}" hidden="1" ht="', 1)
        yield Case(
            "cells", f"row of {ind['code']} hidden", ".xlsx", rezip({**parts, VISIBLE_PART: squeezed.encode()}), altered
        )

    # Signed with the genuine unit key, but malformed.
    for name, bad in _malformed_payloads(payload):
        forged = material.sign(bad)
        data = zip_parts({**parts, HIDDEN_PART: _hidden_sheet_of(forged)})
        reasons = {"malformed", "unreadable"} if "million" in name else {"malformed"}  # also a ratio bomb
        yield Case("malformed", name, ".xlsx", data, frozenset(reasons))


def pdf_cases(material: Material) -> Iterator[Case]:
    payload = material.payload
    altered = frozenset({"altered"})
    shown = copy.deepcopy(payload)
    shown["indicators"][0]["value"] = "999"
    pages = render_pdf(shown, VERSION)
    yield Case(
        "visible",
        "page prints 999 where the attachment says otherwise",
        ".pdf",
        material.pdf_signer(pages, material.envelope),
        altered,
    )
    summary = {**copy.deepcopy(payload), "summary": "39项指标任务全部完成。"}
    forged = material.pdf_signer(render_pdf(summary, VERSION), material.envelope)
    yield Case("visible", "pages with another summary", ".pdf", forged, altered)
    xref = (
        b"%PDF-1.7\n"
        + b"1 0 obj\n<< /Type /Catalog >>\nendobj\nxref\n0 2400000\n"
        + b"0000000000 65535 f \n" * 2_400_000
    )
    yield Case(
        "bomb",
        "huge cross-reference table",
        ".pdf",
        xref + b"trailer\n<< /Size 2400000 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n",
        frozenset({"unreadable"}),
    )
    for name, bad in _malformed_payloads(payload):
        forged = material.sign(bad)
        yield Case(
            "malformed",
            name,
            ".pdf",
            material.pdf_signer(render_pdf(payload, VERSION), forged),
            frozenset({"malformed"}),
        )


def corpus(material: Material) -> list[Case]:
    return [*xlsx_cases(material), *pdf_cases(material)]


__all__ = ["Case", "Material", "canonical", "corpus", "sign_payload", "sign_pdf"]
