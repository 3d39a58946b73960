"""The receipt is the trusted time: a submission the city received while its unit certificate was valid stays
verifiable after the certificate expires, when the receipt accompanies it — in verify and in import."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from app.cli.main import main
from app.demo import DEMO_PASSPHRASE
from app.transport.client import Refused
from app.trust.certificates import signing_usage
from app.trust.keys import KeyStore
from tests.app.transport.helpers import Server, city_database, demo_district, server_keys

UNIT = "520121"


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()


def short_lived_certificate(keys_folder: Path, unit: str, seconds: float) -> dt.datetime:
    """Give the unit a certificate (for its own key) that expires ``seconds`` from now; returns when."""
    keys = KeyStore(keys_folder)
    old = keys.unit_certificate(unit)
    ca_cert, ca_key = keys.city_certificate(), keys.city_key(DEMO_PASSPHRASE)
    now = dt.datetime.now(dt.UTC)
    until = now + dt.timedelta(seconds=seconds)
    cert = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca_cert.subject)
        .public_key(old.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(signing_usage(ca=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    keys.path(f"unit-{unit}.crt.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return until


def test_a_receipted_submission_stays_verifiable_after_its_certificate_expires(tmp_path: Path) -> None:
    district = demo_district(tmp_path / "district")
    keys = server_keys(district, tmp_path / "server-keys")
    city_database(tmp_path / "city.db", district, tmp_path / "city")
    server = Server(tmp_path / "city.db", keys, tmp_path / "serve.log").start()
    try:
        expires = short_lived_certificate(district.keys.folder, UNIT, seconds=8)
        out = tmp_path / "files"
        workbook = district.sign(UNIT, "2023Q2", out)
        pdf = district.sign(UNIT, "2023Q2", out, ".pdf", explanation="第二版")
        late = district.sign(UNIT, "2023Q2", out, explanation="第三版")  # signed in time, sent too late
        with server.client() as client:
            for path in (workbook, pdf):
                receipt = client.upload(path.read_bytes(), path.name)
                assert receipt.received_at < expires
                path.with_name(path.name + ".receipt.json").write_bytes(receipt.raw)
        while dt.datetime.now(dt.UTC) < expires + dt.timedelta(seconds=1):
            time.sleep(0.2)
        # Now the certificate has expired: the server judges an upload at the time it receives it.
        with server.client() as client, pytest.raises(Refused) as refused:
            client.upload(late.read_bytes(), late.name)
        assert refused.value.code == "unknown_certificate"
    finally:
        server.stop()
    keys_arg = ["--keys", str(district.keys.folder)]

    # verify: the receipt beside each file (NAME.receipt.json) is used; without it the file is refused.
    code, out_text = run(*keys_arg, "verify", str(workbook), str(pdf), "--json")
    results = json.loads(out_text)["results"]
    assert code == 0 and [r["valid"] for r in results] == [True, True]
    assert all(r["judged_at"] for r in results)
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(workbook, bare / workbook.name)
    code, out_text = run(*keys_arg, "verify", str(bare / workbook.name), "--json")
    (result,) = json.loads(out_text)["results"]
    assert (code, result["reason"]) == (2, "unknown_certificate")
    assert "有效期" in result["message"]
    # verify --receipt names the receipt of one file; another submission's receipt does not fit.
    receipt_of_pdf = pdf.with_name(pdf.name + ".receipt.json")
    assert run(*keys_arg, "verify", str(bare / workbook.name), "--receipt", str(receipt_of_pdf), "--json")[0] == 2
    code, out_text = run(*keys_arg, "verify", str(bare / workbook.name), "--receipt", str(receipt_of_pdf), "--json")
    assert json.loads(out_text)["results"][0]["reason"] == "receipt_mismatch"
    shutil.copy(pdf, bare / pdf.name)
    assert run(*keys_arg, "verify", str(bare / pdf.name), "--receipt", str(receipt_of_pdf))[0] == 0
    # A receipt changed by hand is no receipt.
    document = json.loads(receipt_of_pdf.read_bytes())
    document["payload"]["received_at"] = "2023-07-01T00:00:00.000Z"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document), encoding="utf-8")
    assert run(*keys_arg, "verify", str(bare / pdf.name), "--receipt", str(forged))[0] == 2

    # import: a city that takes the files by hand later judges them by their receipts too.
    archive = tmp_path / "archive"
    city_database(archive / "city.db", district, archive)
    code, out_text = run("--db", str(archive / "city.db"), *keys_arg, "import", str(out), "--json")
    statuses = {Path(r["file"]).name: r["status"] for r in json.loads(out_text)["results"]}
    assert statuses[workbook.name] in ("accepted", "superseded")
    assert statuses[pdf.name] in ("accepted", "superseded")
    assert statuses[late.name] == "unknown_certificate"
    assert code == 2
