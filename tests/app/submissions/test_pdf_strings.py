"""The fast hex-string reader gives what pyHanko's own gives, on any input, and leaves the stream where it does."""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from app.submissions.pdf_strings import fast_reader, install

ORIGINAL = generic.read_hex_string_from_stream
FAST = fast_reader(ORIGINAL, generic.pdf_string)

# Hex digits mostly, with what pyHanko's reader treats specially: whitespace, comments, the end, other bytes.
PIECES = st.sampled_from(
    [b"0", b"7", b"a", b"F", b"f0", b"4f6b", b"feff", b"00", b" ", b"\n", b"\r\n", b"\x00", b"%c\n", b">", b"g", b"<"]
)


def outcome(read: Any, data: bytes, start: int) -> tuple[Any, ...]:
    stream = io.BytesIO(data)
    stream.seek(start)
    try:
        value = read(stream)
    except PdfStreamError as exc:
        return ("error", str(exc), stream.tell())
    return (type(value).__name__, bytes(value.original_bytes), stream.tell())


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=4), st.lists(PIECES, max_size=30), st.binary(max_size=6))
def test_the_fast_reader_reads_as_pyhankos_own(before: bytes, pieces: list[bytes], after: bytes) -> None:
    data = before + b"<" + b"".join(pieces) + after
    assert outcome(FAST, data, len(before)) == outcome(ORIGINAL, data, len(before))


def test_a_signature_sized_string_and_a_text_with_a_byte_order_mark() -> None:
    signature = bytes(range(256)) * 11
    long = (signature * 4).hex().encode()  # longer than the first piece the reader looks at
    cases = (
        b"<" + signature.hex().encode() + b">/Type",
        b"<FEFF5B57>",
        b"<4f6B7>",
        b"<" + long + b">",
        b"<" + long[:9001] + b"\n" + long[9001:] + b">",  # a line break far in: pyHanko's own way
        b"<" + long,  # never ended
    )
    for data in cases:
        assert outcome(FAST, data, 0) == outcome(ORIGINAL, data, 0)
    assert outcome(FAST, b"<FEFF5B57>", 0)[0] == "TextStringObject"


def test_other_streams_go_to_pyhankos_own_reader() -> None:
    class Stream(io.BufferedReader):
        pass

    data = b"<4f6b>"
    stream = Stream(io.BytesIO(data))  # type: ignore[arg-type]
    assert bytes(FAST(stream).original_bytes) == b"Ok"
    assert stream.tell() == len(data)


def test_installed_the_parser_reads_through_the_fast_reader_once() -> None:
    install()
    installed = generic.read_hex_string_from_stream
    install()
    assert installed is generic.read_hex_string_from_stream is not ORIGINAL
    assert generic.read_object(io.BytesIO(b"<4f6b>"), None).original_bytes == b"Ok"  # type: ignore[arg-type]
