"""Schema migrations: an old database is upgraded on open keeping every row; scripts and models agree."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine

from app.engine.numbers import to_text
from app.storage.db import MIGRATIONS_DIR, SCHEMA_HEAD, Database, DatabaseError, current_revision, make_engine, migrate
from app.storage.models import AuditEntry, Base, Value
from tests.pg import PgServer

EXACT = "123456789.123456"

# Rows as an early version of the program wrote them, in raw SQL against the 0001 schema.
ROWS_AT_0001 = [
    "INSERT INTO units (id, code, name, parent_id, sort_order) VALUES (1, '520100', '贵阳市', NULL, 0)",
    "INSERT INTO units (id, code, name, parent_id, sort_order) VALUES (2, '520102', '南明区', 1, 1)",
    "INSERT INTO catalogs (id, code, name, version, year, baseline_year, demo, issuer, description, content_hash, "
    "signature, imported_at) VALUES (1, 'GY-GREEN', '贵阳贵安绿色经济指标体系', '2023.1', 2023, 2022, 0, "
    "'贵阳市生态环境局', '', 'ab' || 'cd', NULL, '2023-07-01T08:00:00.000+00:00')",
    "INSERT INTO indicators (id, catalog_id, code, name, field, tier, unit_label, decimals, kind, frequency, "
    "accumulation, direction, aggregation, assessed, formula, numerator_name, numerator_unit, numerator_decimals, "
    "denominator_name, denominator_unit, denominator_decimals, scale, min_value, max_value, change_threshold, "
    "description, sort_order) VALUES "
    "(1, 1, 'E01', '能源消费总量', '能耗双控', 'headline', '万吨标准煤', 6, 'base', 'annual', 'cumulative', 'cap', "
    "'sum', 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '0', NULL, '20', '', 0), "
    "(2, 1, 'C07', '绿色建筑占比', '绿色生活', 'core', '%', 2, 'ratio', 'annual', 'level', 'higher', 'ratio', 1, "
    "NULL, '绿色建筑面积', '万平方米', 2, '新建建筑面积', '万平方米', 2, '100', '0', '100', NULL, '', 1)",
    "INSERT INTO targets (id, indicator_id, unit_id, period, target, baseline, milestone_q1, milestone_q2, "
    "milestone_q3) VALUES (1, 1, 2, '2023', '987654321.000001', '0.10', NULL, '400000000.5', NULL)",
    'INSERT INTO validation_rules (id, catalog_id, code, "left", op, "right", level, message, sort_order) '
    "VALUES (1, 1, 'R01', 'C07', '<=', '100', 'error', '占比不能超过100%', 0)",
    "INSERT INTO submissions (id, catalog_id, unit_id, period, revision, status, created_at, locked_at, locked_by, "
    "payload_hash, signature) VALUES (1, 1, 2, '2023Q2', 1, 'locked', '2023-07-02T01:00:00.000+00:00', "
    "'2023-07-03T01:00:00.000+00:00', '张三', 'ff00', '{\"sig\": \"x\"}'), "
    "(2, 1, 2, '2023Q2', 2, 'draft', '2023-07-04T01:00:00.000+00:00', NULL, NULL, NULL, NULL)",
    f"INSERT INTO submission_values (id, submission_id, indicator_id, value, numerator, denominator, explanation, "
    f"updated_at, updated_by) VALUES (1, 1, 1, '{EXACT}', NULL, NULL, '受疫情影响，项目推迟至三季度开工。', "
    f"'2023-07-02T02:00:00.000+00:00', '张三'), "
    f"(2, 2, 2, NULL, '30.25', '40.00', '', '2023-07-04T02:00:00.000+00:00', '李四'), "
    f"(3, 2, 1, '{EXACT}', NULL, NULL, '', '2023-07-04T02:00:00.000+00:00', '李四')",
    "INSERT INTO audit_log (id, at, user, action, submission_id, unit_code, period, revision, indicator_code, "
    "field, old, new, detail) VALUES "
    f"(1, '2023-07-02T02:00:00.000+00:00', '张三', 'edit', 1, '520102', '2023Q2', 1, 'E01', 'value', NULL, "
    f"'{EXACT}', ''), "
    "(2, '2023-07-03T01:00:00.000+00:00', '张三', 'lock', 1, '520102', '2023Q2', 1, '', '', NULL, NULL, ''), "
    "(3, '2023-07-04T01:00:00.000+00:00', '李四', 'open_revision', 2, '520102', '2023Q2', 2, '', '', NULL, NULL, "
    "'由第 1 版修订')",
]
TABLES = [
    "units",
    "catalogs",
    "indicators",
    "targets",
    "validation_rules",
    "submissions",
    "submission_values",
    "audit_log",
]


def dump(engine: Engine, like: dict[str, list[str]] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, with SQLite's storage class of each cell, so nothing can change unnoticed.

    ``like`` limits each table to the columns an older schema had (later migrations may add columns).
    """
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            columns = like[table] if like else [c["name"] for c in inspect(conn).get_columns(table)]
            typed = ", ".join(f'"{c}", typeof("{c}")' for c in columns)
            out[table] = [tuple(r) for r in conn.exec_driver_sql(f"SELECT {typed} FROM {table} ORDER BY id")]
    return out


