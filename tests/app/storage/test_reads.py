"""The plain-SQL reads and writes (app.storage.reads, app.storage.entries) on both databases: a stored template
reads back as its document gives it, whichever connection reads it, and a write that fails leaves nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.demo import TEMPLATE
from app.engine.periods import Period
from app.storage import reads
from app.storage.db import Database
from app.storage.entries import Change, apply_and_read
from app.storage.form import FormService
from app.storage.store import catalog_for_year, load_entries
from app.templates.spec import spec_from_document
from tests.app.helpers import store_template


@pytest.fixture
def db(any_db: Database) -> Database:
    return any_db


def test_the_demo_template_reads_back_as_its_document_gives_it(db: Database, tmp_path: Path) -> None:
    doc = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    assert doc["rules"] and doc["calendar"], "the demo has rules and a calendar to read back"
    stored = store_template(db, doc, tmp_path)  # through the ORM session
    expected = spec_from_document(doc)
    with db.reading() as source:  # SQLite: the plain connection; PostgreSQL: a session
        again = reads.spec_for_year(source, 2023)
        years = reads.available_years(source)
        units = reads.units_of_year(source, 2023)
    assert stored == again == expected
    assert years == [2023]
    assert [code for code, _, _ in units] == [u.code for u in expected.units]
    assert [children for _, _, children in units] == [bool(expected.children_of(u.code)) for u in expected.units]


def test_an_edit_through_the_form_is_what_the_orm_reads(db: Database, tmp_path: Path) -> None:
    doc = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    spec = store_template(db, doc, tmp_path)
    unit = next(u.code for u in spec.units if not spec.children_of(u.code))
    period = Period(2023, 2)
    form = FormService(db, unit, period, user="李四")
    code = next(i.code for i in form.indicators if form.editable(i, "value") and i.decimals == 2)
    form.set_cells([(code, "value", "12.50"), (code, "explanation", "  按季度统计  ")])
    with db.session() as session:
        entry = load_entries(session, unit, period)[code]
    assert (entry.value, entry.explanation) == (Decimal("12.50"), "按季度统计")
    assert str(entry.value) == "12.50"  # the figure as typed, not as a number rounds it
    trail = [(a.user, a.field, a.new) for a in form.audit(code)]
    assert trail == [("李四", "value", "12.50"), ("李四", "explanation", "按季度统计")]


def test_a_failed_write_leaves_nothing(db: Database, tmp_path: Path) -> None:
    doc = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    spec = store_template(db, doc, tmp_path)
    unit = next(u.code for u in spec.units if not spec.children_of(u.code))
    code = next(i.code for i in spec.indicators if i.kind == "base" and spec.entered_at(i, unit))
    with pytest.raises(RuntimeError), db.writing() as source:
        change = Change(code, value=Decimal(7))
        changed, _ = apply_and_read(source, spec, unit, Period(2023, 2), [change], "王五", "demo")
        assert changed == 1
        raise RuntimeError("停电")
    with db.reading() as source:
        assert reads.load_entries(source, unit, Period(2023, 2)) == {}
        assert reads.revisions(source, unit, Period(2023, 2)) == []
        assert reads.audit_trail(source, unit, Period(2023, 2)) == []
    with db.session() as session:
        assert catalog_for_year(session, 2023) is not None
