"""Hostile requests against a real ``serve`` process: each gets a clear status code, nothing is stored, and the
service keeps serving. Plain HTTP on 127.0.0.1 (allowed there) so the requests can be written byte by byte."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.storage.models import Receipt as ReceiptRow
from app.storage.models import RequestNonce, Submission
from tests.app.transport.conftest import City, Files, make_city
from tests.app.transport.helpers import CONTENT_TYPES, Server, city_database, raw_request, status_of
from tests.app.transport.test_serve import signer

LIMITS = ["--max-upload-mb", "1", "--body-timeout", "1", "--header-timeout", "1", "--verifiers", "1"]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hostile(
    request: pytest.FixtureRequest, files: Files, keys_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[City, Server]]:
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    city = make_city(request, request.param, files, folder)
    server = Server(city.location, keys_dir, folder / "serve.log", LIMITS, tls=False).start()
    yield city, server
    server.stop()
    assert "Traceback" not in server.log_text()


def head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def body_of(answer: bytes) -> dict[str, str]:
    document: dict[str, str] = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    return document


def assert_still_serving_and_nothing_stored(city: City, server: Server) -> None:
    with server.http() as http:
        assert http.get("/api/v1/health").json()["status"] == "ok"
    db = city.open()
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(ReceiptRow)) == 0
            assert session.scalar(select(func.count()).select_from(Submission)) == 0
    finally:
        db.close()


def test_an_oversize_body_is_413_from_its_declared_length_before_it_is_sent(hostile: tuple[City, Server]) -> None:
    city, server = hostile
    answer = raw_request(
        server.port,
        head("POST", "/api/v1/submissions", f"Content-Type: {CONTENT_TYPES['.pdf']}", "Content-Length: 104857600"),
    )
    assert status_of(answer) == 413
    assert body_of(answer)["error"] == "too_large"
    assert_still_serving_and_nothing_stored(city, server)


def test_an_oversize_body_without_a_declared_length_is_413_while_it_streams(hostile: tuple[City, Server]) -> None:
    city, server = hostile
    chunk = b"%PDF-" + b"x" * (64 * 1024 - 5)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20))  # 1.25 MB > 1 MB
    answer = raw_request(
        server.port,
        head("POST", "/api/v1/submissions", f"Content-Type: {CONTENT_TYPES['.pdf']}", "Transfer-Encoding: chunked")
        + chunks
        + b"0\r\n\r\n",
    )
    assert status_of(answer) == 413
    assert body_of(answer)["error"] == "too_large"
    assert_still_serving_and_nothing_stored(city, server)


def test_a_client_dribbling_its_headers_is_408_and_dropped(hostile: tuple[City, Server]) -> None:
    city, server = hostile
    answer = raw_request(server.port, b"POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
    assert status_of(answer) == 408
    assert body_of(answer)["error"] == "timeout"
    # A connection that never says anything is closed the same way.
    assert status_of(raw_request(server.port, b"")) == 408
    assert_still_serving_and_nothing_stored(city, server)


def test_a_client_dribbling_its_body_is_408(hostile: tuple[City, Server]) -> None:
    city, server = hostile
    answer = raw_request(
        server.port,
        head("POST", "/api/v1/submissions", f"Content-Type: {CONTENT_TYPES['.xlsx']}", "Content-Length: 5000")
        + b"PK\x03\x04 a slow start",
    )
    assert status_of(answer) == 408
    assert body_of(answer)["error"] == "timeout"
    assert "秒内传完" in body_of(answer)["message"]
    assert_still_serving_and_nothing_stored(city, server)


def test_garbage_is_a_clear_refusal(hostile: tuple[City, Server]) -> None:
    city, server = hostile
    assert status_of(raw_request(server.port, os.urandom(4096) + b"\r\n\r\n")) == 400
    assert status_of(raw_request(server.port, b"\x16" * 40_000)) == 400  # no line end: refused past 16 KiB
    for content_type in CONTENT_TYPES.values():
        for body in (b"", os.urandom(50_000), b"%PDF-1.7\n" + os.urandom(2000), b"PK\x03\x04" + os.urandom(2000)):
            answer = raw_request(
                server.port,
                head(
                    "POST",
                    "/api/v1/submissions",
                    f"Content-Type: {content_type}",
                    f"Content-Length: {len(body)}",
                    "Connection: close",
                )
                + body,
            )
            assert status_of(answer) == 422, answer[:300]
            assert body_of(answer)["error"] in ("unreadable", "not_tianbao")
    bad_length = head("POST", "/api/v1/submissions", f"Content-Type: {CONTENT_TYPES['.pdf']}", "Content-Length: -1")
    assert status_of(raw_request(server.port, bad_length)) == 400
    with server.http() as http:
        assert http.get("/api/v1/units/520102/notices?since=abc").status_code == 401  # unsigned comes first
    assert_still_serving_and_nothing_stored(city, server)


def test_forged_and_replayed_signed_requests_are_401_and_another_units_key_403(
    hostile: tuple[City, Server], files: Files
) -> None:
    city, server = hostile
    me, other = signer(files, "520102"), signer(files, "520103")
    target = "/api/v1/units/520102/notices?since=0"
    good = me.headers("GET", target)
    forged = dict(good, **{"X-Tianbao-Signature": base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()})
    garbage_certificate = dict(me.headers("GET", target), **{"X-Tianbao-Certificate": "bm90IGEgY2VydA=="})
    # Another unit's certificate with this unit's name in the header: the certificate decides who asks.
    claimed = dict(other.headers("GET", target), **{"X-Tianbao-Unit": "520102"})
    with server.http() as http:
        assert http.get(target, headers=good).status_code == 200
        replay = http.get(target, headers=good)
        assert (replay.status_code, replay.json()["error"]) == (401, "replayed")
        for headers in (forged, garbage_certificate, claimed):
            answer = http.get(target, headers=headers)
            assert (answer.status_code, answer.json()["error"]) == (401, "unauthenticated")
        foreign = http.get(target, headers=other.headers("GET", target))
        assert (foreign.status_code, foreign.json()["error"]) == (403, "forbidden")
        assert "不能查看" in foreign.json()["message"]
    db = city.open()
    try:
        with db.session() as session:  # only the one accepted request left its nonce
            assert session.scalar(select(func.count()).select_from(RequestNonce)) == 1
    finally:
        db.close()
    assert_still_serving_and_nothing_stored(city, server)


def test_rate_limits_per_address_and_per_unit_answer_429(files: Files, keys_dir: Path, tmp_path: Path) -> None:
    city_database(tmp_path / "city.db", files.district, tmp_path)
    limits = ["--rate-per-address", "1", "--rate-per-unit", "0.2", "--verifiers", "0"]
    server = Server(tmp_path / "city.db", keys_dir, tmp_path / "serve.log", limits, tls=False).start()
    try:
        me = signer(files, "520102")
        target = "/api/v1/units/520102/status"
        with server.http() as http:
            # A unit gets one request every five seconds here: the second at once is refused.
            assert http.get(target, headers=me.headers("GET", target)).status_code == 200
            unit_limited = http.get(target, headers=me.headers("GET", target))
            assert (unit_limited.status_code, unit_limited.json()["error"]) == (429, "rate_limited")
            assert "520102" in unit_limited.json()["message"]
            # An address gets a burst of five (one a second): the rest of a flood is refused until it slows.
            answers = [http.get("/api/v1/health") for _ in range(10)]
            limited = [a for a in answers if a.status_code == 429]
            assert limited and all(a.json()["error"] == "rate_limited" for a in limited)
            assert all(int(a.headers["Retry-After"]) >= 1 for a in limited)
    finally:
        server.stop()