def columns_of(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return {table: [c["name"] for c in inspect(conn).get_columns(table)] for table in TABLES}


@pytest.fixture
def old_database(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    engine = make_engine(path)
    migrate(engine, "0001")
    with engine.begin() as conn:
        for statement in ROWS_AT_0001:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return path


def test_the_fixture_is_a_0001_database(old_database: Path) -> None:
    engine = make_engine(old_database)
    try:
        assert current_revision(engine) == "0001"
        assert "ix_audit_log_cell" not in {i["name"] for i in inspect(engine).get_indexes("audit_log")}
    finally:
        engine.dispose()


def test_opening_an_old_database_upgrades_it_to_head_keeping_every_row(old_database: Path) -> None:
    engine = make_engine(old_database)
    before = dump(engine)
    old_columns = columns_of(engine)
    engine.dispose()
    assert all(before[t] for t in TABLES)

    db = Database(old_database)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        indexes = {i["name"]: i for i in inspect(db.engine).get_indexes("audit_log")}
        assert indexes["ix_audit_log_cell"]["column_names"] == ["unit_code", "period", "indicator_code"]
        assert dump(db.engine, old_columns) == before
        with db.engine.connect() as conn:  # 0003's new columns start empty on old rows
            assert conn.exec_driver_sql("SELECT returned_reason, returned_at FROM submissions").fetchall() == [
                (None, None)
            ] * len(before["submissions"])
        assert db.integrity_check() == "ok"
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        db.close()


def test_upgraded_rows_read_back_exactly_through_the_models(old_database: Path) -> None:
    db = Database(old_database)
    try:
        with db.session() as session:
            value = session.get(Value, 1)
            assert value is not None
            assert value.value == Decimal(EXACT)
            assert to_text(value.value) == EXACT
            ratio = session.get(Value, 2)
            assert ratio is not None
            assert (to_text(ratio.numerator), to_text(ratio.denominator)) == ("30.25", "40.00")
            trail = session.scalars(
                select(AuditEntry).where(AuditEntry.unit_code == "520102").order_by(AuditEntry.id)
            ).all()
            assert [(a.action, a.new) for a in trail] == [("edit", EXACT), ("lock", None), ("open_revision", None)]
    finally:
        db.close()


def test_each_catalog_gets_the_units_it_showed_before_the_upgrade(old_database: Path) -> None:
    """0004: the hierarchy per catalog starts as the program showed it until then: the units the catalog's
    targets name, with their names and parents at the time of the upgrade."""
    from app.engine.catalog import UnitSpec
    from app.storage.catalogs import load_spec
    from app.storage.models import Catalog

    db = Database(old_database)
    try:
        with db.session() as session:
            catalog = session.get(Catalog, 1)
            assert catalog is not None
            spec = load_spec(session, catalog)
        assert spec.units == [UnitSpec("520102", "南明区", "520100")]
        assert [t[1] for t in spec.targets] == ["520102"]
    finally:
        db.close()


def test_the_history_lookup_uses_the_new_index(old_database: Path) -> None:
    db = Database(old_database)
    try:
        with db.engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT * FROM audit_log "
                "WHERE unit_code = '520102' AND period = '2023Q2' AND indicator_code = 'E01'"
            ).all()
        assert any("ix_audit_log_cell" in str(row) for row in plan)
    finally:
        db.close()


def test_opening_a_current_database_again_changes_nothing(old_database: Path) -> None:
    Database(old_database).close()
    engine = make_engine(old_database)
    once = dump(engine)
    engine.dispose()
    db = Database(old_database)
    try:
        assert current_revision(db.engine) == SCHEMA_HEAD
        assert dump(db.engine) == once
    finally:
        db.close()


def test_a_database_from_a_newer_program_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Database(path).close()
    engine = make_engine(path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="无法打开或升级"):
        Database(path)
    engine = make_engine(path)
    try:
        assert current_revision(engine) == "9999"
    finally:
        engine.dispose()


# ---------------------------------------------------------------- scripts, head and models agree


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def test_schema_head_is_the_head_of_the_migration_scripts() -> None:
    assert _scripts().get_heads() == [SCHEMA_HEAD]


def test_migrations_form_one_line_from_0001() -> None:
    revisions = list(_scripts().walk_revisions())  # newest first
    assert revisions[0].revision == SCHEMA_HEAD
    assert revisions[-1].revision == "0001" and revisions[-1].down_revision is None
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision


@pytest.mark.parametrize("start", ["fresh", "upgraded from 0001"])
def test_models_match_the_migrated_schema(tmp_path: Path, old_database: Path, start: str) -> None:
    db = Database(tmp_path / "fresh.db" if start == "fresh" else old_database)
    try:
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        db.close()


def test_the_same_migrations_build_the_postgresql_schema_of_the_models(postgresql: PgServer) -> None:
    url = postgresql.empty()
    try:
        db = Database(url)
        try:
            assert current_revision(db.engine) == SCHEMA_HEAD
            with db.engine.connect() as conn:
                assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        finally:
            db.close()
        # Opening it again (another worker starting) finds it current and changes nothing.
        Database(url).close()
    finally:
        postgresql.drop(url)


def test_a_postgresql_database_of_another_program_is_refused_untouched(postgresql: PgServer) -> None:
    url = postgresql.empty()
    try:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE customers (id integer primary key)")
        engine.dispose()
        with pytest.raises(DatabaseError, match="不是填报通的数据库"):
            Database(url)
    finally:
        postgresql.drop(url)


def test_a_server_address_the_program_does_not_support_is_refused() -> None:
    with pytest.raises(DatabaseError, match="不支持的数据库地址"):
        Database("mysql://user:secret@127.0.0.1/city")
