"""Lane mappings (泳道对照): a lane name other tools write, mapped by an administrator to a role and a group.

Versions deployed before keep no mappings of their own: their lanes all name roles, which is what they
were checked against.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lane_mappings",
        sa.Column("lane", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("group_id", sa.String(60), nullable=True),
        sa.Column("changed_by", sa.String(100), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("lane_mappings")
