"""Fixtures of the intake tests: signed district files made once, the server's keys, and a city served by a real
``serve`` process — on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from app import __version__
from app.demo import DEMO_PASSPHRASE
from app.engine.periods import Period
from app.storage.db import Database
from app.submissions.export_pdf import write_submission_pdf
from app.submissions.signing import signed_envelope
from tests.app.transport.helpers import District, Server, city_database, demo_district, make_files, server_keys
from tests.pg import PgServer


@dataclass
class Files:
    district: District
    folder: Path
    # 520102 and 520103, 2023Q2 revision 1, each as a workbook and as a PDF (the same submission twice).
    first: dict[str, Path]
    # 520102 2023Q2 revision 1 signed again with other content: the same submission id.
    conflict: Path
    # 520111 2023Q2 revision 1 with a visible cell changed after signing.
    tampered: Path
    # Distinct signed files of every district, for uploads under load.
    load: list[Path]


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Files]:
    root = tmp_path_factory.mktemp("intake-district")
    district = demo_district(root / "district")
    # A copy of the district's database before anything is signed: signing there again gives the same
    # submission ids with other content.
    district.db.close()
    shutil.copy(district.folder / "demo.db", root / "twin.db")
    district.db = Database(district.folder / "demo.db")
    out = root / "files"
    first = {}
    for unit in ("520102", "520103"):
        first[f"{unit}.xlsx"] = district.sign(unit, "2023Q2", out)
        first[f"{unit}.pdf"] = first[f"{unit}.xlsx"].with_suffix(".pdf")
        envelope = signed_envelope(district.db, unit, Period.parse("2023Q2"))
        assert envelope is not None
        write_submission_pdf(envelope, first[f"{unit}.pdf"], district.keys, DEMO_PASSPHRASE, __version__)
    twin = District(Database(root / "twin.db"), district.keys, district.spec, root)
    conflict = twin.sign("520102", "2023Q2", root / "conflict", explanation="另一份内容")
    twin.db.close()
    signed = district.sign("520111", "2023Q2", root / "to-tamper")
    workbook = openpyxl.load_workbook(signed)
    sheet = workbook["报送表"]
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.replace(".", "", 1).isdigit():
                cell.value = str(float(cell.value) + 1)
                break
        else:
            continue
        break
    tampered = root / "tampered.xlsx"
    workbook.save(tampered)
    load = make_files(district, root / "load", 24, pdf_every=6, tag="load")
    yield Files(district, root, first, conflict, tampered, load)
    district.db.close()


@pytest.fixture(scope="session")
def keys_dir(files: Files, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return server_keys(files.district, tmp_path_factory.mktemp("intake-server-keys"))


@dataclass
class City:
    """A city database (a SQLite file or a PostgreSQL URL) with the signed demo template."""

    location: Path | str
    folder: Path

    def open(self) -> Database:
        return Database(self.location)


def make_city(request: pytest.FixtureRequest, kind: str, files: Files, folder: Path) -> City:
    location: Path | str
    if kind == "sqlite":
        location = folder / "city.db"
    else:
        postgresql: PgServer = request.getfixturevalue("postgresql")
        location = postgresql.fresh()
        request.addfinalizer(lambda: postgresql.drop(str(location)))
    city_database(location, files.district, folder)
    return City(location, folder)


@pytest.fixture(params=["sqlite", "postgresql"])
def city(request: pytest.FixtureRequest, files: Files, tmp_path: Path) -> City:
    """A fresh city database for one test, on each database."""
    return make_city(request, request.param, files, tmp_path / "city")


@dataclass
class Served:
    city: City
    server: Server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(
    request: pytest.FixtureRequest, files: Files, keys_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One running service for a module of tests, on each database."""
    folder = tmp_path_factory.mktemp(f"intake-{request.param}")
    city = make_city(request, request.param, files, folder)
    # Many requests of one unit follow each other here; the rate limits have their own test.
    server = Server(city.location, keys_dir, folder / "serve.log", ["--rate-per-unit", "0"]).start()
    yield Served(city, server)
    server.stop()
