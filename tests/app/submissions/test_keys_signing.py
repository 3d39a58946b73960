"""Keys, certificates, signing and locking, and verifying an envelope."""

from __future__ import annotations

import copy
import json
import os
import stat
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from app.cli.main import main
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.files import write_atomic
from app.storage.models import Submission
from app.storage.store import Change, apply_changes, revisions
from app.submissions.signing import (
    SigningError,
    VerificationError,
    payload_hash,
    sign_and_lock,
    sign_payload,
    signed_envelope,
    verify_envelope,
)
from app.templates.spec import spec_from_document
from app.trust.canonical import canonical_text
from app.trust.keys import KeysError, KeyStore
from tests.app.helpers import enter, store_template
from tests.app.sample_templates import D1, D2, document, indicator
from tests.app.signing_helpers import PASSPHRASE, keystore_with_units


@pytest.fixture
def signed_setup(db: Database, tmp_path: Path) -> tuple[Database, KeyStore]:
    spec = store_template(db, document([indicator("A"), indicator("B")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="60", B="70")
    enter(db, spec, D2, "2023Q2", A="55", B="52")
    return db, keystore_with_units(tmp_path / "keys", spec, [D1, D2])


def test_private_keys_are_stored_encrypted_and_need_the_passphrase(signed_setup: tuple[Database, KeyStore]) -> None:
    _, keys = signed_setup
    pem = keys.path(f"unit-{D1}.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(pem, None)  # not readable without the passphrase
    with pytest.raises(KeysError, match="口令不正确"):
        keys.unit_key(D1, "wrong-passphrase")
    assert keys.unit_key(D1, PASSPHRASE) is not None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_private_keys_are_readable_by_their_owner_only_and_exports_by_others(
    signed_setup: tuple[Database, KeyStore], tmp_path: Path
) -> None:
    _, keys = signed_setup
    mode = stat.S_IMODE
    assert mode(keys.path(f"unit-{D1}.key.pem").stat().st_mode) == 0o600
    assert mode(keys.path("city-ca.key.pem").stat().st_mode) == 0o600
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "报送.xlsx", b"x")
    finally:
        os.umask(old)
    assert mode((tmp_path / "报送.xlsx").stat().st_mode) == 0o644


def test_a_short_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match="至少"):
        KeyStore(tmp_path / "k").city_init("测试市", "short")


def test_an_existing_city_ca_is_never_replaced(signed_setup: tuple[Database, KeyStore]) -> None:
    _, keys = signed_setup
    with pytest.raises(KeysError, match="已有市级 CA"):
        keys.city_init("测试市", PASSPHRASE)


def test_a_certificate_from_another_ca_or_for_another_unit_is_refused(tmp_path: Path, db: Database) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    ours = keystore_with_units(tmp_path / "ours", spec, [D1])
    theirs = keystore_with_units(tmp_path / "theirs", spec, [D1, D2])
    # Another CA signs our own request: the key is ours, the issuer is not our city.
    _, foreign = theirs.issue(ours.path(f"unit-{D1}.csr.pem"), PASSPHRASE)
    with pytest.raises(KeysError, match="不是市级 CA 签发的"):
        ours.import_certificate(foreign, D1)
    # A certificate for someone else's key is refused as well.
    other = keystore_with_units(tmp_path / "other", spec, [D1])
    with pytest.raises(KeysError, match="公钥与本单位的密钥不符"):
        ours.import_certificate(other.path(f"unit-{D1}.crt.pem"), D1)
    with pytest.raises(KeysError, match="不是本单位"):
        ours.import_certificate(theirs.path(f"unit-{D2}.crt.pem"), D1)


def test_signing_locks_the_revision_and_the_envelope_verifies(signed_setup: tuple[Database, KeyStore]) -> None:
    db, keys = signed_setup
    signed = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE, "clerk")
    payload = verify_envelope(signed.envelope, keys.city_certificate())
    assert payload_hash(payload) == signed.payload_hash
    assert payload["unit"]["code"] == D1 and payload["revision"] == 1
    values = {i["code"]: i["value"] for i in payload["indicators"]}
    assert values == {"A": "60", "B": "70"}
    assert signed_envelope(db, D1, Period(2023, 2)) == signed.envelope
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D1, Period(2023, 2))] == [(1, "locked")]
        stored = session.scalars(select(Submission.signature).where(Submission.signature.is_not(None))).one()
        assert stored == canonical_text(signed.envelope)  # kept as the city keeps what it imports
    with pytest.raises(SigningError, match="已签名锁定"):
        sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)


def test_a_correction_after_signing_is_a_new_revision_and_the_signed_one_stays(
    signed_setup: tuple[Database, KeyStore], tmp_path: Path
) -> None:
    db, keys = signed_setup
    first = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    spec_doc = document([indicator("A"), indicator("B")])
    from app.templates.spec import spec_from_document

    spec = spec_from_document(spec_doc)
    with db.transaction() as session:
        apply_changes(session, spec, D1, Period(2023, 2), [Change("A", value=Decimal("61"))], "clerk")
    second = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    assert second.revision == 2
    assert first.envelope["payload"]["indicators"][0]["value"] == "60"  # the signed revision did not change
    assert second.envelope["payload"]["indicators"][0]["value"] == "61"


def test_signing_queues_each_revision_for_upload_in_the_same_transaction(
    signed_setup: tuple[Database, KeyStore],
) -> None:
    from sqlalchemy import select

    from app.storage.models import OutboxEntry

    db, keys = signed_setup
    first = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    spec = spec_from_document(document([indicator("A"), indicator("B")]))
    with db.transaction() as session:
        apply_changes(session, spec, D1, Period(2023, 2), [Change("A", value=Decimal("61"))], "clerk")
    second = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    with db.session() as session:
        rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)).all()
        queued = [(r.submission_id, r.revision, r.payload_hash, r.state, r.receipt) for r in rows]
    assert queued == [
        (first.envelope["payload"]["submission_id"], 1, first.payload_hash, "pending", None),
        (second.envelope["payload"]["submission_id"], 2, second.payload_hash, "pending", None),
    ]


