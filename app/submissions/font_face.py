"""The bundled font as reportlab's ``TTFont``, its character map, widths and glyph places read in one go.

Every process that draws or verifies a PDF loads the font first. reportlab reads those three tables a number at a
time in Python: for the bundled font's 34,600 characters and 49,531 glyphs that was a quarter of a second, in each
of the city import's verification processes and before every PDF check or export from the command line. Here
reportlab reads everything else (names, header, metrics, what may be embedded), and the three tables are read
whole with :mod:`struct`, into exactly what reportlab would make of them. Anything but the character map format
the bundled font has (12, Unicode's full range) is read by reportlab itself. A test holds the font and its face,
attribute for attribute, to what reportlab makes of the same file.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from collections import Counter
from fnmatch import fnmatch
from itertools import chain, repeat
from typing import Any
from weakref import WeakKeyDictionary

from reportlab import rl_config
from reportlab.pdfbase import ttfonts
from reportlab.pdfbase.ttfonts import TTEncoding, TTFError, TTFont, TTFontFace


class _Face(TTFontFace):  # type: ignore[misc]
    """reportlab's face, reading the character map (format 12), widths and glyph places whole."""

    def extractInfo(self, charInfo: Any = 1) -> None:  # reportlab's name
        TTFontFace.extractInfo(self, 0)  # names, header, OS/2, post, hhea, maxp; no character information yet
        if not charInfo:
            return
        data: bytes = self._ttf_data
        head = self.get_table_pos("head")[0]
        index_to_loc, glyph_data_format = struct.unpack_from(">HH", data, head + 50)
        if glyph_data_format != 0 or "loca" not in self.table:
            TTFontFace.extractInfo(self, charInfo)  # reportlab's error, in its words
            return
        encoding = self._unicode_map()
        if encoding is None or struct.unpack_from(">H", data, encoding)[0] != 12:
            TTFontFace.extractInfo(self, charInfo)
            return
        self._read_map(data, encoding)
        self._read_widths(data)
        self._read_places(data, index_to_loc)
        char_to_glyph, widths = self.charToGlyph, self.charWidths
        if 0x20 in char_to_glyph:
            char_to_glyph[0xA0] = char_to_glyph[0x20]
            widths[0xA0] = widths[0x20]
        elif 0xA0 in char_to_glyph:
            char_to_glyph[0x20] = char_to_glyph[0xA0]
            widths[0x20] = widths[0xA0]

    def _unicode_map(self) -> int | None:
        """Where the character map reportlab would choose starts (its choice, made the same way)."""
        data: bytes = self._ttf_data
        cmap = self.get_table_pos("cmap")[0]
        version, count = struct.unpack_from(">HH", data, cmap)
        if count == 0 and version != 0:
            count, version = version, count
        chosen, kind = None, 0
        for platform, encoding, offset in struct.iter_unpack(">HHL", data[cmap + 4 : cmap + 4 + 8 * count]):
            if platform == 3:
                kind, chosen = 1, offset
            elif platform == 1 and encoding == 0 and kind != 1:
                kind, chosen = 2, offset
            elif (platform == 1 and encoding == 1) or (platform == 0 and encoding != 5):
                kind, chosen = 1, offset
        return None if chosen is None else cmap + chosen

    def _read_map(self, data: bytes, start: int) -> None:
        """Format 12: groups of (first character, last character, first glyph), read in the order reportlab reads
        them; a glyph shown for several characters lists them in that order."""
        (count,) = struct.unpack_from(">L", data, start + 12)
        groups = list(struct.iter_unpack(">LLL", data[start + 16 : start + 16 + 12 * count]))
        chars = list(chain.from_iterable(range(first, last + 1) for first, last, _ in groups))
        glyphs = list(chain.from_iterable(range(glyph, glyph + last - first + 1) for first, last, glyph in groups))
        self.charToGlyph = dict(zip(chars, glyphs, strict=True))
        glyph_to_char = dict(zip(glyphs, map(list, zip(chars)), strict=True))  # each a list of one character
        if len(glyph_to_char) < len(glyphs):  # some glyph shows several characters
            shared = {glyph for glyph, n in Counter(glyphs).items() if n > 1}
            for glyph in shared:
                glyph_to_char[glyph] = []
            for char, glyph in zip(chars, glyphs, strict=True):
                if glyph in shared:
                    glyph_to_char[glyph].append(char)
        self.glyphToChar = glyph_to_char

    def _read_widths(self, data: bytes) -> None:
        """hmtx: an advance width and left side bearing for the first glyphs, then bearings only, the glyphs after
        them taking the last width (reportlab keeps that one scaled, in the metrics too)."""
        scale = self._pdfScale
        glyphs = self.numGlyphs
        (metrics,) = struct.unpack_from(">H", data, self.get_table_pos("hhea")[0] + 34)
        hmtx = self.get_table_pos("hmtx")[0]
        pairs = struct.unpack_from(f">{2 * metrics}H", data, hmtx)
        bearings = struct.unpack_from(f">{max(glyphs - metrics, 0)}H", data, hmtx + 4 * metrics)
        advances = pairs[0::2]
        last = scale(advances[-1])
        self.hmetrics = [*zip(advances, pairs[1::2], strict=True), *((last, lsb) for lsb in bearings)]
        self.defaultWidth = scale(advances[0])
        # Every character whose glyph has metrics, glyph after glyph (reportlab's order).
        glyph_to_char = self.glyphToChar
        order = sorted(glyph_to_char)
        shown = order[: bisect_left(order, max(metrics, glyphs))]
        own = bisect_left(shown, metrics)  # the glyphs with a width of their own
        widths = [*map(scale, map(advances.__getitem__, shown[:own])), *repeat(last, len(shown) - own)]
        chars = list(map(glyph_to_char.__getitem__, shown))
        each = chain.from_iterable(map(repeat, widths, map(len, chars)))
        self.charWidths = dict(zip(chain.from_iterable(chars), each, strict=True))

    def _read_places(self, data: bytes, index_to_loc: int) -> None:
        """loca: where each glyph starts, in half-words (format 0) or bytes (format 1)."""
        count = self.numGlyphs + 1
        loca = self.get_table_pos("loca")[0]
        if index_to_loc == 0:
            self.glyphPos = [half << 1 for half in struct.unpack_from(f">{count}H", data, loca)]
            self._pos = loca + 2 * count
        elif index_to_loc == 1:
            self.glyphPos = list(struct.unpack_from(f">{count}L", data, loca))
            self._pos = loca + 4 * count
        else:
            raise TTFError(f"Unknown location table format ({index_to_loc})")


class BundledFont(TTFont):  # type: ignore[misc]
    """reportlab's ``TTFont(name, filename, subfontIndex=…)``, its face read by :class:`_Face`: what
    ``TTFont.__init__`` does, which reads its face itself."""

    def __init__(self, name: str, filename: str, subfontIndex: int = 0) -> None:  # reportlab's name
        self.fontName = name
        self.face = _Face(filename, subfontIndex=subfontIndex)
        self.encoding = TTEncoding()
        self.state: WeakKeyDictionary[Any, Any] = WeakKeyDictionary()
        self._asciiReadable = rl_config.ttfAsciiReadable
        self.shapable = not any(fnmatch(name, pattern) for pattern in getattr(ttfonts, "unShapedFontGlob", ()))
