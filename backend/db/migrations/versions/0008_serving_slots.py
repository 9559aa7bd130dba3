"""serving slots: the canary's share of traffic on its alias

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('traffic_percent', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('aliases', schema=None) as batch_op:
        batch_op.drop_column('traffic_percent')
