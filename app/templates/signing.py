"""Templates signed by the city: signing a template file, and checking the signature when a district imports it.

The signature covers the canonical JSON of the whole document except its ``signature`` member (sorted keys,
UTF-8, no spaces), made with the city CA's key. A district keeps (pins) the city's certificate the first time
and afterwards accepts only templates signed with that same certificate.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.storage.db import Database
from app.templates.document import TemplateError, read_document, signed_body, write_document
from app.templates.spec import spec_from_document
from app.trust.canonical import canonical_bytes
from app.trust.keys import KeysError, KeyStore, fingerprint

ALGORITHM = "ECDSA-P256-SHA256"


def signed_bytes(doc: dict[str, Any]) -> bytes:
    return canonical_bytes(signed_body(doc))


def sign_template(path: Path, keys: KeyStore, passphrase: str, out: Path | None = None) -> str:
    """Check the template, sign it with the city CA key and write it (to ``out`` or in place).

    Returns the fingerprint of the signing certificate.
    """
    doc = read_document(path)
    spec_from_document(doc, str(path))  # never sign a template the districts would refuse
    cert, key = keys.city_certificate(), keys.city_key(passphrase)
    doc["signature"] = None
    signature = key.sign(signed_bytes(doc), ec.ECDSA(hashes.SHA256()))
    doc["signature"] = {
        "algorithm": ALGORITHM,
        "certificate": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "value": base64.b64encode(signature).decode("ascii"),
    }
    write_document(doc, out or path)
    return fingerprint(cert)


def check_template_signature(doc: dict[str, Any], keys: KeyStore, source: str) -> tuple[x509.Certificate, bool]:
    """Verify a template's city signature and pin the city certificate on first sight.

    Returns (the certificate, whether it was pinned just now). Raises :class:`TemplateError`.
    """
    sig = doc.get("signature")
    if not isinstance(sig, dict):
        raise TemplateError(source, ["模板没有市级签名，不能导入（只接受市里签发的模板文件）"])
    if sig.get("algorithm") != ALGORITHM:
        raise TemplateError(source, [f"signature.algorithm：不支持的签名算法 {sig.get('algorithm')}"])
    try:
        cert = x509.load_pem_x509_certificate(str(sig.get("certificate", "")).encode("ascii"))
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise TemplateError(source, ["signature：签名或证书数据已损坏"]) from exc
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise TemplateError(source, ["signature.certificate：证书的密钥不是 ECDSA"])
    try:
        public_key.verify(value, signed_bytes(doc), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise TemplateError(source, ["签名不符：模板在市级签名后被改动过"]) from exc
    try:
        cert.verify_directly_issued_by(cert)  # the city CA certificate signs itself
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise TemplateError(source, ["signature.certificate：不是市级 CA 证书"]) from exc
    try:
        pinned = keys.pin_city_certificate(cert)
    except KeysError as exc:
        raise TemplateError(source, [str(exc)]) from exc
    return cert, pinned


@dataclass(frozen=True)
class ImportedTemplate:
    name: str
    year: int
    version: str
    indicators: int
    new: bool
    fingerprint: str | None  # of the city certificate that signed it; None for an accepted unsigned template
    pinned: bool  # the city certificate was kept for the first time: confirm its fingerprint by phone


def import_signed_template_file(
    db: Database, keys: KeyStore, path: Path, allow_unsigned: bool = False
) -> ImportedTemplate:
    """Import a template file after checking the city's signature (unless ``allow_unsigned`` and it has none),
    in one transaction."""
    return import_signed_template_document(db, keys, read_document(path), str(path), allow_unsigned)


def import_signed_template_document(
    db: Database, keys: KeyStore, doc: dict[str, Any], source: str, allow_unsigned: bool = False
) -> ImportedTemplate:
    """Import a template document read from ``source`` (a file, or what the intake service offered), as
    :func:`import_signed_template_file` does."""
    from app.templates.document import content_hash
    from app.templates.export import document_from_spec
    from app.templates.store import store_spec

    spec = spec_from_document(doc, source)
    cert: x509.Certificate | None = None
    pinned = False
    if doc.get("signature") is not None or not allow_unsigned:
        cert, pinned = check_template_signature(doc, keys, source)
    with db.transaction() as session:
        digest = content_hash(document_from_spec(spec))
        catalog, new = store_spec(session, spec, digest, doc.get("signature"), source)
        if cert is not None and catalog.signed_document is None:
            # The document exactly as the city signed it: what the intake service hands the districts, and what
            # template export writes back (a document rebuilt from the catalog would not match the signature).
            catalog.signed_document = json.dumps(doc, ensure_ascii=False)
        return ImportedTemplate(
            catalog.name,
            catalog.year,
            catalog.version,
            len(spec.indicators),
            new,
            None if cert is None else fingerprint(cert),
            pinned,
        )
