"""The main window's menu bar: 文件, 报送, 汇总 (the city's), 编辑, 视图, 设置, 帮助.

Each entry calls one action module with the window as a :class:`ui.window_api.WindowApi`; what only the window
itself can do (its selectors, settings, panels, closing) it offers through :class:`MenuHost`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QMessageBox

from app import __version__
from ui import city_actions, values_actions
from ui import submission_actions as actions
from ui.window_api import WindowApi

Handler = Callable[[WindowApi], object]

# The menu texts keep the translation context they had when the window built its menus itself.
translate = QCoreApplication.translate


class MenuHost(WindowApi, Protocol):
    """The main window as its menu bar sees it."""

    @property
    def undo_action(self) -> QAction: ...

    @property
    def redo_action(self) -> QAction: ...

    def menuBar(self) -> QMenuBar: ...

    def close(self) -> bool: ...

    def import_template(self) -> None:
        """Ask for a template file and open the form on its year."""
        ...

    def open_settings(self) -> None:
        """Language, role and own unit; the window follows a changed role at once."""
        ...

    def panel_toggles(self) -> list[QAction]:
        """The actions that show and hide the window's panels."""
        ...


def _open_import(host: WindowApi) -> None:
    from ui.import_dialog import open_import

    open_import(host)


def _open_matrix(host: WindowApi) -> None:
    from ui.matrix_view import open_matrix

    open_matrix(host)


def _open_extension(host: WindowApi) -> None:
    from ui.extension_dialog import extend_deadline

    extend_deadline(host)


def _open_user_guide(host: WindowApi) -> None:
    from ui.user_guide import open_user_guide

    open_user_guide(host)


def _open_outbox(host: WindowApi) -> None:
    from ui.outbox_view import open_outbox

    open_outbox(host.window())


def about(host: WindowApi) -> None:
    QMessageBox.about(
        host.window(),
        translate("MainWindow", "关于填报通"),
        translate("MainWindow", "填报通 Tianbao %1\n指标离线填报、自查与汇总。\n数据库：%2")
        .replace("%1", __version__)
        .replace("%2", str(host.db.path)),
    )


def _add(menu: QMenu, host: WindowApi, text: str, handler: Handler) -> QAction:
    action = QAction(text, host.window())
    action.triggered.connect(lambda _checked=False: handler(host))
    menu.addAction(action)
    return action


def _add_all(menu: QMenu, host: WindowApi, entries: list[tuple[str, Handler]]) -> None:
    for text, handler in entries:
        _add(menu, host, text, handler)


def _file_menu(bar: QMenuBar, host: MenuHost) -> None:
    menu = bar.addMenu(translate("MainWindow", "文件(&F)"))
    _add(menu, host, translate("MainWindow", "导入指标模板…"), lambda _host: host.import_template())
    _add(menu, host, translate("MainWindow", "导出数值表（Excel / CSV）…"), values_actions.export_values)
    _add(menu, host, translate("MainWindow", "导入数值（CSV / Excel）…"), values_actions.import_values)
    menu.addSeparator()
    quit_action = _add(menu, host, translate("MainWindow", "退出"), lambda _host: host.close())
    quit_action.setShortcut(QKeySequence.StandardKey.Quit)


def _report_menu(bar: QMenuBar, host: MenuHost) -> None:
    menu = bar.addMenu(translate("MainWindow", "报送(&R)"))
    entries: list[tuple[str, Handler]] = [
        (translate("MainWindow", "签名并锁定…"), actions.sign_current),
        (translate("MainWindow", "导出已签名的 Excel 和 PDF…"), actions.export_signed),
        (translate("MainWindow", "打印预览…"), actions.print_signed),
        (translate("MainWindow", "核验报送文件…"), actions.verify_files),
        (translate("MainWindow", "版本对比…"), city_actions.compare_revisions),
        (translate("MainWindow", "导入市级通知（退回 / 延期）…"), city_actions.import_city_notice),
        (translate("MainWindow", "密钥与证书…"), actions.open_keys),
        (translate("MainWindow", "报送记录…"), _open_outbox),
    ]
    _add_all(menu, host, entries)


def _city_menu(bar: QMenuBar, host: MenuHost) -> QMenu:
    menu = bar.addMenu(translate("MainWindow", "汇总(&C)"))
    entries: list[tuple[str, Handler]] = [
        (translate("MainWindow", "导入区县报送文件…"), _open_import),
        (translate("MainWindow", "完成情况矩阵…"), _open_matrix),
        (translate("MainWindow", "退回当前单位的报送…"), city_actions.return_current),
        (translate("MainWindow", "延期 / 重新开放…"), _open_extension),
        (translate("MainWindow", "导出全市汇总报告…"), city_actions.city_report),
    ]
    _add_all(menu, host, entries)
    return menu


def build_menus(host: MenuHost) -> QMenu:
    """Fill the window's menu bar; returns the 汇总 menu, which only the 市级汇总 role is shown."""
    bar = host.menuBar()
    _file_menu(bar, host)
    _report_menu(bar, host)
    city_menu = _city_menu(bar, host)
    edit_menu = bar.addMenu(translate("MainWindow", "编辑(&E)"))
    edit_menu.addAction(host.undo_action)
    edit_menu.addAction(host.redo_action)
    view_menu = bar.addMenu(translate("MainWindow", "视图(&V)"))
    for toggle in host.panel_toggles():
        view_menu.addAction(toggle)
    settings_menu = bar.addMenu(translate("MainWindow", "设置(&S)"))
    _add(settings_menu, host, translate("MainWindow", "语言和角色…"), lambda _host: host.open_settings())
    help_menu = bar.addMenu(translate("MainWindow", "帮助(&H)"))
    guide = _add(help_menu, host, translate("MainWindow", "用户手册"), _open_user_guide)
    guide.setShortcut(QKeySequence.StandardKey.HelpContents)
    _add(help_menu, host, translate("MainWindow", "关于填报通"), about)
    return city_menu
