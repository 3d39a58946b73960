"""The city's commands: import submissions, the signed city report, returns and notices, revision history."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from app.cli.common import UsageError, add_unit_period, keystore, open_db, parse_period, passphrase
from app.cli.submission import write_files


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="（市级）核验并导入区县报送文件（可给文件夹）")
    imp.add_argument("files", type=Path, nargs="+", help="报送文件（.xlsx / .pdf）或文件夹")
    imp.add_argument("--json", action="store_true")
    imp.set_defaults(handler=_import)
    imp.epilog = "文件旁若有市级回执（文件名加 .receipt.json），按回执上的接收时间核验单位证书。"

    report = sub.add_parser("report", help="（市级）导出签名的全市汇总报告（Excel / PDF）")
    report.add_argument("--period", required=True)
    report.add_argument("--xlsx", type=Path)
    report.add_argument("--pdf", type=Path)
    report.add_argument("--passphrase-file", type=Path)
    report.set_defaults(handler=_report)

    ret = sub.add_parser("return", help="（市级）退回报送：签名的退回通知由上报服务送达区县，也可写成文件")
    add_unit_period(ret)
    ret.add_argument("--reason", required=True, help="退回原因")
    ret.add_argument("--out", type=Path, help="另把退回通知写成文件（交不联网的区县导入）")
    ret.add_argument("--passphrase-file", type=Path)
    ret.set_defaults(handler=_return)

    accept = sub.add_parser("accept", help="（市级）审核通过报送：签名的审核通过通知由上报服务送达区县，也可写成文件")
    add_unit_period(accept)
    accept.add_argument("--revision", type=int, help="版本（默认：最新一版）")
    accept.add_argument("--comment", default="", help="审核意见（可不填）")
    accept.add_argument("--out", type=Path, help="另把通知写成文件（交不联网的区县导入）")
    accept.add_argument("--passphrase-file", type=Path)
    accept.set_defaults(handler=_return)

    notice = sub.add_parser("notice", help="（区县）导入市级的退回、审核通过或延期通知")
    notice.add_argument("file", type=Path)
    notice.set_defaults(handler=_return)

    history = sub.add_parser("history", help="本期各版本；--diff A B 列出两版之间的改动")
    add_unit_period(history)
    history.add_argument("--diff", type=int, nargs=2, metavar=("旧版", "新版"))
    history.add_argument("--json", action="store_true")
    history.set_defaults(handler=_history)


def _import(args: argparse.Namespace) -> int:

    from app.city.importer import collect_files, import_submissions

    keys = keystore(args)
    if not keys.has_city_certificate():
        raise UsageError(f"{keys.folder} 中没有市级 CA 证书，无法核验报送文件")
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        raise UsageError(f"找不到：{'、'.join(missing)}")
    if not collect_files(args.files):
        raise UsageError("没有找到报送文件（.xlsx / .pdf）")
    receipts, unusable = receipts_beside(collect_files(args.files), keys.city_certificate())
    db = open_db(args)
    try:
        files = [p for p in collect_files(args.files) if p not in unusable]
        results = import_submissions(db, keys, files, receipts=receipts)
    finally:
        db.close()
    results = [*unusable.values(), *results]
    if args.json:
        print(json.dumps({"results": [r.as_dict() for r in results]}, ensure_ascii=False, indent=1))
    else:
        for r in results:
            who = f"{r.unit_name} {r.period} 第 {r.revision} 版" if r.unit else ""
            print(f"{r.label:<10} {Path(r.file).name}  {who}  {r.message}")
        stored = sum(1 for r in results if r.ok)
        print(f"共 {len(results)} 个文件：{stored} 个已在库中，{len(results) - stored} 个未导入")
    return 0 if all(r.ok for r in results) else 2


def _report(args: argparse.Namespace) -> int:
    from app.city.report import city_report_envelope

    if args.xlsx is None and args.pdf is None:
        raise UsageError("请用 --xlsx 和/或 --pdf 指定报告文件")
    period = parse_period(args.period)
    keys = keystore(args)
    secret = passphrase(args, "市级单位私钥口令：")
    db = open_db(args)
    try:
        envelope = city_report_envelope(db, keys, period, secret)
    finally:
        db.close()
    write_files(args, envelope, keys, lambda: secret)
    print(envelope["payload"]["summary"])
    timeliness = envelope["payload"]["report"].get("timeliness")
    if timeliness is not None:
        print(f"报送及时情况：{timeliness['sentence']}")
    return 0


def _return(args: argparse.Namespace) -> int:
    from app.city.extensions import FORMAT as EXTENSION_FORMAT
    from app.city.extensions import ExtensionError, import_extension
    from app.city.notices import notice_format
    from app.city.returns import ReturnError, accept_submission, import_notice, return_submission
    from app.engine.periods import Period

    keys = keystore(args)
    db = open_db(args)
    try:
        where = f"；通知文件：{args.out}" if getattr(args, "out", None) else "；区县联网时由上报服务取得通知"
        if args.command == "return":
            period = parse_period(args.period)
            notice = return_submission(
                db, keys, args.unit, period, args.reason, passphrase(args, "市级 CA 私钥口令："), args.out
            )
            print(f"已退回 {notice.unit_name} {notice.period} 第 {notice.revision} 版{where}")
        elif args.command == "accept":
            period = parse_period(args.period)
            secret = passphrase(args, "市级 CA 私钥口令：")
            notice = accept_submission(db, keys, args.unit, period, secret, args.comment, args.out, args.revision)
            print(f"已审核通过 {notice.unit_name} {notice.period} 第 {notice.revision} 版{where}")
        elif notice_format(args.file) == EXTENSION_FORMAT:
            extension = import_extension(db, keys, args.file)
            label = Period.parse(extension.period).label
            print(f"市级已为 {extension.unit_name} {label} 延期：{extension.summary}（{extension.reason}）")
        else:
            notice = import_notice(db, keys, args.file)
            if notice.kind == "accepted":
                comment = f"：{notice.reason}" if notice.reason else ""
                print(f"市级已审核通过 {notice.unit_name} {notice.period} 第 {notice.revision} 版{comment}")
            else:
                print(f"市级已退回 {notice.unit_name} {notice.period} 第 {notice.revision} 版：{notice.reason}")
                print("  修改后重新签名报送，新版本将取代被退回的版本")
    except (ReturnError, ExtensionError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.close()
    return 0


def receipts_beside(files: list[Path], city_ca: Any) -> tuple[dict[Path, Any], dict[Path, Any]]:
    """The city receipts kept beside submission files (name + .receipt.json), as the times to judge them at; and
    the files whose receipt is there but not valid, with their refusal."""
    from app.transport.receipts import ReceiptError, read_receipt_file, receipt_beside

    times: dict[Path, Any] = {}
    refused: dict[Path, Any] = {}
    for path in files:
        beside = receipt_beside(path)
        if not beside.is_file():
            continue
        try:
            times[path] = read_receipt_file(beside, city_ca).trusted_time()
        except ReceiptError as exc:
            # Imported here: verifying files (the verify command) needs neither the import nor the database.
            from app.city.importer import FileResult

            refused[path] = FileResult(str(path), "receipt_invalid", f"所附回执无效：{exc}")
    return times, refused


def _history(args: argparse.Namespace) -> int:

    from app.storage.revisions import diff_revisions
    from app.storage.store import audit_trail, revisions

    period = parse_period(args.period)
    db = open_db(args)
    try:
        if args.diff:
            try:
                changes = diff_revisions(db, args.unit, period, args.diff[0], args.diff[1])
            except LookupError as exc:
                raise UsageError(str(exc.args[0])) from exc
            rows: list[dict[str, Any]] = [c.__dict__ for c in changes]
        else:
            with db.session() as session:
                rows = [r.__dict__ for r in revisions(session, args.unit, period)]
                trail = audit_trail(session, args.unit, period)
            for row in rows:
                row["returned"] = [a.detail for a in trail if a.action == "return" and a.revision == row["revision"]]
    finally:
        db.close()
    if args.json:
        print(json.dumps({"unit": args.unit, "period": str(period), "rows": rows}, ensure_ascii=False, indent=1))
    elif args.diff:
        for c in rows:
            print(f"{c['indicator']} {c['name']} {c['field']}：{c['old'] or '（空）'} → {c['new'] or '（空）'}")
        print(f"第 {args.diff[0]} 版 → 第 {args.diff[1]} 版：{len(rows)} 处改动")
    else:
        for r in rows:
            note = f"，退回原因：{'；'.join(r['returned'])}" if r["returned"] else ""
            print(f"第 {r['revision']} 版  {r['status']}  创建 {r['created_at']}  锁定 {r['locked_at'] or '—'}{note}")
    return 0
