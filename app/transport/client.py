"""The district's client of the city's intake service (httpx).

Only the city CA the district pinned is trusted (no system CAs): a TLS certificate the city did not issue for the
server's name fails the connection. Plain ``http`` is allowed only to this machine (127.0.0.1, ::1, localhost), for
tests and a service on the same PC. A delivery is only a 201 whose body is a receipt signed by the city's receipt
key for exactly the file sent; anything else is :class:`Unreachable` (try later) or :class:`Refused` (the server
judged the file: do not send it again unchanged). See ``docs/intake-api.md``.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import secrets
import ssl
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app import __version__
from app.city.importer import upload_envelope
from app.submissions.signing import VerificationError, payload_hash
from app.transport import auth
from app.transport.receipts import MAX_RECEIPT_BYTES, Receipt, ReceiptError, utc_text, verify_receipt

API = "/api/v1"
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}
# The most the client reads of an answer: a receipt or an error is small; templates are the largest.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
REFUSING_STATUSES = (409, 413, 422)
_LOOPBACK_NAMES = ("localhost",)


class IntakeError(Exception):
    """The upload or request did not succeed; ``message`` says why in Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(IntakeError):
    """No valid answer from the service (no connection, timeout, 5xx, 429, or an answer that is not the service's):
    keep the submission and try again later."""


