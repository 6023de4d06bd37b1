"""Cases found by their guardian's ID number: ``cases.guardian_digest``.

A guardian (监护人/代办人) who applied for a minor or a person with an intellectual or mental disability is recorded
in the case (``guardian_id_number``), and what the case holds of them belongs in their own export of personal data
(PIPL art. 45). The column holds the lookup digest of that number (HMAC under the current data key the upgrade is
given, as ``cases.id_digest``), filled here for the existing cases from their start event, which keeps the number
the application gave; a case whose personal data was erased has none to find. The column is on ``cases``, under
that table's row-level security (0021): a county reaches its own cases' digests only.

The downgrade drops the column.

Revision ID: 0023
Revises: 0022
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from certflow.engine import sealing
from certflow.engine.privacy import ID_NUMBER

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BATCH = 500
events = sa.table("events", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                  sa.column("kind", sa.String), sa.column("data", sa.LargeBinary))
cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("guardian_digest", sa.String))


def _keys() -> sealing.DataKeyRing:
    return context.config.attributes.get("data_keys", sealing.DEMO_KEYS)


def _guardian(keys: sealing.DataKeyRing, sealed: Any) -> str | None:
    """The guardian's ID number in a start event's sealed data (0019), or None: no guardian, or erased."""
    data = json.loads(keys.decrypt(bytes(sealed), context=b"events.data"))
    number = (data.get("data") or {}).get("guardian_id_number")
    return number if isinstance(number, str) and ID_NUMBER.fullmatch(number.strip()) else None


def upgrade() -> None:
    op.add_column("cases", sa.Column("guardian_digest", sa.String(64), nullable=True))
    keys, connection = _keys(), op.get_bind()
    last = 0
    while True:  # a few hundred start events at a time: a large history is never held in memory whole
        rows = connection.execute(sa.select(events.c.id, events.c.case_id, events.c.data)
                                  .where(events.c.kind == "case_started", events.c.id > last)
                                  .order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = [{"case": case_id, "guardian_digest": keys.lookup_digest(number)}
                  for _id, case_id, sealed in rows if (number := _guardian(keys, sealed))]
        if values:
            connection.execute(sa.update(cases).where(cases.c.id == sa.bindparam("case")), values)
        last = rows[-1][0]
    op.create_index("ix_cases_guardian_digest", "cases", ["guardian_digest"])


def downgrade() -> None:
    op.drop_index("ix_cases_guardian_digest", "cases")
    op.drop_column("cases", "guardian_digest")
