"""Commands for the clerk's values sheet: export one to fill in with Excel, import it again."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.checks import checked
from app.cli.common import EXIT_OK, UsageError, add_unit_period, open_db, parse_period


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    values = sub.add_parser("values", help="导出可填写的数值表，或从 CSV / Excel 导入填报数值")
    vsub = values.add_subparsers(dest="values_command", parser_class=parser_class, metavar="操作", required=True)
    v_import = vsub.add_parser("import", help="导入一个单位一个报告期的数值")
    add_unit_period(v_import)
    v_import.add_argument("file", type=Path)
    v_import.set_defaults(handler=_values_import)
    v_export = vsub.add_parser("export", help="导出一个单位一个报告期的数值表（.xlsx 或 .csv），填好后可再导入")
    add_unit_period(v_export)
    v_export.add_argument("file", type=Path, help="输出文件：以 .xlsx 结尾为 Excel，否则为 CSV（UTF-8）")
    v_export.set_defaults(handler=_values_export)


def _values_import(args: argparse.Namespace) -> int:
    from app.sheets.values_import import ValuesImportError, import_values
    from app.storage.catalogs import load_spec
    from app.storage.store import EntryError, catalog_for_year

    period = parse_period(args.period)
    db = open_db(args)
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

    result = checked(args)
    try:
        write_values(result, args.file)
    except OSError as exc:
        raise UsageError(f"无法写入 {args.file}：{exc.strerror or exc}") from exc
    label = f"{result.unit.name} {result.period.label}"
    print(f"已导出 {label} 的数值表：{args.file}（{len(result.indicators)} 项指标）")
    return EXIT_OK
