"""Commands for keys and certificates: the city CA, a unit's key and request, issuing and importing."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.common import keystore, passphrase, unit_name

if TYPE_CHECKING:
    from app.trust.keys import KeyStore


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
    server = ksub.add_parser(
        "server-cert", help="（市级）为上报服务签发 TLS 证书和回执签名证书（写入一个文件夹，交给上报服务器）"
    )
    server.add_argument("--host", required=True, help="上报服务器的主机名或 IP 地址（区县连接时使用的名称）")
    server.add_argument("--out", type=Path, help="写入的文件夹（默认：密钥文件夹中的 server-主机名）")
    server.add_argument(
        "--server-passphrase-file",
        type=Path,
        help="从文件读取服务器私钥的新口令（默认：TIANBAO_SERVER_PASSPHRASE 或提示输入）",
    )
    for p in (init, request, issue, server):
        p.add_argument("--passphrase-file", type=Path, help="从文件读取口令（无人值守时用）")
    keys.set_defaults(handler=_keys)


def _keys(args: argparse.Namespace) -> int:
    from app.trust.keys import fingerprint

    keys = keystore(args)
    action = args.keys_command
    if action == "city-init":
        cert = keys.city_init(args.issuer, passphrase(args, "为市级 CA 私钥设置口令：", confirm=True))
        print(f"已生成市级 CA：{keys.folder}")
        print(f"  证书指纹（请通知各区县核对）：{fingerprint(cert)}")
    elif action == "request":
        name = unit_name(args, args.unit)
        path, print_ = keys.request(args.unit, name, passphrase(args, f"为{name}的私钥设置口令：", confirm=True))
        print(f"已生成证书请求：{path}（请交市级签发）")
        print(f"  公钥指纹（请电话告知市级核对）：{print_}")
    elif action == "issue":
        cert, path = keys.issue(args.request, passphrase(args, "市级 CA 私钥口令："))
        print(f"已签发证书：{path}")
        print(f"  证书指纹：{fingerprint(cert)}")
    elif action == "server-cert":
        _server_cert(args, keys)
    elif action == "import":
        cert = keys.import_certificate(args.certificate, args.unit)
        print(f"已导入证书：单位 {args.unit}，指纹 {fingerprint(cert)}")
    else:
        _show(keys)
    return 0


def _server_cert(args: argparse.Namespace, keys: KeyStore) -> None:
    from app.trust.certificates import check_host_name
    from app.trust.keys import fingerprint

    host = check_host_name(args.host)
    out = args.out if args.out is not None else keys.folder / f"server-{host}"
    ca_secret = passphrase(args, "市级 CA 私钥口令：")
    server_secret = passphrase(
        args,
        "为上报服务器的私钥设置口令：",
        confirm=True,
        option="server_passphrase_file",
        variable="TIANBAO_SERVER_PASSPHRASE",
    )
    tls, receipt = keys.issue_server(host, ca_secret, server_secret, out)
    print(f"已为上报服务器 {host} 签发证书：{out}")
    print(f"  TLS 证书指纹：{fingerprint(tls)}")
    print(f"  回执签名证书指纹：{fingerprint(receipt)}")
    print("  把这个文件夹复制到上报服务器上（市级 CA 私钥不在其中），用 serve --keys 指向它")


def _show(keys: KeyStore) -> None:
    from app.trust.keys import fingerprint

    if keys.has_city_certificate():
        ca = keys.city_certificate()
        print(f"市级 CA：{ca.subject.rfc4514_string()}\n  指纹 {fingerprint(ca)}")
    else:
        print(f"{keys.folder} 中没有市级 CA 证书")
    for path in sorted(keys.folder.glob("unit-*.crt.pem")):
        code = path.name.removeprefix("unit-").removesuffix(".crt.pem")
        cert = keys.unit_certificate(code)
        print(f"单位 {code}：有效期至 {cert.not_valid_after_utc:%Y-%m-%d}，指纹 {fingerprint(cert)}")
