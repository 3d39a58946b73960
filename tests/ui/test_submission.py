"""The 报送 menu: signing from the window, exporting the files, printing the PDF's pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from app import __version__
from app.engine.catalog import CatalogSpec
from app.storage.db import Database
from app.submissions.signing import signed_envelope, verify_envelope
from app.submissions.verify_pdf import verify_pdf
from app.submissions.verify_xlsx import verify_xlsx
from app.trust.keys import default_keys_dir
from tests.app.sample_templates import D1
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units
from ui import submission_actions
from ui.form_model import Col
from ui.main_window import MainWindow
from ui.printing import paint_pages


@pytest.fixture
def signing_window(
    qtbot: QtBot, db: Database, spec: CatalogSpec, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> MainWindow:
    keystore_with_units(default_keys_dir(db.path), spec, [D1])
    monkeypatch.setattr(submission_actions, "ask_passphrase", lambda *_a, **_k: PASSPHRASE)
    window = MainWindow(db, settings)
    qtbot.addWidget(window)
    return window


def fill_everything(window: MainWindow) -> None:
    model = window.model
    assert model is not None
    for code, column, text in [
        ("A", Col.VALUE, "60"),
        ("B", Col.VALUE, "70"),
        ("Q", Col.VALUE, "30"),
        ("C", Col.VALUE, "55.5"),
        ("R", Col.NUMERATOR, "80"),
        ("R", Col.DENOMINATOR, "100"),
        ("S", Col.NUMERATOR, "81"),
        ("S", Col.DENOMINATOR, "100"),
    ]:
        assert model.setData(model.index_of(code, column), text), model.last_error


def test_signing_is_refused_with_the_reasons_while_the_form_is_incomplete(
    signing_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: shown.append(text))
    model = signing_window.model
    assert model is not None
    model.setData(model.index_of("A", Col.VALUE), "10")  # behind, no explanation
    submission_actions.sign_current(signing_window)
    assert shown and "需填写情况说明" in shown[0]
    assert signed_envelope(signing_window.db, D1, signing_window.form.period) is None  # type: ignore[union-attr]


def test_sign_lock_and_export_from_the_window(
    signing_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_everything(signing_window)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(tmp_path))
    submission_actions.sign_current(signing_window)
    form = signing_window.form
    assert form is not None
    envelope = signed_envelope(signing_window.db, D1, form.period)
    assert envelope is not None
    ca = submission_actions.keystore(signing_window).city_certificate()
    assert verify_envelope(envelope, ca)["revision"] == 1
    assert "已签名锁定" in signing_window.banner.text()
    stem = submission_actions.file_stem(envelope)
    assert verify_xlsx(tmp_path / f"{stem}.xlsx", ca)["submission_id"] == envelope["payload"]["submission_id"]
    assert verify_pdf(tmp_path / f"{stem}.pdf", ca)["submission_id"] == envelope["payload"]["submission_id"]
    # An edit after signing opens the next revision; the signed one stays as it was.
    model = signing_window.model
    assert model is not None and model.setData(model.index_of("A", Col.VALUE), "61")
    assert [r.revision for r in form.revisions()] == [1, 2]
    assert signed_envelope(signing_window.db, D1, form.period) == envelope


def test_printing_draws_every_page_of_the_pdf(signing_window: MainWindow, tmp_path: Path) -> None:
    from app.submissions.export_pdf import render_pdf
    from app.submissions.signing import sign_and_lock

    fill_everything(signing_window)
    form = signing_window.form
    assert form is not None
    signed = sign_and_lock(signing_window.db, submission_actions.keystore(signing_window), D1, form.period, PASSPHRASE)
    pdf = render_pdf(signed.envelope["payload"], __version__)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    import pypdfium2 as pdfium

    assert paint_pages(printer, pdf) == len(pdfium.PdfDocument(pdf)) >= 1
    assert (tmp_path / "printed.pdf").stat().st_size > 10_000


def test_verify_dialog_lists_each_file_with_its_verdict(
    signing_window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.verify_dialog import VerifyDialog

    fill_everything(signing_window)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(tmp_path))
    submission_actions.sign_current(signing_window)
    files = sorted(tmp_path.glob("*.xlsx")) + sorted(tmp_path.glob("*.pdf"))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 not really")
    dialog = VerifyDialog(submission_actions.keystore(signing_window), [*files, broken])
    assert [r["valid"] for r in dialog.results] == [True, True, False]
    assert dialog.results[2]["reason"] == "unreadable"


def test_keys_dialog_walks_the_city_and_the_district_through_their_steps(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QInputDialog

    from app.trust.keys import KeyStore, fingerprint
    from ui import keys_dialog
    from ui.keys_dialog import KeysDialog

    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: told.append("WARN " + text))
    monkeypatch.setattr(keys_dialog, "ask_passphrase", lambda *_a, **_k: PASSPHRASE)
    monkeypatch.setattr(QInputDialog, "getText", lambda *_a, **_k: ("测试市生态环境局", True))
    city = KeyStore(tmp_path / "city")
    city_dialog = KeysDialog(city, "city", "C0", "测试市")
    qtbot.addWidget(city_dialog)
    city_dialog.city_init()
    assert city.has_city_certificate() and "指纹" in told[-1]

    district = KeyStore(tmp_path / "district")
    district.pin_city_certificate(city.city_certificate())
    clerk = KeysDialog(district, "district", D1, "甲区")
    qtbot.addWidget(clerk)
    clerk.request()
    assert "公钥指纹" in told[-1]
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(district.path(f"unit-{D1}.csr.pem")), "")
    )
    city_dialog.issue()
    issued = city.path(f"unit-{D1}.crt.pem")
    assert issued.exists()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(issued), ""))
    clerk.import_certificate()
    assert district.unit_certificate(D1).serial_number == city.unit_certificate(D1).serial_number
    assert fingerprint(district.unit_certificate(D1)) in clerk.status.text()
