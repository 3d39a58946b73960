"""填报通 Tianbao — single entry point: a command runs headless; no command starts the program."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
