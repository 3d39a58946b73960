"""Templates signed by the city: a district pins the city certificate and refuses unsigned, foreign or altered ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli.main import main
from app.storage.db import Database
from app.storage.form import available_years
from app.templates.document import TemplateError
from app.templates.signing import import_signed_template_file, sign_template
from app.trust.keys import KeyStore
from tests.app.sample_templates import document, indicator
from tests.app.signing_helpers import PASSPHRASE


def city_keys(folder: Path) -> KeyStore:
    keys = KeyStore(folder)
    keys.city_init("测试市生态环境局", PASSPHRASE)
    return keys


def template_file(path: Path, version: str = "1") -> Path:
    doc = document([indicator("A")])
    doc["catalog"]["version"] = version
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_signed_template_is_imported_and_its_city_certificate_pinned(db: Database, tmp_path: Path) -> None:
    city = city_keys(tmp_path / "city")
    path = template_file(tmp_path / "t.json")
    sign_template(path, city, PASSPHRASE)
    district = KeyStore(tmp_path / "district")
    done = import_signed_template_file(db, district, path)
    assert done.new and done.pinned and done.fingerprint
    assert district.has_city_certificate()
    again = import_signed_template_file(db, district, template_file(tmp_path / "t2.json", "2") and path)
    assert not again.pinned


def test_unsigned_foreign_and_altered_templates_are_refused(db: Database, tmp_path: Path) -> None:
    city = city_keys(tmp_path / "city")
    district = KeyStore(tmp_path / "district")
    first = template_file(tmp_path / "first.json")
    sign_template(first, city, PASSPHRASE)
    import_signed_template_file(db, district, first)  # pins the city certificate

    unsigned = template_file(tmp_path / "unsigned.json", "2")
    with pytest.raises(TemplateError, match="没有市级签名"):
        import_signed_template_file(db, district, unsigned)

    impostor = city_keys(tmp_path / "impostor")
    foreign = template_file(tmp_path / "foreign.json", "3")
    sign_template(foreign, impostor, PASSPHRASE)
    with pytest.raises(TemplateError, match="已确认的市级证书"):
        import_signed_template_file(db, district, foreign)

    altered = template_file(tmp_path / "altered.json", "4")
    sign_template(altered, city, PASSPHRASE)
    doc = json.loads(altered.read_text(encoding="utf-8"))
    doc["targets"][0]["target"] = "1"  # a lower target after the city signed
    altered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(TemplateError, match="被改动过"):
        import_signed_template_file(db, district, altered)
    with db.session() as session:
        from sqlalchemy import func, select

        from app.storage.models import Catalog

        assert session.scalar(select(func.count()).select_from(Catalog)) == 1


def test_cli_template_sign_and_import(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db.close()
    secret = tmp_path / "p.txt"
    secret.write_text(PASSPHRASE, encoding="utf-8")
    # Each installation keeps its keys beside its own database.
    city_db, district_db = tmp_path / "city" / "city.db", tmp_path / "district" / "district.db"
    assert (
        main(["--db", str(city_db), "keys", "city-init", "--issuer", "测试市", "--passphrase-file", str(secret)]) == 0
    )
    path = template_file(tmp_path / "t.json")
    assert main(["--db", str(city_db), "template", "sign", str(path), "--passphrase-file", str(secret)]) == 0
    assert main(["--db", str(district_db), "template", "import", str(path)]) == 0
    assert "请与市级电话核对" in capsys.readouterr().out
    unsigned = template_file(tmp_path / "u.json", "2")
    assert main(["--db", str(district_db), "template", "import", str(unsigned)]) == 2
    assert "没有市级签名" in capsys.readouterr().err
    assert available_years(Database(district_db)) == [2023]
