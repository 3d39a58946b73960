"""填报通 Tianbao: the whole product without a screen — usable from scripts, the CLI and the desktop window."""

from pathlib import Path

__version__ = "0.1.0"

# Catalogs, schemas and fonts the program opens by path; frozen, this folder lies beside app/ in the bundle.
RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"
