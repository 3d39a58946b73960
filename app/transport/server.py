"""The intake service's HTTP API (Starlette): routes kept thin over :class:`app.transport.intake.IntakeService`.

Every answer is JSON (an error is ``{"error": code, "message": 中文}``, never a stack trace) and carries
``X-Request-Id``; every request is logged in one line with that id. Uploads are limited in size (413 from
``Content-Length`` before anything is read, and while the body streams in), in time (408), in bytes held at once
and requests in flight (503), and in rate per address and per unit (429). See ``docs/intake-api.md``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.transport.auth import AuthError, SignedRequest, check_signed_request
from app.transport.intake import Delivered, IntakeService, Upload, UploadRefused
from app.transport.limits import ByteBudget, RateLimiter
from app.transport.verifier import Verifier, VerifierUnavailable

log = logging.getLogger("tianbao.intake")
T = TypeVar("T")

API = "/api/v1"
SUFFIXES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/pdf": ".pdf",
}
MAX_SIGNED_BODY = 64 * 1024
# Answers given before the request body was read to its end: the connection is closed after them.
UNREAD_BODY = (400, 408, 413)
_FILENAME_JUNK = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Limits:
    """How much the service takes: see ``serve --help`` and docs/intake-api.md."""

    max_body: int = 16 * 1024 * 1024
    body_timeout: float = 120.0
    header_timeout: float = 30.0
    address_rate: float = 20.0
    unit_rate: float = 2.0
    max_buffered: int = 256 * 1024 * 1024
    max_inflight: int = 256


class Answer(Exception):
    """An error answer: status, code and Chinese message (and seconds to wait, for 429 and 503)."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {} if self.retry_after is None else {"Retry-After": str(max(1, int(self.retry_after + 0.999)))}
        if self.status in UNREAD_BODY:
            headers["Connection"] = "close"  # the rest of the body is not wanted: no waiting for it
        return JSONResponse({"error": self.code, "message": self.message}, self.status, headers=headers)


