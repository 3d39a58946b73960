"""The indicator table of a submission, as rows of texts: the one model the PDF and the Excel file render from.

Both files show the same facts of each signed indicator; they differ only in which columns they lay out and how a
text is made safe for the medium (``text``), so the row itself is built once, here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from app.engine.calendar import TIMELINESS_COLORS, Punctuality, Timeliness
from app.engine.progress import Status
from app.submissions.signing import beijing_time


class IndicatorRow(NamedTuple):
    """One indicator of a payload as the tables show it; ``status`` is ``None`` for data not assessed (or a status
    this program does not know, whose raw text is ``status_key``).

    A named tuple, not a frozen dataclass: the verifier makes one for every indicator of every file it checks, and
    a frozen dataclass takes more than twice as long to make.
    """

    number: int
    code: str
    name: str
    unit: str
    numerator: str
    denominator: str
    value: str
    target: str
    expected: str
    completion: str  # "98.2%", or empty
    status_key: Any
    status: Status | None
    explanation: str

    def texts(self, status: str, *, with_code: bool) -> list[str]:
        """The row's cells left to right: 序号, (指标代码), 指标, 单位, 分子, 分母, 本期值, 目标, 预期进度值, 完成率,
        状态 (as ``status``, each file words it its own way), 情况说明."""
        head = [str(self.number), self.code] if with_code else [str(self.number)]
        return [
            *head,
            self.name,
            self.unit,
            self.numerator,
            self.denominator,
            self.value,
            self.target,
            self.expected,
            self.completion,
            status,
            self.explanation,
        ]


_STATUSES = {status.value: status for status in Status}


def status_of(key: Any) -> Status | None:
    """The status a payload's key names; ``None`` for none this program knows."""
    try:
        return _STATUSES.get(key)
    except TypeError:  # not even a key (a list, say): no status this program knows
        return None


def indicator_rows(indicators: Sequence[Mapping[str, Any]], text: Callable[[Any], str]) -> list[IndicatorRow]:
    """The rows of ``indicators`` (payload order, numbered from 1), every text passed through ``text``."""
    rows = []
    for number, ind in enumerate(indicators, start=1):
        completion = text(ind.get("completion"))
        rows.append(
            IndicatorRow(
                number=number,
                code=text(ind.get("code")),
                name=text(ind.get("name")),
                unit=text(ind.get("unit")),
                numerator=text(ind.get("numerator")),
                denominator=text(ind.get("denominator")),
                value=text(ind.get("value")),
                target=text(ind.get("target")),
                expected=text(ind.get("expected")),
                completion=f"{completion}%" if completion else "",
                status_key=ind.get("status"),
                status=status_of(ind.get("status")),
                explanation=text(ind.get("explanation")),
            )
        )
    return rows


def unassessed(indicators: Sequence[Mapping[str, Any]]) -> int:
    """How many indicators are input data with no status (listed, not assessed)."""
    return sum(1 for ind in indicators if ind.get("status") is None)


@dataclass(frozen=True)
class TimelinessRow:
    """One unit of a city report's 报送及时情况: its verdict as shown, and the verdict's colours (None for a verdict
    this program does not know, shown as its raw text)."""

    number: int
    code: str
    name: str
    received: str  # when the city received it, in Beijing time, or a dash
    verdict: str  # 按时 / 逾期 N 天 / 未报 / 未报（未到截止日）
    timeliness: Timeliness | None

    @property
    def colours(self) -> tuple[str, str] | None:
        return None if self.timeliness is None else TIMELINESS_COLORS[self.timeliness]


def timeliness_part(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The 报送及时情况 a city report carries, or None (a unit's submission, or no calendar for the period)."""
    report = payload.get("report")
    part = report.get("timeliness") if isinstance(report, Mapping) else None
    return part if isinstance(part, Mapping) else None


def timeliness_rows(units: Sequence[Mapping[str, Any]], text: Callable[[Any], str]) -> list[TimelinessRow]:
    """The rows of a report's ``timeliness.units`` (payload order, numbered from 1), texts passed through ``text``."""
    rows = []
    for number, unit in enumerate(units, start=1):
        key, days = unit.get("timeliness"), unit.get("days_late")
        verdict = _timeliness(key)
        received = unit.get("received_at")
        shown = None if received is None else beijing_time(str(received))
        rows.append(
            TimelinessRow(
                number=number,
                code=text(unit.get("code")),
                name=text(unit.get("name")),
                received="—" if received is None else text(shown if shown is not None else received),
                verdict=text(key)
                if verdict is None
                else Punctuality(verdict, days if isinstance(days, int) else 0).label,
                timeliness=verdict,
            )
        )
    return rows


def _timeliness(key: Any) -> Timeliness | None:
    if not isinstance(key, str):
        return None
    try:
        return Timeliness(key)
    except ValueError:
        return None
