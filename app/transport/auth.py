"""Signed requests: how a unit proves who asks for its notices and status, on both sides of the wire.

The client signs ``METHOD\\nTARGET\\nTIME\\nNONCE\\nSHA256(body) hex`` with its unit key, where TARGET is the
request's path as sent, followed by ``?`` and the query when there is one; the headers carry the unit code, the
time (UTC, ``…Z``), a random 128-bit nonce (32 lowercase hex digits), the unit certificate (base64 DER) and the
signature (base64 ECDSA-SHA256). The server accepts a request whose time is within :data:`WINDOW` of its own clock,
whose certificate the city CA issued to that unit, whose signature holds, and whose nonce it has not seen — it
keeps nonces for longer than the window, so a captured request cannot be sent again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from app.transport.receipts import parse_utc
from app.trust.certificates import KeysError, check_issued_by, unit_code_of

UNIT = "X-Tianbao-Unit"
TIME = "X-Tianbao-Time"
NONCE = "X-Tianbao-Nonce"
CERTIFICATE = "X-Tianbao-Certificate"
SIGNATURE = "X-Tianbao-Signature"
# How far a request's time may be from the server's clock, either way.
WINDOW = dt.timedelta(minutes=5)
MAX_CERTIFICATE_BYTES = 8 * 1024
_NONCE = re.compile(r"^[0-9a-f]{32}$")
_UNIT = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


def signed_text(method: str, target: str, time: str, nonce: str, body: bytes) -> bytes:
    """The exact bytes a request signature covers."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), target, time, nonce, digest)).encode("utf-8")


class AuthError(Exception):
    """A request that is not let through: ``status`` 401 (who asks is not proven) or 403 (not theirs to read)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    """A request whose signature holds: the unit that signed it, its nonce (not yet checked for replay), its time."""

    unit_code: str
    nonce: str
    time: dt.datetime


def _unsigned(message: str) -> AuthError:
    return AuthError(401, "unauthenticated", message)


def check_signed_request(
    method: str,
    target: str,
    headers: Mapping[str, str],
    body: bytes,
    city_ca: x509.Certificate,
    now: dt.datetime,
) -> SignedRequest:
    """The signer of a request, or :class:`AuthError` (401) when the request is not validly signed now.

    ``headers`` is looked up by lowercase name. Replay (a nonce seen before) is the caller's check.
    """
    values = {name: headers.get(name.lower()) for name in (UNIT, TIME, NONCE, CERTIFICATE, SIGNATURE)}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise _unsigned(f"请求没有签名（缺少 {missing[0]}）")
    unit, time, nonce = str(values[UNIT]), str(values[TIME]), str(values[NONCE])
    if not _UNIT.match(unit):
        raise _unsigned("请求的单位代码无效")
    try:
        when = parse_utc(time)
    except ValueError as exc:
        raise _unsigned("请求的时间无效（须为 UTC，如 2024-01-31T08:00:00.000Z）") from exc
    if abs(now - when) > WINDOW:
        raise _unsigned(
            f"请求的时间 {time} 与服务器时间相差超过 {int(WINDOW.total_seconds() // 60)} 分钟：请校准电脑时钟"
        )
    if not _NONCE.match(nonce):
        raise _unsigned("请求的随机数无效（须为 32 位十六进制小写）")
    try:
        der = base64.b64decode(str(values[CERTIFICATE]), validate=True)
        if len(der) > MAX_CERTIFICATE_BYTES:
            raise ValueError("certificate too large")
        cert = x509.load_der_x509_certificate(der)
        signature = base64.b64decode(str(values[SIGNATURE]), validate=True)
    except (ValueError, binascii.Error) as exc:
        raise _unsigned("请求的证书或签名数据已损坏") from exc
    try:
        check_issued_by(cert, city_ca, now)
    except KeysError as exc:
        raise _unsigned(f"请求的签名证书无效：{exc}") from exc
    if unit_code_of(cert) != unit:
        raise _unsigned(f"请求自称单位 {unit}，签名证书却属于单位 {unit_code_of(cert)}")
    public_key = cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise _unsigned("请求的签名证书的密钥不是 ECDSA")
    try:
        public_key.verify(signature, signed_text(method, target, time, nonce, body), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise _unsigned("请求的签名不符（请求在签名后被改动过）") from exc
    return SignedRequest(unit, nonce, when)
