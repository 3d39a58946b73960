"""Reporting periods: ``2023Q1`` … ``2023Q4`` (quarters) and ``2023`` (the year)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(\d{4})(?:[Qq]([1-4]))?$")


class PeriodError(ValueError):
    """A text that is not a period."""


@dataclass(frozen=True)
class Period:
    """A quarter of a year, or the whole year when ``quarter`` is ``None``."""

    year: int
    quarter: int | None = None

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PATTERN.match(text.strip())
        if not match:
            raise PeriodError(f"报告期“{text}”格式不对，应为 2023Q1…2023Q4 或 2023")
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            raise PeriodError(f"报告期“{text}”的年份超出范围")
        quarter = int(match.group(2)) if match.group(2) else None
        return cls(year, quarter)

    def sort_key(self) -> tuple[int, int]:
        """Chronological order with the year after its fourth quarter (the year ends with Q4)."""
        return (self.year, 5 if self.quarter is None else self.quarter)

    def __lt__(self, other: Period) -> bool:
        return self.sort_key() < other.sort_key()

    def __le__(self, other: Period) -> bool:
        return self.sort_key() <= other.sort_key()

    def __gt__(self, other: Period) -> bool:
        return self.sort_key() > other.sort_key()

    def __ge__(self, other: Period) -> bool:
        return self.sort_key() >= other.sort_key()

    def __str__(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}Q{self.quarter}"

    @property
    def is_annual(self) -> bool:
        return self.quarter is None

    @property
    def quarters_elapsed(self) -> int:
        """How many quarters of the year have passed at the end of this period (4 for the year)."""
        return 4 if self.quarter is None else self.quarter

    @property
    def label(self) -> str:
        """Chinese label: 2023年第二季度 / 2023年度."""
        if self.quarter is None:
            return f"{self.year}年度"
        return f"{self.year}年第{'一二三四'[self.quarter - 1]}季度"

    @property
    def last_day(self) -> dt.date:
        """The last calendar day of the period."""
        month = 3 * self.quarters_elapsed
        first_of_next = dt.date(self.year + 1, 1, 1) if month == 12 else dt.date(self.year, month + 1, 1)
        return first_of_next - dt.timedelta(days=1)

    def previous(self) -> Period:
        """The period before: Q1 follows last year's Q4; a year follows last year."""
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def previous_in_year(self) -> Period | None:
        """The quarter before within the same year, for year-to-date checks."""
        if self.quarter is None or self.quarter == 1:
            return None
        return Period(self.year, self.quarter - 1)

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.quarter)


def periods_of_year(year: int) -> list[Period]:
    return [Period(year, 1), Period(year, 2), Period(year, 3), Period(year, 4), Period(year)]