class Refused(IntakeError):
    """The service judged the request and said no: ``code`` is its reason (the codes of ``verify``, ``conflict``,
    ``too_large``, ``unauthenticated``, ``forbidden`` …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class RequestSigner:
    """Signs a unit's requests for its notices and status with the unit's key (see :mod:`app.transport.auth`)."""

    def __init__(self, unit_code: str, private_key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        self.unit_code = unit_code
        self.private_key = private_key
        self.certificate = certificate
        self._certificate_b64 = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode("ascii")

    def headers(self, method: str, target: str, body: bytes = b"", now: dt.datetime | None = None) -> dict[str, str]:
        """The signature headers for a request to ``target`` (path, and ``?query`` when there is one)."""
        time = utc_text(now or dt.datetime.now(dt.UTC))
        nonce = secrets.token_hex(16)
        signature = self.private_key.sign(
            auth.signed_text(method, target, time, nonce, body), ec.ECDSA(hashes.SHA256())
        )
        return {
            auth.UNIT: self.unit_code,
            auth.TIME: time,
            auth.NONCE: nonce,
            auth.CERTIFICATE: self._certificate_b64,
            auth.SIGNATURE: base64.b64encode(signature).decode("ascii"),
        }


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(city_ca: x509.Certificate) -> ssl.SSLContext:
    """A TLS context that trusts the city CA and nothing else, and checks the server's name."""
    context = ssl.create_default_context(cadata=city_ca.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class IntakeClient:
    """The intake service at ``base_url`` (``https://host:port``), trusted through the pinned ``city_ca``."""

    def __init__(self, base_url: str, city_ca: x509.Certificate, timeout: float = 30.0) -> None:
        url = httpx.URL(base_url.rstrip("/"))
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"上报服务地址“{base_url}”无效（应为 https://主机:端口）")
        if url.scheme == "http" and not _is_loopback(url.host):
            raise ValueError(f"上报服务地址“{base_url}”未加密：只有本机的服务可以用 http，其余须用 https")
        self.base_url = str(url)
        self.city_ca = city_ca
        self._path = url.raw_path.decode("ascii").rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url,
            verify=tls_context(city_ca) if url.scheme == "https" else True,
            timeout=timeout,
            # No proxies from the environment, no redirects: the answer must come from the server itself.
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": f"Tianbao/{__version__}"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> IntakeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests

    def _send(self, request: httpx.Request, limit: int) -> tuple[int, bytes, Mapping[str, str]]:
        """Status, body (at most ``limit`` bytes) and headers of the answer; :class:`Unreachable` when there is none."""
        try:
            response = self._http.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise Unreachable(f"上报服务的回答过大（超过 {limit // 1024} KiB），不是上报服务的回答")
                return response.status_code, bytes(body), response.headers
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise Unreachable(f"上报服务 {self.base_url} 超时未回答") from exc
        except httpx.HTTPError as exc:
            raise Unreachable(f"无法连接上报服务 {self.base_url}：{_why(exc)}") from exc
        except ssl.SSLError as exc:
            raise Unreachable(f"与上报服务 {self.base_url} 的加密连接失败：{exc}") from exc

    def _signed_get(self, path: str, signer: RequestSigner, params: dict[str, str] | None = None) -> dict[str, Any]:
        request = self._http.build_request("GET", self._path + path, params=params)
        target = request.url.raw_path.decode("ascii")
        request.headers.update(signer.headers("GET", target))
        status, body, _ = self._send(request, MAX_ANSWER_BYTES)
        if status in (401, 403):
            code, message = _error_of(body, status)
            raise Refused(code, message)
        return _json_answer(status, body)

    # ------------------------------------------------------------------ the API

    def upload(self, data: bytes, filename: str) -> Receipt:
        """Send a signed submission file (.xlsx or .pdf) and return the service's verified receipt for it."""
        suffix = PurePath(filename).suffix.lower()
        if suffix not in CONTENT_TYPES:
            raise Refused("not_tianbao", f"{filename} 不是报送文件（只能上报 .xlsx 和 .pdf）")
        try:
            payload = upload_envelope(data, suffix)["payload"]
            submission_id, digest = str(payload["submission_id"]), payload_hash(payload)
        except VerificationError as exc:
            raise Refused(exc.reason, f"{filename}：{exc}") from exc
        except (KeyError, TypeError) as exc:
            raise Refused("not_tianbao", f"{filename} 中的报送数据缺少内容") from exc
        request = self._http.build_request(
            "POST",
            f"{self._path}{API}/submissions",
            content=data,
            headers={"Content-Type": CONTENT_TYPES[suffix], "X-Tianbao-Filename": quote(PurePath(filename).name)},
        )
        status, body, _ = self._send(request, MAX_RECEIPT_BYTES + 1)
        if status in REFUSING_STATUSES:
            code, message = _error_of(body, status)
            raise Refused(code, message)
        if status != 201:
            raise Unreachable(f"上报服务暂未接收（HTTP {status}）：{_error_of(body, status)[1]}")
        try:
            receipt = verify_receipt(body, self.city_ca)
        except ReceiptError as exc:
            raise Unreachable(f"上报服务的回答不是有效的回执：{exc}") from exc
        if receipt.submission_id != submission_id or receipt.payload_hash != digest:
            raise Unreachable(f"上报服务给出的回执（{receipt.submission_id}）不是本次上报的报送 {submission_id} 的回执")
        return receipt

    def notices(self, unit_code: str, signer: RequestSigner, since: int = 0) -> list[dict[str, Any]]:
        """The unit's notices with a sequence number above ``since``: ``{"sequence", "kind", "document"}``, in
        order. The documents are the city's signed notices, to be checked before they are applied."""
        answer = self._signed_get(f"{API}/units/{quote(unit_code, safe='')}/notices", signer, {"since": str(since)})
        notices = answer.get("notices")
        if not isinstance(notices, list) or not all(isinstance(n, dict) for n in notices):
            raise Unreachable("上报服务的回答格式不对（没有通知列表）")
        return notices

    def status(self, unit_code: str, signer: RequestSigner) -> dict[str, Any]:
        """What the city holds for the unit, per period: ``{"unit", "periods": [{"period", "revision", "state",
        "received_at", "sequence"}]}``."""
        return self._signed_get(f"{API}/units/{quote(unit_code, safe='')}/status", signer)

    def templates(self) -> list[bytes]:
        """The city's current signed templates, each as the bytes of a template file (check before importing)."""
        request = self._http.build_request("GET", f"{self._path}{API}/templates")
        status, body, _ = self._send(request, MAX_ANSWER_BYTES)
        answer = _json_answer(status, body)
        items = answer.get("templates")
        if not isinstance(items, list) or not all(
            isinstance(t, dict) and isinstance(t.get("document"), dict) for t in items
        ):
            raise Unreachable("上报服务的回答格式不对（没有模板列表）")
        return [(json.dumps(t["document"], ensure_ascii=False, indent=1) + "\n").encode("utf-8") for t in items]

    def health(self) -> bool:
        """Whether the service answers as itself."""
        request = self._http.build_request("GET", f"{self._path}{API}/health")
        try:
            status, body, _ = self._send(request, 64 * 1024)
            return status == 200 and json.loads(body.decode("utf-8")).get("status") == "ok"
        except (IntakeError, ValueError, AttributeError):
            return False


def _why(exc: httpx.HTTPError) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _error_of(body: bytes, status: int) -> tuple[str, str]:
    """The service's ``{"error", "message"}``, or a code and message made from the status."""
    try:
        answer = json.loads(body.decode("utf-8"))
        code, message = answer["error"], answer["message"]
        if isinstance(code, str) and isinstance(message, str):
            return code[:80], message[:2000]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        pass
    return f"http_{status}", f"上报服务回答 HTTP {status}"


def _json_answer(status: int, body: bytes) -> dict[str, Any]:
    if status != 200:
        raise Unreachable(f"上报服务暂不可用（HTTP {status}）：{_error_of(body, status)[1]}")
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Unreachable("上报服务的回答不是 JSON（可能不是上报服务在回答）") from exc
    if not isinstance(answer, dict):
        raise Unreachable("上报服务的回答格式不对")
    return answer
