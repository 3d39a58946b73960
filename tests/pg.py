"""A PostgreSQL server for the tests that run against both databases.

``TIANBAO_TEST_PG`` names a server and a role that may create databases (``.ci/run`` starts the distribution's
PostgreSQL and sets it). Without it, a throwaway cluster is started from the distribution's binaries when they are
installed (as the ``postgres`` user when the tests run as root). With neither, the PostgreSQL cases are skipped —
except under CI (``CI=true``), where a missing server fails them.

Each test gets a database of its own, copied from a template migrated once per session.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

ENV = "TIANBAO_TEST_PG"
# One template per pytest-xdist worker: each session drops and makes its own.
TEMPLATE = "tianbao_test_template" + (
    f"_{os.environ['PYTEST_XDIST_WORKER']}" if "PYTEST_XDIST_WORKER" in os.environ else ""
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class PgServer:
    """A server where fresh test databases are made."""

    def __init__(self, admin_url: str) -> None:
        self.admin = make_url(admin_url).set(drivername="postgresql+psycopg")
        self._engine = create_engine(self.admin, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self._template_ready = False

    def url(self, database: str) -> URL:
        return self.admin.set(database=database)

    def url_text(self, database: str) -> str:
        return self.url(database).render_as_string(hide_password=False)

    def _template(self) -> None:
        if self._template_ready:
            return
        from app.storage.db import Database

        with self._engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{TEMPLATE}"'))
        Database(self.url_text(TEMPLATE)).close()  # migrated to head once
        self._template_ready = True

    def fresh(self) -> str:
        """The URL of a new database at the current schema."""
        self._template()
        name = f"tianbao_t_{secrets.token_hex(6)}"
        with self._engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"'))
        return self.url_text(name)

    def empty(self) -> str:
        """The URL of a new, empty database (no schema)."""
        name = f"tianbao_t_{secrets.token_hex(6)}"
        with self._engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url_text(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        with contextlib.suppress(Exception), self._engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'))
        self._engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binaries() -> Path | None:
    if os.name != "posix":  # Windows Python under Wine sees the Linux binaries through its Z: drive
        return None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return found[-1].parent if found else None


@contextlib.contextmanager
def _throwaway_cluster() -> Iterator[str]:
    """A cluster in a temporary folder, trusting local connections, for this test session only."""
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError("没有安装 PostgreSQL（/usr/lib/postgresql/*/bin/initdb）")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        if shutil.which("runuser") is None:
            raise RuntimeError("以 root 运行，又没有 runuser 可切换到 postgres 用户")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="tianbao-pg-"))
    if as_user:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    run = {"check": True, "capture_output": True, "timeout": 120}
    subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "tianbao", "--auth=trust"], **run)
    subprocess.run(
        [
            *as_user,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "log"),
            "-w",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ],
        **run,
    )
    try:
        yield f"postgresql+psycopg://tianbao@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    """The test server (see the module docstring); :class:`RuntimeError` with the reason when there is none."""
    url = os.environ.get(ENV)
    with contextlib.ExitStack() as stack:
        if not url:
            url = stack.enter_context(_throwaway_cluster())
        server = PgServer(url)
        deadline = time.monotonic() + 30
        while True:
            try:
                with server._engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                break
            except Exception as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL 无法连接（{url}）：{exc}") from exc
                time.sleep(0.5)
        try:
            yield server
        finally:
            server.close()
