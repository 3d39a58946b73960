"""pyHanko's reading of a PDF hex string, with one regular expression instead of a loop over its bytes.

pyHanko reads a hex string (``<4f6b>``) one byte at a time, through a generator and a whitespace reader per
digit: the signature value of a submission PDF, about 5,500 hex digits, took about a tenth of a whole PDF's
verification. :func:`install` puts a reader in its place that takes a run of hex digits ended by ``>`` (what
every PDF writer writes, pyHanko included) in one step, reading only as far as the string goes, and hands
anything else — whitespace or a comment between the digits, a byte that is no digit, a string that never ends,
a stream other than an in-memory one — to pyHanko's own reader, unchanged. The result and the stream's position
afterwards are the same either way (a property test compares the two on arbitrary input).
"""

from __future__ import annotations

import binascii
import io
import re
from collections.abc import Callable
from functools import cache
from typing import Any

_DIGITS_THEN_END = re.compile(rb"[0-9A-Fa-f]*>")
_DIGITS = re.compile(rb"[0-9A-Fa-f]*")


def fast_reader(original: Callable[[Any], Any], pdf_string: Callable[[bytes], Any]) -> Callable[[Any], Any]:
    """A hex-string reader that reads plain runs of digits itself and hands the rest to ``original``; strings
    are made by ``pdf_string``, as pyHanko's reader makes them."""

    def read_hex_string_from_stream(stream: Any) -> Any:
        if type(stream) is io.BytesIO:
            start = stream.tell()
            size = 8192
            while True:  # read as far as the string goes, never the whole file at once
                chunk = stream.read(size)
                found = _DIGITS_THEN_END.match(chunk, 1)  # after the "<", which pyHanko skips unread
                if found is not None:
                    stream.seek(start + found.end())
                    digits = chunk[1 : found.end() - 1]
                    if len(digits) % 2:
                        digits += b"0"  # a final odd digit is followed by 0 (ISO 32000-1, 7.3.4.3)
                    return pdf_string(binascii.unhexlify(digits))
                stream.seek(start)
                if len(chunk) < size or not _DIGITS.fullmatch(chunk, 1):
                    break  # the file ends, or something other than a digit comes first: pyHanko's own way
                size *= 8
        return original(stream)

    return read_hex_string_from_stream


@cache
def install() -> None:
    """Use the fast reader in pyHanko's object parser (once per process)."""
    from pyhanko.pdf_utils import generic

    original = generic.read_hex_string_from_stream
    if getattr(original, "__module__", None) != generic.__name__:
        return  # not pyHanko's own reader: leave whatever is there alone
    generic.read_hex_string_from_stream = fast_reader(original, generic.pdf_string)  # type: ignore[assignment]
