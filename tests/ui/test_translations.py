"""The English translation covers every visible string of the interface, and the compiled file is current."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "translations" / "tianbao_en.ts"
QM = ROOT / "resources" / "translations" / "tianbao_en.qm"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} not found (it comes with PySide6)")
    return found


def messages(path: Path) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    """(context, source) → (translation text, translation type) of a .ts file."""
    out = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            out[(name, message.findtext("source") or "")] = (translation.text, translation.get("type"))
    return out


def test_every_string_in_the_code_is_translated(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.ts"
    sources = sorted(str(p) for p in (ROOT / "ui").glob("*.py"))
    subprocess.run(
        [tool("pyside6-lupdate"), *sources, "-ts", str(fresh), "-no-obsolete"], check=True, capture_output=True
    )
    in_code = set(messages(fresh))
    committed = messages(TS)
    assert in_code - committed.keys() == set(), "new strings: run `make translations` and translate them"
    assert committed.keys() - in_code == set(), "strings no longer in the code: run `make translations`"
    untranslated = [key for key, (text, kind) in committed.items() if not text or kind in ("unfinished", "vanished")]
    assert untranslated == []


def test_compiled_translation_matches_its_source(tmp_path: Path) -> None:
    compiled = tmp_path / "check.qm"
    subprocess.run([tool("pyside6-lrelease"), str(TS), "-qm", str(compiled)], check=True, capture_output=True)
    assert compiled.read_bytes() == QM.read_bytes(), "run `make translations`"


def test_english_translation_loads(qapp: QCoreApplication) -> None:
    translator = QTranslator()
    assert translator.load(str(QM))
    qapp.installTranslator(translator)
    try:
        assert QCoreApplication.translate("MainWindow", "自查") == "Self-check"
        assert QCoreApplication.translate("Terms", "按序推进") == "On track"
    finally:
        qapp.removeTranslator(translator)
