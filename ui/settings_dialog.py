"""Settings: interface language, role (district or city), the clerk's own unit, and (for testing) another address
for the intake service than the one the city's template names."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QMessageBox, QWidget

from app.storage.db import Database
from app.storage.form import available_years, unit_choices
from app.transport.outbox import AddressError, check_address
from ui.outbox_monitor import OVERRIDE_KEY

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
        self.intake = QLineEdit(str(settings.value(OVERRIDE_KEY, "") or ""))
        self.intake.setPlaceholderText(self.tr("留空：使用市级模板中的上报地址"))
        self.intake.setToolTip(self.tr("仅供测试：代替市级模板中设定的上报服务地址"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("界面语言"), self.language)
        form.addRow(self.tr("角色"), self.role)
        form.addRow(self.tr("本单位"), self.unit)
        form.addRow(self.tr("上报地址（测试用）"), self.intake)
        form.addRow(buttons)

    def accept(self) -> None:
        override = self.intake.text().strip()
        if override:
            try:
                override = check_address(override)
            except AddressError as exc:
                QMessageBox.warning(self, self.tr("上报地址"), str(exc))
                return
        self.settings.setValue(OVERRIDE_KEY, override)
        self.settings.setValue("language", self.language.currentData())
        self.settings.setValue("role", self.role.currentData())
        self.settings.setValue("unit", self.unit.currentData())
        self.settings.remove("form/unit")
        super().accept()
