"""The key folder of one installation: the city's CA, each unit's key pair, requests, issuing and importing
certificates, and the pinned city certificate.

Private keys are only ever written encrypted (PKCS#8 with the passphrase), to files in the key folder, never to the
database. See ``docs/submission-format.md``. Building and checking certificates is :mod:`app.trust.certificates`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.storage.files import write_atomic
from app.trust.certificates import (
    CA_YEARS,
    UNIT_DAYS,
    KeysError,
    ca_certificate,
    check_issued_by,
    fingerprint,
    group,
    issued_certificate,
    key_fingerprint,
    receipt_certificate,
    server_tls_certificate,
    signing_usage,
    unit_code_of,
    unit_request,
)

__all__ = [
    "CA_YEARS",
    "CITY_CERT",
    "CITY_KEY",
    "MIN_PASSPHRASE",
    "RECEIPT_CERT",
    "RECEIPT_KEY",
    "TLS_CERT",
    "TLS_KEY",
    "UNIT_DAYS",
    "KeyStore",
    "KeysError",
    "check_issued_by",
    "default_keys_dir",
    "fingerprint",
    "group",
    "key_fingerprint",
    "unit_code_of",
]

CITY_CERT = "city-ca.crt.pem"
CITY_KEY = "city-ca.key.pem"
MIN_PASSPHRASE = 8
# The intake server's own key folder: what `keys server-cert` writes and `serve` reads (with the CA certificate).
TLS_CERT = "tls.crt.pem"
TLS_KEY = "tls.key.pem"
RECEIPT_CERT = "receipt.crt.pem"
RECEIPT_KEY = "receipt.key.pem"


def default_keys_dir(db_path: Path) -> Path:
    env = os.environ.get("TIANBAO_KEYS")
    return Path(env) if env else Path(db_path).resolve().parent / "keys"


def _encrypt(key: ec.EllipticCurvePrivateKey, passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeysError(f"口令至少需要 {MIN_PASSPHRASE} 个字符")
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )


@dataclass
class KeyStore:
    """The key folder of one installation."""

    folder: Path

    def path(self, name: str) -> Path:
        return self.folder / name

    # ------------------------------------------------------------------ reading

    def _read_cert(self, name: str, what: str) -> x509.Certificate:
        path = self.path(name)
        try:
            return x509.load_pem_x509_certificate(path.read_bytes())
        except FileNotFoundError as exc:
            raise KeysError(f"没有找到{what}（{path}）") from exc
        except ValueError as exc:
            raise KeysError(f"{what}文件 {path} 已损坏") from exc

    def _read_key(self, name: str, passphrase: str, what: str) -> ec.EllipticCurvePrivateKey:
        path = self.path(name)
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), passphrase.encode("utf-8"))
        except FileNotFoundError as exc:
            raise KeysError(f"没有找到{what}（{path}）") from exc
        except (ValueError, TypeError) as exc:
            raise KeysError(f"口令不正确，或{what}文件 {path} 已损坏") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeysError(f"{what}不是 ECDSA 密钥")
        return key

    def city_certificate(self) -> x509.Certificate:
        return self._read_cert(CITY_CERT, "市级 CA 证书")

    def has_city_certificate(self) -> bool:
        return self.path(CITY_CERT).exists()

    def city_key(self, passphrase: str) -> ec.EllipticCurvePrivateKey:
        return self._read_key(CITY_KEY, passphrase, "市级 CA 私钥")

    def unit_certificate(self, unit_code: str) -> x509.Certificate:
        return self._read_cert(f"unit-{unit_code}.crt.pem", f"单位 {unit_code} 的证书")

    def unit_key(self, unit_code: str, passphrase: str) -> ec.EllipticCurvePrivateKey:
        return self._read_key(f"unit-{unit_code}.key.pem", passphrase, f"单位 {unit_code} 的私钥")

    # ------------------------------------------------------------------ the city

    def city_init(self, issuer: str, passphrase: str) -> x509.Certificate:
        """Create the city's CA key and self-signed certificate. Refuses to replace an existing CA."""
        if self.path(CITY_KEY).exists() or self.path(CITY_CERT).exists():
            raise KeysError(f"{self.folder} 中已有市级 CA；更换 CA 会使已签发的证书全部失效，请先移走旧文件")
        key = ec.generate_private_key(ec.SECP256R1())
        cert = ca_certificate(key, issuer)
        write_atomic(self.path(CITY_KEY), _encrypt(key, passphrase), private=True)
        write_atomic(self.path(CITY_CERT), cert.public_bytes(serialization.Encoding.PEM))
        return cert

    def issue(self, csr_path: Path, passphrase: str, days: int = UNIT_DAYS) -> tuple[x509.Certificate, Path]:
        """Issue a unit certificate for the request at ``csr_path``; written as ``unit-CODE.crt.pem``."""
        try:
            csr = x509.load_pem_x509_csr(Path(csr_path).read_bytes())
        except (OSError, ValueError) as exc:
            raise KeysError(f"{csr_path} 不是有效的证书请求文件") from exc
        if not csr.is_signature_valid:
            raise KeysError(f"证书请求 {csr_path} 的签名无效（文件被改动过）")
        code_attrs = csr.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if not code_attrs:
            raise KeysError(f"证书请求 {csr_path} 中没有单位代码")
        public_key = csr.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey) or public_key.curve.name != "secp256r1":
            raise KeysError("证书请求的密钥不是 ECDSA P-256")
        ca_cert, ca_key = self.city_certificate(), self.city_key(passphrase)
        builder = issued_certificate(csr.subject, public_key, ca_cert, ca_key, days)
        cert = builder.add_extension(signing_usage(ca=False), critical=True).sign(ca_key, hashes.SHA256())
        code = code_attrs[0].value
        code = code.decode("utf-8") if isinstance(code, bytes) else code
        if not code.replace("-", "").replace("_", "").isalnum():
            raise KeysError(f"证书请求中的单位代码“{code}”无效")  # it becomes part of a file name
        out = self.path(f"unit-{code}.crt.pem")
        write_atomic(out, cert.public_bytes(serialization.Encoding.PEM))
        return cert, out

    def issue_server(
        self, host: str, ca_passphrase: str, server_passphrase: str, out: Path, days: int = UNIT_DAYS
    ) -> tuple[x509.Certificate, x509.Certificate]:
        """(City) Make the intake server's two key pairs and issue their certificates: TLS for ``host``, and
        receipt signing. Written to the folder ``out`` with the city CA certificate — everything the server gets;
        the CA key stays here. The server keys are encrypted with ``server_passphrase``. Returns (TLS, receipt).
        """
        out = Path(out)
        held = [name for name in (TLS_KEY, RECEIPT_KEY) if (out / name).exists()]
        if held:
            raise KeysError(f"{out} 中已有服务器密钥（{held[0]}）；重新签发请换一个文件夹，或先移走旧文件")
        ca_cert, ca_key = self.city_certificate(), self.city_key(ca_passphrase)
        tls_key = ec.generate_private_key(ec.SECP256R1())
        receipt_key = ec.generate_private_key(ec.SECP256R1())
        tls = server_tls_certificate(host, tls_key.public_key(), ca_cert, ca_key, days)
        receipt = receipt_certificate(host, receipt_key.public_key(), ca_cert, ca_key, days)
        pem = serialization.Encoding.PEM
        write_atomic(out / TLS_KEY, _encrypt(tls_key, server_passphrase), private=True)
        write_atomic(out / RECEIPT_KEY, _encrypt(receipt_key, server_passphrase), private=True)
        write_atomic(out / TLS_CERT, tls.public_bytes(pem))
        write_atomic(out / RECEIPT_CERT, receipt.public_bytes(pem))
        write_atomic(out / CITY_CERT, ca_cert.public_bytes(pem))
        return tls, receipt

    def receipt_signing(
        self, passphrase: str, cert_path: Path | None = None, key_path: Path | None = None
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """(Server) The receipt key and certificate, from this folder unless paths are given; the certificate
        must be issued by this folder's city CA and the key must be its own."""
        cert_file = Path(cert_path) if cert_path is not None else self.path(RECEIPT_CERT)
        key_file = Path(key_path) if key_path is not None else self.path(RECEIPT_KEY)
        try:
            cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        except FileNotFoundError as exc:
            raise KeysError(f"没有找到回执签名证书（{cert_file}）；请用 keys server-cert 签发") from exc
        except ValueError as exc:
            raise KeysError(f"回执签名证书文件 {cert_file} 已损坏") from exc
        try:
            key = serialization.load_pem_private_key(key_file.read_bytes(), passphrase.encode("utf-8"))
        except FileNotFoundError as exc:
            raise KeysError(f"没有找到回执签名私钥（{key_file}）") from exc
        except (ValueError, TypeError) as exc:
            raise KeysError(f"口令不正确，或回执签名私钥文件 {key_file} 已损坏") from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise KeysError("回执签名私钥不是 ECDSA 密钥")
        if key_fingerprint(key.public_key()) != key_fingerprint(cert.public_key()):  # type: ignore[arg-type]
            raise KeysError("回执签名私钥与证书不配对")
        check_issued_by(cert, self.city_certificate())
        return key, cert

    # ------------------------------------------------------------------ a unit

    def request(self, unit_code: str, unit_name: str, passphrase: str) -> tuple[Path, str]:
        """Make the unit's key pair here and a certificate request for the city; returns (request, fingerprint).

        An existing key is kept (a request can be made again from it) so that no issued certificate is orphaned.
        """
        key_path = self.path(f"unit-{unit_code}.key.pem")
        if key_path.exists():
            key = self.unit_key(unit_code, passphrase)
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            write_atomic(key_path, _encrypt(key, passphrase), private=True)
        csr = unit_request(key, unit_code, unit_name)
        out = self.path(f"unit-{unit_code}.csr.pem")
        write_atomic(out, csr.public_bytes(serialization.Encoding.PEM))
        return out, key_fingerprint(key.public_key())

    def import_certificate(self, cert_path: Path, unit_code: str) -> x509.Certificate:
        """Take the certificate the city issued: it must be for this unit's own key and from the pinned city CA."""
        try:
            cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
        except (OSError, ValueError) as exc:
            raise KeysError(f"{cert_path} 不是有效的证书文件") from exc
        if unit_code_of(cert) != unit_code:
            raise KeysError(f"证书是为单位 {unit_code_of(cert)} 签发的，不是本单位 {unit_code}")
        own = self.path(f"unit-{unit_code}.key.pem")
        if not own.exists():
            raise KeysError(f"本机没有单位 {unit_code} 的私钥；证书只能导入到生成请求的那台电脑上")
        request = self.path(f"unit-{unit_code}.csr.pem")
        if request.exists():
            mine = x509.load_pem_x509_csr(request.read_bytes()).public_key()
            if key_fingerprint(mine) != key_fingerprint(cert.public_key()):  # type: ignore[arg-type]
                raise KeysError("证书中的公钥与本单位的密钥不符")
        check_issued_by(cert, self.city_certificate())
        write_atomic(self.path(f"unit-{unit_code}.crt.pem"), cert.public_bytes(serialization.Encoding.PEM))
        return cert

    def pin_city_certificate(self, cert: x509.Certificate) -> bool:
        """Keep the city's CA certificate on first sight; afterwards it must be the same. Returns True if new."""
        if self.has_city_certificate():
            if fingerprint(self.city_certificate()) != fingerprint(cert):
                raise KeysError(
                    f"模板的签发证书（指纹 {fingerprint(cert)}）与本机已确认的市级证书"
                    f"（指纹 {fingerprint(self.city_certificate())}）不同"
                )
            return False
        write_atomic(self.path(CITY_CERT), cert.public_bytes(serialization.Encoding.PEM))
        return True
