"""The 报送 menu: sign and lock the current form, export the signed Excel and PDF, print, keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app import __version__
from ui.keys_dialog import KeysDialog, ask_passphrase
from ui.window_api import WindowApi

if TYPE_CHECKING:
    from app.trust.keys import KeyStore

# Signing and the keys (cryptography, the file formats) load when the clerk signs or exports, not at start.


def keystore(host: WindowApi) -> KeyStore:
    from app.trust.keys import KeyStore, default_keys_dir

    return KeyStore(default_keys_dir(host.db.path))


def sign_current(host: WindowApi) -> None:
    """Sign and lock the open form's revision, then offer to export it."""
    from app.submissions.signing import SigningError, sign_and_lock
    from app.trust.keys import KeysError

    form = host.form
    if form is None:
        return
    result = form.result
    if not result.can_sign:
        reasons = "\n".join(result.blocking_reasons()[:15])
        QMessageBox.warning(
            host.window(),
            QCoreApplication.translate("Submission", "尚不能签名"),
            QCoreApplication.translate("Submission", "请先处理以下问题：\n%1").replace("%1", reasons),
        )
        return
    secret = ask_passphrase(host.window(), QCoreApplication.translate("Submission", "本单位私钥口令"))
    if secret is None:
        return
    try:
        signed = sign_and_lock(host.db, keystore(host), form.unit.code, form.period, secret)
    except (SigningError, KeysError) as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("Submission", "未签名"), str(exc))
        return
    host.reload_form()
    host.show_message(
        QCoreApplication.translate("Submission", "已签名并锁定第 %1 版").replace("%1", str(signed.revision))
    )
    from ui.outbox_monitor import after_signing

    after_signing(host.window(), form.unit.code, secret)
    export_files(host, signed.envelope, secret)


def _envelope(host: WindowApi) -> dict[str, Any] | None:
    from app.submissions.signing import signed_envelope

    form = host.form
    if form is None:
        return None
    envelope = signed_envelope(host.db, form.unit.code, form.period, form.spec.code)
    if envelope is None:
        QMessageBox.information(
            host.window(),
            QCoreApplication.translate("Submission", "没有已签名的版本"),
            QCoreApplication.translate("Submission", "本期还没有签名锁定的版本，请先签名。"),
        )
    return envelope


def export_signed(host: WindowApi) -> None:

    envelope = _envelope(host)
    if envelope is None:
        return
    secret = ask_passphrase(host.window(), QCoreApplication.translate("Submission", "本单位私钥口令（PDF 需要签名）"))
    if secret is not None:
        export_files(host, envelope, secret)


def file_stem(envelope: dict[str, Any]) -> str:
    payload = envelope["payload"]
    return f"{payload['unit']['name']}_{payload['period']}_第{payload['revision']}版"


def export_files(host: WindowApi, envelope: dict[str, Any], secret: str, folder: Path | None = None) -> list[Path]:
    """Write the signed Excel and PDF of ``envelope`` into a folder the clerk picks (or ``folder``)."""
    from app.submissions.export_pdf import write_submission_pdf
    from app.submissions.export_xlsx import write_submission_xlsx
    from app.trust.keys import KeysError

    if folder is None:
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        chosen = QFileDialog.getExistingDirectory(
            host.window(), QCoreApplication.translate("Submission", "保存报送文件到"), start
        )
        if not chosen:
            return []
        folder = Path(chosen)
    stem = file_stem(envelope)
    xlsx, pdf = folder / f"{stem}.xlsx", folder / f"{stem}.pdf"
    try:
        write_submission_xlsx(envelope, xlsx, __version__)
        write_submission_pdf(envelope, pdf, keystore(host), secret, __version__)
    except (OSError, KeysError) as exc:
        QMessageBox.warning(host.window(), QCoreApplication.translate("Submission", "导出未完成"), str(exc))
        return []
    host.show_message(
        QCoreApplication.translate("Submission", "已导出 %1 和 %2").replace("%1", xlsx.name).replace("%2", pdf.name)
    )
    return [xlsx, pdf]


def print_signed(host: WindowApi) -> None:
    from app.submissions.export_pdf import render_pdf
    from ui.printing import preview

    envelope = _envelope(host)
    if envelope is not None:
        preview(render_pdf(envelope["payload"], __version__), host.window())


def open_keys(host: WindowApi) -> None:

    form = host.form
    role = str(host.settings.value("role", "district"))
    unit = form.unit if form is not None else None
    dialog = KeysDialog(keystore(host), role, unit.code if unit else "", unit.name if unit else "", host.window())
    dialog.exec()


def verify_files(host: WindowApi) -> None:
    """Pick submission files and show whether each is valid and untouched."""
    from ui.verify_dialog import VerifyDialog

    keys = keystore(host)
    if not keys.has_city_certificate():
        QMessageBox.warning(
            host.window(),
            QCoreApplication.translate("Submission", "无法核验"),
            QCoreApplication.translate("Submission", "本机还没有市级 CA 证书（导入市级签名的模板时会记下）。"),
        )
        return
    paths, _ = QFileDialog.getOpenFileNames(
        host.window(),
        QCoreApplication.translate("Submission", "选择报送文件"),
        "",
        QCoreApplication.translate("Submission", "报送文件 (*.xlsx *.pdf)"),
    )
    if paths:
        VerifyDialog(keys, [Path(p) for p in paths], host.window()).exec()
