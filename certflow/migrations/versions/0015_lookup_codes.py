"""Lookup codes: a code texted to the phone on file lets an applicant find their cases with the ID number alone;
upload drafts: files an applicant picked, stored before the application is sent.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("id_digest", sa.String(64), nullable=False),
        sa.Column("code_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_lookup_codes_id", "lookup_codes", ["id_digest", "created_at"])
    op.create_index("ix_cases_id_masked", "cases", ["id_masked"])
    op.create_table(
        "upload_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("material", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(60), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upload_drafts")
    op.drop_index("ix_cases_id_masked", "cases")
    op.drop_index("ix_lookup_codes_id", "lookup_codes")
    op.drop_table("lookup_codes")
