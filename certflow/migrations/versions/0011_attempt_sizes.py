"""The bytes an online application stored, counted against the address's quota; the address's attempts by index.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("security_events", sa.Column("bytes", sa.BigInteger(), nullable=True))
    op.create_index("ix_security_events_address", "security_events", ["kind", "remote_addr", "at"])


def downgrade() -> None:
    op.drop_index("ix_security_events_address", table_name="security_events")
    op.drop_column("security_events", "bytes")