def test_a_refused_signing_queues_nothing(db: Database, tmp_path: Path) -> None:
    from sqlalchemy import func, select

    from app.storage.models import OutboxEntry

    spec = store_template(db, document([indicator("A")]), tmp_path)
    keys = keystore_with_units(tmp_path / "keys", spec, [D1])
    enter(db, spec, D1, "2023Q2", A="60")
    with pytest.raises(KeysError):
        sign_and_lock(db, keys, D1, Period(2023, 2), "wrong passphrase")
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
        assert [r.status for r in revisions(session, D1, Period(2023, 2))] == ["draft"]


def test_signing_is_refused_while_the_check_has_errors_or_missing_explanations(db: Database, tmp_path: Path) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    keys = keystore_with_units(tmp_path / "keys", spec, [D1])
    enter(db, spec, D1, "2023Q2", A="10")  # expected 50 by Q2: behind, needs an explanation
    with pytest.raises(SigningError, match="情况说明"):
        sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE)
    with db.transaction() as session:
        apply_changes(session, spec, D1, Period(2023, 2), [Change("A", explanation="项目延期至三季度")], "c")
    assert sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE).revision == 1


def test_tampered_swapped_and_foreign_envelopes_are_refused(signed_setup: tuple[Database, KeyStore]) -> None:
    db, keys = signed_setup
    ca = keys.city_certificate()
    one = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE).envelope
    two = sign_and_lock(db, keys, D2, Period(2023, 2), PASSPHRASE).envelope
    altered = copy.deepcopy(one)
    altered["payload"]["indicators"][0]["value"] = "99"
    with pytest.raises(VerificationError) as caught:
        verify_envelope(altered, ca)
    assert caught.value.reason == "altered"
    swapped = dict(one, signature=two["signature"])
    with pytest.raises(VerificationError):
        verify_envelope(swapped, ca)
    # Unit D2's key signs D1's payload: the certificate's unit is not the payload's.
    foreign = sign_payload(one["payload"], keys.unit_key(D2, PASSPHRASE), keys.unit_certificate(D2))
    with pytest.raises(VerificationError) as caught:
        verify_envelope(foreign, ca)
    assert caught.value.reason == "wrong_signer"
    with pytest.raises(VerificationError) as caught:
        verify_envelope({"format": "something else"}, ca)
    assert caught.value.reason == "not_tianbao"
    # JSON's true equals 1, but this program writes the format's version as the number 1.
    for version in (True, 1.0, "1", 2):
        with pytest.raises(VerificationError) as caught:
            verify_envelope(dict(one, format_version=version), ca)
        assert caught.value.reason == "malformed", version
    assert verify_envelope(dict(one, format_version=1), ca) == one["payload"]


def test_cli_keys_flow_and_sign(db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = store_template(db, document([indicator("A")]), tmp_path)
    enter(db, spec, D1, "2023Q2", A="60")
    db.close()
    city, clerk = tmp_path / "city.txt", tmp_path / "clerk.txt"
    city.write_text("city-passphrase\n", encoding="utf-8")
    clerk.write_text("clerk-passphrase\n", encoding="utf-8")
    base = ["--db", str(db.path), "--keys", str(tmp_path / "k")]
    assert main([*base, "keys", "city-init", "--issuer", "测试市生态环境局", "--passphrase-file", str(city)]) == 0
    assert main([*base, "keys", "request", "--unit", D1, "--passphrase-file", str(clerk)]) == 0
    request = tmp_path / "k" / f"unit-{D1}.csr.pem"
    assert main([*base, "keys", "issue", str(request), "--passphrase-file", str(city)]) == 0
    assert main([*base, "keys", "import", str(tmp_path / "k" / f"unit-{D1}.crt.pem"), "--unit", D1]) == 0
    out = capsys.readouterr().out
    assert "指纹" in out
    assert main([*base, "sign", "--unit", D1, "--period", "2023Q2", "--passphrase-file", str(city)]) == 2
    assert "口令不正确" in capsys.readouterr().err
    assert main([*base, "sign", "--unit", D1, "--period", "2023Q2", "--passphrase-file", str(clerk)]) == 0
    assert "已签名并锁定" in capsys.readouterr().out
    envelope = signed_envelope(Database(db.path), D1, Period(2023, 2))
    assert envelope is not None and json.dumps(envelope)


def test_text_no_file_can_carry_is_refused_as_malformed_whether_signed_or_not(
    signed_setup: tuple[Database, KeyStore],
) -> None:
    db, keys = signed_setup
    ca = keys.city_certificate()
    envelope = sign_and_lock(db, keys, D1, Period(2023, 2), PASSPHRASE).envelope
    # A non-character can be signed; the signed bytes are where the check finds it.
    payload = copy.deepcopy(envelope["payload"])
    payload["unit"]["name"] = "云岩\uffff区"
    signed = sign_payload(payload, keys.unit_key(D1, PASSPHRASE), keys.unit_certificate(D1))
    # A lone surrogate (JSON's "\ud800") cannot even be written out to be signed.
    lone = copy.deepcopy(envelope)
    lone["payload"]["summary"] = "\ud800"
    for bad in (signed, lone):
        with pytest.raises(VerificationError) as caught:
            verify_envelope(bad, ca)
        assert (caught.value.reason, str(caught.value)) == ("malformed", "报送数据格式不合规：文字中含有无效字符")
