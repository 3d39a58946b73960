"""The headless command line: everything a clerk or the city does in the window, as commands.

Messages are Chinese. Exit status: 0 success, 2 bad input or usage (message on stderr), 1 unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from app import __version__
from app.cli.streams import use_utf8_when_redirected
from app.engine.numbers import fmt, to_text
from app.engine.periods import Period, PeriodError
from app.engine.progress import Status
from app.engine.selfcheck import CheckResult
from app.storage.checks import check_unit
from app.storage.db import Database, DatabaseError, default_db_path

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage: printed on stderr, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tianbao", description="填报通 Tianbao — 指标填报、自查与汇总")
    parser.add_argument("--db", type=Path, help="数据库文件（默认：用户数据文件夹中的 tianbao.db，或 TIANBAO_DB）")
    parser.add_argument("--version", action="version", version=f"填报通 Tianbao {__version__}")
    parser.add_argument("--keys", type=Path, help="密钥文件夹（默认：数据库旁的 keys 文件夹，或 TIANBAO_KEYS）")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png", help="把主窗口画到 PNG 文件后退出")
    parser.add_argument("--lang", choices=("zh_CN", "en"), help="界面语言（默认：设置中的语言，简体中文）")
    parser.add_argument("--smoke", action="store_true", help="打开主窗口后立即退出（安装检查用）")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="命令")

    demo = sub.add_parser("demo", help="创建或重置演示数据库")
    demo.add_argument("--force", action="store_true", help="即使数据库中有正式模板的数据也重置（会删除这些数据）")
    sub.add_parser("units", help="列出报送单位")

    template = sub.add_parser("template", help="导入或导出指标模板")
    tsub = template.add_subparsers(dest="template_command", parser_class=_Parser, metavar="操作", required=True)
    t_import = tsub.add_parser("import", help="导入模板文件（JSON，须有市级签名）")
    t_import.add_argument("file", type=Path)
    t_import.add_argument("--allow-unsigned", action="store_true", help="也接受没有签名的模板（市级自己起草时用）")
    t_sign = tsub.add_parser("sign", help="（市级）用市级 CA 签名模板文件")
    t_sign.add_argument("file", type=Path)
    t_sign.add_argument("--out", type=Path, help="签名后的文件（默认：覆盖原文件）")
    t_sign.add_argument("--passphrase-file", type=Path)
    t_export = tsub.add_parser("export", help="导出模板文件（JSON）")
    t_export.add_argument("file", type=Path)
    t_export.add_argument("--year", type=int, help="年度（默认：最近导入的模板）")

    values = sub.add_parser("values", help="导出可填写的数值表，或从 CSV / Excel 导入填报数值")
    vsub = values.add_subparsers(dest="values_command", parser_class=_Parser, metavar="操作", required=True)
    v_import = vsub.add_parser("import", help="导入一个单位一个报告期的数值")
    v_import.add_argument("--unit", required=True, help="单位代码")
    v_import.add_argument("--period", required=True, help="报告期，如 2023Q2 或 2023")
    v_import.add_argument("file", type=Path)
    v_export = vsub.add_parser("export", help="导出一个单位一个报告期的数值表（.xlsx 或 .csv），填好后可再导入")
    v_export.add_argument("--unit", required=True, help="单位代码")
    v_export.add_argument("--period", required=True, help="报告期，如 2023Q2 或 2023")
    v_export.add_argument("file", type=Path, help="输出文件：以 .xlsx 结尾为 Excel，否则为 CSV（UTF-8）")

    check = sub.add_parser("check", help="自查：完成情况、校验结果和总体表述")
    check.add_argument("--unit", required=True, help="单位代码（市级单位为汇总数）")
    check.add_argument("--period", required=True)
    check.add_argument("--json", action="store_true", help="以 JSON 输出")

    agg = sub.add_parser("aggregate", help="按汇总规则计算上级单位的指标值")
    agg.add_argument("--period", required=True)
    agg.add_argument("--unit", help="上级单位代码（默认：市级）")
    agg.add_argument("--json", action="store_true")
    from app.cli.submission import add_commands

    add_commands(sub, _Parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command (the desktop program, started when there is none, lives in ``ui``)."""
    use_utf8_when_redirected()
    return run_command(build_parser().parse_args(argv))


