"""History version 2: each event signed with a history key, each case row sealed.

The histories written before stay version 1 (the hash chain alone). Their case rows are sealed here,
with the key the upgrade is given (``certflow init-db`` passes the configured one): from now on their
events can no longer be rewritten, nor their tail cut off, without the key.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import context, op

from certflow.engine import history

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("key_id", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.String(64), nullable=True))
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("seal", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("seal_key", sa.String(40), nullable=True))
    keys: history.KeyRing = context.config.attributes.get("history_keys", history.DEMO_KEYS)
    cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("number", sa.String),
                     sa.column("event_count", sa.Integer), sa.column("last_hash", sa.String),
                     sa.column("seal", sa.String), sa.column("seal_key", sa.String))
    connection = op.get_bind()
    for case_id, number, count, last_hash in connection.execute(
            sa.select(cases.c.id, cases.c.number, cases.c.event_count, cases.c.last_hash)).all():
        key_id, seal = keys.sign(history.seal_message(number, count, last_hash))
        connection.execute(sa.update(cases).where(cases.c.id == case_id).values(seal=seal, seal_key=key_id))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy of ``cases`` would trip its foreign keys.
    for table, column in (("cases", "seal_key"), ("cases", "seal"), ("events", "mac"), ("events", "key_id")):
        op.drop_column(table, column)
