"""Command-line commands for keys, signing, exports and verification (the rest of the CLI is in app.cli.main)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.sheets.textenc import EncodingError, decode
from app.storage.db import Database, default_db_path
from app.trust.keys import KeysError, KeyStore, default_keys_dir, fingerprint


class CommandError(Exception):
    """Bad input: printed on stderr by app.cli.main with exit status 2."""


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="密钥与证书：市级 CA、单位密钥、证书请求与签发")
    ksub = keys.add_subparsers(dest="keys_command", parser_class=parser_class, metavar="操作", required=True)
    init = ksub.add_parser("city-init", help="（市级）生成市级 CA 密钥和证书")
    init.add_argument("--issuer", required=True, help="签发机关名称，如 贵阳市生态环境局")
    request = ksub.add_parser("request", help="（区县）在本机生成本单位密钥和证书请求")
    request.add_argument("--unit", required=True)
    issue = ksub.add_parser("issue", help="（市级）为证书请求签发证书")
    issue.add_argument("request", type=Path)
    imp = ksub.add_parser("import", help="（区县）导入市级签发的证书")
    imp.add_argument("certificate", type=Path)
    imp.add_argument("--unit", required=True)
    ksub.add_parser("show", help="列出本机的证书和指纹")
    for p in (init, request, issue):
        p.add_argument("--passphrase-file", type=Path, help="从文件读取口令（无人值守时用）")

    export = sub.add_parser("export", help="导出已签名的报送文件（Excel / PDF）")
    export.add_argument("--unit", required=True)
    export.add_argument("--period", required=True)
    export.add_argument("--xlsx", type=Path, help="Excel 文件")
    export.add_argument("--pdf", type=Path, help="PDF 文件（需要口令，用于 PDF 签名）")
    export.add_argument("--passphrase-file", type=Path)

    verify = sub.add_parser("verify", help="核验报送文件：是否为市级签发证书签名、签名后是否被改动")
    verify.add_argument("files", type=Path, nargs="+")
    verify.add_argument("--json", action="store_true")

    imp = sub.add_parser("import", help="（市级）核验并导入区县报送文件（可给文件夹）")
    imp.add_argument("files", type=Path, nargs="+", help="报送文件（.xlsx / .pdf）或文件夹")
    imp.add_argument("--json", action="store_true")

    report = sub.add_parser("report", help="（市级）导出签名的全市汇总报告（Excel / PDF）")
    report.add_argument("--period", required=True)
    report.add_argument("--xlsx", type=Path)
    report.add_argument("--pdf", type=Path)
    report.add_argument("--passphrase-file", type=Path)

    ret = sub.add_parser("return", help="（市级）退回报送，写出签名的退回通知")
    ret.add_argument("--unit", required=True)
    ret.add_argument("--period", required=True)
    ret.add_argument("--reason", required=True, help="退回原因")
    ret.add_argument("--out", type=Path, required=True, help="退回通知文件（交区县导入）")
    ret.add_argument("--passphrase-file", type=Path)

    notice = sub.add_parser("notice", help="（区县）导入市级的退回通知")
    notice.add_argument("file", type=Path)

    history = sub.add_parser("history", help="本期各版本；--diff A B 列出两版之间的改动")
    history.add_argument("--unit", required=True)
    history.add_argument("--period", required=True)
    history.add_argument("--diff", type=int, nargs=2, metavar=("旧版", "新版"))
    history.add_argument("--json", action="store_true")

    sign = sub.add_parser("sign", help="签名并锁定本期填报")
    sign.add_argument("--unit", required=True)
    sign.add_argument("--period", required=True)
    sign.add_argument("--passphrase-file", type=Path)


def keystore(args: argparse.Namespace) -> KeyStore:
    db_path = args.db if args.db is not None else default_db_path()
    return KeyStore(Path(args.keys) if getattr(args, "keys", None) else default_keys_dir(db_path))


def passphrase(args: argparse.Namespace, prompt: str, confirm: bool = False) -> str:
    """The passphrase from --passphrase-file, TIANBAO_PASSPHRASE, or a prompt (never from the command line)."""
    path: Path | None = getattr(args, "passphrase_file", None)
    if path is not None:
        try:
            # As Notepad saves it: UTF-8 with or without a BOM, or the Chinese ANSI code page (GBK).
            return decode(path.read_bytes())[0].rstrip("\r\n")
        except OSError as exc:
            raise CommandError(f"无法读取口令文件 {path}：{exc.strerror or exc}") from exc
        except EncodingError as exc:
            raise CommandError(f"口令文件 {path} 无法读取：{exc}") from exc
    env = os.environ.get("TIANBAO_PASSPHRASE")
    if env:
        return env
    if sys.stdin is None or not sys.stdin.isatty():  # None: the windowed Windows program has no console
        raise CommandError("需要口令：请在终端中运行，或用 --passphrase-file / TIANBAO_PASSPHRASE 提供")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次：") != first:
        raise CommandError("两次输入的口令不一致")
    return first


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "keys":
            return _keys(args)
        if args.command == "sign":
            return _sign(args)
        if args.command == "export":
            return _export(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "import":
            return _import(args)
        if args.command == "report":
            return _report(args)
        if args.command in ("return", "notice"):
            return _return(args)
        if args.command == "history":
            return _history(args)
    except KeysError as exc:
        raise CommandError(str(exc)) from exc
    raise AssertionError(args.command)  # pragma: no cover


def _unit_name(args: argparse.Namespace, code: str) -> str:
    from sqlalchemy import select

    from app.storage.models import Unit

    db = Database(args.db if args.db is not None else default_db_path())
    try:
        with db.session() as session:
            name = session.scalar(select(Unit.name).where(Unit.code == code))
    finally:
        db.close()
    if name is None:
        raise CommandError(f"单位代码 {code} 不存在（请先导入模板）")
    return name


def _keys(args: argparse.Namespace) -> int:
    keys = keystore(args)
    action = args.keys_command
    if action == "city-init":
        cert = keys.city_init(args.issuer, passphrase(args, "为市级 CA 私钥设置口令：", confirm=True))
        print(f"已生成市级 CA：{keys.folder}")
        print(f"  证书指纹（请通知各区县核对）：{fingerprint(cert)}")
    elif action == "request":
        name = _unit_name(args, args.unit)
        path, print_ = keys.request(args.unit, name, passphrase(args, f"为{name}的私钥设置口令：", confirm=True))
        print(f"已生成证书请求：{path}（请交市级签发）")
        print(f"  公钥指纹（请电话告知市级核对）：{print_}")
    elif action == "issue":
        cert, path = keys.issue(args.request, passphrase(args, "市级 CA 私钥口令："))
        print(f"已签发证书：{path}")
        print(f"  证书指纹：{fingerprint(cert)}")
    elif action == "import":
        cert = keys.import_certificate(args.certificate, args.unit)
        print(f"已导入证书：单位 {args.unit}，指纹 {fingerprint(cert)}")
    else:
        _show(keys)
    return 0


def _show(keys: KeyStore) -> None:
    if keys.has_city_certificate():
        ca = keys.city_certificate()
        print(f"市级 CA：{ca.subject.rfc4514_string()}\n  指纹 {fingerprint(ca)}")
    else:
        print(f"{keys.folder} 中没有市级 CA 证书")
    for path in sorted(keys.folder.glob("unit-*.crt.pem")):
        code = path.name.removeprefix("unit-").removesuffix(".crt.pem")
        cert = keys.unit_certificate(code)
        print(f"单位 {code}：有效期至 {cert.not_valid_after_utc:%Y-%m-%d}，指纹 {fingerprint(cert)}")


def _sign(args: argparse.Namespace) -> int:
    from app.submissions.signing import SigningError, sign_and_lock

    period = _period_arg(args.period)
    keys = keystore(args)
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        signed = sign_and_lock(db, keys, args.unit, period, passphrase(args, "本单位私钥口令："))
    except (SigningError, LookupError) as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.close()
    payload = signed.envelope["payload"]
    print(f"已签名并锁定：{payload['unit']['name']} {period.label} 第 {signed.revision} 版")
    print(f"  报送编号 {payload['submission_id']}，内容摘要 SHA-256 {signed.payload_hash}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.submissions.signing import signed_envelope

    if args.xlsx is None and args.pdf is None:
        raise CommandError("请用 --xlsx 和/或 --pdf 指定要导出的文件")
    period = _period_arg(args.period)
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        envelope = signed_envelope(db, args.unit, period)
    finally:
        db.close()
    if envelope is None:
        raise CommandError(f"单位 {args.unit} 在 {period} 还没有签名锁定的版本，请先运行 sign")
    _write_files(args, envelope, keystore(args), lambda: passphrase(args, "本单位私钥口令："))
    return 0


def _write_files(args: argparse.Namespace, envelope: dict[str, Any], keys: KeyStore, secret: Callable[[], str]) -> None:
    """Write ``--xlsx`` and/or ``--pdf`` of a signed envelope; the PDF's passphrase is asked only when needed."""
    from app import __version__

    try:
        if args.xlsx is not None:
            from app.submissions.export_xlsx import write_submission_xlsx

            write_submission_xlsx(envelope, args.xlsx, __version__)
            print(f"已导出 {args.xlsx}")
        if args.pdf is not None:
            from app.submissions.export_pdf import write_submission_pdf

            write_submission_pdf(envelope, args.pdf, keys, secret(), __version__)
            print(f"已导出 {args.pdf}")
    except OSError as exc:
        raise CommandError(f"无法写入文件：{exc.strerror or exc}") from exc


