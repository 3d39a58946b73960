"""Reporting periods: parsing, text, the periods a check compares with, labels."""

import pytest

from app.engine.periods import Period, PeriodError, periods_of_year


@pytest.mark.parametrize(
    ("text", "year", "quarter", "shown"),
    [
        ("2023Q1", 2023, 1, "2023Q1"),
        ("2023Q4", 2023, 4, "2023Q4"),
        ("2023q2", 2023, 2, "2023Q2"),
        (" 2023Q3 ", 2023, 3, "2023Q3"),
        ("2023", 2023, None, "2023"),
        ("2000", 2000, None, "2000"),
        ("2100Q4", 2100, 4, "2100Q4"),
    ],
)
def test_parse_and_str(text: str, year: int, quarter: int | None, shown: str) -> None:
    period = Period.parse(text)
    assert period == Period(year, quarter)
    assert str(period) == shown
    assert Period.parse(str(period)) == period


@pytest.mark.parametrize(
    "text",
    ["2023Q0", "2023Q5", "2023Q", "23Q1", "2023-Q1", "2023 Q1", "2023H1", "Q1", "", "abcd", "20231", "1999", "2101"],
)
def test_parse_refuses_what_is_not_a_period(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_parse_error_names_the_expected_form() -> None:
    with pytest.raises(PeriodError, match="2023Q1"):
        Period.parse("2023H1")
    with pytest.raises(PeriodError, match="年份超出范围"):
        Period.parse("1999Q1")


def test_annual_and_quarters_elapsed() -> None:
    assert Period(2023).is_annual
    assert not Period(2023, 2).is_annual
    assert [Period(2023, q).quarters_elapsed for q in (1, 2, 3, 4)] == [1, 2, 3, 4]
    assert Period(2023).quarters_elapsed == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2023Q1", "2022Q4"), ("2023Q2", "2023Q1"), ("2023Q4", "2023Q3"), ("2023", "2022")],
)
def test_previous(text: str, expected: str) -> None:
    assert str(Period.parse(text).previous()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2023Q1", None), ("2023Q2", "2023Q1"), ("2023Q4", "2023Q3"), ("2023", None)],
)
def test_previous_in_year(text: str, expected: str | None) -> None:
    before = Period.parse(text).previous_in_year()
    assert (None if before is None else str(before)) == expected


@pytest.mark.parametrize(("text", "expected"), [("2023Q1", "2022Q1"), ("2023Q3", "2022Q3"), ("2023", "2022")])
def test_same_period_last_year(text: str, expected: str) -> None:
    assert str(Period.parse(text).same_period_last_year()) == expected


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2023Q1", "2023年第一季度"),
        ("2023Q2", "2023年第二季度"),
        ("2023Q3", "2023年第三季度"),
        ("2023Q4", "2023年第四季度"),
        ("2023", "2023年度"),
    ],
)
def test_label(text: str, label: str) -> None:
    assert Period.parse(text).label == label


def test_periods_of_year_and_quarter_order() -> None:
    assert [str(p) for p in periods_of_year(2023)] == ["2023Q1", "2023Q2", "2023Q3", "2023Q4", "2023"]
    assert Period(2022, 4) < Period(2023, 1) < Period(2023, 2)
