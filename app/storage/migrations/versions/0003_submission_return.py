"""record a returned submission's reason and time with the submission

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("returned_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("returned_at", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("returned_at")
        batch_op.drop_column("returned_reason")
