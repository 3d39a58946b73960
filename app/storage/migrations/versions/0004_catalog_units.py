"""units as each template lists them (name, parent, order), so a later hierarchy leaves earlier years alone

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_unit_id", sa.Integer(), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalogs.id"], name=op.f("fk_catalog_units_catalog_id_catalogs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["parent_unit_id"], ["units.id"], name=op.f("fk_catalog_units_parent_unit_id_units")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_catalog_units_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_units")),
        sa.UniqueConstraint("catalog_id", "unit_id", name=op.f("uq_catalog_units_catalog_id")),
    )
    # Earlier databases knew only the latest hierarchy: each catalog gets the units its targets name, as the
    # program showed them until now.
    op.execute(
        """
        INSERT INTO catalog_units (catalog_id, unit_id, name, parent_unit_id, sort_order)
        SELECT DISTINCT i.catalog_id, u.id, u.name, u.parent_id, u.sort_order
        FROM targets t
        JOIN indicators i ON i.id = t.indicator_id
        JOIN units u ON u.id = t.unit_id
        ORDER BY i.catalog_id, u.sort_order, u.id
        """
    )


def downgrade() -> None:
    op.drop_table("catalog_units")
