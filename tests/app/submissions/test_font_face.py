"""The bundled font, read by the program's own reading of three of its tables, must be exactly what reportlab makes
of it: the verifier draws every PDF again and compares it byte for byte, so widths, glyph numbers and the order of
every map have to be reportlab's."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
import reportlab
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from app.submissions.export_pdf import FONT_PATH
from app.submissions.font_face import BundledFont

VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # a font whose character map is format 4


def same(ours: Any, theirs: Any, where: str) -> None:
    """Equal values of the same types; maps with their keys in the same order."""
    assert type(ours) is type(theirs), where
    if isinstance(theirs, dict):
        assert list(ours.items()) == list(theirs.items()), where
        assert list(map(type, ours.values())) == list(map(type, theirs.values())), where
    elif callable(theirs):
        assert [ours(x) for x in range(0, 70_000, 7)] == [theirs(x) for x in range(0, 70_000, 7)], where
    else:
        assert ours == theirs, where


def assert_read_alike(path: str, index: int = 0) -> None:
    ours, theirs = BundledFont("F", path, subfontIndex=index), TTFont("F", path, subfontIndex=index)
    assert set(vars(ours)) == set(vars(theirs))
    for name, value in vars(theirs).items():
        if name == "face":
            assert set(vars(ours.face)) == set(vars(value))
            for attribute, member in vars(value).items():
                same(vars(ours.face)[attribute], member, f"face.{attribute}")
        elif name == "state":  # what the font keeps per document: nothing yet
            assert type(ours.state) is type(value) and dict(ours.state) == dict(value) == {}
        elif name == "encoding":
            assert type(ours.encoding) is type(value) and vars(ours.encoding) == vars(value)
        else:
            same(vars(ours)[name], value, name)


@pytest.mark.parametrize("index", [0, 1])
def test_the_bundled_fonts_read_as_reportlab_reads_them(index: int) -> None:
    assert_read_alike(str(FONT_PATH), index)


def test_a_font_with_another_character_map_is_read_by_reportlab() -> None:
    assert_read_alike(str(VERA))


def test_the_bundled_font_has_what_the_fast_reading_covers() -> None:
    """Format 12, glyphs shown for several characters, glyphs without a width of their own: each part of the
    reading is held to reportlab's by the test above."""
    face = BundledFont("F", str(FONT_PATH)).face
    assert len(face.charToGlyph) > len(face.glyphToChar) > 30_000
    data = face._ttf_data
    (metrics,) = struct.unpack_from(">H", data, face.get_table_pos("hhea")[0] + 34)
    assert metrics < face.numGlyphs
    assert 0x20 in face.charToGlyph and face.charWidths[0xA0] == face.charWidths[0x20]


@pytest.fixture(scope="module")
def font_bytes() -> bytes:
    return FONT_PATH.read_bytes()


def variant(
    data: bytes, tmp: Path, metrics: int | None = None, loca: int | None = None, group: tuple[int, int] | None = None
) -> str:
    """The bundled font with the first subfont's count of widths, its glyph-place format, or the first and last
    character of one of its character map's groups changed."""
    face = BundledFont("F", str(FONT_PATH)).face
    changed = bytearray(data)
    if metrics is not None:
        struct.pack_into(">H", changed, face.get_table_pos("hhea")[0] + 34, metrics)
    if loca is not None:
        struct.pack_into(">H", changed, face.get_table_pos("head")[0] + 50, loca)
    if group is not None:
        index, first = group
        at = face._unicode_map() + 16 + 12 * index
        old_first, old_last, _ = struct.unpack_from(">LLL", data, at)
        struct.pack_into(">LL", changed, at, first, first + old_last - old_first)
    path = tmp / f"font-{metrics}-{loca}-{group}.ttc"
    path.write_bytes(bytes(changed))
    return str(path)


@settings(max_examples=8, deadline=None)
@example(metrics=49_600, loca=1)  # more widths than glyphs
@example(metrics=1, loca=0)
@given(metrics=st.integers(min_value=1, max_value=49_600), loca=st.sampled_from([0, 1]))
def test_other_counts_of_widths_and_place_formats_read_alike(
    font_bytes: bytes, tmp_path_factory: pytest.TempPathFactory, metrics: int, loca: int
) -> None:
    assert_read_alike(variant(font_bytes, tmp_path_factory.mktemp("font"), metrics, loca))


@pytest.mark.parametrize(
    "group",
    [
        (2, 100),  # 160–383 moved onto 100–323: over the ASCII group and past it
        (4, 400),  # 416–417 moved onto 400–401, before the group 402–402 it now follows
        (3, 0x20),  # a group of one character moved onto the space
        (1, 0x9F),  # the ASCII group moved onto 0x9F–0x11D: the space no longer mapped, 0xA0 still
    ],
)
def test_character_maps_with_overlapping_or_moved_groups_read_alike(
    font_bytes: bytes, tmp_path: Path, group: tuple[int, int]
) -> None:
    assert_read_alike(variant(font_bytes, tmp_path, group=group))


def test_an_unknown_place_format_is_refused_in_reportlabs_words(font_bytes: bytes, tmp_path: Path) -> None:
    path = variant(font_bytes, tmp_path, loca=2)
    with pytest.raises(TTFError) as theirs:
        TTFont("F", path)
    with pytest.raises(TTFError) as ours:
        BundledFont("F", path)
    assert str(ours.value) == str(theirs.value)
