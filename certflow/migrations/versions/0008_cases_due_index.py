"""The timer tick's index: running cases by when their next timer is due.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_due", "cases", ["status", "next_due_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_due", table_name="cases")
