"""Campaign holders found by a keyed digest of their ID number (HMAC-SHA-256 under a history key).

A plain SHA-256 of an 18-digit ID number is given back by trying the likely numbers (a county's codes,
the birth dates, the sequence numbers); under a key it is not, for whoever lacks the key. Each holder's
digest is made again from the ID number their case started with, under the key the upgrade is given
(``certflow init-db`` passes the configured ones), and the key's id is kept beside it.

Revision ID: 0016
Revises: 0015
"""

import hashlib
import hmac

import sqlalchemy as sa
from alembic import context, op

from certflow.engine import history

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

holders = sa.table("campaign_holders", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                   sa.column("id_digest", sa.String), sa.column("id_key", sa.String))
events = sa.table("events", sa.column("case_id", sa.Integer), sa.column("kind", sa.String),
                  sa.column("data", sa.JSON))


def id_digest(keys: history.KeyRing, id_number: str) -> tuple[str, str]:
    """(current key id, HMAC-SHA-256 of the ID number under it), as the code of this revision made them; 0018
    makes them lookup digests under the data keys, and its downgrade these again."""
    message = f"certflow-id:{id_number.strip().upper()}"  # a prefix of its own: never a history signature
    return keys.current, hmac.new(keys.keys[keys.current], message.encode(), hashlib.sha256).hexdigest()


def _id_numbers() -> list[tuple[int, str]]:
    """(holder row id, the ID number its case started with)."""
    rows = op.get_bind().execute(
        sa.select(holders.c.id, events.c.data).join(events, events.c.case_id == holders.c.case_id)
        .where(events.c.kind == "case_started")).all()
    return [(row_id, data["data"]["id_number"]) for row_id, data in rows]


def upgrade() -> None:
    with op.batch_alter_table("campaign_holders") as batch_op:
        batch_op.add_column(sa.Column("id_key", sa.String(40), nullable=True))
    keys: history.KeyRing = context.config.attributes.get("history_keys", history.DEMO_KEYS)
    connection = op.get_bind()
    for row_id, id_number in _id_numbers():
        key_id, digest = id_digest(keys, id_number)
        connection.execute(sa.update(holders).where(holders.c.id == row_id).values(id_digest=digest, id_key=key_id))
    with op.batch_alter_table("campaign_holders") as batch_op:
        batch_op.alter_column("id_key", existing_type=sa.String(40), nullable=False)


def downgrade() -> None:
    connection = op.get_bind()
    for row_id, id_number in _id_numbers():
        plain = hashlib.sha256(id_number.strip().upper().encode("ascii")).hexdigest()
        connection.execute(sa.update(holders).where(holders.c.id == row_id).values(id_digest=plain))
    op.drop_column("campaign_holders", "id_key")
