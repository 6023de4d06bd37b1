"""Campaign holders: one row per holder of a county's exchange campaign, with the case started for them.

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
    op.create_table(
        "campaign_holders",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("id_digest", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(20), nullable=False),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, unique=True),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("township", sa.String(60), nullable=False),
        sa.Column("village", sa.String(60), nullable=False),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("home_visit", sa.Boolean(), nullable=False),
        sa.Column("category", sa.String(10), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("campaign", "id_digest"),
    )
    op.create_index("ix_campaign_holders_township", "campaign_holders", ["campaign", "township", "village"])


def downgrade() -> None:
    op.drop_index("ix_campaign_holders_township", table_name="campaign_holders")
    op.drop_table("campaign_holders")
