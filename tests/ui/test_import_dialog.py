"""The city's import dialog and the task runner under it, on real signed files from the demo districts.

The districts' side is built once per module: the demo database and demo keys, three districts' 2023Q2 signed
and exported to Excel, and the demo template signed by the (demo) city. Each test gets a fresh city database
beside a copy of those keys (the dialog finds its keys beside the database, as the program does), with the
signed template imported, and imports through the dialog as a clerk would.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

import app.city.importer
from app import __version__
from app.city.importer import LABELS, CancelToken, FileResult
from app.demo import DEMO_PASSPHRASE, TEMPLATE, create_demo
from app.engine.periods import Period
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import Submission
from app.storage.store import catalog_for_year
from app.submissions.export_xlsx import FIRST_DATA_ROW, SHEET, write_submission_xlsx
from app.submissions.signing import sign_and_lock
from app.templates.signing import import_signed_template_file, sign_template
from app.trust.keys import KeyStore
from ui.import_dialog import ImportDialog, ImportResultsModel, import_paths, open_import, status_label, summary
from ui.tasks import Progress, TaskRunner

TIMEOUT_MS = 20_000
GREEN, RED = QColor("#1b6e37"), QColor("#a11d1d")


@dataclass(frozen=True)
class Districts:
    keys: Path  # the demo keys folder: city CA and every district's key, passphrase DEMO_PASSPHRASE
    template: Path  # the demo template, signed by the city
    files: list[Path]  # three districts' signed 2023Q2 workbooks
    units: list[str]


def make_districts(root: Path, count: int = 3) -> Districts:
    """The demo districts sign and export their 2023Q2 forms; the city signs the demo template."""
    db = create_demo(root / "d" / "demo.db")
    keys = KeyStore(root / "d" / "keys")
    try:
        with db.session() as session:
            catalog = catalog_for_year(session, 2023)
            assert catalog is not None
            spec = load_spec(session, catalog)
        units = [u.code for u in spec.units if u.parent is not None][:count]
        out = root / "files"
        out.mkdir()
        files = []
        for unit in units:
            signed = sign_and_lock(db, keys, unit, Period(2023, 2), DEMO_PASSPHRASE, "测试")
            path = out / f"{unit}-2023Q2-r{signed.revision}.xlsx"
            write_submission_xlsx(signed.envelope, path, __version__)
            files.append(path)
    finally:
        db.close()
    template = root / "d" / TEMPLATE.name
    shutil.copyfile(TEMPLATE, template)
    sign_template(template, keys, DEMO_PASSPHRASE)
    return Districts(keys.folder, template, files, units)


def make_city(folder: Path, districts: Districts) -> Path:
    """A fresh city database with the signed template; its keys folder (beside it) holds the city CA."""
    keys = KeyStore(folder / "keys")
    shutil.copytree(districts.keys, keys.folder)
    db = Database(folder / "city.db")
    try:
        import_signed_template_file(db, keys, districts.template)
    finally:
        db.close()
    return db.path


def alter_a_value(source: Path, target: Path) -> Path:
    """A copy of a signed workbook with the first value (本期值, written as text) on the printed sheet changed."""
    workbook = load_workbook(source)
    sheet = workbook[SHEET]
    value = sheet.cell(row=FIRST_DATA_ROW, column=7)
    assert sheet.cell(row=FIRST_DATA_ROW - 1, column=7).value == "本期值"
    value.value = str(Decimal(str(value.value)) + 1)
    workbook.save(target)
    return target


@pytest.fixture(scope="module")
def districts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Districts]:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("TIANBAO_KEYS", raising=False)
        yield make_districts(tmp_path_factory.mktemp("districts"))


@pytest.fixture
def city(tmp_path: Path, districts: Districts, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("TIANBAO_KEYS", raising=False)
    return make_city(tmp_path / "c", districts)


@pytest.fixture
def folder(tmp_path: Path, districts: Districts) -> Path:
    """The three signed files in a folder of their own (a test may add to it)."""
    out = tmp_path / "incoming"
    out.mkdir()
    for path in districts.files:
        shutil.copy(path, out / path.name)
    return out


@pytest.fixture
def dialog(qtbot: QtBot, city: Path) -> Iterator[ImportDialog]:
    widget = ImportDialog(city)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.close()


class FakeWindow(QWidget):
    """What the dialog needs of the main window, and a record of what it was told."""

    def __init__(self, db: Database, settings: QSettings) -> None:
        super().__init__()
        self.db = db
        self.settings = settings
        self.messages: list[str] = []
        self.reloads = 0

    def show_message(self, text: str) -> None:
        self.messages.append(text)

    def reload_form(self) -> None:
        self.reloads += 1


@pytest.fixture
def window(qtbot: QtBot, city: Path, settings: QSettings) -> Iterator[FakeWindow]:
    db = Database(city)
    win = FakeWindow(db, settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.close()
    db.close()


def run_import(qtbot: QtBot, dialog: ImportDialog, paths: list[Path], token: CancelToken | None = None) -> None:
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        assert dialog.start(paths, token) is not None


def statuses(dialog: ImportDialog) -> list[str]:
    return [r.status for r in dialog.model.results]


def cell(dialog: ImportDialog, row: int, column: int, role: Qt.ItemDataRole = Qt.ItemDataRole.DisplayRole) -> Any:
    return dialog.model.data(dialog.model.index(row, column), role)


def stored(city: Path) -> int:
    db = Database(city)
    try:
        with db.session() as session:
            return int(session.scalar(select(func.count()).select_from(Submission)) or 0)
    finally:
        db.close()


def gate_after_first_file(monkeypatch: pytest.MonkeyPatch, open_when: Callable[[], bool]) -> threading.Event:
    """Hold the import inside the second file (past its cancel check) until ``open_when()``, checked from the
    worker; the event returned is set once the worker is held there."""
    real = app.city.importer.verdict_data
    held = threading.Event()
    calls = 0

    def gated(path: str, city_ca: Any, trusted: Any = None) -> tuple[Any, ...]:
        nonlocal calls
        calls += 1
        if calls > 1:
            held.set()
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while calls > 1 and not open_when() and time.monotonic() < deadline:
            time.sleep(0.005)
        return real(path, city_ca, trusted)

    monkeypatch.setattr(app.city.importer, "verdict_data", gated)
    return held


# ---------------------------------------------------------------- importing


def test_a_folder_is_imported_then_reported_as_held(
    qtbot: QtBot, dialog: ImportDialog, folder: Path, city: Path
) -> None:
    assert not dialog.progress_row.isVisible()
    run_import(qtbot, dialog, [folder])
    assert dialog.model.rowCount() == 3
    assert statuses(dialog) == ["accepted"] * 3
    assert [cell(dialog, row, ImportResultsModel.FILE) for row in range(3)] == sorted(p.name for p in folder.iterdir())
    assert cell(dialog, 0, ImportResultsModel.RESULT) == "已导入"
    assert cell(dialog, 0, ImportResultsModel.RESULT, Qt.ItemDataRole.ForegroundRole).color() == GREEN
    assert cell(dialog, 0, ImportResultsModel.PERIOD) == "2023年第二季度"
    assert cell(dialog, 0, ImportResultsModel.REVISION) == "1"
    assert cell(dialog, 0, ImportResultsModel.UNIT)  # the district's name
    assert dialog.summary_label.text() == "共 3 个文件：3 个已导入，0 个已导入过，0 个未导入。"
    assert stored(city) == 3
    assert dialog.pick_files.isEnabled() and not dialog.progress_row.isVisible()

    run_import(qtbot, dialog, [folder])
    assert statuses(dialog) == ["duplicate"] * 3
    assert cell(dialog, 2, ImportResultsModel.RESULT, Qt.ItemDataRole.ForegroundRole).color() == GREEN
    assert dialog.summary_label.text() == "共 3 个文件：0 个已导入，3 个已导入过，0 个未导入。"
    assert stored(city) == 3


def test_an_altered_file_is_refused_and_named(qtbot: QtBot, dialog: ImportDialog, folder: Path, city: Path) -> None:
    first = sorted(folder.iterdir())[0]
    altered = alter_a_value(first, folder / "zz-改过的.xlsx")
    first.unlink()
    run_import(qtbot, dialog, [folder])
    assert statuses(dialog) == ["accepted", "accepted", "altered"]
    assert cell(dialog, 2, ImportResultsModel.FILE) == altered.name
    assert cell(dialog, 2, ImportResultsModel.FILE, Qt.ItemDataRole.ToolTipRole) == str(altered)
    assert cell(dialog, 2, ImportResultsModel.RESULT) == "签名后被改动"
    assert cell(dialog, 2, ImportResultsModel.RESULT, Qt.ItemDataRole.ForegroundRole).color() == RED
    assert cell(dialog, 2, ImportResultsModel.MESSAGE)  # the core's reason, in Chinese
    assert dialog.summary_label.text() == "共 3 个文件：2 个已导入，0 个已导入过，1 个未导入（1 个签名后被改动）。"
    assert stored(city) == 2


def test_a_cancelled_token_imports_nothing(qtbot: QtBot, dialog: ImportDialog, folder: Path, city: Path) -> None:
    token = CancelToken()
    token.cancel()
    run_import(qtbot, dialog, [folder], token)
    assert statuses(dialog) == ["cancelled"] * 3
    assert cell(dialog, 0, ImportResultsModel.RESULT) == "已取消"
    assert dialog.summary_label.text() == "共 3 个文件：0 个已导入，0 个已导入过，3 个未导入（3 个已取消）。"
    assert stored(city) == 0


def test_progress_shows_after_a_delay_and_cancel_stops_the_rest(
    qtbot: QtBot, dialog: ImportDialog, folder: Path, city: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = CancelToken()
    held = gate_after_first_file(monkeypatch, lambda: token.cancelled)
    started = time.monotonic()
    dialog.start([folder], token)
    assert not dialog.progress_row.isVisible()  # fast work shows nothing
    qtbot.waitUntil(dialog.progress_row.isVisible, timeout=TIMEOUT_MS)
    assert time.monotonic() - started >= 0.5
    qtbot.waitUntil(lambda: dialog.progress.value() == 1, timeout=TIMEOUT_MS)
    assert dialog.progress.maximum() == 3
    assert dialog.progress.format() == "1 / 3 个文件"
    assert dialog.cancel_button.isVisible() and dialog.cancel_button.text() == "取消"
    qtbot.waitUntil(held.is_set, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    # The second file was in hand when cancel came; the third was never opened.
    assert statuses(dialog) == ["accepted", "accepted", "cancelled"]
    assert not dialog.progress_row.isVisible()
    assert stored(city) == 2


def test_cancel_from_the_first_progress_signal(
    qtbot: QtBot, dialog: ImportDialog, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = CancelToken()
    held = gate_after_first_file(monkeypatch, lambda: token.cancelled)
    task = dialog.start([folder], token)
    assert task is not None

    def cancel_at_once(done: int, total: int) -> None:
        assert held.wait(TIMEOUT_MS / 1000)  # the worker is in the second file, past its cancel check
        dialog.cancel()

    task.progressed.connect(cancel_at_once)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        pass
    assert statuses(dialog) == ["accepted", "accepted", "cancelled"]


def test_closing_during_an_import_cancels_it_and_leaves_no_thread(
    qtbot: QtBot, window: FakeWindow, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens: list[CancelToken] = []
    held = gate_after_first_file(monkeypatch, lambda: bool(tokens) and tokens[0].cancelled)
    dialog = import_paths(window, [folder])
    assert dialog.task is not None
    token = dialog.task.token
    tokens.append(token)
    qtbot.waitUntil(lambda: dialog.progress.value() == 1 and held.is_set(), timeout=TIMEOUT_MS)
    dialog.close()  # cancels, waits for the file in hand, reports what was stored
    assert token.cancelled and dialog.task.done
    assert statuses(dialog) == ["accepted", "accepted", "cancelled"]
    assert window.reloads == 1
    assert window.messages == ["共 3 个文件：2 个已导入，0 个已导入过，1 个未导入（1 个已取消）。"]
    assert not [t for t in threading.enumerate() if t.name == "tianbao-task"]


def test_import_paths_reloads_the_form_only_when_something_new_was_stored(
    qtbot: QtBot, window: FakeWindow, folder: Path
) -> None:
    dialog = import_paths(window, [folder])
    assert dialog.isVisible() and dialog.parent() is window
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        pass
    assert window.reloads == 1
    assert window.messages == ["共 3 个文件：3 个已导入，0 个已导入过，0 个未导入。"]
    dialog.close()

    again = import_paths(window, [str(p) for p in sorted(folder.iterdir())])
    with qtbot.waitSignal(again.imported, timeout=TIMEOUT_MS):
        pass
    assert statuses(again) == ["duplicate"] * 3
    assert window.reloads == 1 and len(window.messages) == 1  # nothing new: the form stays as it was
    again.close()


def test_open_import_picks_files_and_folders(
    qtbot: QtBot, window: FakeWindow, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_import(window)
    assert dialog.isVisible() and dialog.task is None and dialog.model.rowCount() == 0
    asked: list[str] = []

    def files(parent: QWidget, caption: str, start: str, filters: str) -> tuple[list[str], str]:
        asked.append(filters)
        return [str(p) for p in sorted(folder.iterdir())[:2]], filters

    monkeypatch.setattr(QFileDialog, "getOpenFileNames", files)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args: str(folder))
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.pick_files, Qt.MouseButton.LeftButton)
    assert asked == ["报送文件 (*.xlsx *.pdf)"]
    assert statuses(dialog) == ["accepted"] * 2
    assert window.settings.value("import/folder") == str(folder)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.pick_folder, Qt.MouseButton.LeftButton)
    assert statuses(dialog) == ["duplicate", "duplicate", "accepted"]
    assert window.reloads == 2
    dialog.close()


def test_files_and_folders_dropped_on_the_dialog_are_imported(qtbot: QtBot, dialog: ImportDialog, folder: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    enter = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(dialog, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT_MS):
        QApplication.sendEvent(dialog, drop)
        assert drop.isAccepted()
        # While the import runs, another drop is refused rather than queued behind it.
        again = QDragEnterEvent(
            QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(dialog, again)
        assert not again.isAccepted()
    assert statuses(dialog) == ["accepted"] * 3

    text = QMimeData()
    text.setText("不是文件")
    refused = QDragEnterEvent(
        QPoint(10, 10), Qt.DropAction.CopyAction, text, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(dialog, refused)
    assert not refused.isAccepted()


def test_an_empty_folder_says_so(qtbot: QtBot, dialog: ImportDialog, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    run_import(qtbot, dialog, [empty])
    assert dialog.model.rowCount() == 0
    assert dialog.summary_label.text() == "没有找到报送文件（.xlsx 或 .pdf）。"


def test_a_failed_import_is_shown_in_the_dialog(qtbot: QtBot, db: Database, folder: Path) -> None:
    dialog = ImportDialog(db.path)  # a database without a keys folder: no city certificate
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.start([folder])
    assert task is not None
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT_MS):
        pass
    assert dialog.summary_label.text().startswith("导入未完成：没有找到市级 CA 证书")
    assert dialog.model.rowCount() == 0 and dialog.pick_files.isEnabled()
    dialog.close()


# ---------------------------------------------------------------- the results model and texts


def sample_results() -> list[FileResult]:
    return [
        FileResult("/in/a.xlsx", "accepted", "已导入第 1 版", "520102", "南明区", "2023Q2", 1, "S-1"),
        FileResult("/in/b.pdf", "superseded", "已导入第 1 版；已有更新的第 2 版", "520103", "云岩区", "2023", 1),
        FileResult("/in/c.xlsx", "duplicate", "第 2 版已导入过", "520103", None, "2023Q4", 2),
        FileResult("/in/d.xlsx", "altered", "签名不符"),
        FileResult("/in/e.txt", "not_tianbao", "不是报送文件"),
        FileResult("/in/f.xlsx", "cancelled", "导入已取消，此文件未处理"),
    ]


def test_results_model_passes_the_qt_model_tester(qtmodeltester: Any) -> None:
    model = ImportResultsModel()
    qtmodeltester.check(model, force_py=True)
    model.set_results(sample_results())
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "文件",
        "结果",
        "单位",
        "报告期",
        "版本",
        "说明",
    ]
    rows = [[model.data(model.index(r, c)) for c in range(6)] for r in range(model.rowCount())]
    assert rows[1] == ["b.pdf", "已导入（已有更新版本）", "云岩区", "2023年度", "1", "已导入第 1 版；已有更新的第 2 版"]
    assert rows[2][2] == "520103"  # no name: the code
    assert rows[3] == ["d.xlsx", "签名后被改动", "", "", "", "签名不符"]
    colours = [model.data(model.index(r, 1), Qt.ItemDataRole.ForegroundRole).color().name() for r in range(6)]
    assert colours == ["#1b6e37"] * 3 + ["#a11d1d"] * 2 + ["#6b6b6b"]


def test_summary_counts_each_reason() -> None:
    assert summary(sample_results()) == (
        "共 6 个文件：2 个已导入，1 个已导入过，3 个未导入（1 个签名后被改动、1 个不是报送文件、1 个已取消）。"
    )


def test_status_labels_match_the_core() -> None:
    assert {status: status_label(status) for status in LABELS} == LABELS
    assert status_label("something_new") == "something_new"


# ---------------------------------------------------------------- the task runner


def test_runner_delivers_progress_and_result_in_the_ui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: list[tuple[int, int, bool]] = []

    def job(progress: Progress, cancel: CancelToken) -> str:
        for i in range(1, 4):
            progress(i, 3)
        return threading.current_thread().name

    task = runner.run(job)
    task.progressed.connect(lambda d, t: seen.append((d, t, threading.current_thread() is threading.main_thread())))
    with qtbot.waitSignal(task.succeeded, timeout=TIMEOUT_MS) as blocker:
        pass
    assert blocker.args == ["tianbao-task"]
    assert seen and seen[-1] == (3, 3, True) and all(on_ui for *_, on_ui in seen)
    assert task.done and not runner.busy


def test_runner_reports_an_exception_and_runs_jobs_one_at_a_time(qtbot: QtBot) -> None:
    runner = TaskRunner()
    running = threading.Lock()
    overlaps: list[str] = []
    order: list[str] = []

    def job(name: str) -> Callable[[Progress, CancelToken], str]:
        def run(progress: Progress, cancel: CancelToken) -> str:
            if not running.acquire(blocking=False):
                overlaps.append(name)
                return name
            try:
                time.sleep(0.02)
                order.append(name)
                if name == "b":
                    raise ValueError("坏了")
                return name
            finally:
                running.release()

        return run

    a, b, c = runner.run(job("a")), runner.run(job("b")), runner.run(job("c"))
    assert runner.busy and a.running and not b.started and not c.started
    with qtbot.waitSignal(b.failed, timeout=TIMEOUT_MS) as blocker:
        pass
    assert isinstance(blocker.args[0], ValueError) and str(blocker.args[0]) == "坏了"
    assert runner.wait(timeout=TIMEOUT_MS)
    assert order == ["a", "b", "c"] and overlaps == []
    assert a.result == "a" and b.error is not None and c.result == "c" and not runner.busy


def test_runner_wait_from_a_slot_and_shutdown(qtbot: QtBot) -> None:
    runner = TaskRunner()
    release = threading.Event()

    def slow(progress: Progress, cancel: CancelToken) -> bool:
        while not cancel.cancelled and not release.wait(0.005):
            pass
        return cancel.cancelled

    first = runner.run(lambda progress, cancel: 1)
    second = runner.run(slow)
    waited: list[bool] = []
    first.succeeded.connect(lambda _result: (release.set(), waited.append(runner.wait(timeout=TIMEOUT_MS / 1000))))
    with qtbot.waitSignal(second.finished, timeout=TIMEOUT_MS):
        pass
    assert waited == [True] and second.result is False

    release.clear()
    third = runner.run(slow)
    assert runner.shutdown(timeout=TIMEOUT_MS / 1000)
    assert third.done and third.result is True
