"""What the city stores of an imported revision's figures: each one's exact text as the district wrote it (in the
one lossless form), checked against the city's template, whatever files came before."""

from __future__ import annotations

import copy
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.city.importer import store_envelope
from app.demo import DEMO_PASSPHRASE, TEMPLATE, create_demo
from app.engine.periods import Period
from app.storage.db import Database
from app.submissions.signing import sign_and_lock, sign_payload
from app.templates.signing import import_signed_template_file, sign_template
from app.trust.keys import KeyStore, default_keys_dir

UNIT = "520103"


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("figures")
    district = create_demo(root / "district" / "demo.db")
    keys = KeyStore(default_keys_dir(root / "district" / "demo.db"))
    envelope = sign_and_lock(district, keys, UNIT, Period(2023, 2), DEMO_PASSPHRASE).envelope
    district.close()
    template = root / TEMPLATE.name
    shutil.copyfile(TEMPLATE, template)
    sign_template(template, keys, DEMO_PASSPHRASE)
    return {"root": root, "keys": keys, "template": template, "envelope": envelope}


def revision(setting: dict[str, Any], number: int, change: dict[str, str]) -> dict[str, Any]:
    """The district's signed revision again as revision ``number``, with the value texts of ``change`` (code →
    text), signed with the unit's own key."""
    payload = copy.deepcopy(setting["envelope"]["payload"])
    payload["revision"] = number
    payload["submission_id"] = payload["submission_id"].replace("-r1-", f"-r{number}-")
    for row in payload["indicators"]:
        if row["code"] in change:
            row["value"] = change[row["code"]]
    keys = setting["keys"]
    return sign_payload(payload, keys.unit_key(UNIT, DEMO_PASSPHRASE), keys.unit_certificate(UNIT))


def stored(path: Path, number: int) -> dict[str, str | None]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT i.code, v.value FROM submission_values v JOIN submissions s ON s.id = v.submission_id "
            "JOIN indicators i ON i.id = v.indicator_id WHERE s.revision = ?",
            (number,),
        ).fetchall()
    return dict(rows)


def test_figures_are_stored_as_exact_texts_and_checked_against_the_template(
    setting: dict[str, Any], tmp_path: Path
) -> None:
    db = Database(tmp_path / "city.db")
    try:
        import_signed_template_file(db, setting["keys"], setting["template"])
        genuine = setting["envelope"]["payload"]["indicators"]
        values = {row["code"]: row["value"] for row in genuine if row["kind"] == "base" and row["value"] is not None}
        assert "C03" in values  # an indicator of whole numbers (0 decimals)
        outcomes = []
        # The same figures again and again (remembered between files), then other texts of equal values.
        for number, change in enumerate([{}, {}, {"C03": "0" + values["C03"]}, {"C03": values["C03"] + ".000"}], 1):
            with db.transaction() as session:
                outcomes.append(store_envelope(session, Path(f"r{number}.xlsx"), revision(setting, number, change)))
        with db.transaction() as session:
            refused = store_envelope(session, Path("r9.xlsx"), revision(setting, 9, {"C03": values["C03"] + ".5"}))
    finally:
        db.close()
    assert [o.status for o in outcomes] == ["accepted"] * 4
    for number in (1, 2):
        assert {code: text for code, text in stored(tmp_path / "city.db", number).items() if code in values} == values
    # A file cannot carry a leading zero (the schema refuses it before storing); storing still keeps one form.
    assert stored(tmp_path / "city.db", 3)["C03"] == values["C03"]
    assert stored(tmp_path / "city.db", 4)["C03"] == values["C03"] + ".000"  # written decimals are kept
    assert refused.status == "malformed"
    assert "C03" in refused.message and "超过 0 位小数" in refused.message
    assert stored(tmp_path / "city.db", 9) == {}  # nothing of a refused file is stored