def _verify(args: argparse.Namespace) -> int:
    import json

    keys = keystore(args)
    if not keys.has_city_certificate():
        raise CommandError(f"{keys.folder} 中没有市级 CA 证书，无法核验（区县在导入市级签名的模板时记下它）")
    ca = keys.city_certificate()
    from app.submissions.verify import verify_file

    results = [verify_file(path, ca) for path in args.files]
    if args.json:
        print(json.dumps({"results": results}, ensure_ascii=False, indent=1))
    else:
        for r in results:
            if r["valid"]:
                print(
                    f"有效  {r['file']}：{r['unit_name']} {r['period']} 第 {r['revision']} 版（{r['submission_id']}）"
                )
            else:
                print(f"无效  {r['file']}：{r['message']}")
    return 0 if all(r["valid"] for r in results) else 2


def _import(args: argparse.Namespace) -> int:
    import json

    from app.city.importer import collect_files, import_submissions

    keys = keystore(args)
    if not keys.has_city_certificate():
        raise CommandError(f"{keys.folder} 中没有市级 CA 证书，无法核验报送文件")
    missing = [str(p) for p in args.files if not p.exists()]
    if missing:
        raise CommandError(f"找不到：{'、'.join(missing)}")
    if not collect_files(args.files):
        raise CommandError("没有找到报送文件（.xlsx / .pdf）")
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        results = import_submissions(db, keys, args.files)
    finally:
        db.close()
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
        raise CommandError("请用 --xlsx 和/或 --pdf 指定报告文件")
    period = _period_arg(args.period)
    keys = keystore(args)
    secret = passphrase(args, "市级单位私钥口令：")
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        envelope = city_report_envelope(db, keys, period, secret)
    finally:
        db.close()
    _write_files(args, envelope, keys, lambda: secret)
    print(envelope["payload"]["summary"])
    return 0


