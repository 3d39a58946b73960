"""Starting the desktop program: Qt application, fonts, language, logging, database, first-run wizard."""

from __future__ import annotations

import gc
import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, Qt, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app import __version__
from app.logsetup import configure
from app.storage.db import Database, DatabaseError, data_dir, default_db_path
from app.storage.form import available_years

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
TRANSLATIONS = RESOURCES / "translations"
# CJK fonts in order of preference: Windows' own UI font first, then what Linux test machines have.
FONT_FAMILIES = ["Microsoft YaHei UI", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "SimSun"]

log = logging.getLogger(__name__)


def make_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "Tianbao", "Tianbao")


def install_translator(app: QCoreApplication, language: str) -> QTranslator | None:
    """Load the interface translation for ``language``; Chinese is the source language and needs none of ours,
    but Qt's own texts (OK, Cancel, Close, the print dialog) are English unless Qt's Chinese is loaded."""
    if language.startswith("zh"):
        qt = QTranslator(app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt.load("qtbase_zh_CN", folder):
            app.installTranslator(qt)
        else:
            log.warning("Qt's Chinese translation qtbase_zh_CN.qm not found in %s", folder)
        return None
    translator = QTranslator(app)
    if translator.load(str(TRANSLATIONS / f"tianbao_{language}.qm")):
        app.installTranslator(translator)
        return translator
    log.warning("no translation for %s", language)
    return None


def install_excepthook(log_path: Path, parent: QWidget | None = None) -> None:
    """Show unexpected errors in a dialog naming the log file instead of letting the window vanish."""

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error\n%s", "".join(traceback.format_exception(kind, value, tb)))
        if QApplication.instance() is not None:
            QMessageBox.critical(
                parent,
                QCoreApplication.translate("Application", "出错了"),
                QCoreApplication.translate("Application", "程序遇到意外错误：%1\n\n详细信息已记录在日志文件：\n%2")
                .replace("%1", str(value))
                .replace("%2", str(log_path)),
            )

    sys.excepthook = hook


def open_or_create(path: Path, demo_default: bool = True) -> Database:
    """Open the database; with ``demo_default`` the default one starts as the demo database the first time.

    The installed program passes False: a clerk's first start is the first-run wizard (role, template, unit),
    which offers the demo catalog among the choices, not a database already full of demo figures.
    """
    if demo_default and not path.exists() and path == default_db_path():
        from app.demo import create_demo

        return create_demo(path)
    return Database(path)


def installed() -> bool:
    """True in the bundled program (PyInstaller), False when run from the sources."""
    return bool(getattr(sys, "frozen", False))


def settle_memory() -> None:
    """Exempt what start-up loaded (modules, Qt wrappers, the catalog) from Python's full garbage collections.

    It lives as long as the program; without this, every full collection walks it again — about 65 ms with a
    500-indicator catalog, a visible hitch after an edit now and then.
    """
    gc.freeze()  # microseconds; a gc.collect() first would free nothing here and cost ~40 ms of start-up


def bring_forward(window: QWidget | None) -> None:
    """Show ``window`` (or the dialog in front of it, such as the first-run wizard) above other programs' windows."""
    target = QApplication.activeModalWidget() or window
    if target is None:
        return
    target.setWindowState((target.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
    target.show()
    target.raise_()
    target.activateWindow()


def make_application(language: str | None) -> tuple[QApplication, QSettings]:
    """The Qt application with the program's names, icon, Chinese-capable font and interface language."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Tianbao")
    app.setApplicationDisplayName("填报通")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("Tianbao")
    icon = RESOURCES / "icons" / "tianbao.png"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    # The shipped font guarantees Chinese glyphs on a machine without a CJK system font.
    QFontDatabase.addApplicationFont(str(RESOURCES / "fonts" / "wqy-microhei.ttc"))
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    font.setPointSize(10)
    app.setFont(font)
    settings = make_settings()
    lang = language or str(settings.value("language", "zh_CN"))
    install_translator(app, lang)
    QLocale.setDefault(QLocale(QLocale.Language.English if lang == "en" else QLocale.Language.Chinese))
    return app, settings


def claim_database(path: Path, app: QApplication, windows: list[QWidget]) -> int | None:
    """Make this the one program working on ``path``: None to go on, or the exit status when another running
    instance already has it (0: that window was brought forward, 1: it does not answer)."""
    from ui.single_instance import Busy, acquire, hold_running_mutex

    try:
        guard = acquire(path, lambda: bring_forward(windows[0] if windows else None), app)
    except Busy:
        QMessageBox.warning(
            None,
            QCoreApplication.translate("Application", "填报通已在运行"),
            QCoreApplication.translate("Application", "另一个填报通窗口正在使用这个数据库，但没有响应：\n%1").replace(
                "%1", str(path)
            ),
        )
        return 1
    if guard is None:
        return 0
    hold_running_mutex()
    return None


def first_run(db: Database, settings: QSettings, smoke: bool) -> bool:
    """The first-run wizard on a database without a template; False when it was closed without finishing."""
    from ui.wizard import FirstRunWizard

    wizard = FirstRunWizard(db, settings)
    if smoke:
        # A check run never waits for a person: show the first-run wizard, close it, and stop there.
        QTimer.singleShot(0, wizard.reject)
    return bool(wizard.exec())


def save_screenshot(app: QApplication, window: QWidget, path: Path) -> None:
    # A fixed size, so pictures for the documentation depend neither on the last session's window nor on the screen.
    window.showNormal()
    window.resize(1600, 900)
    app.processEvents()
    window.grab().save(str(path))
    window.close()


def run(
    db_path: Path | None,
    screenshot: Path | None = None,
    language: str | None = None,
    smoke: bool = False,
    single_instance: bool = False,
) -> int:
    """Start the program; with ``screenshot`` render the main window to that PNG and exit.

    With ``single_instance`` a start on a database another running instance already has open brings that
    instance's window forward and returns 0 (``main.py`` turns it on except for ``--smoke`` and ``--screenshot``).
    """
    log_path = configure(data_dir() / "logs")
    app, settings = make_application(language)
    install_excepthook(log_path)
    path = db_path or default_db_path()
    windows: list[QWidget] = []  # the main window, once there is one, for a later start to bring forward
    if single_instance:
        code = claim_database(path, app, windows)
        if code is not None:
            return code
    try:
        db = open_or_create(path, demo_default=not installed())
    except DatabaseError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("Application", "无法打开数据库"), str(exc))
        return 2
    log.info("start %s on %s", __version__, path)
    if not available_years(db) and not screenshot and not first_run(db, settings, smoke):
        db.close()
        return 0
    from ui.main_window import MainWindow

    window = MainWindow(db, settings)
    windows.append(window)
    window.show()
    settle_memory()
    if screenshot is not None:
        save_screenshot(app, window, screenshot)
        db.close()
        return 0
    if smoke:
        QTimer.singleShot(0, window.close)
    code = app.exec()
    db.close()
    return code
