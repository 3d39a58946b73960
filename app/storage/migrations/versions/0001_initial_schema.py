"""initial schema

Revision ID: 0001
Revises: -
"""

from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('baseline_year', sa.Integer(), nullable=False),
    sa.Column('demo', sa.Boolean(), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.Column('imported_at', sa.String(length=40), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogs')),
    sa.UniqueConstraint('code', 'version', 'year', name=op.f('uq_catalogs_code'))
    )
    op.create_table('units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['units.id'], name=op.f('fk_units_parent_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_units')),
    sa.UniqueConstraint('code', name=op.f('uq_units_code'))
    )
    op.create_table('indicators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('unit_label', sa.String(length=40), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('frequency', sa.String(length=10), nullable=False),
    sa.Column('accumulation', sa.String(length=12), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('aggregation', sa.String(length=8), nullable=False),
    sa.Column('assessed', sa.Boolean(), nullable=False),
    sa.Column('formula', sa.Text(), nullable=True),
    sa.Column('numerator_name', sa.String(length=200), nullable=True),
    sa.Column('numerator_unit', sa.String(length=40), nullable=True),
    sa.Column('numerator_decimals', sa.Integer(), nullable=True),
    sa.Column('denominator_name', sa.String(length=200), nullable=True),
    sa.Column('denominator_unit', sa.String(length=40), nullable=True),
    sa.Column('denominator_decimals', sa.Integer(), nullable=True),
    sa.Column('scale', sa.String(length=80), nullable=True),
    sa.Column('min_value', sa.String(length=80), nullable=True),
    sa.Column('max_value', sa.String(length=80), nullable=True),
    sa.Column('change_threshold', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_indicators_catalog_id_catalogs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicators')),
    sa.UniqueConstraint('catalog_id', 'code', name=op.f('uq_indicators_catalog_id'))
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.String(length=40), nullable=False),
    sa.Column('locked_at', sa.String(length=40), nullable=True),
    sa.Column('locked_by', sa.String(length=100), nullable=True),
    sa.Column('payload_hash', sa.String(length=64), nullable=True),
    sa.Column('signature', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_submissions_catalog_id_catalogs')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_submissions_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submissions')),
    sa.UniqueConstraint('catalog_id', 'unit_id', 'period', 'revision', name=op.f('uq_submissions_catalog_id'))
    )
    op.create_table('validation_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('catalog_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('left', sa.Text(), nullable=False),
    sa.Column('op', sa.String(length=2), nullable=False),
    sa.Column('right', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['catalog_id'], ['catalogs.id'], name=op.f('fk_validation_rules_catalog_id_catalogs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_validation_rules')),
    sa.UniqueConstraint('catalog_id', 'code', name=op.f('uq_validation_rules_catalog_id'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('user', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('unit_code', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=True),
    sa.Column('indicator_code', sa.String(length=32), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_audit_log_submission_id_submissions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_table('submission_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=80), nullable=True),
    sa.Column('numerator', sa.String(length=80), nullable=True),
    sa.Column('denominator', sa.String(length=80), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.String(length=40), nullable=False),
    sa.Column('updated_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_submission_values_indicator_id_indicators')),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], name=op.f('fk_submission_values_submission_id_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_values')),
    sa.UniqueConstraint('submission_id', 'indicator_id', name=op.f('uq_submission_values_submission_id'))
    )
    op.create_table('targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('target', sa.String(length=80), nullable=True),
    sa.Column('baseline', sa.String(length=80), nullable=True),
    sa.Column('milestone_q1', sa.String(length=80), nullable=True),
    sa.Column('milestone_q2', sa.String(length=80), nullable=True),
    sa.Column('milestone_q3', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_targets_indicator_id_indicators'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_targets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    sa.UniqueConstraint('indicator_id', 'unit_id', 'period', name=op.f('uq_targets_indicator_id'))
    )


def downgrade() -> None:
    op.drop_table('targets')
    op.drop_table('submission_values')
    op.drop_table('audit_log')
    op.drop_table('validation_rules')
    op.drop_table('submissions')
    op.drop_table('indicators')
    op.drop_table('units')
    op.drop_table('catalogs')
