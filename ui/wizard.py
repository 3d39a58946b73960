"""First run on an empty database: choose the role, load a template (or the demo catalog), choose the unit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.demo import load_demo
from app.storage.db import Database
from app.storage.form import available_years, unit_choices
from app.templates.document import TemplateError
from app.templates.signing import import_signed_template_file
from app.trust.keys import KeyStore, default_keys_dir


class _Page(QWizardPage):
    """A wizard page that asks the wizard before moving on and tells it when it is entered."""

    def __init__(self, on_leave: Callable[[], bool] | None = None, on_enter: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._on_leave, self._on_enter = on_leave, on_enter

    def validatePage(self) -> bool:
        return self._on_leave() if self._on_leave else True

    def initializePage(self) -> None:
        if self._on_enter:
            self._on_enter()


class FirstRunWizard(QWizard):
    def __init__(self, db: Database, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.settings = db, settings
        self.setWindowTitle(self.tr("填报通 — 首次使用"))
        self.addPage(self._role_page())
        self.addPage(self._template_page())
        self.unit_page_id = self.addPage(self._unit_page())

    def _role_page(self) -> QWizardPage:
        page = QWizardPage()
        page.setTitle(self.tr("您的角色"))
        self.district = QRadioButton(self.tr("区县填报：填写本单位的指标、自查并报送"))
        self.city = QRadioButton(self.tr("市级汇总：下发模板、汇总各区县报送"))
        self.district.setChecked(True)
        group = QButtonGroup(page)
        group.addButton(self.district)
        group.addButton(self.city)
        layout = QVBoxLayout(page)
        layout.addWidget(self.district)
        layout.addWidget(self.city)
        return page

    def _template_page(self) -> QWizardPage:
        page = _Page(on_leave=self.load_template)
        page.setTitle(self.tr("指标模板"))
        self.use_demo = QRadioButton(self.tr("使用演示指标体系（演示数据）"))
        self.use_file = QRadioButton(self.tr("导入市里下发的模板文件"))
        self.use_demo.setChecked(True)
        self.file_edit = QLineEdit()
        browse = QPushButton(self.tr("浏览…"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file_edit)
        row.addWidget(browse)
        layout = QVBoxLayout(page)
        layout.addWidget(self.use_demo)
        layout.addWidget(self.use_file)
        layout.addLayout(row)
        return page

    def _unit_page(self) -> QWizardPage:
        page = _Page(on_enter=self.fill_units)
        page.setTitle(self.tr("本单位"))
        self.unit_box = QComboBox()
        layout = QVBoxLayout(page)
        layout.addWidget(QLabel(self.tr("选择您所在的报送单位：")))
        layout.addWidget(self.unit_box)
        return page

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择模板文件"), "", self.tr("模板文件 (*.json)"))
        if path:
            self.file_edit.setText(path)
            self.use_file.setChecked(True)

    def load_template(self) -> bool:
        if available_years(self.db):
            return True
        try:
            if self.use_demo.isChecked():
                load_demo(self.db)
            else:
                done = import_signed_template_file(
                    self.db, KeyStore(default_keys_dir(self.db.path)), Path(self.file_edit.text())
                )
                if done.pinned:
                    QMessageBox.information(
                        self,
                        self.tr("市级证书"),
                        self.tr("已记下签发模板的市级证书。请与市级电话核对指纹：\n%1").replace(
                            "%1", done.fingerprint or ""
                        ),
                    )
        except (TemplateError, OSError) as exc:
            QMessageBox.warning(self, self.tr("模板不能导入"), str(exc))
            return False
        return True

    def fill_units(self) -> None:
        self.unit_box.clear()
        years = available_years(self.db)
        city = self.city.isChecked()
        for choice in unit_choices(self.db, years[-1]) if years else []:
            if choice.has_children == city:
                self.unit_box.addItem(choice.name, choice.code)

    def accept(self) -> None:
        self.settings.setValue("role", "city" if self.city.isChecked() else "district")
        self.settings.setValue("unit", self.unit_box.currentData())
        super().accept()
