"""The program's XML escaping is xml.sax.saxutils' own, for any text: workbooks and PDFs written by an older build,
which used saxutils, must read back and verify the same."""

from __future__ import annotations

from xml.sax import saxutils

from hypothesis import example, given
from hypothesis import strategies as st

from app.submissions.xml_escape import escape, unescape

# Texts made mostly of what the replacements look at, so that entities and their pieces meet in every order.
MARKUP = st.text(alphabet=st.sampled_from(["&", "<", ">", ";", "a", "m", "p", "l", "g", "t", "#", "x", "中", "_"]))


@given(st.one_of(MARKUP, st.text()))
@example("&amp;lt;")
@example("&&gt;;<")
def test_escape_and_unescape_are_saxutils_own(text: str) -> None:
    assert escape(text) == saxutils.escape(text)
    assert unescape(text) == saxutils.unescape(text)
    assert unescape(escape(text)) == text
