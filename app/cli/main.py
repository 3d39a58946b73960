"""The headless command line: everything a clerk or the city does in the window, as commands.

Messages are Chinese. Exit status: 0 success, 2 bad input or usage (message on stderr), 1 unexpected failure.
Each module of this package registers its commands; a command's handler is set on its parser.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from app import __version__
from app.cli import calendar, checks, city, intake, keys, outbox, submission, templates, values
from app.cli.common import EXIT_USAGE, CommandParser, UsageError, database_location
from app.cli.streams import EXIT_PIPE_CLOSED, discard_stdout, reader_gone, use_utf8_when_redirected
from app.logsetup import configure as configure_logging
from app.storage.db import DatabaseError, data_dir
from app.trust import KeysError

# The order of the commands in --help.
COMMAND_MODULES = (templates, values, checks, keys, submission, city, calendar, intake, outbox)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="tianbao", description="填报通 Tianbao — 指标填报、自查与汇总")
    parser.add_argument(
        "--db",
        type=database_location,
        help="数据库文件或 postgresql+psycopg:// 地址（默认：用户数据文件夹中的 tianbao.db，或 TIANBAO_DB）",
    )
    parser.add_argument("--version", action="version", version=f"填报通 Tianbao {__version__}")
    parser.add_argument("--keys", type=Path, help="密钥文件夹（默认：数据库旁的 keys 文件夹，或 TIANBAO_KEYS）")
    parser.add_argument("--screenshot", type=Path, metavar="FILE.png", help="把主窗口画到 PNG 文件后退出")
    parser.add_argument("--lang", choices=("zh_CN", "en"), help="界面语言（默认：设置中的语言，简体中文）")
    parser.add_argument("--smoke", action="store_true", help="打开主窗口后立即退出（安装检查用）")
    sub = parser.add_subparsers(dest="command", parser_class=CommandParser, metavar="命令")
    for module in COMMAND_MODULES:
        module.add_commands(sub, CommandParser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command (the desktop program, started when there is none, lives in ``ui``)."""
    use_utf8_when_redirected()
    return run_command(build_parser().parse_args(argv))


def run_command(args: argparse.Namespace) -> int:
    # Refusals keep their details (a library's traceback) in the log file, not on the console; a profile that
    # cannot be written leaves the command running without a log.
    with contextlib.suppress(OSError):
        configure_logging(data_dir() / "logs")
    try:
        handler = getattr(args, "handler", None)
        if handler is None:
            # The desktop program is started by main.py; here a command is required.
            raise UsageError("请给出命令（python main.py --help 列出所有命令）")
        result: int = handler(args)
        if sys.stdout is not None:  # the windowed Windows program has no streams
            sys.stdout.flush()  # here, where a reader that has gone away is caught, not when the interpreter exits
        return result
    except (UsageError, DatabaseError, KeysError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if not reader_gone(exc):
            raise
        # The output's reader stopped early (``check … | head``): nothing is wrong with the command. What is left
        # unwritten goes nowhere, so that flushing at exit does not fail again.
        discard_stdout()
        return EXIT_PIPE_CLOSED
