"""Starting the program: the first-run wizard, settings (language, role, unit) and the error dialog."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app import __version__
from app.engine.catalog import CatalogSpec
from app.storage.db import Database
from app.storage.form import available_years
from app.templates.signing import sign_template
from app.trust.keys import KeyStore, default_keys_dir
from tests.app.sample_templates import CITY, D1, D2
from tests.app.signing_helpers import PASSPHRASE
from tests.ui.conftest import ui_template
from ui.application import install_excepthook
from ui.main_window import MainWindow
from ui.settings_dialog import SettingsDialog
from ui.wizard import FirstRunWizard


def signed_template_file(db: Database, path: Path, year: int = 2023) -> Path:
    """A template file signed by a city CA whose certificate this installation already holds."""
    path.write_text(json.dumps(ui_template(year=year), ensure_ascii=False), encoding="utf-8")
    keys = KeyStore(default_keys_dir(db.path))
    if not keys.has_city_certificate():
        keys.city_init("测试市生态环境局", PASSPHRASE)
    sign_template(path, keys, PASSPHRASE)
    return path


def run_wizard(qtbot: QtBot, wizard: FirstRunWizard) -> None:
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()  # role → template
    wizard.next()  # template → unit (imports the template)


def test_wizard_with_the_demo_catalog_sets_up_a_district_clerk(qtbot: QtBot, db: Database, settings: QSettings) -> None:
    wizard = FirstRunWizard(db, settings)
    run_wizard(qtbot, wizard)
    assert available_years(db) == [2023]
    units = [wizard.unit_box.itemData(i) for i in range(wizard.unit_box.count())]
    assert "520100" not in units and "520103" in units  # a district clerk chooses among districts
    wizard.unit_box.setCurrentIndex(units.index("520103"))
    wizard.accept()
    assert settings.value("role") == "district"
    assert settings.value("unit") == "520103"


def test_wizard_for_the_city_imports_the_cities_template_file(
    qtbot: QtBot, db: Database, settings: QSettings, tmp_path: Path
) -> None:
    path = signed_template_file(db, tmp_path / "template.json")
    wizard = FirstRunWizard(db, settings)
    wizard.city.setChecked(True)
    wizard.use_file.setChecked(True)
    wizard.file_edit.setText(str(path))
    run_wizard(qtbot, wizard)
    assert [wizard.unit_box.itemData(i) for i in range(wizard.unit_box.count())] == [CITY]
    wizard.accept()
    assert settings.value("role") == "city"
    assert settings.value("unit") == CITY


def test_wizard_refuses_a_bad_template_and_stays_on_its_page(
    qtbot: QtBot, db: Database, settings: QSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json", encoding="utf-8")
    wizard = FirstRunWizard(db, settings)
    wizard.use_file.setChecked(True)
    wizard.file_edit.setText(str(bad))
    run_wizard(qtbot, wizard)
    assert shown and "bad.json" in shown[0]
    assert wizard.currentId() == 1  # still the template page
    assert available_years(db) == []


def test_district_role_shows_only_the_own_unit(
    qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings
) -> None:
    settings.setValue("role", "district")
    settings.setValue("unit", D2)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    assert [window.unit_box.itemData(i) for i in range(window.unit_box.count())] == [D2]
    assert not window.unit_box.isEnabled()
    assert window.form is not None and window.form.unit.code == D2


def test_city_role_can_open_every_unit(qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings) -> None:
    settings.setValue("role", "city")
    settings.setValue("unit", CITY)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    assert [window.unit_box.itemData(i) for i in range(window.unit_box.count())] == [CITY, D1, D2]
    assert window.form is not None and window.form.unit.code == CITY and window.form.aggregated


def test_about_names_the_program_version_and_the_database(
    window: MainWindow, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append((title, text)))
    action = next(a for a in window.menuBar().actions() if a.text().startswith("帮助")).menu().actions()[-1]
    action.trigger()
    [(title, text)] = shown
    assert title == "关于填报通"
    assert f"填报通 Tianbao {__version__}" in text and str(db.path) in text


def test_settings_dialog_saves_language_role_and_unit(
    qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings
) -> None:
    dialog = SettingsDialog(db, settings)
    qtbot.addWidget(dialog)
    dialog.language.setCurrentIndex(dialog.language.findData("en"))
    dialog.role.setCurrentIndex(dialog.role.findData("city"))
    dialog.unit.setCurrentIndex(dialog.unit.findData(CITY))
    dialog.accept()
    assert (settings.value("language"), settings.value("role"), settings.value("unit")) == ("en", "city", CITY)


def test_an_unexpected_error_is_logged_and_shown_with_the_log_path(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, _title, text: shown.append(text))
    log_path = tmp_path / "tianbao.log"
    handler = logging.FileHandler(log_path, encoding="utf-8")
    logging.getLogger().addHandler(handler)
    previous = sys.excepthook
    try:
        install_excepthook(log_path)
        try:
            raise RuntimeError("磁盘已满")
        except RuntimeError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert shown and "磁盘已满" in shown[0] and str(log_path) in shown[0]
    assert "RuntimeError: 磁盘已满" in log_path.read_text(encoding="utf-8")


def test_a_template_imported_from_the_menu_opens_its_year(
    qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings, tmp_path: Path
) -> None:
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    path = signed_template_file(db, tmp_path / "t2024.json", year=2024)
    window.import_template_file(path)
    assert [window.year_box.itemData(i) for i in range(window.year_box.count())] == [2023, 2024]
    assert window.form is not None and window.form.period.year == 2024


def test_a_bad_template_from_the_menu_is_refused_with_its_reason(
    qtbot: QtBot,
    db: Database,
    spec: CatalogSpec,
    settings: QSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    path = tmp_path / "broken.json"
    path.write_text('{"format": "tianbao-template"}', encoding="utf-8")
    window.import_template_file(path)
    assert shown and "broken.json" in shown[0] and "缺少必填字段" in shown[0]
    unsigned = tmp_path / "unsigned.json"
    unsigned.write_text(json.dumps(ui_template(year=2024), ensure_ascii=False), encoding="utf-8")
    window.import_template_file(unsigned)
    assert "没有市级签名" in shown[-1]
    assert available_years(db) == [2023]


def test_the_installed_program_starts_empty_and_the_sources_on_the_demo(
    qapp: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.storage.db import default_db_path
    from ui.application import installed, open_or_create

    assert not installed()  # the tests run from the sources
    monkeypatch.setenv("TIANBAO_DB", str(tmp_path / "installed.db"))
    db = open_or_create(default_db_path(), demo_default=False)
    assert available_years(db) == []  # the first-run wizard comes next
    db.close()
    monkeypatch.setenv("TIANBAO_DB", str(tmp_path / "sources.db"))
    db = open_or_create(default_db_path())
    assert available_years(db) == [2023]
    db.close()
