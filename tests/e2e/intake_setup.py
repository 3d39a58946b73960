"""A city with its intake service and a district PC, on this machine, for the outbox's end-to-end tests.

The city has its CA, a signed template naming ``http://127.0.0.1:PORT`` as its intake service, and the server's
receipt certificate from ``keys server-cert``; the district has imported the template (so it pinned the city CA)
and holds a certificate the city issued for each unit. :class:`IntakeServer` runs the real ``serve`` command as
a process, which can be killed with SIGKILL and started again on the same database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.periods import Period
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import Catalog
from app.storage.store import Change, apply_changes
from app.submissions.signing import Signed, sign_and_lock
from app.templates.signing import import_signed_template_file, sign_template
from app.trust.keys import KeyStore, default_keys_dir
from tests.app.sample_templates import CITY, D1, D2, document, indicator
from tests.app.signing_helpers import PASSPHRASE

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "main.py"
FAULTS = Path(__file__).resolve().parent / "network_faults.py"
# A cumulative annual indicator with a target of 100: these year-to-date figures are on track in each quarter.
ON_TRACK = {1: "30", 2: "60", 3: "80", 4: "100"}

__all__ = ["CITY", "D1", "D2", "PASSPHRASE", "Faults", "IntakeServer", "Setup", "build", "free_port", "sign"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Setup:
    root: Path
    port: int
    city_db: Path
    city_keys: Path
    server_keys: Path
    district_db: Path
    district_keys: Path
    passphrase_file: Path
    tls: bool = False

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"


def build(root: Path, units: tuple[str, ...] = (D1, D2), port: int | None = None, tls: bool = False) -> Setup:
    """A city and a district PC under ``root``; the template names the intake service on ``port`` (https with
    the certificate the city issued the server when ``tls``, else http, which only this machine may use)."""
    root.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    secret = root / "passphrase.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    # Each database with its key folder beside it, where the window and the commands look by default.
    city_db, district_db = root / "city" / "city.db", root / "district" / "district.db"
    city = KeyStore(default_keys_dir(city_db))
    city.city_init("测试市生态环境局", PASSPHRASE)
    city.issue_server("127.0.0.1", PASSPHRASE, PASSPHRASE, root / "server-keys")
    doc = document([indicator("A")])
    doc["catalog"]["intake_url"] = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    template = root / "template.json"
    template.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    sign_template(template, city, PASSPHRASE)
    db = Database(city_db)
    import_signed_template_file(db, city, template)
    db.close()
    district = KeyStore(default_keys_dir(district_db))
    db = Database(district_db)
    import_signed_template_file(db, district, template)
    db.close()
    for unit in units:
        request, _ = district.request(unit, {D1: "甲区", D2: "乙县"}.get(unit, unit), PASSPHRASE)
        _, issued = city.issue(request, PASSPHRASE)
        district.import_certificate(issued, unit)
    keys = (city.folder, root / "server-keys", district_db, district.folder)
    return Setup(root, port, city_db, *keys, secret, tls)


def sign(setup: Setup, unit: str, period: str, value: str | None = None) -> Signed:
    """Enter the unit's figure for ``period`` (on track unless ``value``) and sign it: a new revision each time
    the figure changes."""
    parsed = Period.parse(period)
    db = Database(setup.district_db)
    try:
        with db.transaction() as session:
            catalog = session.query(Catalog).one()
            spec = load_spec(session, catalog)
            figure = Decimal(value or ON_TRACK[parsed.quarter or 4])
            apply_changes(session, spec, unit, parsed, [Change("A", value=figure)], "tester")
        return sign_and_lock(db, KeyStore(setup.district_keys), unit, parsed, PASSPHRASE, "tester")
    finally:
        db.close()


def _answers(setup: Setup) -> bool:
    context = None
    if setup.tls:
        context = ssl.create_default_context(cafile=str(setup.server_keys / "city-ca.crt.pem"))
    try:
        with urllib.request.urlopen(f"{setup.url}/api/v1/health", timeout=2, context=context) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class IntakeServer:
    """The city's ``serve`` on 127.0.0.1, as a process of its own."""

    def __init__(self, setup: Setup, *extra: str) -> None:
        self.setup = setup
        self.extra = extra
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> IntakeServer:
        s = self.setup
        command = [
            sys.executable, str(MAIN), "--db", str(s.city_db), "--keys", str(s.server_keys), "serve",
            "--host", "127.0.0.1", "--port", str(s.port), "--passphrase-file", str(s.passphrase_file),
            "--verifiers", "1", *self.extra,
        ]  # fmt: skip
        if s.tls:
            command += [
                "--tls-cert",
                str(s.server_keys / "tls.crt.pem"),
                "--tls-key",
                str(s.server_keys / "tls.key.pem"),
            ]
        # The service reads its passphrase from the file, never from what a test or a shell left in the environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIANBAO_")}
        log = (s.root / "serve.log").open("ab")
        # A session of its own: SIGKILL then reaches the verifying processes it starts as well.
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + 60
        while not _answers(s):
            if self.process.poll() is not None:
                raise RuntimeError(f"serve stopped: {(s.root / 'serve.log').read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("serve did not answer within 60 s")
            time.sleep(0.1)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL to the service and its verifying processes: no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class Faults:
    """``tests/e2e/network_faults.py`` in one of its modes, as a process; :attr:`url` is where it listens."""

    def __init__(self, mode: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(FAULTS), mode, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


# The fixtures of every test that runs districts beside a real intake service; a module takes them by importing
# these two functions (their names differ from the fixtures', which the tests' parameters use).
@pytest.fixture(name="setup")
def setup_fixture(tmp_path: Path) -> Setup:
    """A city and two districts with their keys and the signed template, in ``tmp_path``."""
    return build(tmp_path / "pair")


@pytest.fixture(name="server")
def server_fixture(setup: Setup) -> Iterator[IntakeServer]:
    """The city's ``serve`` on ``setup``, stopped after the test."""
    running = IntakeServer(setup).start()
    yield running
    running.stop()
