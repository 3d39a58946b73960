"""Encodings clerks' files arrive in, and mojibake detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.sheets.textenc import EncodingError, decode, looks_garbled

SENTENCES = [
    "受疫情影响，项目推迟至三季度开工。",
    "绿色建筑占比",
    "指标代码,数值,分子,分母,情况说明",
    "贵阳贵安绿色经济指标体系：新增绿色食品、地理标志农产品、有机农产品认证29个。",
    "中心城区绿色出行比例达60%，装配式建筑占新建建筑面积比例21.59%。",
    "南明区、云岩区、花溪区、乌当区、白云区、观山湖区、清镇市、修文县、息烽县、开阳县、贵安新区",
]


# ---------------------------------------------------------------- decode


@pytest.mark.parametrize("text", SENTENCES)
def test_utf8_without_bom(text: str) -> None:
    assert decode(text.encode("utf-8")) == (text, "UTF-8")


@pytest.mark.parametrize("text", SENTENCES)
def test_utf8_with_bom_loses_the_bom(text: str) -> None:
    assert decode(text.encode("utf-8-sig")) == (text, "UTF-8 (BOM)")


@pytest.mark.parametrize("text", SENTENCES)
def test_gbk_and_gb18030(text: str) -> None:
    assert decode(text.encode("gbk")) == (text, "GB18030")
    assert decode(text.encode("gb18030")) == (text, "GB18030")


def test_gb18030_beyond_gbk() -> None:
    text = "䶮（龑）与𠀀：只有 GB18030 能写的字"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    assert decode(text.encode("gb18030")) == (text, "GB18030")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    text = SENTENCES[0]
    raw = text.encode(codec)
    if codec != "utf-16":
        raw = ("\ufeff" + text).encode(codec)
    decoded, name = decode(raw)
    assert decoded.lstrip("\ufeff") == text
    assert name == "UTF-16"


def test_ascii_and_empty() -> None:
    assert decode(b"code,value\r\nA,12.5\r\n") == ("code,value\r\nA,12.5\r\n", "UTF-8")
    assert decode(b"") == ("", "UTF-8")


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xff\xff\xff",
        b"A,1\r\n\x80\x80\x80",
        b"\xa1",  # a GBK lead byte with nothing after it
        bytes(range(128, 256)),
    ],
)
def test_undecodable_bytes_are_refused_with_a_chinese_message(raw: bytes) -> None:
    with pytest.raises(EncodingError, match="无法识别文件编码"):
        decode(raw)


def test_bom_followed_by_invalid_utf8_is_refused() -> None:
    with pytest.raises(EncodingError, match="UTF-8"):
        decode(b"\xef\xbb\xbf" + "中文".encode("gbk"))


def test_broken_utf16_is_refused() -> None:
    with pytest.raises(EncodingError, match="UTF-16"):
        decode(b"\xff\xfe\x00\xd8")  # a lone surrogate


# ---------------------------------------------------------------- looks_garbled


NOT_GARBLED = [
    *SENTENCES,
    "",
    "12.5",
    "-3.5",
    "1,234,567.89",
    "2023Q2",
    "Hello, world",
    "Data from the statistics bureau (2023).",
    "25°C",
    "±0.5",
    "naïve café",
    "Müller",
    "10³m²",
    "约200个",
    "“两高”项目管理",
    "超额完成 2 项……",
    "单位GDP能耗下降率 = 1 − (E/GDP) ÷ (E₀/GDP₀)",
    "万吨标准煤",
    "个百分点",
    "气温25°C，较去年同期上升。",
]


@pytest.mark.parametrize("text", NOT_GARBLED)
def test_normal_text_is_not_garbled(text: str) -> None:
    assert looks_garbled(text) is False


GARBLED = [
    "中文".encode().decode("gbk", errors="replace"),
    "情况说明".encode().decode("gbk"),  # decodes cleanly, no replacement character
    "绿色建筑占比".encode().decode("gbk", errors="replace"),
    "锟斤拷",
    "数据来源：锟斤拷锟斤拷",
    "烫烫烫烫",
    "屯屯屯屯",
    "\ufffd",
    SENTENCES[0].encode("gbk").decode("latin-1"),
    SENTENCES[0].encode("utf-8").decode("latin-1"),
    "南明区".encode().decode("cp1252", errors="replace"),
]


@pytest.mark.parametrize("text", GARBLED)
def test_mojibake_is_garbled(text: str) -> None:
    assert looks_garbled(text) is True


CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)


@settings(max_examples=200, deadline=None)
@given(st.text(CJK, min_size=1, max_size=30))
def test_any_chinese_decoded_as_gbk_is_garbled(text: str) -> None:
    assert looks_garbled(text.encode("utf-8").decode("gbk", errors="replace"))


@settings(max_examples=200, deadline=None)
@given(st.text(CJK, min_size=2, max_size=30))
def test_any_chinese_shown_as_latin1_is_garbled(text: str) -> None:
    assert looks_garbled(text.encode("utf-8").decode("latin-1"))
