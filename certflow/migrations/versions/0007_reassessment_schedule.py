"""Re-assessment schedule: the day and venue (or home visit) of each campaign holder to be re-assessed.

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
        "reassessment_appointments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign", sa.String(100), nullable=False),
        sa.Column("holder_id", sa.Integer(), sa.ForeignKey("campaign_holders.id"), nullable=False, unique=True),
        sa.Column("home_visit", sa.Boolean(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(100), nullable=False),
        sa.Column("team", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_reassessment_appointments_day", "reassessment_appointments", ["campaign", "day", "venue"])


def downgrade() -> None:
    op.drop_index("ix_reassessment_appointments_day", table_name="reassessment_appointments")
    op.drop_table("reassessment_appointments")
