"""The district's client against servers that are not the city's service: a captive portal, a proxy's error page,
a server that answers 201 with something else, one that is down or too slow. Only a 201 with the city's receipt
for exactly the file sent is a delivery; these are real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.transport.client import IntakeClient, Refused, Unreachable
from tests.app.transport.conftest import Files
from tests.app.transport.helpers import HOST, Server, city_database, free_port

Answer = tuple[int, str, bytes]


@contextmanager
def fake_server(answer: Callable[[str], Answer], delay: float = 0.0) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 that gives ``answer(path)`` (status, content type, body) to every request."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            if delay:
                time.sleep(delay)
            status, content_type, body = answer(self.path)
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

        do_GET = do_POST = _reply

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def upload(url: str, files: Files, timeout: float = 30.0) -> None:
    path = files.first["520102.xlsx"]
    with IntakeClient(url, files.district.city_ca, timeout) as client:
        client.upload(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    "answer",
    [
        (200, "text/html", "<html><body>请先登录上网认证</body></html>".encode()),  # a captive portal
        (201, "text/html", b"<html>Created</html>"),
        (201, "application/json", b'{"status": "stored"}'),
        (502, "text/html", b"<html>Bad Gateway</html>"),
        (500, "application/json", b'{"error": "internal", "message": "x"}'),
        (429, "application/json", b'{"error": "rate_limited", "message": "slow down"}'),
        (302, "text/html", b""),
    ],
)
def test_anything_but_a_receipt_for_the_file_is_not_a_delivery(files: Files, answer: Answer) -> None:
    with fake_server(lambda _path: answer) as url, pytest.raises(Unreachable):
        upload(url, files)


def test_a_genuine_receipt_for_another_submission_is_not_a_delivery(served_receipt: bytes, files: Files) -> None:
    with fake_server(lambda _path: (201, "application/json", served_receipt)) as url:
        with pytest.raises(Unreachable, match="不是本次上报的报送"):
            path = files.first["520103.xlsx"]
            with IntakeClient(url, files.district.city_ca) as client:
                client.upload(path.read_bytes(), path.name)
        # The same receipt for the file it belongs to is one.
        with IntakeClient(url, files.district.city_ca) as client:
            path = files.first["520102.xlsx"]
            assert client.upload(path.read_bytes(), path.name).raw == served_receipt


def test_the_services_refusals_are_refused_not_retried(files: Files) -> None:
    for status, code in [(409, "conflict"), (413, "too_large"), (422, "altered")]:
        body = f'{{"error": "{code}", "message": "服务器的理由"}}'.encode()
        with fake_server(lambda _path, s=status, b=body: (s, "application/json", b)) as url:
            with pytest.raises(Refused) as refused:
                upload(url, files)
            assert (refused.value.code, refused.value.message) == (code, "服务器的理由")


def test_no_server_and_a_silent_server_are_unreachable(files: Files) -> None:
    with pytest.raises(Unreachable, match="无法连接"):
        upload(f"http://{HOST}:{free_port()}", files)
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind((HOST, 0))
        listener.listen()
        with pytest.raises(Unreachable, match="超时"):
            upload(f"http://{HOST}:{listener.getsockname()[1]}", files, timeout=0.5)
    with (
        fake_server(lambda _p: (200, "application/json", b"{}"), delay=2) as url,
        IntakeClient(url, files.district.city_ca, timeout=0.3) as client,
    ):
        assert client.health() is False


def test_a_file_that_is_no_submission_is_refused_before_sending(files: Files) -> None:
    with IntakeClient(f"http://{HOST}:{free_port()}", files.district.city_ca) as client:
        with pytest.raises(Refused) as not_ours:
            client.upload(b"%PDF-1.7 nothing", "x.pdf")
        assert not_ours.value.code in ("unreadable", "not_tianbao")
        with pytest.raises(Refused) as wrong_kind:
            client.upload(b"a,b\n", "values.csv")
        assert wrong_kind.value.code == "not_tianbao"


@pytest.fixture(scope="module")
def served_receipt(files: Files, keys_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A genuine receipt of the city's service for 520102's first submission."""
    folder = tmp_path_factory.mktemp("receipt-source")
    city_database(folder / "city.db", files.district, folder)
    server = Server(folder / "city.db", keys_dir, folder / "serve.log", tls=False, extra=["--verifiers", "0"])
    server.start()
    try:
        with server.client() as client:
            path = files.first["520102.xlsx"]
            return client.upload(path.read_bytes(), path.name).raw
    finally:
        server.stop()
