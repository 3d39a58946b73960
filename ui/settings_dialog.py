"""Settings: interface language, role (district or city) and the clerk's own unit."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QWidget

from app.storage.db import Database
from app.storage.form import available_years, unit_choices

LANGUAGES = (("zh_CN", "简体中文"), ("en", "English"))


class SettingsDialog(QDialog):
    def __init__(self, db: Database, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle(self.tr("设置"))
        self.language = QComboBox()
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.value("language", "zh_CN"))))
        self.role = QComboBox()
        self.role.addItem(self.tr("区县填报"), "district")
        self.role.addItem(self.tr("市级汇总"), "city")
        self.role.setCurrentIndex(max(0, self.role.findData(settings.value("role", "district"))))
        self.unit = QComboBox()
        years = available_years(db)
        for choice in unit_choices(db, years[-1]) if years else []:
            self.unit.addItem(choice.name, choice.code)
        self.unit.setCurrentIndex(max(0, self.unit.findData(settings.value("unit", ""))))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("界面语言"), self.language)
        form.addRow(self.tr("角色"), self.role)
        form.addRow(self.tr("本单位"), self.unit)
        form.addRow(buttons)

    def accept(self) -> None:
        self.settings.setValue("language", self.language.currentData())
        self.settings.setValue("role", self.role.currentData())
        self.settings.setValue("unit", self.unit.currentData())
        self.settings.remove("form/unit")
        super().accept()