class StoreQueue:
    """Verified uploads waiting to be stored. The database thread takes all that are waiting, up to
    :data:`MAX_BATCH`, in one transaction: under load many uploads share one durable commit (group commit), and
    each is answered only after that commit."""

    MAX_BATCH = 32

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.waiting: list[tuple[Upload, asyncio.Future[Delivered]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def store(self, upload: Upload) -> Delivered:
        future: asyncio.Future[Delivered] = asyncio.get_running_loop().create_future()
        self.waiting.append((upload, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting[: self.MAX_BATCH], self.waiting[self.MAX_BATCH :]
            try:
                outcomes = await self.intake.in_db(self.intake.service.store_many, [upload for upload, _ in batch])
            except Exception as exc:  # the transaction failed: nothing of this batch is stored
                log.exception("storing %d upload(s) failed", len(batch))
                outcomes = [exc] * len(batch)  # type: ignore[list-item]
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # the client went away
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


class Intake:
    """The running service: the database work, the verifier, the limits, and the city CA uploads are checked with."""

    def __init__(self, service: IntakeService, city_ca: x509.Certificate, limits: Limits, verifiers: int) -> None:
        self.service = service
        self.city_ca = city_ca
        self.ca_pem = city_ca.public_bytes(serialization.Encoding.PEM)
        self.limits = limits
        self.verifier = Verifier(verifiers)
        # SQLite takes one writer at a time: one thread does all of this process's database work, in order.
        self.db_threads = ThreadPoolExecutor(max_workers=1 if service.db.is_sqlite else 8, thread_name_prefix="db")
        self.by_address = RateLimiter(limits.address_rate)
        self.by_unit = RateLimiter(limits.unit_rate)
        self.budget = ByteBudget(limits.max_buffered)
        self.inflight = 0
        self.uploads = StoreQueue(self)

    async def in_db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.db_threads, fn, *args)

    async def start(self) -> None:
        await self.verifier.start()

    def close(self) -> None:
        self.verifier.close()
        self.db_threads.shutdown(wait=True)
        self.service.db.close()


# ---------------------------------------------------------------------------------------------- handlers


def _intake(request: Request) -> Intake:
    intake: Intake = request.app.state.intake
    return intake


async def _read_body(request: Request, limit: int, timeout: float) -> bytes:
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise Answer(413, "too_large", f"上传的文件过大（超过 {limit // (1024 * 1024)} MB）")
    except TimeoutError as exc:
        raise Answer(408, "timeout", f"上传未在 {timeout:g} 秒内传完，已中断；请稍后重试") from exc
    except ClientDisconnect as exc:
        raise Answer(400, "incomplete", "上传未传完，连接已断开") from exc
    return bytes(body)


def _content_length(request: Request) -> int | None:
    text = request.headers.get("content-length")
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Answer(400, "bad_request", "Content-Length 无效")
    return int(text)


def _filename(request: Request, suffix: str) -> str:
    """The file name the client gave (for the audit log), made harmless; a default when there is none."""
    given = _FILENAME_JUNK.sub("", unquote(request.headers.get("x-tianbao-filename", "")))[-120:].strip()
    return given or f"上报文件{suffix}"


async def upload(request: Request) -> Response:
    intake = _intake(request)
    limits = intake.limits
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    suffix = SUFFIXES.get(content_type)
    if suffix is None:
        raise Answer(415, "unsupported_type", "只接收报送文件：Excel（.xlsx）或 PDF（.pdf）")
    length = _content_length(request)
    if length is not None and length > limits.max_body:
        raise Answer(413, "too_large", f"上传的文件过大（{length} 字节，不超过 {limits.max_body // (1024 * 1024)} MB）")
    reserved = length if length is not None else limits.max_body
    if not intake.budget.take(reserved):
        raise Answer(503, "busy", "上报服务正忙，请稍后重试", retry_after=5)
    try:
        data = await _read_body(request, limits.max_body, limits.body_timeout)
        name = _filename(request, suffix)
        try:
            verdict = await intake.verifier.verify(data, suffix, intake.ca_pem)
        except VerifierUnavailable as exc:
            raise Answer(503, "unavailable", "上报服务暂时无法核验文件，请稍后重试", retry_after=5) from exc
        if not verdict[0]:
            raise Answer(422, verdict[1], verdict[2])
        _, envelope, digest, text = verdict
        unit = str(envelope["payload"]["unit"]["code"])
        request.state.unit = unit
        wait = intake.by_unit.allow(unit)
        if wait:
            raise Answer(429, "rate_limited", f"单位 {unit} 上报过于频繁，请稍后重试", retry_after=wait)
        try:
            delivered = await intake.uploads.store((envelope, f"上报：{name}", digest, text))
        except UploadRefused as exc:
            raise Answer(exc.status, exc.code, exc.message) from exc
        request.state.detail = f"{delivered.verdict} seq={delivered.sequence}{'' if delivered.new else ' again'}"
        return Response(delivered.receipt, 201, media_type="application/json")
    finally:
        intake.budget.give(reserved)


async def _authenticate(request: Request, unit_code: str) -> SignedRequest:
    """The signer of a request for ``unit_code``'s data: 401 unless validly signed and fresh, 403 if another
    unit signed it."""
    intake = _intake(request)
    length = _content_length(request)
    if length is not None and length > MAX_SIGNED_BODY:
        raise Answer(413, "too_large", "请求过大")
    body = await _read_body(request, MAX_SIGNED_BODY, intake.limits.body_timeout)
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    query = request.scope.get("query_string", b"")
    target = raw_path.decode("latin-1") + (("?" + query.decode("latin-1")) if query else "")
    now = intake.service.clock()
    try:
        signed = check_signed_request(request.method, target, request.headers, body, intake.city_ca, now)
        request.state.unit = signed.unit_code
        if signed.unit_code != unit_code:
            raise AuthError(403, "forbidden", f"单位 {signed.unit_code} 不能查看单位 {unit_code} 的数据")
        wait = intake.by_unit.allow(unit_code)
        if wait:
            raise Answer(429, "rate_limited", f"单位 {unit_code} 的请求过于频繁，请稍后重试", retry_after=wait)
        await intake.in_db(intake.service.remember_nonce, signed)
    except AuthError as exc:
        raise Answer(exc.status, exc.code, exc.message) from exc
    return signed


async def notices(request: Request) -> Response:
    intake = _intake(request)
    code = request.path_params["code"]
    await _authenticate(request, code)
    since_text = request.query_params.get("since", "0")
    if not since_text.isdigit() or len(since_text) > 18:
        raise Answer(400, "bad_request", "since 须为非负整数（已取到的最大通知序号）")
    items = await intake.in_db(intake.service.notices, code, int(since_text))
    return JSONResponse({"notices": items})


async def status(request: Request) -> Response:
    intake = _intake(request)
    code = request.path_params["code"]
    await _authenticate(request, code)
    return JSONResponse(await intake.in_db(intake.service.status, code))


async def templates(request: Request) -> Response:
    intake = _intake(request)
    return JSONResponse({"templates": await intake.in_db(intake.service.templates)})


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": __version__})


# ---------------------------------------------------------------------------------------------- errors and the guard

_HTTP_ERRORS = {
    400: ("bad_request", "请求无效"),
    404: ("not_found", "没有这个地址（上报服务的接口在 /api/v1/ 下）"),
    405: ("method_not_allowed", "该地址不支持这种请求方法"),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = _HTTP_ERRORS.get(exc.status_code, (f"http_{exc.status_code}", "请求无法处理"))
    return JSONResponse({"error": code, "message": message}, exc.status_code, headers=exc.headers)


async def _answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Answer)
    return exc.response()


async def _internal(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id", "")
    return JSONResponse({"error": "internal", "message": f"上报服务内部错误（请求编号 {request_id}），请稍后重试"}, 500)


class Guard:
    """Outside the application: the request id, the per-address rate limit and the in-flight limit, a JSON 500
    for anything unexpected, and the log line of every request."""

    def __init__(self, app: ASGIApp, intake: Intake) -> None:
        self.app = app
        self.intake = intake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        answered: list[int] = []

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered.append(message["status"])
                MutableHeaders(scope=message)["X-Request-Id"] = request_id
            await send(message)

        client = (scope.get("client") or ("-", 0))[0]
        try:
            wait = self.intake.by_address.allow(client)
            if wait:
                refusal: Answer | None = Answer(429, "rate_limited", "请求过于频繁，请稍后重试", retry_after=wait)
            elif self.intake.inflight >= self.intake.limits.max_inflight:
                refusal = Answer(503, "busy", "上报服务正忙，请稍后重试", retry_after=2)
            else:
                refusal = None
            if refusal is not None:
                await refusal.response()(scope, receive, send_with_id)
            else:
                self.intake.inflight += 1
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    self.intake.inflight -= 1
        except Exception:
            log.exception("request %s failed", request_id)
            if not answered:
                response = await _internal(Request(scope), Exception())
                await response(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s %s %s %.1fms unit=%s %s",
                request_id,
                client,
                scope.get("method", "-"),
                scope.get("path", "-")[:200],
                answered[0] if answered else "-",
                (time.perf_counter() - started) * 1000,
                state.get("unit", "-"),
                state.get("detail", ""),
            )


def create_app(intake: Intake) -> ASGIApp:
    """The ASGI application of a running service."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await intake.start()
        try:
            yield
        finally:
            intake.close()

    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: _http_error,
        Answer: _answer,
        Exception: _internal,
    }
    app = Starlette(
        routes=[
            Route(f"{API}/submissions", upload, methods=["POST"]),
            Route(f"{API}/units/{{code}}/notices", notices, methods=["GET"]),
            Route(f"{API}/units/{{code}}/status", status, methods=["GET"]),
            Route(f"{API}/templates", templates, methods=["GET"]),
            Route(f"{API}/health", health, methods=["GET"]),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.intake = intake
    return Guard(app, intake)
