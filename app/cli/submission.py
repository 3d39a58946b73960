"""Commands of a unit's submission: sign and lock a revision, export its signed files, verify files."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import UsageError, add_unit_period, keystore, open_db, parse_period, passphrase

if TYPE_CHECKING:
    from app.trust.keys import KeyStore


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    sign = sub.add_parser("sign", help="签名并锁定本期填报")
    add_unit_period(sign)
    sign.add_argument("--passphrase-file", type=Path)
    sign.set_defaults(handler=_sign)

    export = sub.add_parser("export", help="导出已签名的报送文件（Excel / PDF）")
    add_unit_period(export)
    export.add_argument("--xlsx", type=Path, help="Excel 文件")
    export.add_argument("--pdf", type=Path, help="PDF 文件（需要口令，用于 PDF 签名）")
    export.add_argument("--passphrase-file", type=Path)
    export.set_defaults(handler=_export)

    verify = sub.add_parser("verify", help="核验报送文件：是否为市级签发证书签名、签名后是否被改动")
    verify.add_argument("files", type=Path, nargs="+")
    verify.add_argument("--json", action="store_true")
    verify.add_argument(
        "--receipt",
        type=Path,
        help="市级回执（只核验一个文件时）：按回执上的接收时间核验单位证书；文件旁的“文件名.receipt.json”自动使用",
    )
    verify.set_defaults(handler=_verify)


def _sign(args: argparse.Namespace) -> int:
    from app.submissions.signing import SigningError, sign_and_lock

    period = parse_period(args.period)
    keys = keystore(args)
    db = open_db(args)
    try:
        signed = sign_and_lock(db, keys, args.unit, period, passphrase(args, "本单位私钥口令："))
    except (SigningError, LookupError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.close()
    payload = signed.envelope["payload"]
    print(f"已签名并锁定：{payload['unit']['name']} {period.label} 第 {signed.revision} 版")
    print(f"  报送编号 {payload['submission_id']}，内容摘要 SHA-256 {signed.payload_hash}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from app.submissions.signing import signed_envelope

    if args.xlsx is None and args.pdf is None:
        raise UsageError("请用 --xlsx 和/或 --pdf 指定要导出的文件")
    period = parse_period(args.period)
    db = open_db(args)
    try:
        envelope = signed_envelope(db, args.unit, period)
    finally:
        db.close()
    if envelope is None:
        raise UsageError(f"单位 {args.unit} 在 {period} 还没有签名锁定的版本，请先运行 sign")
    write_files(args, envelope, keystore(args), lambda: passphrase(args, "本单位私钥口令："))
    return 0


def write_files(args: argparse.Namespace, envelope: dict[str, Any], keys: KeyStore, secret: Callable[[], str]) -> None:
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
        raise UsageError(f"无法写入文件：{exc.strerror or exc}") from exc


def _verify(args: argparse.Namespace) -> int:

    keys = keystore(args)
    if not keys.has_city_certificate():
        raise UsageError(f"{keys.folder} 中没有市级 CA 证书，无法核验（区县在导入市级签名的模板时记下它）")
    ca = keys.city_certificate()
    from app.cli.city import receipts_beside
    from app.submissions.verify import verify_file
    from app.transport.receipts import ReceiptError, read_receipt_file

    if args.receipt is not None:
        if len(args.files) != 1:
            raise UsageError("--receipt 只能与一个文件一起使用；多个文件请把回执放在各自文件旁（文件名.receipt.json）")
        try:
            times = {args.files[0]: read_receipt_file(args.receipt, ca).trusted_time()}
        except ReceiptError as exc:
            raise UsageError(str(exc)) from exc
        refused: dict[Path, Any] = {}
    else:
        times, refused = receipts_beside(list(args.files), ca)
    results = [
        {"file": str(path), "valid": False, "reason": "receipt_invalid", "message": refused[path].message}
        if path in refused
        else verify_file(path, ca, times.get(path))
        for path in args.files
    ]
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
