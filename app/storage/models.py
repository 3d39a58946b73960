"""The database schema as typed SQLAlchemy 2 models.

Numbers are stored as text through :class:`DecimalText`, so every value comes back exactly as it went in.
Times are UTC ISO strings. Any change here needs a new Alembic migration in ``app/storage/migrations/versions``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, LargeBinary, MetaData, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from app.engine.numbers import to_text
from app.engine.timefmt import utcnow as utcnow  # the stored time, as the models have always offered it

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal kept as its exact text (SQLite has no exact decimal type)."""

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is not None and not isinstance(value, Decimal):
            raise TypeError(f"expected Decimal, got {type(value).__name__}")
        return to_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)

    def compare_values(self, x: object, y: object) -> bool:
        # The ORM saves a change only when this says "different": 2.00 → 2 is equal as numbers but is a
        # change of what was entered (and is in the audit log), so compare the exact text.
        if isinstance(x, Decimal) and isinstance(y, Decimal):
            return to_text(x) == to_text(y)
        return bool(x == y)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    """A reporting unit; the city is the parent of its districts."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sort_order: Mapped[int] = mapped_column(default=0)


class Catalog(Base):
    """One imported template: catalog code, version and year."""

    __tablename__ = "catalogs"
    __table_args__ = (UniqueConstraint("code", "version", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(40))
    year: Mapped[int]
    baseline_year: Mapped[int]
    demo: Mapped[bool] = mapped_column(default=False)
    issuer: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    # The signed template document as imported (JSON), when its city signature was checked; added by 0005.
    signed_document: Mapped[str | None] = mapped_column(Text)
    # The city's intake service as the signed template names it (migration 0006); None: files only.
    intake_url: Mapped[str | None] = mapped_column(String(300))
    # Added by migration 0007: the template's pacing of ceilings (NULL: the template left the defaults).
    cap_warning_margin: Mapped[Decimal | None] = mapped_column(DecimalText)
    cap_alarm_margin: Mapped[Decimal | None] = mapped_column(DecimalText)

    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="catalog", order_by="Indicator.sort_order", cascade="all, delete-orphan"
    )


class CatalogPeriod(Base):
    """The reporting window of one period as the template's calendar gives it (Beijing dates, inclusive)."""

    __tablename__ = "catalog_periods"
    __table_args__ = (UniqueConstraint("catalog_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(8))
    opens: Mapped[str] = mapped_column(String(10))
    due: Mapped[str] = mapped_column(String(10))
    closes: Mapped[str] = mapped_column(String(10))
    sort_order: Mapped[int] = mapped_column(default=0)


class PeriodExtension(Base):
    """A later due date or a reopened period the city granted one unit by a signed notice.

    Kept on both sides: the city records what it granted, the district what it imported. The latest grant counts.
    """

    __tablename__ = "period_extensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(8))
    due: Mapped[str | None] = mapped_column(String(10))
    closes: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    granted_at: Mapped[str] = mapped_column(String(40))
    notice: Mapped[str] = mapped_column(Text)


class CatalogUnit(Base):
    """A unit as one template lists it: its name, its parent and its place in that template's hierarchy.

    A later template may rename a unit or move it under another parent; the earlier year keeps aggregating as its
    own template said. (``Unit.name`` and ``Unit.parent_id`` follow the latest template imported.)
    """

    __tablename__ = "catalog_units"
    __table_args__ = (UniqueConstraint("catalog_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    name: Mapped[str] = mapped_column(String(100))
    parent_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    sort_order: Mapped[int] = mapped_column(default=0)


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("catalog_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(40))
    tier: Mapped[str] = mapped_column(String(20))
    unit_label: Mapped[str] = mapped_column(String(40))
    decimals: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(10))
    accumulation: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(8))
    aggregation: Mapped[str] = mapped_column(String(8))
    assessed: Mapped[bool] = mapped_column(default=True)
    formula: Mapped[str | None] = mapped_column(Text)
    numerator_name: Mapped[str | None] = mapped_column(String(200))
    numerator_unit: Mapped[str | None] = mapped_column(String(40))
    numerator_decimals: Mapped[int | None]
    denominator_name: Mapped[str | None] = mapped_column(String(200))
    denominator_unit: Mapped[str | None] = mapped_column(String(40))
    denominator_decimals: Mapped[int | None]
    scale: Mapped[Decimal | None] = mapped_column(DecimalText)
    min_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    max_value: Mapped[Decimal | None] = mapped_column(DecimalText)
    change_threshold: Mapped[Decimal | None] = mapped_column(DecimalText)
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)

    catalog: Mapped[Catalog] = relationship(back_populates="indicators")


class Target(Base):
    """Target, baseline and milestones of one indicator for one unit and period."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("indicator_id", "unit_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(8))
    target: Mapped[Decimal | None] = mapped_column(DecimalText)
    baseline: Mapped[Decimal | None] = mapped_column(DecimalText)
    milestone_q1: Mapped[Decimal | None] = mapped_column(DecimalText)
    milestone_q2: Mapped[Decimal | None] = mapped_column(DecimalText)
    milestone_q3: Mapped[Decimal | None] = mapped_column(DecimalText)


class ValidationRule(Base):
    __tablename__ = "validation_rules"
    __table_args__ = (UniqueConstraint("catalog_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    left: Mapped[str] = mapped_column(Text)
    op: Mapped[str] = mapped_column(String(2))
    right: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    sort_order: Mapped[int] = mapped_column(default=0)


class Submission(Base):
    """One revision of one unit's report for one period. A locked revision never changes again."""

    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("catalog_id", "unit_id", "period", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    catalog_id: Mapped[int] = mapped_column(ForeignKey("catalogs.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(default=1)
    # draft → locked (signed); a returned submission is reopened as the next revision.
    status: Mapped[str] = mapped_column(String(12), default="draft")
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    locked_at: Mapped[str | None] = mapped_column(String(40))
    locked_by: Mapped[str | None] = mapped_column(String(100))
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    # Set when the city returns (退回) the revision; the unit's next revision supersedes it.
    returned_reason: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[str | None] = mapped_column(String(40))

    values: Mapped[list[Value]] = relationship(back_populates="submission", cascade="all, delete-orphan")


class Value(Base):
    """An indicator's value in one submission: the value, or numerator and denominator, and an explanation."""

    __tablename__ = "submission_values"
    __table_args__ = (UniqueConstraint("submission_id", "indicator_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id"))
    value: Mapped[Decimal | None] = mapped_column(DecimalText)
    numerator: Mapped[Decimal | None] = mapped_column(DecimalText)
    denominator: Mapped[Decimal | None] = mapped_column(DecimalText)
    explanation: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100), default="")

    submission: Mapped[Submission] = relationship(back_populates="values")


class AuditEntry(Base):
    """Who changed what, when: one row per changed field, written in the same transaction as the change."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[str] = mapped_column(String(40), default=utcnow)
    user: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    unit_code: Mapped[str] = mapped_column(String(40), default="")
    period: Mapped[str] = mapped_column(String(8), default="")
    revision: Mapped[int | None]
    indicator_code: Mapped[str] = mapped_column(String(32), default="")
    field: Mapped[str] = mapped_column(String(20), default="")
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")


class OutboxEntry(Base):
    """A signed revision waiting to be uploaded to the city's intake service, or uploaded, with its receipt.

    Queued in the transaction that signs the revision; the receipt (回执) is stored, exactly as the server sent
    it, in the transaction that marks the entry delivered. States: see :mod:`app.storage.uploads`.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_row_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), unique=True)
    submission_id: Mapped[str] = mapped_column(String(120))
    unit_code: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int]
    payload_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    queued_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[str | None] = mapped_column(String(40))
    last_error: Mapped[str | None] = mapped_column(Text)
    # Refused (被拒收): the server's reason code (as ``verify`` gives it) and its message.
    reason_code: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text)
    receipt: Mapped[bytes | None] = mapped_column(LargeBinary)
    received_at: Mapped[str | None] = mapped_column(String(40))
    sequence: Mapped[int | None]
    verdict: Mapped[str | None] = mapped_column(String(12))
    delivered_at: Mapped[str | None] = mapped_column(String(40))
    # Set when the city's 审核通过 notice for this submission has been confirmed by the clerk.
    accepted_at: Mapped[str | None] = mapped_column(String(40))