def run_command(args: argparse.Namespace) -> int:
    try:
        return _dispatch(args)
    except UsageError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE


def _db(args: argparse.Namespace) -> Database:
    return Database(args.db if args.db is not None else default_db_path())


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise UsageError(str(exc)) from exc


def _dispatch(args: argparse.Namespace) -> int:
    command = args.command
    if command is None:
        # The desktop program is started by main.py; here a command is required.
        raise UsageError("请给出命令（python main.py --help 列出所有命令）")
    if command == "demo":
        return _demo(args)
    if command == "units":
        return _units(args)
    if command == "template":
        handler = {"import": _template_import, "sign": _template_sign}.get(args.template_command, _template_export)
        return handler(args)
    if command == "values":
        return _values_export(args) if args.values_command == "export" else _values_import(args)
    if command == "check":
        return _check(args)
    if command == "aggregate":
        return _aggregate(args)
    from app.cli import submission as cli_sign

    try:
        return cli_sign.run(args)
    except cli_sign.CommandError as exc:
        raise UsageError(str(exc)) from exc  # pragma: no cover


def _demo(args: argparse.Namespace) -> int:
    from app.demo import create_demo

    path = args.db if args.db is not None else default_db_path()
    if path.exists() and not args.force:
        real = _real_catalogs(path)
        if real:
            raise UsageError(
                f"数据库 {path} 中有正式模板（{'、'.join(real)}）的数据，重置会把它们删除。"
                "请用 --db 指定另一个文件，或确需删除时加 --force"
            )
    db = create_demo(path)
    try:
        with db.session() as session:
            from sqlalchemy import func, select

            from app.storage.models import Indicator, Submission, Unit

            units = session.scalar(select(func.count()).select_from(Unit))
            indicators = session.scalar(select(func.count()).select_from(Indicator))
            submissions = session.scalar(select(func.count()).select_from(Submission))
    finally:
        db.close()
    print(f"演示数据库已创建：{path}")
    print(f"  演示指标体系（非正式发布），{units} 个单位，{indicators} 项指标，{submissions} 份填报")
    from app.demo import DEMO_KEYS_MARKER, DEMO_PASSPHRASE
    from app.trust.keys import default_keys_dir

    folder = default_keys_dir(path)
    if (folder / DEMO_KEYS_MARKER).exists():
        print(f"  演示密钥：{folder}（市级 CA 和各单位证书，口令均为 {DEMO_PASSPHRASE}）")
    else:
        print(f"  {folder} 中已有正式密钥，未生成演示密钥")
    return EXIT_OK


def _real_catalogs(path: Path) -> list[str]:
    """Names of the non-demo templates held in the database at ``path``."""
    from sqlalchemy import select

    from app.storage.models import Catalog

    db = Database(path)
    try:
        with db.session() as session:
            return [f"{c.name} {c.year} {c.version}" for c in session.scalars(select(Catalog).where(~Catalog.demo))]
    finally:
        db.close()


