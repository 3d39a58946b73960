"""Extending a deadline (延期) or reopening a closed period for one unit: the city records it and writes a signed
notice; the district imports the notice, and its entry and its banner follow the new dates.

The same mechanism as a return (退回): a notice signed with the city CA key, kept in the history of both sides.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.city.notices import NoticeError, read_signed_notice, signed_notice_body, write_signed_notice
from app.engine.calendar import format_date
from app.engine.periods import Period, PeriodError
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import AuditEntry, PeriodExtension, Unit, utcnow
from app.storage.models import Notice as NoticeRow
from app.storage.store import catalog_for_year
from app.trust.keys import KeyStore

FORMAT = "tianbao-extension-notice"
WHAT = "延期通知"


class ExtensionError(ValueError):
    """An extension that cannot be granted or a notice that cannot be accepted (message in Chinese)."""


@dataclass(frozen=True)
class ExtensionNotice:
    unit: str
    unit_name: str
    period: str
    due: str | None
    closes: str | None
    reason: str
    granted_at: str

    @property
    def summary(self) -> str:
        parts = []
        if self.due:
            parts.append(f"截止日期延至{format_date(dt.date.fromisoformat(self.due))}")
        if self.closes:
            parts.append(f"填报开放至{format_date(dt.date.fromisoformat(self.closes))}")
        return "，".join(parts)


def extend_period(
    db: Database,
    keys: KeyStore,
    unit_code: str,
    period: Period,
    due: dt.date | None,
    closes: dt.date | None,
    reason: str,
    passphrase: str,
    out: Path,
) -> ExtensionNotice:
    """(City) Give ``unit_code`` a later due date and/or reopen ``period`` until ``closes``; write the notice."""
    reason = reason.strip()
    if not reason:
        raise ExtensionError("请写明延期原因")
    if due is None and closes is None:
        raise ExtensionError("请给出新的截止日期（--due）或关闭日期（--closes）")
    with db.transaction() as session:
        catalog = catalog_for_year(session, period.year)
        if catalog is None:
            raise ExtensionError(f"还没有导入 {period.year} 年度的指标模板")
        spec = load_spec(session, catalog)
        listed = spec.unit(unit_code)
        if listed is None:
            raise ExtensionError(f"单位 {unit_code} 不在 {spec.name} 中")
        window = spec.window(period)
        if window is None:
            raise ExtensionError(f"{spec.name}没有规定 {period.label} 的填报期，无需延期")
        if due is not None and due <= window.due:
            raise ExtensionError(f"新的截止日期应晚于原截止日期 {format_date(window.due)}")
        if closes is not None and closes <= window.closes:
            raise ExtensionError(f"新的关闭日期应晚于原关闭日期 {format_date(window.closes)}")
        notice = ExtensionNotice(
            unit_code,
            listed.name,
            str(period),
            due.isoformat() if due else None,
            closes.isoformat() if closes else None,
            reason,
            utcnow(),
        )
        document = write_signed_notice(notice.__dict__, keys, passphrase, out, FORMAT)
        _record(session, notice, json.dumps(document, ensure_ascii=False, sort_keys=True))
    return notice


def import_extension(db: Database, keys: KeyStore, path: Path) -> ExtensionNotice:
    """(District) Take the city's extension notice: entry and the banner follow its dates from now on."""
    try:
        document = read_signed_notice(path, keys, FORMAT, WHAT)
    except NoticeError as exc:
        raise ExtensionError(str(exc)) from exc
    return _take(db, document, str(path))


def import_extension_bytes(db: Database, keys: KeyStore, raw: bytes, source: str) -> ExtensionNotice:
    """(District) :func:`import_extension` of a notice's bytes fetched from ``source`` (the intake service)."""
    try:
        document = signed_notice_body(raw, keys, FORMAT, WHAT, source)
    except NoticeError as exc:
        raise ExtensionError(str(exc)) from exc
    return _take(db, document, source)


def _take(db: Database, document: dict[str, Any], path: str) -> ExtensionNotice:
    try:
        notice = ExtensionNotice(**{k: document[k] for k in ExtensionNotice.__dataclass_fields__})
        Period.parse(notice.period)
        for day in (notice.due, notice.closes):
            if day is not None:
                dt.date.fromisoformat(day)
    except (KeyError, TypeError, ValueError, PeriodError) as exc:
        raise ExtensionError(f"{path} 缺少内容或内容无效") from exc
    with db.transaction() as session:
        seen = session.scalar(
            select(PeriodExtension.id)
            .join(Unit, Unit.id == PeriodExtension.unit_id)
            .where(Unit.code == notice.unit, PeriodExtension.granted_at == notice.granted_at)
        )
        if seen is None:
            _record(session, notice, json.dumps(document, ensure_ascii=False, sort_keys=True))
    return notice


def _record(session: Session, notice: ExtensionNotice, text: str) -> None:
    unit = session.scalar(select(Unit).where(Unit.code == notice.unit))
    if unit is None:
        raise ExtensionError(f"单位 {notice.unit} 不存在（请先导入模板）")
    # Kept for the unit to fetch from the intake service too, like a return notice.
    session.add(NoticeRow(unit_id=unit.id, kind="extension", created_at=notice.granted_at, document=text))
    session.add(
        PeriodExtension(
            unit_id=unit.id,
            period=notice.period,
            due=notice.due,
            closes=notice.closes,
            reason=notice.reason,
            granted_at=notice.granted_at,
            notice=text,
        )
    )
    session.add(
        AuditEntry(
            user="city",
            action="extend",
            unit_code=notice.unit,
            period=notice.period,
            detail=f"{notice.summary}：{notice.reason}",
        )
    )
