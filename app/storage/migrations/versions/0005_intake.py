"""the intake service: signed receipts given for uploads, notices for units to fetch, request nonces, and each
signed template as the city signed it

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_document", sa.Text(), nullable=True))
    op.create_table(
        "receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=200), nullable=False),
        sa.Column("submission_row_id", sa.Integer(), nullable=True),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_row_id"],
            ["submissions.id"],
            name=op.f("fk_receipts_submission_row_id_submissions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_receipts_submission_id")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_notices_unit_id_units")),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submissions.id"], name=op.f("fk_notices_submission_id_submissions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notices_unit", "notices", ["unit_id", "id"], unique=False)
    op.create_table(
        "request_nonces",
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("seen_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_request_nonces")),
    )
    op.create_index(op.f("ix_request_nonces_seen_at"), "request_nonces", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_request_nonces_seen_at"), table_name="request_nonces")
    op.drop_table("request_nonces")
    op.drop_index("ix_notices_unit", table_name="notices")
    op.drop_table("notices")
    op.drop_table("receipts")
    with op.batch_alter_table("catalogs", schema=None) as batch_op:
        batch_op.drop_column("signed_document")