def _units(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from app.storage.models import Unit

    db = _db(args)
    try:
        with db.session() as session:
            rows = list(session.scalars(select(Unit).order_by(Unit.sort_order, Unit.id)))
            names = {u.id: u.code for u in rows}
            for u in rows:
                parent = names.get(u.parent_id) if u.parent_id else None
                print(f"{u.code}\t{u.name}\t{'上级 ' + parent if parent else '（市级）'}")
    finally:
        db.close()
    return EXIT_OK


def _template_import(args: argparse.Namespace) -> int:
    from app.cli.submission import keystore
    from app.templates.document import TemplateError
    from app.templates.signing import import_signed_template_file

    db = _db(args)
    try:
        done = import_signed_template_file(db, keystore(args), args.file, allow_unsigned=args.allow_unsigned)
    except TemplateError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.close()
    summary = f"{done.name}（{done.year} 年度，{done.version} 版，{done.indicators} 项指标）"
    print(("已导入模板：" if done.new else "该模板已导入过，未作更改：") + summary)
    if done.fingerprint is None:
        print("  注意：该模板没有市级签名")
    elif done.pinned:
        print(f"  已记下市级证书，指纹 {done.fingerprint}——请与市级电话核对")
    return EXIT_OK


def _template_sign(args: argparse.Namespace) -> int:
    from app.cli.submission import CommandError, keystore, passphrase
    from app.templates.document import TemplateError
    from app.templates.signing import sign_template
    from app.trust.keys import KeysError

    try:
        print_ = sign_template(args.file, keystore(args), passphrase(args, "市级 CA 私钥口令："), args.out)
    except (TemplateError, KeysError, CommandError) as exc:
        raise UsageError(str(exc)) from exc
    print(f"已签名模板：{args.out or args.file}（市级证书指纹 {print_}）")
    return EXIT_OK


def _template_export(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from app.storage.catalogs import load_spec
    from app.storage.models import Catalog
    from app.storage.store import catalog_for_year
    from app.templates.document import write_document
    from app.templates.export import document_from_spec

    db = _db(args)
    try:
        with db.session() as session:
            year = args.year or session.scalar(select(func.max(Catalog.year)))
            catalog = None if year is None else catalog_for_year(session, year)
            if catalog is None:
                raise UsageError("没有可导出的模板" + (f"（{year} 年度）" if year else ""))
            signature = json.loads(catalog.signature) if catalog.signature else None
            doc = document_from_spec(load_spec(session, catalog), signature)
    finally:
        db.close()
    try:
        write_document(doc, args.file)
    except OSError as exc:
        raise UsageError(f"无法写入 {args.file}：{exc.strerror or exc}") from exc
    print(f"已导出模板：{args.file}")
    return EXIT_OK


def _values_import(args: argparse.Namespace) -> int:
    from app.sheets.values_import import ValuesImportError, import_values
    from app.storage.catalogs import load_spec
    from app.storage.store import EntryError, catalog_for_year

    period = _period(args.period)
    db = _db(args)
    try:
        with db.transaction() as session:
            catalog = catalog_for_year(session, period.year)
            if catalog is None:
                raise UsageError(f"还没有导入 {period.year} 年度的指标模板")
            spec = load_spec(session, catalog)
            if spec.unit(args.unit) is None:
                raise UsageError(f"单位代码 {args.unit} 不存在")
            result = import_values(session, spec, args.unit, period, args.file)
    except (ValuesImportError, EntryError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.close()
    print(f"已导入 {args.file}（{result.encoding}）：{result.rows} 行，{result.changed} 处数值有变化")
    return EXIT_OK


def _values_export(args: argparse.Namespace) -> int:
    from app.sheets.values_export import write_values

    result = _checked(args)
    try:
        write_values(result, args.file)
    except OSError as exc:
        raise UsageError(f"无法写入 {args.file}：{exc.strerror or exc}") from exc
    label = f"{result.unit.name} {result.period.label}"
    print(f"已导出 {label} 的数值表：{args.file}（{len(result.indicators)} 项指标）")
    return EXIT_OK


def _run_check(db: Database, unit: str, period: Period) -> CheckResult:
    with db.session() as session:
        try:
            return check_unit(session, unit, period)
        except LookupError as exc:
            raise UsageError(str(exc.args[0])) from exc


def _checked(args: argparse.Namespace) -> CheckResult:
    """The check of ``--unit`` for ``--period``, the database closed again."""
    period = _period(args.period)
    db = _db(args)
    try:
        return _run_check(db, args.unit, period)
    finally:
        db.close()


def _check(args: argparse.Namespace) -> int:
    result = _checked(args)
    if args.json:
        _print_json(check_json(result))
    else:
        _print_check(result)
    return EXIT_OK


def check_json(result: CheckResult) -> dict[str, Any]:
    """The ``check --json`` document."""
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


def _print_check(result: CheckResult) -> None:
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
    from app.storage.store import city_code

    period = _period(args.period)
    db = _db(args)
    try:
        unit = args.unit or city_code(db)
        result = _run_check(db, unit, period)
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
        _print_json(
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


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))
