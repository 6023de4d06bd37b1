"""New applicants (新评定对象) beside the holders of a campaign: they have no certificate, so no grade yet.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_holders") as table:
        table.alter_column("grade", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("campaign_holders") as table:
        table.alter_column("grade", existing_type=sa.Integer(), nullable=False)
