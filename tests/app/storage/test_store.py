"""The store: what may be entered, the audit log, locking and revisions."""

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine.catalog import CatalogSpec
from app.engine.numbers import NumberError
from app.engine.periods import Period
from app.storage.db import Database
from app.storage.models import AuditEntry, Submission, Value
from app.storage.store import (
    Change,
    EntryError,
    apply_changes,
    audit_trail,
    count_audit,
    entries_of,
    latest_submission,
    load_entries,
    lock_submission,
    parse_input,
    revisions,
    unit_by_code,
)
from tests.app.helpers import check, store_template
from tests.app.sample_templates import D1, D2, document, indicator, ratio

D = Decimal
Q2 = Period(2023, 2)


@pytest.fixture
def db(any_db: Database) -> Database:
    """The store works the same on SQLite and PostgreSQL: every test here runs on both."""
    return any_db


@pytest.fixture
def spec(db: Database, tmp_path: Path) -> CatalogSpec:
    doc = document(
        [
            indicator("A", decimals=2),
            ratio("B"),
            indicator("C", kind="derived", formula="A * 2", aggregation="formula", decimals=2),
        ]
    )
    return store_template(db, doc, tmp_path)


def apply(db: Database, spec: CatalogSpec, changes: list[Change], unit: str = D1, user: str = "张三") -> int:
    with db.transaction() as session:
        return apply_changes(session, spec, unit, Q2, changes, user)


def trail(
    db: Database, indicator: str | None = None, unit: str = D1
) -> list[tuple[str, str, str, str | None, str | None]]:
    with db.session() as session:
        return [(a.user, a.action, a.field, a.old, a.new) for a in audit_trail(session, unit, Q2, indicator)]


def audit_count(db: Database) -> int:
    with db.session() as session:
        return count_audit(session)


def test_every_changed_field_writes_an_audit_row(db: Database, spec: CatalogSpec) -> None:
    assert apply(db, spec, [Change("A", value=D("12.50"))], user="张三") == 1
    assert apply(db, spec, [Change("A", value=D("15"))], user="李四") == 1
    assert apply(db, spec, [Change("B", numerator=D("3"), denominator=D("4"))]) == 2
    assert apply(db, spec, [Change("A", value=None)], user="王五") == 1
    assert trail(db, "A") == [
        ("张三", "edit", "value", None, "12.50"),
        ("李四", "edit", "value", "12.50", "15"),
        ("王五", "edit", "value", "15", None),
    ]
    assert trail(db, "B") == [("张三", "edit", "numerator", None, "3"), ("张三", "edit", "denominator", None, "4")]
    with db.session() as session:
        rows = audit_trail(session, D1, Q2)
    assert rows[0].action == "create"  # opening revision 1 is logged too
    assert all(r.at for r in rows) and all(r.revision == 1 for r in rows)


