"""Whether the city CA signed a certificate: the same answer every time, remembered only for certificates of
the size this program issues."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from app.trust import certificates
from app.trust.certificates import ca_certificate, check_issued_by, signing_usage
from app.trust.keys import KeysError


def _certificate(issuer: x509.Name, key: ec.EllipticCurvePrivateKey, padding: int, serial: int) -> x509.Certificate:
    """A unit-like certificate naming ``issuer``, signed with ``key``, carrying ``padding`` bytes of an extension."""
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "某单位")]))
        .issuer_name(issuer)
        .public_key(ec.generate_private_key(ec.SECP256R1()).public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=30))
        .add_extension(signing_usage(ca=False), critical=True)
    )
    if padding:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04" * padding), critical=False
        )
    return builder.sign(key, hashes.SHA256())


def test_a_large_certificate_naming_the_city_is_refused_and_not_kept() -> None:
    city_key = ec.generate_private_key(ec.SECP256R1())
    city = ca_certificate(city_key, "测试市生态环境局")
    stranger = ec.generate_private_key(ec.SECP256R1())
    genuine = _certificate(city.subject, city_key, 0, 1)
    check_issued_by(genuine, city)
    check_issued_by(genuine, city)  # the second time from memory, with the same answer
    kept = certificates._signed_by.cache_info().currsize
    for serial in range(2, 6):
        # Signed by a stranger though it names the city CA as issuer, and padded far beyond a unit certificate:
        # a hostile PDF can carry such a certificate; keeping it would keep its megabyte.
        forged = _certificate(city.subject, stranger, 1024 * 1024, serial)
        with pytest.raises(KeysError, match="签名不符"):
            check_issued_by(forged, city)
    assert certificates._signed_by.cache_info().currsize == kept
    small_forgery = _certificate(city.subject, stranger, 0, 7)
    for _ in range(2):
        with pytest.raises(KeysError, match="签名不符"):
            check_issued_by(small_forgery, city)
