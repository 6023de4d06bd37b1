"""Drafts of process files (diagrams, decision tables, forms) that analysts edit before deploying.

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
        "process_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("based_on_key", sa.String(100), nullable=True),
        sa.Column("based_on_version", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("process_drafts")
