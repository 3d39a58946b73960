"""Commands of the reporting calendar: the city's timeliness of a period, and extending a unit's deadline."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from app.cli.common import (
    EXIT_OK,
    UsageError,
    add_unit_period,
    keystore,
    open_db,
    parse_period,
    passphrase,
    print_json,
)


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    timeliness = sub.add_parser("timeliness", help="（市级）各单位按时 / 逾期 / 未报，按时报送率")
    timeliness.add_argument("--period", required=True)
    timeliness.add_argument("--json", action="store_true")
    timeliness.set_defaults(handler=_timeliness)

    extend = sub.add_parser("extend", help="（市级）为一个单位延长截止日期或重新开放已关闭的报告期，写出签名的延期通知")
    add_unit_period(extend)
    extend.add_argument("--due", type=_date, help="新的截止日期，如 2023-07-31")
    extend.add_argument("--closes", type=_date, help="新的关闭日期（重新开放填报至该日）")
    extend.add_argument("--reason", required=True, help="延期原因")
    extend.add_argument("--out", type=Path, required=True, help="延期通知文件（交区县导入：notice 命令）")
    extend.add_argument("--passphrase-file", type=Path)
    extend.set_defaults(handler=_extend)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"“{text}”不是日期，应写成 2023-07-31") from exc


def _timeliness(args: argparse.Namespace) -> int:
    from app.engine.calendar import summarize_timeliness
    from app.storage.calendar import punctuality_for
    from app.storage.catalogs import load_spec
    from app.storage.store import catalog_for_year

    period = parse_period(args.period)
    db = open_db(args)
    try:
        with db.session() as session:
            catalog = catalog_for_year(session, period.year)
            if catalog is None:
                raise UsageError(f"还没有导入 {period.year} 年度的指标模板")
            spec = load_spec(session, catalog)
            districts = [u for u in spec.units if u.parent is not None and not spec.children_of(u.code)]
            judged = punctuality_for(session, spec, period, [u.code for u in districts])
    finally:
        db.close()
    if not judged:
        raise UsageError(f"{spec.name}没有规定 {period.label} 的填报期")
    summary = summarize_timeliness(judged.values())
    if args.json:
        print_json(
            {
                "period": str(period),
                "units": [
                    {
                        "unit": u.code,
                        "unit_name": u.name,
                        "timeliness": judged[u.code].timeliness.value,
                        "label": judged[u.code].label,
                        "days_late": judged[u.code].days_late,
                        "received_at": _iso(judged[u.code].received_at),
                    }
                    for u in districts
                ],
                "on_time_rate": None if summary.on_time_rate is None else str(summary.on_time_rate),
                "summary": summary.sentence,
            }
        )
        return EXIT_OK
    print(f"{spec.name} · {period.label} 报送及时情况（以市级收到时间为准）")
    for u in districts:
        print(f"  {u.code:<8} {u.name}：{judged[u.code].label}")
    print(summary.sentence)
    return EXIT_OK


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _extend(args: argparse.Namespace) -> int:
    from app.city.extensions import ExtensionError, extend_period

    period = parse_period(args.period)
    keys = keystore(args)
    db = open_db(args)
    try:
        notice = extend_period(
            db,
            keys,
            args.unit,
            period,
            args.due,
            args.closes,
            args.reason,
            passphrase(args, "市级 CA 私钥口令："),
            args.out,
        )
    except ExtensionError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.close()
    print(f"已为 {notice.unit_name} {period.label} 延期：{notice.summary}；延期通知：{args.out}")
    return EXIT_OK
