"""Accounts, API tokens, security events, attachments and drafts.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("material", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drafts",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("actor", sa.String(100), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(60), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("username", sa.String(60), nullable=True),
        sa.Column("remote_addr", sa.String(64), nullable=True),
        sa.Column("target", sa.String(300), nullable=True),
    )
    op.create_index("ix_security_events_login", "security_events", ["kind", "username", "at"])
    # The inbox: a queue's page and count from the index alone; search by case number and name.
    op.drop_index("ix_tasks_queue", "tasks")
    op.create_index("ix_tasks_queue", "tasks", ["status", "candidate_group", "role", "assignee", "due_at"])
    op.create_index("ix_tasks_case_number", "tasks", ["case_number"])
    op.create_index("ix_tasks_applicant_name", "tasks", ["applicant_name"])
    op.create_index("ix_tasks_completed_by", "tasks", ["completed_by", "completed_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_completed_by", "tasks")
    op.drop_index("ix_tasks_queue", "tasks")
    op.create_index("ix_tasks_queue", "tasks", ["status", "role", "candidate_group", "due_at"])
    op.drop_index("ix_tasks_applicant_name", "tasks")
    op.drop_index("ix_tasks_case_number", "tasks")
    op.drop_index("ix_security_events_login", "security_events")
    for table in ("security_events", "api_tokens", "users", "drafts", "attachments"):
        op.drop_table(table)
