"""A passphrase file as Windows Notepad saves it: UTF-8 with or without a byte-order mark, UTF-16 ("Unicode"),
or the Chinese ANSI code page (GBK)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli.main import main

CITY_PASSPHRASE = "城市口令 2023"


@pytest.fixture
def request_to_issue(tmp_path: Path) -> tuple[list[str], Path]:
    """A city CA made with its passphrase from a plain UTF-8 file, and a district's certificate request."""
    plain = tmp_path / "plain.txt"
    plain.write_text(CITY_PASSPHRASE + "\n", encoding="utf-8")
    assert main(["--db", str(tmp_path / "demo.db"), "demo"]) == 0
    base = ["--db", str(tmp_path / "demo.db"), "--keys", str(tmp_path / "k")]
    assert main([*base, "keys", "city-init", "--issuer", "测试市生态环境局", "--passphrase-file", str(plain)]) == 0
    assert main([*base, "keys", "request", "--unit", "520103", "--passphrase-file", str(plain)]) == 0
    return base, tmp_path / "k" / "unit-520103.csr.pem"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("utf8-bom.txt", b"\xef\xbb\xbf" + (CITY_PASSPHRASE + "\r\n").encode("utf-8")),
        ("gbk.txt", (CITY_PASSPHRASE + "\r\n").encode("gbk")),
        ("unicode.txt", (CITY_PASSPHRASE + "\r\n").encode("utf-16")),
    ],
)
def test_the_passphrase_in_any_notepad_encoding_opens_the_key(
    request_to_issue: tuple[list[str], Path], tmp_path: Path, name: str, content: bytes
) -> None:
    base, request = request_to_issue
    secret = tmp_path / name
    secret.write_bytes(content)
    assert main([*base, "keys", "issue", str(request), "--passphrase-file", str(secret)]) == 0


def test_a_passphrase_file_that_is_no_text_is_refused_by_name(
    request_to_issue: tuple[list[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, request = request_to_issue
    secret = tmp_path / "binary.txt"
    secret.write_bytes(b"\xef\xbb\xbf\xff\xfe\x80")
    capsys.readouterr()
    assert main([*base, "keys", "issue", str(request), "--passphrase-file", str(secret)]) == 2
    assert "binary.txt" in capsys.readouterr().err


def test_template_sign_names_a_missing_passphrase_file(
    request_to_issue: tuple[list[str], Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = request_to_issue
    template = tmp_path / "template.json"
    template.write_text("{}", encoding="utf-8")
    capsys.readouterr()
    missing = tmp_path / "没有这个文件.txt"
    assert main([*base, "template", "sign", str(template), "--passphrase-file", str(missing)]) == 2
    assert "没有这个文件.txt" in capsys.readouterr().err
