"""The pictures of the user guide (docs/guide/) and the README (docs/screenshot-*.png), drawn by the program.

Each picture is made in a process of its own, offscreen, on the screen it shows (a 1366 × 768 laptop at 125 %, a
full-HD screen at 150 %, or a 1920 × 1080 monitor at 100 % for the README), from a fresh demo database:

    .venv/bin/python docs/pictures.py            # every picture
    .venv/bin/python docs/pictures.py 进度图      # the pictures whose names contain 进度图
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
sys.path.insert(0, str(REPO))

DISTRICT, CITY = "520103", "520100"  # 云岩区 and 贵阳市 of the demo catalog
LATE_DISTRICT = "520123"  # 修文县: sent 2023Q1 three days late
PERIOD = "2023Q2"


# ---------------------------------------------------------------- scenes (run in the child process)


def _window(work: Path, role: str = "district", unit: str = DISTRICT, language: str = "zh_CN") -> Any:
    """The main window on a fresh demo database, opened as the program opens it."""
    from PySide6.QtTest import QTest

    from app.demo import create_demo
    from ui.application import make_application
    from ui.main_window import MainWindow

    _, settings = make_application(language)
    settings.setValue("role", role)
    settings.setValue("unit", unit)
    settings.setValue("form/unit", unit)
    settings.setValue("form/period", PERIOD)
    db = create_demo(work / "demo.db")
    window = MainWindow(db, settings)
    window.show()
    QTest.qWait(500)  # the layout settles (see MainWindow.showEvent)
    return window


def _settle(ms: int = 200) -> None:
    from PySide6.QtTest import QTest

    QTest.qWait(ms)


def main_window(work: Path) -> Any:
    return _window(work)


def refused_entry(work: Path) -> Any:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLineEdit

    from ui.form_model import Col

    window = _window(work)
    view = window.view
    index = window.model.index_of("C08", Col.VALUE)  # 绿色餐厅, whole numbers
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.setText("12.5")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    _settle()
    return window


def behind(work: Path) -> Any:
    from ui.form_model import Col

    window = _window(work)
    model = window.model
    assert model.setData(model.index_of("C08", Col.VALUE), "8")  # 绿色餐厅 8 of 15, 12 expected by mid-year
    window.view.setCurrentIndex(model.index_of("C08", Col.EXPLANATION))
    _settle()
    return window


def chart(work: Path) -> Any:
    window = _window(work)
    window.chart_dock.raise_()
    _settle()
    return window


def returned(work: Path) -> Any:
    from app.city.returns import return_submission
    from app.demo import DEMO_PASSPHRASE
    from app.engine.periods import Period
    from app.submissions.signing import sign_and_lock
    from app.trust.keys import KeyStore
    from ui.form_model import Col

    window = _window(work)
    keys = KeyStore(work / "keys")
    period = Period.parse(PERIOD)
    sign_and_lock(window.db, keys, DISTRICT, period, DEMO_PASSPHRASE, "王芳")
    reason = "绿色建筑占比的分母应为新建建筑面积，请核实后重报。"
    return_submission(window.db, keys, DISTRICT, period, reason, DEMO_PASSPHRASE, work / "退回通知.json")
    window.reload_form()
    window.history_dock.raise_()
    window.view.setCurrentIndex(window.model.index_of("C12", Col.VALUE))
    _settle()
    return window


def city_import(work: Path) -> Any:
    from tests.ui.test_import_dialog import alter_a_value, make_city, make_districts
    from ui.application import make_application
    from ui.import_dialog import ImportDialog

    _, settings = make_application("zh_CN")
    districts = make_districts(work, count=4)
    city = make_city(work / "city", districts)
    incoming = work / "收件箱"
    incoming.mkdir()
    for path in districts.files:
        shutil.copy(path, incoming / path.name)
    alter_a_value(districts.files[0], incoming / "南明区-改过的.xlsx")
    dialog = ImportDialog(city, settings)
    dialog.show()
    task = dialog.start([incoming])
    assert task is not None
    dialog.wait()
    _settle()
    return dialog


def city_matrix(work: Path) -> Any:
    from app.engine.periods import Period
    from ui.matrix_view import MatrixDialog

    window = _window(work, role="city", unit=CITY)
    dialog = MatrixDialog(window.db, Period.parse(PERIOD), CITY, window)
    dialog.show()
    _settle()
    return dialog


def _outbox_history(work: Path) -> Any:
    """A district whose outbox holds a delivered and accepted revision, a returned one and one still waiting
    (the city's service went away), as the end-to-end tests build a city, its service and a district."""
    import contextlib
    import io
    import json

    from app.city.returns import accept_submission, return_submission
    from app.cli.main import main as cli
    from app.engine.periods import Period
    from app.storage.db import Database
    from app.trust.keys import KeyStore
    from tests.e2e.intake_setup import D1, PASSPHRASE, IntakeServer, build, sign

    setup = build(work / "pair")

    def run(*args: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            cli(["--db", str(setup.district_db), *args])
        return out.getvalue()

    server = IntakeServer(setup).start()
    try:
        sign(setup, D1, "2023Q1")
        run("upload")
        city, keys = Database(setup.city_db), KeyStore(setup.city_keys)
        accept_submission(city, keys, D1, Period(2023, 1), PASSPHRASE, "数据已核")
        sign(setup, D1, "2023Q2")
        run("upload")
        reason = "绿色工厂数与统计局口径不一致，请核实后重报"
        return_submission(city, keys, D1, Period(2023, 2), reason, PASSPHRASE)
        city.close()
        run("upload", "--notices", D1, "--passphrase-file", str(setup.passphrase_file))
        offered = json.loads(run("outbox", "--json"))["offered"]
        run("outbox", "--apply", str(offered[0]["id"]))
        sign(setup, D1, "2023Q2", "62")
    finally:
        server.stop()
    run("upload", "--timeout", "2")
    return setup


def outbox_record(work: Path) -> Any:
    from app.storage.db import Database
    from tests.e2e.intake_setup import D1
    from ui.application import make_application
    from ui.main_window import MainWindow
    from ui.outbox_view import open_outbox

    setup = _outbox_history(work)
    _, settings = make_application("zh_CN")
    settings.setValue("unit", D1)
    settings.setValue("form/period", PERIOD)
    window = MainWindow(Database(setup.district_db), settings)
    window.show()
    view = open_outbox(window)
    assert view is not None
    view.resize(1180, 420)
    view.table.selectRow(1)
    _settle()
    return view


def receipt(work: Path) -> Any:
    """The 回执单 of the first receipt, as its PDF page prints (80 dpi)."""
    from PySide6.QtGui import QPixmap
    from PySide6.QtWidgets import QLabel

    from app.storage.db import Database
    from app.transport import outbox
    from app.transport.receipt_pdf import render_receipt_pdf
    from app.trust.keys import KeyStore
    from ui.application import make_application
    from ui.printing import page_images

    setup = _outbox_history(work)
    make_application("zh_CN")
    db = Database(setup.district_db)
    first = min(i.id for i in outbox.list_outbox(db) if i.has_receipt)
    stored = outbox.stored_receipt(db, first, KeyStore(setup.district_keys).city_certificate())
    assert stored is not None
    page = QPixmap.fromImage(next(page_images(render_receipt_pdf(stored), 80)))
    label = QLabel()
    label.setPixmap(page)
    label.setFixedSize(page.size())
    label.show()
    _settle()
    return label


def closed_period(work: Path) -> Any:
    """修文县 types into 2023Q1, closed since 04-30: refused with the reason."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QLineEdit

    from ui.form_model import Col

    window = _window(work, unit=LATE_DISTRICT)
    window.period_box.setCurrentIndex(window.period_box.findData("2023Q1"))
    view = window.view
    index = window.model.index_of("C08", Col.VALUE)
    view.setCurrentIndex(index)
    view.edit(index)
    editor = view.indexWidget(index)
    assert isinstance(editor, QLineEdit)
    editor.setText("3")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    _settle()
    return window


def extension(work: Path) -> Any:
    """The city reopens 2023Q1 for 修文县."""
    from ui.extension_dialog import ExtensionDialog

    window = _window(work, role="city", unit=LATE_DISTRICT)
    window.period_box.setCurrentIndex(window.period_box.findData("2023Q1"))
    form = window.form
    window_dates = form.spec.window(form.period)
    dialog = ExtensionDialog(form.spec, window_dates, LATE_DISTRICT, window)
    dialog.reason.setPlainText("修文县报送系统故障，经核实同意补报第一季度数据。")
    dialog.resize(640, 360)
    dialog.show()
    _settle()
    return dialog


def timeliness_matrix(work: Path) -> Any:
    """The city's matrix of 2023Q1: every unit's timeliness, 修文县 three days late, 按时报送率 90.9%."""
    from app.engine.periods import Period
    from ui.matrix_view import MatrixDialog

    window = _window(work, role="city", unit=CITY)
    dialog = MatrixDialog(window.db, Period.parse("2023Q1"), CITY, window)
    dialog.resize(1500, 520)
    dialog.show()
    _settle()
    return dialog


def readme(work: Path, role: str = "district", unit: str = "", language: str = "zh_CN") -> Any:
    window = _window(work, role=role, unit=unit or DISTRICT, language=language)
    window.showNormal()
    window.resize(1600, 900)  # as `main.py --screenshot` draws it
    _settle()
    return window


# name → (screen, scene); the screens are those of tests/ui/screens.py.
SCENES: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "guide/主窗口-1366x768.png": ("LAPTOP", main_window),
    "guide/主窗口-1920x1080.png": ("FULL_HD", main_window),
    "guide/填报-数值被拒绝.png": ("LAPTOP", refused_entry),
    "guide/自查-滞后待说明.png": ("LAPTOP", behind),
    "guide/进度图.png": ("LAPTOP", chart),
    "guide/历史-退回.png": ("LAPTOP", returned),
    "guide/汇总-导入报送文件.png": ("LAPTOP", city_import),
    "guide/汇总-完成情况矩阵.png": ("LAPTOP", city_matrix),
    "guide/报送记录.png": ("MONITOR", outbox_record),
    "guide/回执单.png": ("MONITOR", receipt),
    "guide/填报-已截止.png": ("LAPTOP", closed_period),
    "guide/汇总-延期.png": ("LAPTOP", extension),
    "screenshot-timeliness.png": ("MONITOR", timeliness_matrix),
    "screenshot-zh_CN.png": ("MONITOR", readme),
    "screenshot-en.png": ("MONITOR", lambda work: readme(work, language="en")),
    "screenshot-city.png": ("MONITOR", lambda work: readme(work, role="city", unit=CITY)),
}


def child(name: str, work: Path) -> None:
    _, scene = SCENES[name]
    widget = scene(work)
    target = DOCS / name
    target.parent.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(target)), target
    print(target.relative_to(REPO))


# ---------------------------------------------------------------- the parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="only the pictures whose names contain one of these")
    parser.add_argument("--scene", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scene:
        child(args.scene, args.work)
        return 0

    from tests.ui import screens

    monitors = {"LAPTOP": screens.LAPTOP, "FULL_HD": screens.FULL_HD, "MONITOR": screens.Screen(1920, 1080, 1.0)}
    failed = 0
    for name, (screen, _) in SCENES.items():
        if args.names and not any(part in name for part in args.names):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            env = screens.screen_env(monitors[screen], work / "user")
            env["PYTHONPATH"] = str(REPO)
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--scene", name, "--work", str(work)],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=300,
            )
        print(done.stdout.strip() or f"{name}: failed\n{done.stderr}")
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
