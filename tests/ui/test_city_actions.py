"""The 汇总 menu and a return seen from both sides, driven through the window's actions."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from app.submissions.signing import sign_and_lock
from tests.app.signing_helpers import PASSPHRASE
from tests.ui.test_submission import fill_everything, signing_window  # noqa: F401 - the fixture
from ui import city_actions
from ui.form_model import Col
from ui.main_window import MainWindow


@pytest.fixture
def no_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: told.append("WARN " + text))
    monkeypatch.setattr(city_actions, "ask_passphrase", lambda *_a, **_k: PASSPHRASE)
    monkeypatch.setattr(QDialog, "exec", lambda _self: 0)
    return told


def test_return_then_notice_then_the_next_revision(
    signing_window: MainWindow,  # noqa: F811
    no_dialogs: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = signing_window
    fill_everything(window)
    form = window.form
    assert form is not None
    sign_and_lock(window.db, city_actions.keystore(window), form.unit.code, form.period, PASSPHRASE)
    notice = tmp_path / "notice.json"
    monkeypatch.setattr(QInputDialog, "getMultiLineText", lambda *_a, **_k: ("口径有误", True))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(notice), ""))
    city_actions.return_current(window)
    assert notice.exists()
    assert "退回" in window.banner.text()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(notice), ""))
    city_actions.import_city_notice(window)  # the same file on the district's side is taken once, calmly
    assert "口径有误" in no_dialogs[-1]
    model = window.model
    assert model is not None and model.setData(model.index_of("A", Col.VALUE), "65")
    assert window.form is not None and [r.status for r in window.form.revisions()] == ["returned", "draft"]


def test_compare_two_revisions(
    signing_window: MainWindow,  # noqa: F811
    no_dialogs: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = signing_window
    fill_everything(window)
    form = window.form
    assert form is not None
    sign_and_lock(window.db, city_actions.keystore(window), form.unit.code, form.period, PASSPHRASE)
    model = window.model
    assert model is not None and model.setData(model.index_of("A", Col.VALUE), "66")
    shown: list[city_actions.DiffDialog] = []
    picks = iter([("第 1 版", True), ("第 2 版", True)])
    monkeypatch.setattr(QInputDialog, "getItem", lambda *_a, **_k: next(picks))
    monkeypatch.setattr(city_actions.DiffDialog, "exec", lambda self: shown.append(self) or 0)
    city_actions.compare_revisions(window)
    (dialog,) = shown
    assert "第 1 版 → 第 2 版" in dialog.windowTitle()


def test_city_report_exports_signed_files(
    signing_window: MainWindow,  # noqa: F811
    no_dialogs: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.submissions.verify_pdf import verify_pdf
    from app.trust.keys import KeyStore, default_keys_dir
    from tests.app.sample_templates import CITY

    window = signing_window
    assert window.form is not None
    keys = KeyStore(default_keys_dir(window.db.path))
    # The fixture made the CA and D1's certificate; the city issues one for its own unit too.
    request, _ = keys.request(CITY, "测试市", PASSPHRASE)
    _, issued = keys.issue(request, PASSPHRASE)
    keys.import_certificate(issued, CITY)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(tmp_path))
    city_actions.city_report(window)
    pdf = tmp_path / f"全市汇总_{window.form.period}.pdf"
    assert verify_pdf(pdf, keys.city_certificate())["unit"]["code"] == CITY
    assert (tmp_path / f"全市汇总_{window.form.period}.xlsx").exists()
