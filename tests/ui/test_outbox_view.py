"""The window's outbox: the status-bar indicator, the 报送记录 view and the 设置 override, against a real ``serve``.

Signing from the window puts the revision in the outbox and the background rounds deliver it while the window
stays usable; the indicator and the view follow; a receipt saves as the 回执单 PDF; a return notice is shown and
applied only when the clerk confirms.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app.city.returns import return_submission
from app.engine.periods import Period
from app.storage.db import Database
from app.trust.keys import KeyStore
from tests.e2e import intake_setup
from tests.e2e.intake_setup import D1, PASSPHRASE, IntakeServer, Setup
from ui import outbox_view, submission_actions
from ui.form_model import Col
from ui.main_window import MainWindow
from ui.outbox_monitor import OVERRIDE_KEY, OutboxMonitor, monitor_of
from ui.outbox_status import OutboxIndicator
from ui.outbox_view import OutboxView, open_outbox
from ui.settings_dialog import SettingsDialog

pytestmark = pytest.mark.slow
# The fixtures ``setup`` (a city and two districts) and ``server`` (its running intake service).
setup_fixture, server_fixture = intake_setup.setup_fixture, intake_setup.server_fixture
WAIT_MS = 60_000


@pytest.fixture
def district(qtbot: QtBot, setup: Setup, settings: QSettings, monkeypatch: pytest.MonkeyPatch) -> Iterator[MainWindow]:
    settings.setValue("unit", D1)
    monkeypatch.setattr(submission_actions, "ask_passphrase", lambda *_a, **_k: PASSPHRASE)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: "")  # no export after signing
    db = Database(setup.district_db)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()
    db.close()


def monitor(window: MainWindow) -> OutboxMonitor:
    found = monitor_of(window)
    assert found is not None
    return found


def indicator(window: MainWindow) -> OutboxIndicator:
    found = window.findChild(OutboxIndicator, "OutboxIndicator")
    assert isinstance(found, OutboxIndicator)
    return found


def sign_in_window(window: MainWindow, value: str = "60") -> None:
    model = window.model
    assert model is not None
    assert model.setData(model.index_of("A", Col.VALUE), value), model.last_error
    submission_actions.sign_current(window)


def test_signing_in_the_window_delivers_in_the_background_and_the_view_shows_the_receipt(
    qtbot: QtBot, district: MainWindow, server: IntakeServer, setup: Setup, tmp_path: Path, qtmodeltester: Any
) -> None:
    shown = indicator(district)
    assert shown.isVisible() and shown.text().startswith("待上报 0")
    sign_in_window(district)
    qtbot.waitUntil(lambda: monitor(district).summary.last_contact is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: monitor(district).summary.pending == 0, timeout=WAIT_MS)
    assert "待上报 0" in shown.text() and "最后联系" in shown.text()
    assert setup.url in shown.toolTip()

    view = open_outbox(district)
    assert isinstance(view, OutboxView)
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.offers)
    assert view.model.rowCount() == 1
    row = [view.model.index(0, c).data() for c in range(view.model.columnCount())]
    assert row[0] == "已送达" and row[1] == "甲区" and row[2] == "2023年第二季度" and row[3] == "第 1 版"
    assert row[5] and row[6] == "1" and row[7] == view.model.items[0].submission_id and row[8] == "已接收"
    view.table.selectRow(0)
    assert view.print_button.isEnabled() and view.save_button.isEnabled() and not view.retry_button.isEnabled()
    pdf = tmp_path / "回执单.pdf"
    assert view.save_receipt_to(view.model.items[0], pdf)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") <= 1
    assert open_outbox(district) is view  # one 报送记录 at a time


def test_a_return_notice_is_shown_and_applied_only_when_the_clerk_confirms(
    qtbot: QtBot, district: MainWindow, server: IntakeServer, setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in_window(district)  # the passphrase entered to sign also lets the window read the unit's notices
    qtbot.waitUntil(lambda: monitor(district).summary.pending == 0, timeout=WAIT_MS)
    city = Database(setup.city_db)
    try:
        return_submission(city, KeyStore(setup.city_keys), D1, Period(2023, 2), "请补充情况说明", PASSPHRASE)
    finally:
        city.close()
    view = open_outbox(district)
    assert view is not None
    view.receive_notices()
    qtbot.waitUntil(lambda: view.offers.rowCount() == 1, timeout=WAIT_MS)
    assert "请补充情况说明" in view.offers.items[0].summary
    assert "市级通知 1" in indicator(district).text()
    assert district.form is not None and district.form.revisions()[-1].status == "locked"
    view.offer_table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.No)
    view.apply_offer()
    assert view.offers.rowCount() == 1 and district.form.revisions()[-1].status == "locked"
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    view.apply_offer()
    assert told and "请补充情况说明" in told[0]
    assert view.offers.rowCount() == 0
    assert view.model.items[0].state == "returned"
    assert district.form is not None and district.form.revisions()[-1].status == "returned"
    assert "市级已退回第 1 版" in district.banner.text()


def test_while_the_service_cannot_be_reached_the_indicator_says_so_and_the_window_carries_on(
    qtbot: QtBot, district: MainWindow, setup: Setup
) -> None:
    sign_in_window(district)
    qtbot.waitUntil(lambda: monitor(district).summary.reachable is False, timeout=WAIT_MS)
    text = indicator(district).text()
    assert "待上报 1" in text and "无法连接" in text and "从未联系" in text
    assert monitor(district).timer.isActive()  # the next try is scheduled, with backoff
    model = district.model
    assert model is not None and model.setData(model.index_of("A", Col.VALUE), "61")  # the form still works
    server = IntakeServer(setup).start()
    try:
        monitor(district).run_now()
        qtbot.waitUntil(lambda: monitor(district).summary.pending == 0, timeout=WAIT_MS)
    finally:
        server.stop()
    assert monitor(district).summary.reachable is True


def test_without_an_address_the_window_is_as_before_and_the_override_turns_it_on(
    qtbot: QtBot, db: Database, spec: Any, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(db, settings)  # an unsigned template without intake_url
    qtbot.addWidget(window)
    window.show()
    shown = indicator(window)
    assert not shown.isVisible() and not monitor(window).timer.isActive()
    view = open_outbox(window)
    assert view is not None and "未设置上报地址" in view.status.text() and not view.send_button.isEnabled()
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    dialog = SettingsDialog(db, settings, window)
    dialog.intake.setText("http://intake.example")
    dialog.accept()
    assert warned and "不可用" in warned[0] and not settings.value(OVERRIDE_KEY)
    dialog.intake.setText("http://127.0.0.1:9/")
    dialog.accept()
    assert settings.value(OVERRIDE_KEY) == "http://127.0.0.1:9"
    monitor(window).reconsider()
    assert shown.isVisible() and monitor(window).summary.address == "http://127.0.0.1:9"
    settings.setValue(OVERRIDE_KEY, "")
    monitor(window).reconsider()
    qtbot.waitUntil(lambda: not monitor(window).busy, timeout=WAIT_MS)
    assert not shown.isVisible() and not monitor(window).timer.isActive()
    window.close()


def test_notices_need_the_passphrase_once_and_an_acceptance_is_noted(
    qtbot: QtBot, setup: Setup, server: IntakeServer, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.city.returns import accept_submission
    from app.cli.main import main
    from tests.e2e.intake_setup import sign

    sign(setup, D1, "2023Q2")
    assert main(["--db", str(setup.district_db), "upload"]) == 0
    city = Database(setup.city_db)
    try:
        accept_submission(city, KeyStore(setup.city_keys), D1, Period(2023, 2), PASSPHRASE, "数据已核")
    finally:
        city.close()
    settings.setValue("unit", D1)
    db = Database(setup.district_db)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    try:
        view = open_outbox(window)
        assert view is not None
        answers = iter(["wrong-passphrase", PASSPHRASE])
        monkeypatch.setattr(outbox_view, "ask_passphrase", lambda *_a, **_k: next(answers))
        warned: list[str] = []
        monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
        view.receive_notices()
        assert warned and "口令不对" in warned[0] and not monitor(window).has_key(D1)
        view.receive_notices()
        assert monitor(window).has_key(D1)
        qtbot.waitUntil(lambda: bool(view.model.items) and view.model.items[0].accepted_at is not None, timeout=WAIT_MS)
        assert view.model.index(0, 0).data() == "已送达（审核通过）"
        assert view.offers.rowCount() == 0  # nothing for the clerk to decide
        view.receive_notices()  # the key is held: no second prompt (the iterator is used up)
    finally:
        window.close()
        db.close()
