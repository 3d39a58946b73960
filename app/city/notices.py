"""Signed notices from the city to a unit (退回, 延期 …): a small JSON document signed with the city CA key, checked
by the district against the city certificate it pinned.

The signature covers the canonical JSON of the document without its ``signature`` member (sorted keys, UTF-8,
no spaces).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app import __version__
from app.storage.files import write_atomic
from app.trust.canonical import canonical_bytes
from app.trust.keys import KeyStore, fingerprint

ALGORITHM = "ECDSA-P256-SHA256"
MAX_NOTICE_BYTES = 1024 * 1024


class NoticeError(ValueError):
    """A notice that cannot be accepted; the message says why in Chinese."""


def write_signed_notice(
    body: dict[str, Any], keys: KeyStore, passphrase: str, out: Path, format_name: str
) -> dict[str, Any]:
    """Sign ``body`` as a notice of ``format_name`` with the city CA key and write it to ``out`` atomically."""
    header = {"format": format_name, "format_version": 1, "generator": f"填报通 Tianbao {__version__}"}
    document = sign_notice({**header, **body}, keys.city_key(passphrase), keys.city_certificate())
    write_atomic(out, (json.dumps(document, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return document


def sign_notice(body: dict[str, Any], key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> dict[str, Any]:
    """``body`` with its ``signature``: the city CA key's over the canonical JSON of everything else."""
    value = key.sign(canonical_bytes(body), ec.ECDSA(hashes.SHA256()))
    return {
        **body,
        "signature": {
            "algorithm": ALGORITHM,
            "certificate": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "value": base64.b64encode(value).decode("ascii"),
        },
    }


def notice_format(path: Path) -> str | None:
    """The ``format`` a notice file declares (to pick its reader), or None when it is not a readable notice."""
    try:
        raw = _read(path)
        document = json.loads(raw.decode("utf-8"))
    except (NoticeError, ValueError, UnicodeDecodeError):
        return None
    value = document.get("format") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def read_signed_notice(path: Path, keys: KeyStore, format_name: str, what: str) -> dict[str, Any]:
    """The body of a notice of ``format_name`` whose city signature holds against the pinned city certificate."""
    return signed_notice_body(_read(path), keys, format_name, what, str(path))


def signed_notice_body(raw: bytes, keys: KeyStore, format_name: str, what: str, path: str) -> dict[str, Any]:
    """:func:`read_signed_notice` of a notice's bytes (``path`` names where they came from in messages)."""
    if len(raw) > MAX_NOTICE_BYTES:
        raise NoticeError(f"{path} 不是通知文件（文件过大）")
    try:
        document = json.loads(raw.decode("utf-8"))
        sig = document.pop("signature")
        cert = x509.load_pem_x509_certificate(str(sig["certificate"]).encode("ascii"))
        value = base64.b64decode(str(sig["value"]), validate=True)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise NoticeError(f"{path} 不是有效的{what}") from exc
    if not isinstance(document, dict) or document.get("format") != format_name:
        raise NoticeError(f"{path} 不是{what}")
    if not keys.has_city_certificate() or fingerprint(cert) != fingerprint(keys.city_certificate()):
        raise NoticeError(f"{what}不是本机已确认的市级证书签发的")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise NoticeError(f"{what}的签名不符（文件被改动过）")
    try:
        public_key.verify(value, canonical_bytes(document), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise NoticeError(f"{what}的签名不符（文件被改动过）") from exc
    return document


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_NOTICE_BYTES:
            raise NoticeError(f"{path} 不是通知文件（文件过大）")
        return path.read_bytes()
    except OSError as exc:
        raise NoticeError(f"无法读取 {path}：{exc.strerror or exc}") from exc
