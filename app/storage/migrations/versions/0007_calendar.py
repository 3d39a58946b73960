"""reporting calendar: each template's windows, its pacing of ceilings, and the extensions the city grants

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("opens", sa.String(length=10), nullable=False),
        sa.Column("due", sa.String(length=10), nullable=False),
        sa.Column("closes", sa.String(length=10), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_catalog_periods_catalog_id_catalogs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_periods")),
        sa.UniqueConstraint("catalog_id", "period", name=op.f("uq_catalog_periods_catalog_id")),
    )
    op.create_table(
        "period_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("due", sa.String(length=10), nullable=True),
        sa.Column("closes", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", sa.String(length=40), nullable=False),
        sa.Column("notice", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_period_extensions_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_extensions")),
    )
    with op.batch_alter_table("catalogs") as batch:
        batch.add_column(sa.Column("cap_warning_margin", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("cap_alarm_margin", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogs") as batch:
        batch.drop_column("cap_alarm_margin")
        batch.drop_column("cap_warning_margin")
    op.drop_table("period_extensions")
    op.drop_table("catalog_periods")
