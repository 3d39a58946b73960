"""``main.py --screenshot``: the program starts offscreen, draws its main window to a PNG and exits 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from app.engine.catalog import CatalogSpec
from app.storage.db import Database
from tests.ui.conftest import offscreen_env

REPO = Path(__file__).resolve().parents[2]


def screenshot(tmp_path: Path, db_path: Path, name: str, *extra: str) -> tuple[Path, dict[str, str]]:
    png = tmp_path / name
    env = offscreen_env(tmp_path)
    done = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--db", str(db_path), "--screenshot", str(png), *extra],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return png, env


def assert_plausible_png(png: Path) -> QImage:
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 < len(data) < 10_000_000
    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= 800 and image.height() >= 500
    # Not a blank canvas: a drawn window has many different colours.
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20
    return image


@pytest.fixture
def db_path(db: Database, spec: CatalogSpec) -> Path:
    path = db.path
    db.close()
    return path


def test_screenshot_in_chinese(tmp_path: Path, db_path: Path, qapp: object) -> None:
    png, env = screenshot(tmp_path, db_path, "zh.png")
    assert_plausible_png(png)
    # The log went to the per-user folder of the child's environment, nowhere else.
    log = Path(env["XDG_DATA_HOME"]) / "Tianbao" / "logs" / "tianbao.log"
    assert "start" in log.read_text(encoding="utf-8")


def test_screenshot_in_english(tmp_path: Path, db_path: Path, qapp: object) -> None:
    png, _ = screenshot(tmp_path, db_path, "en.png", "--lang", "en")
    assert_plausible_png(png)


def test_screenshot_of_an_empty_database_does_not_wait_for_the_wizard(tmp_path: Path, qapp: object) -> None:
    png, _ = screenshot(tmp_path, tmp_path / "empty.db", "empty.png")
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
