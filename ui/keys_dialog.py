"""Keys and certificates in the window: the city's CA and issuing, a unit's request and certificate import.

Each button is one call into ``app.trust.keys``; fingerprints are shown so they can be confirmed by phone.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from app.trust.keys import KeyStore

# The keys' library (cryptography) loads when the dialog is used, not with the window that offers it.


def ask_passphrase(parent: QWidget, title: str, confirm: bool = False) -> str | None:
    """The passphrase typed into a password box, or ``None`` when cancelled."""
    first, ok = QInputDialog.getText(
        parent, title, QCoreApplication.translate("KeysDialog", "口令："), QLineEdit.EchoMode.Password
    )
    if not ok:
        return None
    if confirm:
        again, ok = QInputDialog.getText(
            parent, title, QCoreApplication.translate("KeysDialog", "再输入一次："), QLineEdit.EchoMode.Password
        )
        if not ok:
            return None
        if again != first:
            QMessageBox.warning(parent, title, QCoreApplication.translate("KeysDialog", "两次输入的口令不一致"))
            return None
    return first


class KeysDialog(QDialog):
    """What this installation holds, and the steps of getting a unit certificate."""

    def __init__(self, keys: KeyStore, role: str, unit_code: str, unit_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.keys, self.role, self.unit_code, self.unit_name = keys, role, unit_code, unit_name
        self.setWindowTitle(self.tr("密钥与证书"))
        self.status = QLabel()
        # One fact per line, fingerprints on their own line: no wrapping, so the dialog sizes to the text.
        self.status.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        if role == "city":
            self._button(layout, self.tr("生成市级 CA…"), self.city_init)
            self._button(layout, self.tr("为区县的证书请求签发证书…"), self.issue)
        else:
            self._button(layout, self.tr("生成本单位密钥和证书请求…"), self.request)
            self._button(layout, self.tr("导入市级签发的证书…"), self.import_certificate)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.refresh()

    def _button(self, layout: QVBoxLayout, text: str, slot: object) -> None:
        button = QPushButton(text)
        button.clicked.connect(slot)
        layout.addWidget(button)

    def refresh(self) -> None:
        from app.trust.keys import KeysError, fingerprint

        lines = [self.tr("密钥文件夹：%1").replace("%1", str(self.keys.folder))]
        try:
            ca = self.keys.city_certificate()
            lines.append(self.tr("市级 CA 证书指纹：") + "\n    " + fingerprint(ca))
        except KeysError:
            lines.append(self.tr("还没有市级 CA 证书"))
        if self.role != "city":
            try:
                cert = self.keys.unit_certificate(self.unit_code)
                lines.append(
                    self.tr("本单位证书（有效期至 %1）指纹：").replace("%1", f"{cert.not_valid_after_utc:%Y-%m-%d}")
                    + "\n    "
                    + fingerprint(cert)
                )
            except KeysError:
                lines.append(self.tr("本单位还没有证书"))
        self.status.setText("\n".join(lines))

    def _fail(self, exc: Exception) -> None:
        QMessageBox.warning(self, self.tr("未完成"), str(exc))

    def city_init(self) -> None:
        from app.trust.keys import KeysError, fingerprint

        issuer, ok = QInputDialog.getText(self, self.tr("生成市级 CA"), self.tr("签发机关名称："))
        if not ok or not issuer.strip():
            return
        secret = ask_passphrase(self, self.tr("为市级 CA 私钥设置口令"), confirm=True)
        if secret is None:
            return
        try:
            cert = self.keys.city_init(issuer.strip(), secret)
        except KeysError as exc:
            self._fail(exc)
            return
        QMessageBox.information(
            self, self.tr("市级 CA"), self.tr("已生成。请把证书指纹通知各区县：\n%1").replace("%1", fingerprint(cert))
        )
        self.refresh()

    def issue(self) -> None:
        from app.trust.keys import KeysError, fingerprint

        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择证书请求"), "", self.tr("证书请求 (*.csr.pem *.pem)"))
        if not path:
            return
        secret = ask_passphrase(self, self.tr("市级 CA 私钥口令"))
        if secret is None:
            return
        try:
            cert, out = self.keys.issue(Path(path), secret)
        except KeysError as exc:
            self._fail(exc)
            return
        QMessageBox.information(
            self,
            self.tr("已签发"),
            self.tr("证书已写入 %1\n指纹：%2").replace("%1", str(out)).replace("%2", fingerprint(cert)),
        )

    def request(self) -> None:
        from app.trust.keys import KeysError

        secret = ask_passphrase(self, self.tr("为本单位私钥设置口令"), confirm=True)
        if secret is None:
            return
        try:
            out, print_ = self.keys.request(self.unit_code, self.unit_name, secret)
        except KeysError as exc:
            self._fail(exc)
            return
        QMessageBox.information(
            self,
            self.tr("证书请求"),
            self.tr("已生成 %1，请交市级签发。\n公钥指纹（请电话告知市级核对）：%2")
            .replace("%1", str(out))
            .replace("%2", print_),
        )

    def import_certificate(self) -> None:
        from app.trust.keys import KeysError, fingerprint

        path, _ = QFileDialog.getOpenFileName(self, self.tr("选择证书"), "", self.tr("证书 (*.crt.pem *.pem)"))
        if not path:
            return
        try:
            cert = self.keys.import_certificate(Path(path), self.unit_code)
        except KeysError as exc:
            self._fail(exc)
            return
        QMessageBox.information(self, self.tr("已导入"), self.tr("证书指纹：%1").replace("%1", fingerprint(cert)))
        self.refresh()
