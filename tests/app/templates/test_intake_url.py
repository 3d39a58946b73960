"""The template's ``intake_url``: the city names its intake service inside the signed content; a bad address is
refused with the place named, and a template without one stays exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.storage.catalogs import load_spec
from app.storage.db import Database
from app.storage.models import Catalog
from app.templates.document import TemplateError, content_hash
from app.templates.export import document_from_spec
from app.templates.signing import import_signed_template_file, sign_template
from app.templates.spec import spec_from_document
from app.trust.keys import KeyStore
from tests.app.sample_templates import document
from tests.app.signing_helpers import PASSPHRASE


def with_address(address: str | None) -> dict[str, object]:
    doc = document()
    if address is not None:
        doc["catalog"]["intake_url"] = address
    return doc


@pytest.mark.parametrize(
    "address",
    ["https://tianbao.example.gov.cn", "https://10.2.3.4:8443", "https://intake.example/api", "http://127.0.0.1:8765"],
)
def test_an_https_address_or_a_loopback_test_address_is_kept(address: str) -> None:
    spec = spec_from_document(with_address(address))
    assert spec.intake_url == address
    assert document_from_spec(spec)["catalog"]["intake_url"] == address


@pytest.mark.parametrize(
    "address",
    [
        "http://tianbao.example.gov.cn",  # plain http to another machine
        "https://user:pw@tianbao.example",  # a user name can hide the real host
        "https://tianbao.example/?next=evil",
        "https://tianbao.example#x",
        "ftp://tianbao.example",
        "https://",
        "https://" + "a" * 300,
    ],
)
def test_other_addresses_are_refused_naming_the_field(address: str) -> None:
    with pytest.raises(TemplateError, match=r"catalog\.intake_url"):
        spec_from_document(with_address(address))


def test_a_template_without_an_address_is_written_and_hashed_as_before() -> None:
    plain = spec_from_document(with_address(None))
    assert plain.intake_url is None
    exported = document_from_spec(plain)
    assert set(exported["catalog"]) == {"code", "name", "version", "year", "baseline_year", "demo", "issuer"}
    with_one = document_from_spec(spec_from_document(with_address("https://intake.example")))
    assert content_hash(with_one) != content_hash(exported)


def test_the_address_is_signed_and_stored(db: Database, tmp_path: Path) -> None:
    city = KeyStore(tmp_path / "city")
    city.city_init("测试市生态环境局", PASSPHRASE)
    path = tmp_path / "t.json"
    path.write_text(json.dumps(with_address("https://intake.example:8443"), ensure_ascii=False), encoding="utf-8")
    sign_template(path, city, PASSPHRASE)
    signed = json.loads(path.read_text(encoding="utf-8"))
    signed["catalog"]["intake_url"] = "https://attacker.example"
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    district = KeyStore(tmp_path / "district")
    with pytest.raises(TemplateError, match="签名不符"):
        import_signed_template_file(db, district, forged)
    import_signed_template_file(db, district, path)
    with db.session() as session:
        catalog = session.query(Catalog).one()
        assert catalog.intake_url == "https://intake.example:8443"
        assert load_spec(session, catalog).intake_url == "https://intake.example:8443"
