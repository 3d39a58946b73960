"""The district's online hand-over: the outbox (what waits, what was delivered with which receipt) and ``upload``.

``upload`` exits 0 when everything in the outbox is delivered, 3 when the intake service cannot be reached (what
is left stays pending), 2 when something was refused (or on bad usage).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.cli.common import UsageError, keystore, open_db, passphrase, print_json

EXIT_UNREACHABLE = 3


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    box = sub.add_parser(
        "outbox", help="（区县）报送记录：待上报、已送达（回执）、被拒收、已退回，及市级发来待确认的通知和模板"
    )
    box.add_argument("--json", action="store_true")
    box.add_argument("--receipt", type=int, metavar="编号", help="把这条记录的回执写成回执单 PDF（与 --pdf 一起用）")
    box.add_argument("--pdf", type=Path, help="回执单 PDF 文件")
    box.add_argument("--apply", type=int, metavar="编号", help="应用一项市级发来的通知或模板")
    box.add_argument("--dismiss", type=int, metavar="编号", help="不应用，移出待确认")
    box.add_argument("--retry", type=int, metavar="编号", help="把被拒收的记录重新排入待上报")
    box.set_defaults(handler=_outbox)

    upload = sub.add_parser("upload", help="（区县）立即把待上报的报送发到市级上报服务")
    upload.add_argument("--server", help="上报地址（测试用，代替模板中市级设定的地址）")
    upload.add_argument("--timeout", type=float, default=30.0, help="每个请求最多等待的秒数（默认 30）")
    upload.add_argument("--notices", metavar="单位代码", help="同时接收该单位的市级通知（需要本单位私钥口令）")
    upload.add_argument("--passphrase-file", type=Path)
    upload.set_defaults(handler=_upload)


def _outbox(args: argparse.Namespace) -> int:
    from app.engine.timefmt import beijing_from_iso as beijing_time
    from app.storage import uploads

    db = open_db(args)
    try:
        if args.receipt is not None:
            return _write_receipt(args, db)
        if args.apply is not None or args.dismiss is not None:
            return _decide(args, db)
        if args.retry is not None:
            from app.transport import outbox

            if not outbox.retry_refused(db, args.retry):
                raise UsageError(f"编号 {args.retry} 不是被拒收的记录")
            print(f"第 {args.retry} 条已重新排入待上报")
            return 0
        # The listing reads a few rows: through the plain reads, without the ORM or the keys' library.
        with db.reading() as source:
            address = uploads.signed_intake_url(source)
            items = uploads.list_outbox_rows(source)
            offered = uploads.list_inbox_rows(source, waiting_only=True)
            contact = uploads.counts(source).last_contact
    finally:
        db.close()
    if args.json:
        print_json(
            {
                "intake_url": address,
                "last_contact": contact,
                "submissions": [i.as_json() for i in items],
                "offered": [o.as_json() for o in offered],
            }
        )
        return 0
    print(f"上报地址：{address}" if address else "未设置上报地址（模板中没有）：报送以文件方式进行")
    if contact:
        print(f"最后联系：{beijing_time(contact)}")
    if not items:
        print("报送记录为空：签名锁定的版本会排入待上报")
    for item in items:
        what = f"{item.unit_name} {item.period} 第 {item.revision} 版"
        print(f"{item.id:>4}  {item.state_label:<6}  {what}  {item.submission_id}")
        if item.received_at:
            print(f"        回执：{beijing_time(item.received_at)} 接收，序号 {item.sequence}，{item.verdict_label}")
        if item.reason:
            print(f"        拒收原因：{item.reason}（{item.reason_code}）")
        if item.returned_reason:
            print(f"        退回原因：{item.returned_reason}")
        if item.state == uploads.PENDING and item.last_error:
            print(f"        上次尝试：{item.last_error}")
    if offered:
        print("市级发来、待确认：")
        for o in offered:
            print(f"{o.id:>4}  {o.kind_label}  {o.summary}")
    return 0


def _write_receipt(args: argparse.Namespace, db: Any) -> int:
    from app.storage.files import write_atomic
    from app.transport import outbox
    from app.transport.receipt_pdf import render_receipt_pdf
    from app.transport.receipts import ReceiptError

    if args.pdf is None:
        raise UsageError("请用 --pdf 指定回执单文件")
    keys = keystore(args)
    if not keys.has_city_certificate():
        raise UsageError("本机没有市级 CA 证书，无法核验回执")
    try:
        receipt = outbox.stored_receipt(db, args.receipt, keys.city_certificate())
    except ReceiptError as exc:
        raise UsageError(f"第 {args.receipt} 条的回执无法核验：{exc}") from exc
    if receipt is None:
        raise UsageError(f"第 {args.receipt} 条还没有回执（尚未送达）")
    try:
        write_atomic(args.pdf, render_receipt_pdf(receipt))
    except OSError as exc:
        raise UsageError(f"无法写入 {args.pdf}：{exc.strerror or exc}") from exc
    print(f"已导出回执单 {args.pdf}")
    return 0


def _decide(args: argparse.Namespace, db: Any) -> int:
    from app.transport import inbox

    try:
        if args.apply is not None:
            print(inbox.apply(db, keystore(args), args.apply))
        else:
            inbox.dismiss(db, args.dismiss)
            print(f"第 {args.dismiss} 项已移出待确认")
    except inbox.InboxError as exc:
        raise UsageError(str(exc)) from exc
    return 0


def _upload(args: argparse.Namespace) -> int:
    from app.transport import outbox
    from app.transport.client import IntakeClient, Refused, RequestSigner, Unreachable
    from app.transport.inbox import Fetched, fetch_notices, fetch_templates, waiting_count
    from app.transport.uploader import NotReady, city_ca, deliver_pending

    keys = keystore(args)
    db = open_db(args)
    try:
        try:
            address = outbox.server_address(db, args.server)
        except outbox.AddressError as exc:
            raise UsageError(str(exc)) from exc
        if address is None:
            raise UsageError("未设置上报地址：模板中没有市级上报服务的地址（可用 --server 指定测试地址）")
        try:
            ca = city_ca(keys)
        except NotReady as exc:
            raise UsageError(str(exc)) from exc
        signer = None
        if args.notices:
            code = args.notices
            secret = passphrase(args, "本单位私钥口令：")
            signer = RequestSigner(code, keys.unit_key(code, secret), keys.unit_certificate(code))
        outbox.resume_interrupted(db)
        fetched = Fetched()
        try:
            client = IntakeClient(address, ca, timeout=args.timeout)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        with client:
            done = deliver_pending(db, client, ca)
            if done.reached:
                try:
                    fetched.add(fetch_templates(db, keys, client))
                    if signer is not None:
                        fetched.add(fetch_notices(db, keys, client, signer))
                except Unreachable as exc:
                    done.reached, done.error = False, str(exc)
                except Refused as exc:
                    raise UsageError(f"读取单位 {signer.unit_code if signer else ''} 的通知被拒绝：{exc}") from exc
        if done.reached:
            outbox.record_contact(db)
        items = outbox.list_outbox(db)
        offered = waiting_count(db)
    finally:
        db.close()
    for submission_id in done.delivered:
        print(f"已送达  {submission_id}")
    for submission_id, message in done.refused:
        print(f"被拒收  {submission_id}：{message}")
    for why in fetched.refused:
        print(why, file=sys.stderr)
    waiting = [i for i in items if i.state in (outbox.PENDING, outbox.SENDING)]
    refused = [i for i in items if i.state == outbox.REFUSED]
    if offered:
        print(f"市级发来 {offered} 项待确认（outbox 列出，outbox --apply 编号 应用）")
    if refused:
        print(f"有 {len(refused)} 份报送被拒收（outbox 列出原因）")
        return 2
    if waiting:
        why = done.error or f"无法连接上报服务 {address}"
        print(f"{why}；{len(waiting)} 份报送仍待上报，稍后再试")
        return EXIT_UNREACHABLE
    print(f"全部已送达（{address}）")
    return 0
