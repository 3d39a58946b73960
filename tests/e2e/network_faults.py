"""A small misbehaving network on 127.0.0.1, run as its own process by the delivery tests.

    python tests/e2e/network_faults.py MODE [--upstream PORT] [--kill-pid PID] [--kill-at N]

Prints the port it listens on, then serves until killed. Modes:

- ``portal``: every request gets 200 with an HTML login page, as a captive portal or a proxy does;
- ``error``: every request gets 500;
- ``hang``: reads the request and never answers (a server that times out);
- ``reset``: reads the request and drops the connection with a TCP reset;
- ``proxy``: forwards to ``--upstream``; the ``--kill-at``-th upload is forwarded, the server's answer is read,
  then the server process ``--kill-pid`` is killed with SIGKILL and the connection dropped unanswered — the
  server has committed, the client never saw the receipt.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTAL = b"<!DOCTYPE html><html><head><title>Wi-Fi</title></head><body><form>Login</form></body></html>"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "portal"
    upstream = 0
    kill_pid = 0
    kill_at = 0
    uploads = 0
    lock = threading.Lock()

    def log_message(self, format: str, *args: object) -> None:
        return

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _handle(self) -> None:
        body = self._body()
        if self.mode == "portal":
            self._answer(200, PORTAL, "text/html; charset=utf-8")
        elif self.mode == "error":
            self._answer(500, b'{"error": "internal", "message": "boom"}', "application/json")
        elif self.mode == "hang":
            time.sleep(3600)
        elif self.mode == "reset":
            self._reset()
        else:
            self._forward(body)

    def _forward(self, body: bytes) -> None:
        kill = False
        if self.command == "POST":
            with self.lock:
                Handler.uploads += 1
                kill = Handler.uploads == self.kill_at
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        if kill:
            os.kill(self.kill_pid, signal.SIGKILL)
            self._reset()
            return
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "date", "server"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = _handle
    do_POST = _handle


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("portal", "error", "hang", "reset", "proxy"))
    parser.add_argument("--upstream", type=int, default=0)
    parser.add_argument("--kill-pid", type=int, default=0)
    parser.add_argument("--kill-at", type=int, default=0)
    args = parser.parse_args()
    Handler.mode, Handler.upstream = args.mode, args.upstream
    Handler.kill_pid, Handler.kill_at = args.kill_pid, args.kill_at
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
