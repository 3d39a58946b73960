"""the district's outbox (signed revisions to upload, their receipts), what the intake service offered, and the
template's intake address

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_url", sa.String(length=300), nullable=True))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_row_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=120), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("queued_at", sa.String(length=40), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.String(length=40), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("receipt", sa.LargeBinary(), nullable=True),
        sa.Column("received_at", sa.String(length=40), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=12), nullable=True),
        sa.Column("delivered_at", sa.String(length=40), nullable=True),
        sa.Column("accepted_at", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["submission_row_id"],
            ["submissions.id"],
            name=op.f("fk_outbox_submission_row_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("submission_row_id", name=op.f("uq_outbox_submission_row_id")),
    )
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("digest", name=op.f("uq_inbox_digest")),
    )
    op.create_table(
        "transport_state",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_transport_state")),
    )
    # Revisions signed before this version were handed over as files; they are not queued afterwards.


def downgrade() -> None:
    op.drop_table("transport_state")
    op.drop_table("inbox")
    op.drop_table("outbox")
    with op.batch_alter_table("catalogs", schema=None) as batch_op:
        batch_op.drop_column("intake_url")
