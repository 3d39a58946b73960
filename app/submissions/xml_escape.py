"""Escaping text for XML, as ``xml.sax.saxutils.escape`` and ``unescape`` do with no extra entities.

Those two are all this program uses of ``xml.sax.saxutils``, whose import brings in ``urllib.request``,
``http.client``, ``email`` and ``ssl``: some 50 ms of every process that writes or verifies a workbook or a PDF,
and nothing the program uses. The same replacements, in the same order.
"""

from __future__ import annotations


def escape(data: str) -> str:
    """``data`` with &, > and < written as entities."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def unescape(data: str) -> str:
    """``data`` with &lt;, &gt; and then &amp; read back."""
    return data.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
