"""Exact numbers: what is accepted as a number, decimal places, the one rounding rule and the text forms."""

from decimal import Decimal

import pytest

from app.engine.numbers import NumberError, check_places, decimal_places, fmt, parse_decimal, quantize, to_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("84", "84"),
        ("21.59", "21.59"),
        ("-3.5", "-3.5"),
        ("0.10", "0.10"),
        (".5", "0.5"),
        ("007", "7"),
        ("12345678901234567890.123456", "12345678901234567890.123456"),
    ],
)
def test_strict_parse_accepts_plain_decimals_exactly(text: str, expected: str) -> None:
    value = parse_decimal(text)
    assert value == Decimal(expected)
    assert isinstance(value, Decimal)


def test_strict_parse_keeps_the_written_places() -> None:
    assert to_text(parse_decimal("1.50")) == "1.50"
    assert decimal_places(parse_decimal("1.50")) == 2


@pytest.mark.parametrize(
    "text",
    [
        "1,234",
        "１２３",  # full-width digits: a clerk's input, never a file's
        "٣",  # Arabic-Indic digit
        " 12",
        "12 ",
        "12\n",
        "+5",
        "1e3",
        "1E3",
        "1.5e-2",
        "NaN",
        "nan",
        "Infinity",
        "inf",
        "-inf",
        "",
        "-",
        ".",
        "1.2.3",
        "0x10",
        "1_000",
        "12%",
        "一二三",
    ],
)
def test_strict_parse_refuses_anything_else(text: str) -> None:
    with pytest.raises(NumberError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１２３", "123"),
        ("１，２３４．５６", "1234.56"),
        ("－３．５", "-3.5"),
        ("1,234,567.89", "1234567.89"),
        ("1，234", "1234"),
        (" 42 ", "42"),
        ("\u00a042\u3000", "42"),
        ("1 234", "1234"),
        ("+5", "5"),
        ("12\n", "12"),
    ],
)
def test_lenient_parse_accepts_what_clerks_type(text: str, expected: str) -> None:
    assert parse_decimal(text, lenient=True) == Decimal(expected)
    assert to_text(parse_decimal(text, lenient=True)) == expected


@pytest.mark.parametrize(
    "text", ["1e3", "１Ｅ３", "NaN", "inf", "Infinity", "1.5e2", "abc", "", "  ", "1.2.3", "--1", "+-1", "++2", "+ 1"]
)
def test_lenient_parse_still_refuses_exponents_and_non_numbers(text: str) -> None:
    with pytest.raises(NumberError):
        parse_decimal(text, lenient=True)


@pytest.mark.parametrize("lenient", [False, True])
@pytest.mark.parametrize("value", [1.5, 0.1, 2.0, True, False, None, [1], Decimal("NaN"), Decimal("Infinity")])
def test_floats_bools_and_non_finite_are_refused(value: object, lenient: bool) -> None:
    with pytest.raises(NumberError):
        parse_decimal(value, lenient=lenient)


def test_int_and_finite_decimal_are_accepted_as_they_are() -> None:
    assert parse_decimal(12) == Decimal(12)
    d = Decimal("1.230")
    assert parse_decimal(d) is d


@pytest.mark.parametrize("text", ["-0", "-0.00", "－０"])
def test_negative_zero_is_plain_zero(text: str) -> None:
    value = parse_decimal(text, lenient=True)
    assert value == 0
    assert not value.is_signed()
    assert not to_text(value).startswith("-")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "places"),
    [
        ("1.5", 1),
        ("1.50", 1),  # trailing zeros add no precision
        ("1.500000", 1),
        ("100", 0),
        ("100.000", 0),
        ("1E+2", 0),
        ("0.000", 0),
        ("-2.25", 2),
        ("12.345678", 6),
    ],
)
def test_check_places_accepts_up_to_the_declared_places(value: str, places: int) -> None:
    check_places(Decimal(value), places)


def test_check_places_refuses_more_decimals_with_a_reason() -> None:
    with pytest.raises(NumberError, match="最多保留 2 位小数"):
        check_places(Decimal("1.234"), 2, "绿色建筑占比")
    with pytest.raises(NumberError, match="绿色建筑占比"):
        check_places(Decimal("1.234"), 2, "绿色建筑占比")
    with pytest.raises(NumberError, match="应为整数"):
        check_places(Decimal("1.5"), 0)
    with pytest.raises(NumberError):
        check_places(Decimal("-0.001"), 2)
    with pytest.raises(NumberError):
        check_places(Decimal("1.0000001"), 6)


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("2.345", 2, "2.35"),
        ("-2.345", 2, "-2.35"),
        ("2.344", 2, "2.34"),
        ("2.5", 0, "3"),  # half up, not to even
        ("3.5", 0, "4"),
        ("-0.5", 0, "-1"),
        ("0.125", 2, "0.13"),
        ("1", 2, "1.00"),
        ("99.995", 2, "100.00"),
        ("12345678901234567890.5", 0, "12345678901234567891"),
    ],
)
def test_quantize_rounds_half_up(value: str, places: int, expected: str) -> None:
    assert to_text(quantize(Decimal(value), places)) == expected


def test_fmt_shows_the_indicator_places_and_nothing_for_no_value() -> None:
    assert fmt(None, 2) == ""
    assert fmt(Decimal("1234.5"), 2) == "1234.50"
    assert fmt(Decimal("2.345"), 2) == "2.35"
    assert fmt(Decimal("1E+3"), 0) == "1000"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1E+3", "1000"), ("1.20", "1.20"), ("1E-7", "0.0000001"), ("-0.5", "-0.5"), ("0", "0")],
)
def test_to_text_is_lossless_and_has_no_exponent(value: str, expected: str) -> None:
    assert to_text(Decimal(value)) == expected
    assert to_text(None) is None


def test_decimal_places_as_written() -> None:
    assert decimal_places(Decimal("1.50")) == 2
    assert decimal_places(Decimal("7")) == 0
    assert decimal_places(Decimal("1E+2")) == 0
