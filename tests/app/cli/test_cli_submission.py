"""The whole district flow from the command line: demo keys, sign, export both files, verify, detect tampering."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.cli.main import main
from app.demo import DEMO_PASSPHRASE

UNIT, OTHER = "520103", "520102"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("flow")
    db = folder / "demo.db"
    secret = folder / "p.txt"
    secret.write_text(DEMO_PASSPHRASE, encoding="utf-8")
    assert main(["--db", str(db), "demo"]) == 0
    for unit in (UNIT, OTHER):
        assert (
            main(["--db", str(db), "sign", "--unit", unit, "--period", "2023Q2", "--passphrase-file", str(secret)]) == 0
        )
        out = ["--xlsx", str(folder / f"{unit}.xlsx"), "--pdf", str(folder / f"{unit}.pdf")]
        args = ["--db", str(db), "export", "--unit", unit, "--period", "2023Q2", *out, "--passphrase-file", str(secret)]
        assert main(args) == 0
    return folder


def verify(folder: Path, *files: Path) -> tuple[int, list[dict[str, object]]]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(["--db", str(folder / "demo.db"), "verify", *map(str, files), "--json"])
    return code, json.loads(buffer.getvalue())["results"]


def test_exported_files_verify(exported: Path) -> None:
    code, results = verify(exported, exported / f"{UNIT}.xlsx", exported / f"{UNIT}.pdf")
    assert code == 0
    assert [(r["valid"], r["unit"], r["period"], r["revision"]) for r in results] == [(True, UNIT, "2023Q2", 1)] * 2


def test_changed_files_are_refused_and_named(exported: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "changed.pdf"
    data = bytearray((exported / f"{UNIT}.pdf").read_bytes())
    data[len(data) // 3] ^= 0x01
    pdf.write_bytes(bytes(data))
    other = tmp_path / "notes.txt"
    other.write_text("不是报送文件", encoding="utf-8")
    code, results = verify(exported, pdf, other, exported / f"{OTHER}.xlsx")
    assert code == 2
    assert [r["valid"] for r in results] == [False, False, True]
    assert results[0]["file"] == str(pdf) and results[0]["reason"] in {"altered", "signature_invalid", "unreadable"}
    assert results[1]["reason"] == "not_tianbao"


def test_verify_needs_the_city_certificate(tmp_path: Path, exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(exported / f"{UNIT}.pdf", tmp_path / "x.pdf")
    assert main(["--db", str(tmp_path / "empty.db"), "verify", str(tmp_path / "x.pdf")]) == 2
    assert "没有市级 CA 证书" in capsys.readouterr().err


def test_export_before_signing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "d.db"
    assert main(["--db", str(db), "demo"]) == 0
    capsys.readouterr()
    assert (
        main(["--db", str(db), "export", "--unit", UNIT, "--period", "2023Q2", "--xlsx", str(tmp_path / "a.xlsx")]) == 2
    )
    assert "还没有签名锁定的版本" in capsys.readouterr().err
