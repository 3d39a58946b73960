"""填报通 Tianbao: the whole product without a screen — usable from scripts, the CLI and the desktop window."""

__version__ = "0.1.0"
