"""填报通 Tianbao — the single entry point: a command runs headless; no command starts the desktop program."""

import sys

from app.cli.main import build_parser, run_command
from app.cli.streams import use_utf8_when_redirected


def main() -> int:
    # Before parsing: a usage error or --help is Chinese text too.
    use_utf8_when_redirected()
    args = build_parser().parse_args()
    if args.command is None:
        from app.storage.db import is_url
        from ui.application import run

        if args.db is not None and is_url(args.db):
            print("错误：窗口只打开数据库文件；数据库服务器请用命令行（如 serve）", file=sys.stderr)
            return 2

        # One program per database; a check run (--smoke, --screenshot) never waits for or disturbs a running one.
        alone = not (args.smoke or args.screenshot)
        return run(args.db, screenshot=args.screenshot, language=args.lang, smoke=args.smoke, single_instance=alone)
    return run_command(args)


if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        # The city import verifies files in worker processes; a frozen Windows build needs this to start them.
        # (Only the frozen program needs it, so every other start is spared importing multiprocessing.)
        import multiprocessing

        multiprocessing.freeze_support()
    sys.exit(main())