class InboxDocument(Base):
    """A signed document the intake service offered (a notice or a template), kept until the clerk applies or
    dismisses it: nothing that comes from the network changes the figures without the clerk's say."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("digest"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # returned / accepted / extension / template
    unit_code: Mapped[str] = mapped_column(String(40), default="")
    sequence: Mapped[int | None]
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[str] = mapped_column(Text, default="")
    fetched_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    state: Mapped[str] = mapped_column(String(12), default="new")  # new / applied / dismissed
    decided_at: Mapped[str | None] = mapped_column(String(40))


class TransportState(Base):
    """Small facts about the contact with the intake service: the last contact, each unit's notice cursor."""

    __tablename__ = "transport_state"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Added by migration 0002: the history panel looks up one cell's changes.
Index("ix_audit_log_cell", AuditEntry.unit_code, AuditEntry.period, AuditEntry.indicator_code)


class Receipt(Base):
    """A signed receipt (回执) the intake service gave for an upload, exactly as it was sent.

    The id is the receipt's sequence number: never reused (SQLite AUTOINCREMENT, a PostgreSQL sequence), so it
    grows with every receipt the database ever holds. Added by migration 0005.
    """

    __tablename__ = "receipts"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[str] = mapped_column(String(200), unique=True)
    # The stored revision it acknowledges; kept even if that row ever goes.
    submission_row_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    unit_code: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int]
    payload_hash: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[str] = mapped_column(String(40))
    document: Mapped[str] = mapped_column(Text)


class Notice(Base):
    """A signed notice the city gave a unit (退回, 审核通过), kept for the unit to fetch from the intake service.

    The id is the notice's sequence number, which a unit's ``since`` counts from. Added by migration 0005.
    """

    __tablename__ = "notices"
    __table_args__ = ({"sqlite_autoincrement": True},)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[str] = mapped_column(String(40), default=utcnow)
    document: Mapped[str] = mapped_column(Text)


class RequestNonce(Base):
    """A signed request's nonce, kept while its time is inside the accepted window, so it cannot be replayed."""

    __tablename__ = "request_nonces"
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(40))
    seen_at: Mapped[str] = mapped_column(String(40), index=True)


# Added by migration 0005: a unit's notices are read by unit, from a sequence number on.
Index("ix_notices_unit", Notice.unit_id, Notice.id)
