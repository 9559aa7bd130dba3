"""canaries and the canary judge's verdicts

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('champion_version_id', sa.Integer(), nullable=True),
    sa.Column('traffic_percent', sa.Double(), nullable=False),
    sa.Column('min_requests', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['champion_version_id'], ['versions.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['model_id'], ['models.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('canaries', schema=None) as batch_op:
        batch_op.create_index('ix_canaries_model', ['model_id', 'id'], unique=False)
    op.create_table('canary_verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canary_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('headline', sa.Text(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.Column('production_version', sa.Integer(), nullable=True),
    sa.Column('canary_requests', sa.Integer(), nullable=False),
    sa.Column('production_requests', sa.Integer(), nullable=False),
    sa.Column('min_requests', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('judged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('judged_by', sa.String(length=100), nullable=False),
    sa.Column('rolled_back', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['canary_id'], ['canaries.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('canary_verdicts', schema=None) as batch_op:
        batch_op.create_index('ix_canary_verdicts_canary', ['canary_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('canary_verdicts', schema=None) as batch_op:
        batch_op.drop_index('ix_canary_verdicts_canary')
    op.drop_table('canary_verdicts')
    with op.batch_alter_table('canaries', schema=None) as batch_op:
        batch_op.drop_index('ix_canaries_model')
    op.drop_table('canaries')
