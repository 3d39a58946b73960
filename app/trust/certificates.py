"""Certificates of the city's trust chain, built and checked without touching files: the city CA, unit
certificates and their requests, the intake server's TLS and receipt-signing certificates, fingerprints to read
out over the phone.

ECDSA P-256 throughout; unit and receipt certificates may sign (digital signature and non-repudiation), only the
CA may issue. The two server certificates carry an extended key usage that says what they are for (TLS server;
time stamping — a receipt is the trusted time of a submission), which a unit certificate never has.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from app.memo import remembered_if_short
from app.trust import KeysError as KeysError  # raised here, defined without the cryptography library

CA_YEARS = 10
UNIT_DAYS = 3 * 366
# Issued a few minutes in the past, so a PC whose clock is slightly behind accepts a fresh certificate.
BACKDATE = dt.timedelta(minutes=5)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate, in groups of four hex digits (to read out over the phone)."""
    return group(cert.fingerprint(hashes.SHA256()).hex())


def key_fingerprint(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return group(hashlib.sha256(der).hexdigest())


def group(hexdigits: str) -> str:
    return " ".join(hexdigits[i : i + 4] for i in range(0, len(hexdigits), 4)).upper()


def unit_code_of(cert: x509.Certificate) -> str | None:
    """The unit code a unit certificate was issued for (subject serialNumber)."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else None


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def signing_usage(ca: bool, commitment: bool = True) -> x509.KeyUsage:
    """Sign and commit to content (a TLS key, ``commitment=False``, only signs its handshakes); a CA may also
    issue certificates and revocation lists."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def ca_certificate(key: ec.EllipticCurvePrivateKey, issuer: str) -> x509.Certificate:
    """The city's self-signed CA certificate for ``issuer`` (the issuing authority's name)."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{issuer} 填报通 CA"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer),
        ]
    )
    start = now()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - BACKDATE)
        .not_valid_after(start + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(signing_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def issued_certificate(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    days: int = UNIT_DAYS,
) -> x509.CertificateBuilder:
    """A certificate for ``subject`` signed by the city CA, never outliving the CA; the caller may add extensions."""
    start = now()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - BACKDATE)
        .not_valid_after(min(start + dt.timedelta(days=days), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )


def unit_request(key: ec.EllipticCurvePrivateKey, unit_code: str, unit_name: str) -> x509.CertificateSigningRequest:
    """The certificate request a unit sends the city: its name and code, signed with its own new key."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, unit_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, unit_code),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, unit_name),
        ]
    )
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def check_issued_by(cert: x509.Certificate, ca: x509.Certificate, at: dt.datetime | None = None) -> None:
    """Raise :class:`KeysError` unless ``cert`` was issued by ``ca`` and is valid at ``at`` (default: now)."""
    if cert.issuer != ca.subject:
        raise KeysError("证书不是市级 CA 签发的")
    if not _signed_by(cert, ca):
        raise KeysError("证书不是市级 CA 签发的（签名不符）")
    when = at or now()
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise KeysError(
            f"证书不在有效期内（{cert.not_valid_before_utc:%Y-%m-%d} 至 {cert.not_valid_after_utc:%Y-%m-%d}）"
        )
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    if not (usage.digital_signature and usage.content_commitment):
        raise KeysError("证书不允许用于签名")


MAX_REMEMBERED_CERTIFICATE = 4096  # bytes to be signed; a unit certificate of this program has under one


@remembered_if_short(256, lambda cert, ca: len(cert.tbs_certificate_bytes), MAX_REMEMBERED_CERTIFICATE)
def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    """Whether ``ca``'s key signed ``cert``. Remembered for certificates of the size this program issues (an
    import checks the same few dozen unit certificates in file after file); a larger one, which a hostile PDF
    can carry, is checked and forgotten."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


# The purpose only receipt-signing certificates carry: a receipt is the trusted time of a submission.
RECEIPT_PURPOSE = ExtendedKeyUsageOID.TIME_STAMPING


def _host_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def check_host_name(host: str) -> str:
    """A host name or IP address a server certificate can name; :class:`KeysError` otherwise."""
    host = host.strip().lower()
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    if (
        not host
        or len(host) > 253
        or not all(
            0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() and not label.startswith("-")
            for label in labels
        )
    ):
        raise KeysError(f"“{host}”不是有效的主机名或 IP 地址")
    return host


def _server_subject(ca_cert: x509.Certificate, common_name: str) -> x509.Name:
    organisation = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(organisation[0].value)))
    return x509.Name(attributes)


def server_tls_certificate(
    host: str,
    public_key: ec.EllipticCurvePublicKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    days: int = UNIT_DAYS,
) -> x509.Certificate:
    """The intake server's TLS certificate for ``host`` (in its subjectAltName), issued by the city CA."""
    host = check_host_name(host)
    return (
        issued_certificate(_server_subject(ca_cert, host), public_key, ca_cert, ca_key, days)
        .add_extension(signing_usage(ca=False, commitment=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=True)
        .add_extension(x509.SubjectAlternativeName([_host_name(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def receipt_certificate(
    host: str,
    public_key: ec.EllipticCurvePublicKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    days: int = UNIT_DAYS,
) -> x509.Certificate:
    """The certificate the intake server at ``host`` signs receipts with, issued by the city CA; it names the
    server (subjectAltName) and carries the receipt purpose."""
    host = check_host_name(host)
    return (
        issued_certificate(_server_subject(ca_cert, f"{host} 回执签名"), public_key, ca_cert, ca_key, days)
        .add_extension(signing_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([RECEIPT_PURPOSE]), critical=True)
        .add_extension(x509.SubjectAlternativeName([_host_name(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def has_receipt_purpose(cert: x509.Certificate) -> bool:
    """Whether ``cert`` was issued for signing receipts (never true of a unit certificate)."""
    try:
        purposes = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return False
    return RECEIPT_PURPOSE in purposes


def server_name_of(cert: x509.Certificate) -> str | None:
    """The host a server certificate names (its first subjectAltName)."""
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    for name in names:
        if isinstance(name, x509.DNSName | x509.IPAddress):
            return str(name.value)
    return None
