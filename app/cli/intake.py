"""The city's intake service: ``serve``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.common import UsageError, database_location, keystore, passphrase
from app.storage.db import default_db_location


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    serve = sub.add_parser(
        "serve",
        help="（市级）运行上报服务：区县上报的文件核验后直接存入市级数据库，并签发回执",
        description="运行上报服务（HTTP API，见 docs/intake-api.md）。不加密时只能在本机地址上服务。",
    )
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；其他地址须用 TLS）")
    serve.add_argument("--port", type=int, default=8443, help="端口（默认 8443）")
    serve.add_argument("--workers", type=int, default=1, help="服务进程数（多于 1 个须使用 PostgreSQL 数据库）")
    serve.add_argument("--tls-cert", type=Path, help="TLS 证书（keys server-cert 签发的 tls.crt.pem）")
    serve.add_argument("--tls-key", type=Path, help="TLS 私钥（tls.key.pem，口令同回执私钥）")
    serve.add_argument(
        "--db",
        type=database_location,
        default=argparse.SUPPRESS,
        help="市级数据库：文件，或 postgresql+psycopg://用户:口令@主机/库名",
    )
    serve.add_argument("--receipt-cert", type=Path, help="回执签名证书（默认：密钥文件夹中的 receipt.crt.pem）")
    serve.add_argument("--receipt-key", type=Path, help="回执签名私钥（默认：密钥文件夹中的 receipt.key.pem）")
    serve.add_argument(
        "--passphrase-file", type=Path, help="从文件读取服务器私钥口令（默认：TIANBAO_SERVER_PASSPHRASE 或提示输入）"
    )
    serve.add_argument("--max-upload-mb", type=float, default=16, help="单个上传文件的上限（MB，默认 16）")
    serve.add_argument("--body-timeout", type=float, default=120, help="上传须在多少秒内传完（默认 120）")
    serve.add_argument("--header-timeout", type=float, default=30, help="请求头须在多少秒内发完（默认 30）")
    serve.add_argument("--rate-per-address", type=float, default=20, help="每个来源地址每秒请求数上限（0 为不限）")
    serve.add_argument("--rate-per-unit", type=float, default=2, help="每个单位每秒请求数上限（0 为不限）")
    serve.add_argument(
        "--verifiers",
        type=int,
        help="核验文件的进程数（默认：单进程服务时每个 CPU 一个，其中一半核验 PDF；多个 workers 时不另起进程）",
    )
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from app.transport.serve import ServeError, ServeOptions, check_options, run
    from app.transport.server import Limits

    location = args.db if args.db is not None else default_db_location()
    keys = keystore(args)
    if not keys.has_city_certificate():
        raise UsageError(f"{keys.folder} 中没有市级 CA 证书：请用 --keys 指向 keys server-cert 写出的文件夹")
    if args.max_upload_mb <= 0 or args.body_timeout <= 0 or args.header_timeout <= 0:
        raise UsageError("上传上限和超时须为正数")
    limits = Limits(
        max_body=int(args.max_upload_mb * 1024 * 1024),
        body_timeout=args.body_timeout,
        header_timeout=args.header_timeout,
        address_rate=max(0.0, args.rate_per_address),
        unit_rate=max(0.0, args.rate_per_unit),
    )
    options = ServeOptions(
        host=args.host,
        port=args.port,
        database=str(location),
        keys=str(keys.folder),
        workers=args.workers,
        tls_cert=None if args.tls_cert is None else str(args.tls_cert),
        tls_key=None if args.tls_key is None else str(args.tls_key),
        receipt_cert=None if args.receipt_cert is None else str(args.receipt_cert),
        receipt_key=None if args.receipt_key is None else str(args.receipt_key),
        verifiers=args.verifiers,
        limits=limits,
    )
    try:
        check_options(options)
        secret = passphrase(
            args, "上报服务器私钥口令：", option="passphrase_file", variable="TIANBAO_SERVER_PASSPHRASE"
        )
        run(options, secret)
    except ServeError as exc:
        raise UsageError(str(exc)) from exc
    return 0
