"""Text encodings of files clerks bring: UTF-8 (with or without BOM) or GB18030/GBK, and mojibake detection."""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u4e00-\u9fff]")
# Mojibake of Chinese shown as Latin-1 is a run of such characters; a lone “°” or “ï” (“25°C”, “naïve”) is not.
_LATIN1_RUN = re.compile(r"[\u0080-\u00ff]{2}")
# Frequent characters of UTF-8 Chinese decoded as GBK (“涓枃” for “中文”) or GBK decoded as Latin-1.
_MOJIBAKE_MARKERS = ("锟斤拷", "\ufffd", "烫烫烫", "屯屯屯")


class EncodingError(ValueError):
    """The bytes are not text in an encoding we accept."""


def decode(raw: bytes) -> tuple[str, str]:
    """Decode file bytes; returns (text, encoding name). UTF-8 is tried first because GB18030 accepts almost
    any byte string, while valid UTF-8 with Chinese text is almost never valid by accident."""
    if raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError as exc:
            raise EncodingError(f"文件以 UTF-8 标记开头，但第 {exc.start + 3} 字节处不是有效的 UTF-8") from exc
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise EncodingError("文件是 UTF-16 编码但内容损坏") from exc
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise EncodingError(f"无法识别文件编码（既不是 UTF-8 也不是 GB18030/GBK），第 {exc.start} 字节处出错") from exc


def looks_garbled(text: str) -> bool:
    """Whether ``text`` looks like mojibake: Chinese that went through the wrong encoding on its way here."""
    if any(marker in text for marker in _MOJIBAKE_MARKERS):
        return True
    if _LATIN1_RUN.search(text):
        # GBK or UTF-8 bytes shown as Latin-1 (“Ã¤Â¸Â­” …): undo that and see whether Chinese appears.
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            raw = b""
        for enc in ("utf-8", "gb18030"):
            try:
                if raw and _CJK.search(raw.decode(enc)):
                    return True
            except UnicodeDecodeError:
                continue
    if _CJK.search(text):
        # UTF-8 Chinese decoded as GBK: re-encoding as GBK gives back valid UTF-8 Chinese.
        try:
            again = text.encode("gbk").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return False
        return again != text and bool(_CJK.search(again))
    return False
