"""Commands for the database itself: the demo, the units, and template files (import, sign, export)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, UsageError, db_location, keystore, open_db, passphrase
from app.storage.db import Database, default_db_path, is_url


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="创建或重置演示数据库")
    demo.add_argument("--force", action="store_true", help="即使数据库中有正式模板的数据也重置（会删除这些数据）")
    demo.set_defaults(handler=_demo)
    sub.add_parser("units", help="列出报送单位").set_defaults(handler=_units)

    template = sub.add_parser("template", help="导入或导出指标模板")
    tsub = template.add_subparsers(dest="template_command", parser_class=parser_class, metavar="操作", required=True)
    t_import = tsub.add_parser("import", help="导入模板文件（JSON，须有市级签名）")
    t_import.add_argument("file", type=Path)
    t_import.add_argument("--allow-unsigned", action="store_true", help="也接受没有签名的模板（市级自己起草时用）")
    t_import.set_defaults(handler=_template_import)
    t_sign = tsub.add_parser("sign", help="（市级）用市级 CA 签名模板文件")
    t_sign.add_argument("file", type=Path)
    t_sign.add_argument("--out", type=Path, help="签名后的文件（默认：覆盖原文件）")
    t_sign.add_argument("--passphrase-file", type=Path)
    t_sign.set_defaults(handler=_template_sign)
    t_export = tsub.add_parser("export", help="导出模板文件（JSON）")
    t_export.add_argument("file", type=Path)
    t_export.add_argument("--year", type=int, help="年度（默认：最近导入的模板）")
    t_export.set_defaults(handler=_template_export)


def _demo(args: argparse.Namespace) -> int:
    from app.demo import create_demo

    if args.db is not None and is_url(args.db):
        raise UsageError("演示数据库只能建在数据库文件中，不能建在数据库服务器上")
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
    from app.storage.lookups import units

    for u in units(db_location(args)):
        print(f"{u.code}\t{u.name}\t{'上级 ' + u.parent_code if u.parent_code else '（市级）'}")
    return EXIT_OK


def _template_import(args: argparse.Namespace) -> int:
    from app.templates.document import TemplateError
    from app.templates.signing import import_signed_template_file

    db = open_db(args)
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
    from app.templates.document import TemplateError
    from app.templates.signing import sign_template
    from app.trust.keys import KeysError

    try:
        print_ = sign_template(args.file, keystore(args), passphrase(args, "市级 CA 私钥口令："), args.out)
    except (TemplateError, KeysError) as exc:
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

    db = open_db(args)
    try:
        with db.session() as session:
            year = args.year or session.scalar(select(func.max(Catalog.year)))
            catalog = None if year is None else catalog_for_year(session, year)
            if catalog is None:
                raise UsageError("没有可导出的模板" + (f"（{year} 年度）" if year else ""))
            if catalog.signed_document is not None:
                doc = json.loads(catalog.signed_document)  # as the city signed it, so the signature still holds
            else:
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
