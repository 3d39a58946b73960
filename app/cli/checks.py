"""Commands that read figures: the self-check of a unit and period, and the aggregation of a parent unit."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from app.cli.common import EXIT_OK, UsageError, add_unit_period, open_db, parse_period, print_json

if TYPE_CHECKING:
    from app.engine.calendar import DeadlineState
    from app.engine.periods import Period
    from app.engine.selfcheck import CheckResult
    from app.storage.db import Database


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    check = sub.add_parser("check", help="自查：完成情况、校验结果和总体表述")
    add_unit_period(check)
    check.add_argument("--json", action="store_true", help="以 JSON 输出")
    check.set_defaults(handler=_check)

    agg = sub.add_parser("aggregate", help="按汇总规则计算上级单位的指标值")
    agg.add_argument("--period", required=True)
    agg.add_argument("--unit", help="上级单位代码（默认：市级）")
    agg.add_argument("--json", action="store_true")
    agg.set_defaults(handler=_aggregate)


def run_check(db: Database, unit: str, period: Period) -> CheckResult:
    from app.storage.checks import check_unit

    with db.reading() as source:
        try:
            return check_unit(source, unit, period)
        except LookupError as exc:
            raise UsageError(str(exc.args[0])) from exc


def checked(args: argparse.Namespace) -> CheckResult:
    """The check of ``--unit`` for ``--period``, the database closed again."""
    period = parse_period(args.period)
    db = open_db(args)
    try:
        return run_check(db, args.unit, period)
    finally:
        db.close()


def _check(args: argparse.Namespace) -> int:
    from app.storage.calendar import deadline_for

    result = checked(args)
    db = open_db(args)
    try:
        with db.reading() as source:
            deadline = deadline_for(source, result.catalog, result.unit.code, result.period)
    finally:
        db.close()
    if args.json:
        print_json({**check_json(result), "deadline": deadline_json(deadline)})
    else:
        print_check(result)
        if deadline is not None:
            print(f"填报期：{deadline.label}")
    return EXIT_OK


def deadline_json(deadline: DeadlineState | None) -> dict[str, Any] | None:
    """Where the period stands by this PC's clock, for ``check --json``."""
    if deadline is None:
        return None
    w = deadline.window
    return {
        "state": deadline.state.value,
        "days": deadline.days,
        "label": deadline.label,
        "opens": w.opens.isoformat(),
        "due": w.due.isoformat(),
        "closes": w.closes.isoformat(),
    }


def check_json(result: CheckResult) -> dict[str, Any]:
    """The ``check --json`` document."""
    from app.engine.numbers import fmt, to_text
    from app.engine.progress import Status

    indicators = []
    for ic in result.indicators:
        ind = ic.spec
        item: dict[str, Any] = {
            "code": ind.code,
            "name": ind.name,
            "unit": ind.unit,
            "field": ind.field,
            "frequency": ind.frequency,
            "value": fmt(ic.value, ind.decimals) or None,
            "target": to_text(ic.progress.target),
            "expected": to_text(ic.progress.expected),
            "completion": to_text(ic.progress.completion),
            "status": None if ic.status is None else ic.status.value,
            "status_label": None if ic.status is None else ic.status.label,
            "explanation": ic.entry.explanation,
            "explanation_required": ic.explanation_required,
            "messages": [{"level": m.level, "text": m.text} for m in ic.messages]
            + [{"level": m.level, "text": m.text} for m in result.rule_messages if m.indicator == ind.code],
        }
        if ind.kind == "ratio":
            item["numerator"] = to_text(ic.entry.numerator)
            item["denominator"] = to_text(ic.entry.denominator)
        indicators.append(item)
    filled, due = result.filled
    return {
        "unit": result.unit.code,
        "unit_name": result.unit.name,
        "period": str(result.period),
        "catalog": {"code": result.catalog.code, "version": result.catalog.version, "demo": result.catalog.demo},
        "aggregated": result.aggregated,
        "indicators": indicators,
        "counts": {s.value: result.counts[s] for s in Status},
        "summary": result.summary,
        "filled": filled,
        "due": due,
        "errors": len(result.errors),
        "warnings": len(result.warnings),
        "can_sign": result.can_sign,
    }


def print_check(result: CheckResult) -> None:
    from app.engine.numbers import fmt

    demo = "【演示数据】" if result.catalog.demo else ""
    print(f"{demo}{result.catalog.name} · {result.unit.name}（{result.unit.code}）· {result.period.label}")
    if result.aggregated:
        print("  （由下级单位填报汇总）")
    for ic in result.indicators:
        ind = ic.spec
        status = ic.status.label if ic.status else "—"
        target = fmt(ic.progress.target, ind.decimals) or "—"
        print(
            f"  {ind.code:<5} {ind.name}：{fmt(ic.value, ind.decimals) or '未填'} {ind.unit}  目标 {target}  [{status}]"
        )
        for m in ic.messages:
            print(f"        {'错误' if m.level == 'error' else '提示'}：{m.text}")
    for m in result.rule_messages:
        print(f"  {'错误' if m.level == 'error' else '提示'}（规则 {m.rule}）：{m.text}")
    counts = "，".join(f"{s.label} {n}" for s, n in result.counts.items() if n)
    filled, due = result.filled
    print(f"已填 {filled}/{due}；{counts}")
    print(result.summary)
    if not result.can_sign:
        print(f"尚不能签名报送：{len(result.errors)} 个错误，{len(result.missing_explanations)} 项缺少情况说明")


def _aggregate(args: argparse.Namespace) -> int:
    from app.engine.numbers import fmt, to_text
    from app.storage.store import city_code

    period = parse_period(args.period)
    db = open_db(args)
    try:
        unit = args.unit or city_code(db)
        result = run_check(db, unit, period)
    except LookupError as exc:  # no units at all: nothing imported yet
        raise UsageError(str(exc.args[0])) from exc
    finally:
        db.close()
    if not result.aggregated:
        raise UsageError(f"单位 {unit} 没有下级单位，无需汇总")
    children = result.catalog.children_of(unit)
    rows = []
    for ic in result.indicators:
        ind = ic.spec
        rows.append(
            {
                "code": ind.code,
                "name": ind.name,
                "unit": ind.unit,
                "aggregation": ind.aggregation,
                "value": fmt(ic.value, ind.decimals) or None,
                "exact": to_text(ic.value),
                "numerator": to_text(ic.entry.numerator) if ind.kind == "ratio" else None,
                "denominator": to_text(ic.entry.denominator) if ind.kind == "ratio" else None,
                "reported": len(ic.contributors or []),
                "expected_units": 0 if ind.aggregation == "none" else len(children),
                "target": to_text(ic.progress.target),
                "status": None if ic.status is None else ic.status.value,
            }
        )
    if args.json:
        print_json(
            {
                "unit": unit,
                "unit_name": result.unit.name,
                "period": str(period),
                "demo": result.catalog.demo,
                "indicators": rows,
            }
        )
        return EXIT_OK
    print(f"{'【演示数据】' if result.catalog.demo else ''}{result.unit.name} {period.label} 汇总")
    for row in rows:
        reported = "" if row["aggregation"] == "none" else f"（{row['reported']}/{row['expected_units']} 个单位）"
        print(
            f"  {row['code']:<5} {row['name']}：{row['value'] or '—'} {row['unit']}  [{row['aggregation']}]{reported}"
        )
    return EXIT_OK