def test_explanations_are_audited_and_trimmed(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", explanation="  项目延期  ")])
    assert apply(db, spec, [Change("A", explanation="项目延期")]) == 0
    assert trail(db, "A") == [("张三", "edit", "explanation", "", "项目延期")]
    with db.session() as session:
        assert load_entries(session, D1, Q2)["A"].explanation == "项目延期"


def test_an_unchanged_value_writes_no_audit_row(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", value=D("12.5")), Change("B", numerator=D("3"), denominator=D("4"))])
    before = audit_count(db)
    assert apply(db, spec, [Change("A", value=D("12.5")), Change("B", numerator=D("3"), denominator=D("4"))]) == 0
    assert apply(db, spec, [Change("A")]) == 0  # nothing requested
    assert audit_count(db) == before


def test_fields_left_as_ellipsis_are_not_touched(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("B", numerator=D("3"), denominator=D("4")), Change("A", value=D(1), explanation="说明")])
    apply(db, spec, [Change("B", denominator=D("5")), Change("A", value=D(2))])
    with db.session() as session:
        entries = load_entries(session, D1, Q2)
    assert (entries["B"].numerator, entries["B"].denominator) == (D(3), D(5))
    assert (entries["A"].value, entries["A"].explanation) == (D(2), "说明")


def test_values_are_stored_exactly_as_entered(db: Database, spec: CatalogSpec) -> None:
    apply(
        db,
        spec,
        [Change("A", value=D("12345678901234567890.10")), Change("B", numerator=D("0.10"), denominator=D("3"))],
    )
    with db.session() as session:
        entries = load_entries(session, D1, Q2)
        stored = session.scalars(select(Value.value).where(Value.value.is_not(None))).one()
    assert str(entries["A"].value) == "12345678901234567890.10"
    assert str(entries["B"].numerator) == "0.10"
    assert str(stored) == "12345678901234567890.10"


def test_changing_only_the_written_places_is_saved_as_audited(db: Database, spec: CatalogSpec) -> None:
    """2.00 → 2 is the same number but a different entry: what the audit log says must be what is stored."""
    for text in ("2.00", "2", "2.0", "2.0"):
        apply(db, spec, [Change("A", value=D(text))])
        with db.session() as session:
            assert str(load_entries(session, D1, Q2)["A"].value) == text
    assert [(old, new) for *_, old, new in trail(db, "A")] == [(None, "2.00"), ("2.00", "2"), ("2", "2.0")]


# ---------------------------------------------------------------- what may be entered


def test_derived_indicator_refuses_direct_input(db: Database, spec: CatalogSpec) -> None:
    with pytest.raises(EntryError, match="计算型指标"):
        apply(db, spec, [Change("C", value=D("5"))])
    with pytest.raises(EntryError, match="计算型指标"):
        apply(db, spec, [Change("C", numerator=D("5"))])
    # an explanation is what a clerk may write for it
    assert apply(db, spec, [Change("C", explanation="按公式计算")]) == 1


def test_ratio_indicator_refuses_a_plain_value(db: Database, spec: CatalogSpec) -> None:
    with pytest.raises(EntryError, match="比率型指标"):
        apply(db, spec, [Change("B", value=D("75"))])


def test_base_indicator_refuses_numerator_and_denominator(db: Database, spec: CatalogSpec) -> None:
    with pytest.raises(EntryError, match="没有分子和分母"):
        apply(db, spec, [Change("A", numerator=D("1"), denominator=D("2"))])


@pytest.mark.parametrize(
    "change",
    [
        Change("A", value=D("1.234")),
        Change("B", numerator=D("1.001"), denominator=D("2")),
        Change("B", numerator=D("1"), denominator=D("0.125")),
    ],
)
def test_too_many_decimals_is_refused_not_rounded(db: Database, spec: CatalogSpec, change: Change) -> None:
    with pytest.raises(EntryError, match="最多保留 2 位小数"):
        apply(db, spec, [change])
    with db.session() as session:
        assert load_entries(session, D1, Q2) == {}


def test_trailing_zeros_beyond_the_places_are_accepted(db: Database, spec: CatalogSpec) -> None:
    assert apply(db, spec, [Change("A", value=D("1.2300"))]) == 1


def test_a_batch_with_one_bad_change_writes_nothing(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", value=D("1"))], unit=D2)
    before = audit_count(db)
    bad_batches = [
        [Change("A", value=D("10")), Change("B", numerator=D("1"), denominator=D("2")), Change("A", value=D("1.001"))],
        [Change("A", value=D("10")), Change("C", value=D("1"))],
        [Change("A", value=D("10")), Change("NOPE", value=D("1"))],
        [Change("B", numerator=D("1"), denominator=D("2")), Change("B", value=D("50"))],
    ]
    for batch in bad_batches:
        with pytest.raises(EntryError):
            apply(db, spec, batch)
    with db.session() as session:
        assert load_entries(session, D1, Q2) == {}
        assert session.scalar(select(func.count()).select_from(Submission)) == 1  # D2's only
    assert audit_count(db) == before
    assert trail(db) == []


def test_a_failure_later_in_the_transaction_rolls_the_changes_back(db: Database, spec: CatalogSpec) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
        apply_changes(session, spec, D1, Q2, [Change("A", value=D("10"))], "张三")
        raise RuntimeError("disk full")
    with db.session() as session:
        assert load_entries(session, D1, Q2) == {}
        assert count_audit(session) == 0


def test_unknown_indicator_unit_or_year_is_refused(db: Database, spec: CatalogSpec) -> None:
    with pytest.raises(EntryError, match="NOPE"):
        apply(db, spec, [Change("NOPE", value=D(1))])
    with pytest.raises(EntryError, match="不存在"):
        apply(db, spec, [Change("A", value=D(1))], unit="XX")
    with pytest.raises(EntryError, match="不属于"), db.transaction() as session:
        apply_changes(session, spec, D1, Period(2024, 1), [Change("A", value=D(1))], "张三")


def test_parse_input_takes_what_clerks_type_and_checks_places(spec: CatalogSpec) -> None:
    a, b = spec.by_code["A"], spec.by_code["B"]
    assert parse_input(a, "value", "１，２３４．５") == D("1234.5")
    assert parse_input(a, "value", " 12.30 ") == D("12.30")
    assert parse_input(a, "value", "") is None
    assert parse_input(a, "value", "   ") is None
    assert parse_input(a, "value", None) is None
    with pytest.raises(NumberError, match="最多保留 2 位小数"):
        parse_input(a, "value", "1.234")
    with pytest.raises(NumberError, match="分子"):
        parse_input(b, "numerator", "1.234")
    with pytest.raises(NumberError):
        parse_input(a, "value", "1e3")


def test_parse_input_uses_each_parts_own_places(db: Database, tmp_path: Path) -> None:
    r = {**ratio("R"), "numerator": {"name": "个数", "unit": "个", "decimals": 0}}
    spec = store_template(db, document([r]), tmp_path)
    ind = spec.by_code["R"]
    with pytest.raises(NumberError, match="应为整数"):
        parse_input(ind, "numerator", "1.5")
    assert parse_input(ind, "denominator", "1.55") == D("1.55")


# ---------------------------------------------------------------- locking and revisions


def test_lock_freezes_and_the_next_edit_opens_revision_2(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", value=D("10")), Change("B", numerator=D("3"), denominator=D("4"), explanation="说明")])
    with db.transaction() as session:
        sub = lock_submission(session, D1, Q2, "审核人", payload_hash="ab" * 32, signature="sig")
        assert (sub.revision, sub.status, sub.locked_by) == (1, "locked", "审核人")
    with db.session() as session:
        first = latest_submission(session, unit_by_code(session, D1), Q2)  # type: ignore[arg-type]
        assert first is not None
        first_id = first.id
        frozen = entries_of(session, first)

    assert apply(db, spec, [Change("A", value=D("11"))], user="李四") == 1

    with db.session() as session:
        infos = revisions(session, D1, Q2)
        assert [(r.revision, r.status) for r in infos] == [(1, "locked"), (2, "draft")]
        assert infos[0].locked_at and infos[0].locked_by == "审核人"
        old = session.get(Submission, first_id)
        assert old is not None
        assert (old.status, old.payload_hash, old.signature) == ("locked", "ab" * 32, "sig")
        assert entries_of(session, old) == frozen  # revision 1 unchanged
        assert frozen["A"].value == D("10")
        current = load_entries(session, D1, Q2)
    # revision 2 started as a copy of revision 1, with the one edit on top
    assert current["A"].value == D("11")
    assert (current["B"].numerator, current["B"].denominator, current["B"].explanation) == (D(3), D(4), "说明")
    assert check(db, D1, "2023Q2").by_code["A"].value == D("11")

    with db.session() as session:
        rows = audit_trail(session, D1, Q2)
    actions = [(r.action, r.revision) for r in rows]
    assert ("lock", 1) in actions
    assert ("open_revision", 2) in actions
    assert [r.detail for r in rows if r.action == "open_revision"] == ["由第 1 版修订"]
    assert (rows[-1].action, rows[-1].revision, rows[-1].old, rows[-1].new, rows[-1].user) == (
        "edit",
        2,
        "10",
        "11",
        "李四",
    )


def test_a_locked_revision_cannot_be_locked_again_and_nothing_to_lock_is_refused(
    db: Database, spec: CatalogSpec
) -> None:
    with pytest.raises(EntryError, match="没有可锁定"), db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")
    apply(db, spec, [Change("A", value=D("10"))])
    with db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")
    with pytest.raises(EntryError, match="已锁定"), db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")


def test_locked_values_are_never_rewritten(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", value=D("10"))])
    with db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")
    with db.session() as session:
        locked_value_ids = set(session.scalars(select(Value.id)))
    apply(db, spec, [Change("A", value=D("12"))])
    with db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")
    apply(db, spec, [Change("A", value=D("13"))])
    with db.session() as session:
        values = {
            s.revision: [v.value for v in session.scalars(select(Value).where(Value.submission_id == s.id))]
            for s in session.scalars(select(Submission).order_by(Submission.revision))
        }
        assert set(session.scalars(select(Value.id).where(Value.id.in_(locked_value_ids)))) == locked_value_ids
        assert [r.revision for r in revisions(session, D1, Q2)] == [1, 2, 3]
    assert values == {1: [D("10")], 2: [D("12")], 3: [D("13")]}


def test_each_unit_and_period_has_its_own_revisions(db: Database, spec: CatalogSpec) -> None:
    apply(db, spec, [Change("A", value=D("10"))], unit=D1)
    with db.transaction() as session:
        lock_submission(session, D1, Q2, "审核人")
    apply(db, spec, [Change("A", value=D("20"))], unit=D2)
    with db.transaction() as session:
        apply_changes(session, spec, D1, Period(2023, 3), [Change("A", value=D("30"))], "张三")
    with db.session() as session:
        assert [(r.revision, r.status) for r in revisions(session, D2, Q2)] == [(1, "draft")]
        assert [(r.revision, r.status) for r in revisions(session, D1, Period(2023, 3))] == [(1, "draft")]
        assert [(r.revision, r.status) for r in revisions(session, D1, Q2)] == [(1, "locked")]


def test_audit_rows_are_written_in_the_same_transaction(db: Database, spec: CatalogSpec) -> None:
    with db.transaction() as session:
        apply_changes(session, spec, D1, Q2, [Change("A", value=D("10"))], "张三")
        pending = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.field == "value"))
        assert pending == 1