def _period_arg(text: str) -> Any:
    from app.engine.periods import Period, PeriodError

    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise CommandError(str(exc)) from exc


def _return(args: argparse.Namespace) -> int:
    from app.city.returns import ReturnError, import_notice, return_submission

    keys = keystore(args)
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        if args.command == "return":
            period = _period_arg(args.period)
            notice = return_submission(
                db, keys, args.unit, period, args.reason, passphrase(args, "市级 CA 私钥口令："), args.out
            )
            print(f"已退回 {notice.unit_name} {notice.period} 第 {notice.revision} 版；退回通知：{args.out}")
        else:
            notice = import_notice(db, keys, args.file)
            print(f"市级已退回 {notice.unit_name} {notice.period} 第 {notice.revision} 版：{notice.reason}")
            print("  修改后重新签名报送，新版本将取代被退回的版本")
    except ReturnError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        db.close()
    return 0


def _history(args: argparse.Namespace) -> int:
    import json

    from app.storage.revisions import diff_revisions
    from app.storage.store import audit_trail, revisions

    period = _period_arg(args.period)
    db = Database(args.db if args.db is not None else default_db_path())
    try:
        if args.diff:
            try:
                changes = diff_revisions(db, args.unit, period, args.diff[0], args.diff[1])
            except LookupError as exc:
                raise CommandError(str(exc.args[0])) from exc
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
