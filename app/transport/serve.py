"""Running the intake service under uvicorn: the keys it needs, TLS, workers, and a guard against slow clients.

One process by default (the embedded SQLite database takes one writer); with ``workers`` above one, uvicorn starts
that many processes on one socket, each building the service from the options this process hands down in its
environment (a PostgreSQL database is required then).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.storage.db import Database, is_url
from app.submissions.workers import follow_parent
from app.transport.intake import IntakeService
from app.transport.receipts import ReceiptSigner
from app.transport.server import Intake, Limits, create_app
from app.trust.keys import KeysError, KeyStore

log = logging.getLogger("tianbao.intake")

OPTIONS_ENV = "TIANBAO_INTAKE_OPTIONS"
PASSPHRASE_ENV = "TIANBAO_SERVER_PASSPHRASE"
# Connections (open sockets, idle or not) beyond which uvicorn answers 503 at once: a backstop; the service's own
# limits (in flight, bytes held) answer long before it.
MAX_CONNECTIONS = 2000


class ServeError(ValueError):
    """The service cannot start as asked; the message says why in Chinese."""


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    database: str
    keys: str
    workers: int = 1
    tls_cert: str | None = None
    tls_key: str | None = None
    receipt_cert: str | None = None
    receipt_key: str | None = None
    verifiers: int | None = None
    limits: Limits = field(default_factory=Limits)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        data = json.loads(text)
        data["limits"] = Limits(**data["limits"])
        return cls(**data)

    @property
    def verifier_processes(self) -> int:
        """Worker processes for verification: one per CPU for a single service process; none when uvicorn runs
        several (each of them then verifies in a thread, and the CPUs are shared among them)."""
        if self.verifiers is not None:
            return self.verifiers
        return (os.cpu_count() or 1) if self.workers == 1 else 0


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_options(options: ServeOptions) -> None:
    """Refuse what the service must not run as: unencrypted beyond this machine, SQLite with several workers."""
    if (options.tls_cert is None) != (options.tls_key is None):
        raise ServeError("--tls-cert 和 --tls-key 须同时给出")
    if options.tls_cert is None and not is_loopback(options.host):
        raise ServeError(
            f"不加密（没有 --tls-cert/--tls-key）时只能在本机地址（127.0.0.1）上服务，不能在 {options.host} 上；"
            "请用 keys server-cert 签发服务器证书"
        )
    if options.workers < 1:
        raise ServeError("--workers 至少为 1")
    if options.workers > 1 and not is_url(options.database):
        raise ServeError(
            "SQLite 数据库文件只能由一个进程写入：多个 --workers 请使用 PostgreSQL 数据库（--db postgresql+psycopg://…）"
        )
    if not 0 < options.port < 65536:
        raise ServeError(f"端口 {options.port} 无效")


def build_intake(options: ServeOptions, passphrase: str) -> Intake:
    """The service of ``options``: its keys checked, its database opened (and migrated)."""
    keys = KeyStore(Path(options.keys))
    city_ca = keys.city_certificate()
    key, cert = keys.receipt_signing(
        passphrase,
        Path(options.receipt_cert) if options.receipt_cert else None,
        Path(options.receipt_key) if options.receipt_key else None,
    )
    signer = ReceiptSigner(key, cert)
    database = Database(options.database if is_url(options.database) else Path(options.database))
    return Intake(IntakeService(database, signer), city_ca, options.limits, options.verifier_processes)


def app_from_environment() -> Any:
    """The application of one of several uvicorn worker processes (see :func:`run`)."""
    options = ServeOptions.from_json(os.environ[OPTIONS_ENV])
    follow_parent()  # a worker whose supervisor was killed stops serving instead of lingering on the socket
    configure_logging()
    SlowClientGuard.header_timeout = options.limits.header_timeout
    small_tls_buffers()
    return create_app(build_intake(options, os.environ.get(PASSPHRASE_ENV, "")))


# What asyncio reads a TLS connection's decrypted data into, per connection (asyncio's own is 256 KB).
TLS_READ_BUFFER = 32 * 1024


def small_tls_buffers() -> None:
    """Give each TLS connection a 32 KB read buffer instead of asyncio's 256 KB: a TLS record holds at most 16 KB,
    so reads are no fewer with more, and 256 KB held by every connection (a district keeps one open while its
    outbox works) is most of what the service's memory grows by under load (measured: 50 connections, 11 MB)."""
    from asyncio import sslproto

    if isinstance(getattr(sslproto.SSLProtocol, "max_size", None), int):
        sslproto.SSLProtocol.max_size = TLS_READ_BUFFER


