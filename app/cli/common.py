"""What every command shares: exit statuses, the usage error, the database, keys, passphrase and period of a
command line, and JSON output."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from app.sheets.textenc import EncodingError, decode
from app.storage.db import default_db_location, default_db_path, is_url

if TYPE_CHECKING:
    from app.engine.periods import Period
    from app.storage.db import Database
    from app.trust.keys import KeyStore

# What a command needs (the database, keys, the engine) is imported when it runs: every command registers itself
# at start, and a light one must not pay for what the others use.

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage: printed on stderr, exit status 2."""


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are Chinese and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"参数错误：{message}\n")


def add_unit_period(parser: argparse.ArgumentParser) -> None:
    """The ``--unit`` and ``--period`` every command about one unit's figures takes."""
    parser.add_argument("--unit", required=True, help="单位代码（市级单位为汇总数）")
    parser.add_argument("--period", required=True, help="报告期，如 2023Q2 或 2023")


def database_location(text: str) -> Path | str:
    """``--db``: a database file, or a server URL (``postgresql+psycopg://…``) kept as written."""
    return text if is_url(text) else Path(text)


def open_db(args: argparse.Namespace) -> Database:
    """The database of ``--db`` (a file or a server URL), or the default one in the user's data folder."""
    from app.storage.db import Database

    return Database(db_location(args))


def db_location(args: argparse.Namespace) -> Path | str:
    """``--db`` (a file or a server URL), or the default database."""
    location: Path | str = args.db if args.db is not None else default_db_location()
    return location


def db_path(args: argparse.Namespace) -> Path:
    """The database file of ``--db``; for a server database, the default file's place (its keys live beside)."""
    return Path(args.db) if args.db is not None and not is_url(args.db) else default_db_path()


def parse_period(text: str) -> Period:
    from app.engine.periods import Period, PeriodError

    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise UsageError(str(exc)) from exc


def print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=1))


def keystore(args: argparse.Namespace) -> KeyStore:
    from app.trust.keys import KeyStore, default_keys_dir

    return KeyStore(Path(args.keys) if getattr(args, "keys", None) else default_keys_dir(db_path(args)))


def passphrase(
    args: argparse.Namespace,
    prompt: str,
    confirm: bool = False,
    option: str = "passphrase_file",
    variable: str = "TIANBAO_PASSPHRASE",
) -> str:
    """The passphrase from --passphrase-file, TIANBAO_PASSPHRASE, or a prompt (never from the command line).

    ``option`` and ``variable`` name another file option and environment variable (the intake server's keys have
    their own passphrase)."""
    path: Path | None = getattr(args, option, None)
    if path is not None:
        try:
            # As Notepad saves it: UTF-8 with or without a BOM, UTF-16, or the Chinese ANSI code page (GBK).
            return decode(path.read_bytes())[0].rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"无法读取口令文件 {path}：{exc.strerror or exc}") from exc
        except EncodingError as exc:
            raise UsageError(f"口令文件 {path} 无法读取：{exc}") from exc
    env = os.environ.get(variable)
    if env:
        return env
    if sys.stdin is None or not sys.stdin.isatty():  # None: the windowed Windows program has no console
        flag = "--" + option.replace("_", "-")
        raise UsageError(f"需要口令：请在终端中运行，或用 {flag} / {variable} 提供")
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("再输入一次：") != first:
        raise UsageError("两次输入的口令不一致")
    return first


def unit_name(args: argparse.Namespace, code: str) -> str:
    """The name of unit ``code`` in the database, or a usage error."""
    from sqlalchemy import select

    from app.storage.models import Unit

    db = open_db(args)
    try:
        with db.session() as session:
            name = session.scalar(select(Unit.name).where(Unit.code == code))
    finally:
        db.close()
    if name is None:
        raise UsageError(f"单位代码 {code} 不存在（请先导入模板）")
    return name
