"""The intake service for tests (and bench/bench_intake.py): demo districts' signed files, a city database with the
signed demo template, the server's keys, and a real ``serve`` process on 127.0.0.1."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509

from app import __version__
from app.city.extensions import extend_period
from app.demo import DEMO_PASSPHRASE, TEMPLATE, create_demo
from app.engine.catalog import CatalogSpec
from app.engine.periods import Period
from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.store import Change, apply_changes, catalog_for_year
from app.submissions.export_pdf import write_submission_pdf
from app.submissions.export_xlsx import write_submission_xlsx
from app.submissions.signing import sign_and_lock
from app.templates.signing import import_signed_template_file, sign_template
from app.transport.client import IntakeClient, tls_context
from app.trust.keys import KeyStore

REPO = Path(__file__).resolve().parents[3]
MAIN = REPO / "main.py"
HOST = "127.0.0.1"
SERVER_PASSPHRASE = "intake-server-secret"
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
}


@dataclass
class District:
    """The demo database of every district, with the demo keys (the city CA among them)."""

    db: Database
    keys: KeyStore
    spec: CatalogSpec
    folder: Path

    @property
    def city_ca(self) -> x509.Certificate:
        return self.keys.city_certificate()

    def districts(self) -> list[str]:
        return [u.code for u in self.spec.units if u.parent is not None]

    def explained_indicator(self, unit: str) -> str:
        """An indicator the unit enters itself, whose explanation an edit can change to open a new revision."""
        return next(
            ind.code for ind in self.spec.indicators if ind.kind != "derived" and self.spec.entered_at(ind, unit)
        )

    def sign(self, unit: str, period: str, out: Path, kind: str = ".xlsx", explanation: str | None = None) -> Path:
        """Sign the unit's open revision (after changing an explanation, which opens the next one if the last is
        locked) and write it as a submission file in ``out``."""
        when = Period.parse(period)
        if explanation is not None:
            with self.db.transaction() as session:
                change = Change(self.explained_indicator(unit), explanation=explanation)
                # Written as the demo's own data: its story's calendar has closed 2023Q1, and these tests are about
                # delivery, not about entry.
                apply_changes(session, self.spec, unit, when, [change], "tester", action="demo")
        signed = sign_and_lock(self.db, self.keys, unit, when, DEMO_PASSPHRASE, "tester")
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{unit}-{period}-r{signed.revision:03d}{kind}"
        if kind == ".pdf":
            write_submission_pdf(signed.envelope, path, self.keys, DEMO_PASSPHRASE, __version__)
        else:
            write_submission_xlsx(signed.envelope, path, __version__)
        return path


def demo_district(folder: Path) -> District:
    db = create_demo(folder / "demo.db")
    with db.session() as session:
        catalog = catalog_for_year(session, 2023)
        assert catalog is not None
        spec = load_spec(session, catalog)
    district = District(db, KeyStore(folder / "keys"), spec, folder)
    # The demo's calendar has closed 2023Q1 by its own day; the city reopens it for corrections, so revisions of
    # both quarters can be signed (the demo database holds the city's keys too).
    for unit in district.districts():
        extend_period(
            db, district.keys, unit, Period(2023, 1), None, dt.date(2023, 12, 31), "重开一季度以便更正",
            DEMO_PASSPHRASE, folder / "extensions" / f"{unit}.json",
        )  # fmt: skip
    return district


def make_files(district: District, out: Path, count: int, pdf_every: int = 10, tag: str = "") -> list[Path]:
    """``count`` distinct signed files: the districts' 2023Q1 and 2023Q2 forms in turn, round after round, each
    revision made by changing an explanation (which opens the next one after a locked revision); every
    ``pdf_every``-th a PDF, the others workbooks."""
    forms = [(unit, period) for period in ("2023Q1", "2023Q2") for unit in district.districts()]
    files = []
    for i in range(count):
        unit, period = forms[i % len(forms)]
        kind = ".pdf" if pdf_every and i % pdf_every == pdf_every - 1 else ".xlsx"
        files.append(district.sign(unit, period, out, kind, explanation=f"修订 {tag}{i}"))
    return files


def city_database(location: Path | str, district: District, folder: Path) -> None:
    """A city database at ``location`` with the demo template, signed by the (demo) city CA and imported."""
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / "template.json"
    shutil.copy(TEMPLATE, template)
    sign_template(template, district.keys, DEMO_PASSPHRASE)
    db = Database(location)
    try:
        import_signed_template_file(db, district.keys, template)
    finally:
        db.close()


def server_keys(district: District, folder: Path) -> Path:
    """The folder `keys server-cert --host 127.0.0.1` writes: TLS and receipt keys and certificates, the CA
    certificate; and the server passphrase in ``passphrase.txt`` beside them."""
    if not (folder / "receipt.key.pem").exists():
        district.keys.issue_server(HOST, DEMO_PASSPHRASE, SERVER_PASSPHRASE, folder)
        (folder / "passphrase.txt").write_text(SERVER_PASSPHRASE, encoding="utf-8")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """A real ``serve`` process on 127.0.0.1 (TLS with the city-issued certificate unless ``tls`` is false)."""

    def __init__(
        self, database: Path | str, keys: Path, log: Path, extra: list[str] | None = None, tls: bool = True
    ) -> None:
        self.database = database
        self.keys = keys
        self.log = log
        self.extra = list(extra or [])
        self.tls = tls
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.city_ca = x509.load_pem_x509_certificate((keys / "city-ca.crt.pem").read_bytes())

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def command(self) -> list[str]:
        tls = ["--tls-cert", str(self.keys / "tls.crt.pem"), "--tls-key", str(self.keys / "tls.key.pem")]
        return [
            sys.executable,
            str(MAIN),
            "--db",
            str(self.database),
            "--keys",
            str(self.keys),
            "serve",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--passphrase-file",
            str(self.keys / "passphrase.txt"),
            *(tls if self.tls else []),
            *self.extra,
        ]

    def start(self, timeout: float = 90) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIANBAO_")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        deadline = time.monotonic() + timeout
        with self.http() as http:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"serve exited with {self.process.returncode}:\n{self.log_text()}")
                try:
                    if http.get("/api/v1/health").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError(f"serve did not answer in {timeout} s:\n{self.log_text()}")
                time.sleep(0.2)

    def http(self, **kwargs: Any) -> httpx.Client:
        """A plain httpx client to this server (trusting the city CA), for requests the IntakeClient never makes."""
        verify: Any = tls_context(self.city_ca) if self.tls else True
        return httpx.Client(base_url=self.url, verify=verify, trust_env=False, timeout=30, **kwargs)

    def client(self, timeout: float = 30.0) -> IntakeClient:
        return IntakeClient(self.url, self.city_ca, timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power or the process is killed."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-5000:]


def raw_request(port: int, data: bytes, wait: float = 0.0, read_timeout: float = 30.0) -> bytes:
    """Send ``data`` as it is over a plain socket (after ``wait`` seconds, if any), and the bytes answered until
    the server closes or ``read_timeout`` passes."""
    with socket.create_connection((HOST, port), timeout=read_timeout) as sock:
        with contextlib.suppress(OSError):  # the server may answer and close before taking it all
            sock.sendall(data)
        if wait:
            time.sleep(wait)
        answer = bytearray()
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
        return bytes(answer)


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer (0 if there was none)."""
    line = answer.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[1].isdigit() else 0