def configure_logging() -> None:
    """The service's log lines (one per request) on standard error, with the time."""
    root = logging.getLogger()
    if not any(getattr(h, "_tianbao_intake", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._tianbao_intake = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO)


class SlowClientGuard(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for a request's headers.

    uvicorn times out an idle kept-alive connection but not one that dribbles its request line and headers: such
    clients could hold every connection slot. Headers not complete within ``header_timeout`` seconds of their first
    byte (or of the connection) are answered 408 and the connection is closed. Bodies have their own deadline in
    the application.
    """

    header_timeout: float = 30.0
    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the headers are in: the request is the application's now
        elif self.conn.trailing_data[0]:
            if self._header_timer is None:
                self._arm()  # part of a request's headers
        elif self.timeout_keep_alive_task is None and self._header_timer is None and not self.transport.is_closing():
            # Between requests with nothing pending (the tail of a body the application did not want ends here):
            # an idle kept-alive connection, closed after uvicorn's keep-alive timeout.
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        body = json.dumps(
            {"error": "timeout", "message": f"请求头未在 {self.header_timeout:g} 秒内发完，连接已关闭"},
            ensure_ascii=False,
        ).encode("utf-8")
        head = (
            "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        log.info("- %s - - 408 header timeout", (self.client or ("-",))[0])
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


def run(options: ServeOptions, passphrase: str) -> None:
    """Serve until interrupted (Ctrl+C, SIGTERM)."""
    import uvicorn

    check_options(options)
    configure_logging()
    SlowClientGuard.header_timeout = options.limits.header_timeout
    small_tls_buffers()
    common: dict[str, Any] = {
        "host": options.host,
        "port": options.port,
        "http": SlowClientGuard,
        "ws": "none",
        "lifespan": "on",
        "log_config": None,
        "access_log": False,  # the service logs every request itself, with its id
        "proxy_headers": False,  # the address counted by the rate limit is the one that connected
        "server_header": False,
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 10,
    }
    if options.tls_cert is not None:
        common.update(
            ssl_certfile=options.tls_cert, ssl_keyfile=options.tls_key, ssl_keyfile_password=passphrase or None
        )
    if options.workers == 1:
        intake = build_intake(options, passphrase)
        config = uvicorn.Config(create_app(intake), **common)
    else:
        # Each worker builds its own service from these; checked here first so a mistake shows once, clearly.
        build_intake(options, passphrase).close()
        os.environ[OPTIONS_ENV] = options.to_json()
        os.environ[PASSPHRASE_ENV] = passphrase
        config = uvicorn.Config(
            "app.transport.serve:app_from_environment", factory=True, workers=options.workers, **common
        )
    server = uvicorn.Server(config)
    log.info(
        "intake service on %s://%s:%s, database %s, %s worker(s)",
        "https" if options.tls_cert else "http",
        options.host,
        options.port,
        options.database if not is_url(options.database) else "PostgreSQL",
        options.workers,
    )
    if options.workers == 1:
        server.run()
    else:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[config.bind_socket()]).run()
    if options.workers == 1 and not server.started:
        raise ServeError(f"上报服务未能启动（端口 {options.port} 可能已被占用，详见上面的日志）")


__all__ = ["KeysError", "ServeError", "ServeOptions", "SlowClientGuard", "build_intake", "check_options", "run"]
