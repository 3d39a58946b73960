"""Exact decimal numbers: parsing what people type, checking decimal places, rounding for display and status.

Every number the program keeps is a :class:`decimal.Decimal`. Binary floats never enter: a float handed to
:func:`parse_decimal` is refused rather than converted, because its binary value is not what the user typed.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

# Plenty for money in 亿元 with six decimals and ratios of large sums; sums of exact inputs never round.
CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)
# As in the template schema. No indicator needs more, and it keeps every product and quotient of two values far
# inside the context's precision.
MAX_WHOLE_DIGITS = 20
MAX_FRACTION_DIGITS = 10

# ASCII digits only, to the very end: ``\d`` would also take full-width and other scripts' digits, ``$`` a
# final newline.
_PLAIN = re.compile(r"^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
# Characters clerks paste from Excel or Chinese input methods that do not change the number.
_SEPARATORS = str.maketrans({",": "", "，": "", " ": "", "\u00a0": "", "\u3000": ""})
_FULLWIDTH = str.maketrans("０１２３４５６７８９．－", "0123456789.-")
# Separators count only between groups of three digits: “1,234.5” yes, “12,3.4” or “1234,5” (a decimal comma) no.
_GROUPED = re.compile(r"^-?[0-9]{1,3}(?:[,， \u00a0\u3000][0-9]{3})+(?:\.[0-9]*)?\Z")


class NumberError(ValueError):
    """A text that is not an acceptable number; the message is Chinese and says why."""


def parse_decimal(text: object, *, lenient: bool = False) -> Decimal:
    """Parse a plain decimal string exactly.

    Strict mode (files, templates) accepts only ``-?digits[.digits]``. Lenient mode (what a clerk types or
    pastes) also accepts full-width digits, thousands separators and surrounding blanks. Exponents, NaN,
    infinity and floats are always refused.
    """
    if isinstance(text, Decimal):
        if not text.is_finite():
            raise NumberError("不是有效数字")
        return text
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise NumberError(f"数值必须写成文本形式的小数，不能是 {type(text).__name__}")
    s = str(text)
    if lenient:
        s = s.translate(_FULLWIDTH).strip()
        if s.startswith("+") and s[1:2].isdigit():  # "+5" is 5; "+-1" is no number
            s = s[1:]
        if _GROUPED.match(s):
            s = s.translate(_SEPARATORS)
    if not _PLAIN.match(s):
        raise NumberError(f"“{text}”不是有效数字")
    whole, _, fraction = s.lstrip("-").partition(".")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS or len(fraction) > MAX_FRACTION_DIGITS:
        raise NumberError(f"“{text}”位数过多（整数部分最多 {MAX_WHOLE_DIGITS} 位，小数最多 {MAX_FRACTION_DIGITS} 位）")
    try:
        value = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already excludes these
        raise NumberError(f"“{text}”不是有效数字") from exc
    # "-0" is zero; keeping the sign would show as "-0" in the form.
    return value.copy_abs() if value.is_zero() else value


def decimal_places(value: Decimal) -> int:
    """Number of digits after the decimal point as written (``Decimal("1.50")`` has 2)."""
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def check_places(value: Decimal, places: int, what: str = "数值") -> None:
    """Refuse a value written with more decimal places than allowed (never round it silently)."""
    # Trailing zeros do not add precision: 1.50 is fine with 1 decimal place.
    normalized = value.normalize(CONTEXT) if value != 0 else Decimal(0)
    if decimal_places(normalized) > places:
        if places == 0:
            raise NumberError(f"{what}“{value}”应为整数")
        raise NumberError(f"{what}“{value}”最多保留 {places} 位小数")


_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(MAX_FRACTION_DIGITS + 1)}


def quantize(value: Decimal, places: int) -> Decimal:
    """Round half-up to ``places`` decimals: the one rounding used for display, status and exports."""
    exponent = _EXPONENTS.get(places)
    if exponent is None:
        exponent = Decimal(1).scaleb(-places)
    # Hot path (thousands of calls per check): an explicit context instead of entering a local one.
    return value.quantize(exponent, rounding=ROUND_HALF_UP, context=CONTEXT)


def fmt(value: Decimal | None, places: int) -> str:
    """Text of a value rounded to its indicator's decimals; empty for no value."""
    if value is None:
        return ""
    return format(quantize(value, places), "f")


def to_text(value: Decimal | None) -> str | None:
    """Lossless text form for storage and payloads (no exponent)."""
    if value is None:
        return None
    return format(value, "f")
