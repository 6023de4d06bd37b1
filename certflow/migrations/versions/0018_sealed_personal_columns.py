"""Names, phone numbers and texts outside the case state encrypted at rest; ID numbers and names found by digests.

The applicant's name on cases and tasks, the outbox's phone numbers and texts are sealed (SM4-GCM, or what
CERTFLOW_DATA_CIPHER names) under the current data key the upgrade is given (``certflow init-db`` passes the
configured ones), with their table and column as context. Cases and tasks get the lookup digest of the name, cases
that of the ID number their case started with (from its history, which keeps it), replacing the masked number as
what finds them. The lookup codes' plain digests of ID numbers are deleted: codes live ten minutes, and a plain
digest of an ID number gives it back to whoever tries the likely ones.

The campaign holders' ID digests, HMAC-SHA-256 under the history key since 0016, are made again as lookup
digests (HMAC-SM3 under the current data key) from the same ID numbers, so that every lookup is of one kind.

The downgrade writes the clear values back (it needs the keys that sealed them) and the holders' digests of
0016 (under the current history key); the deleted codes stay deleted.

Revision ID: 0018
Revises: 0016
"""

import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from certflow.engine import history, sealing

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

# (table, column, its clear type, nullable)
SEALED = [("cases", "applicant_name", sa.String(100), True), ("tasks", "applicant_name", sa.String(100), True),
          ("outbox", "recipient_phone", sa.String(20), True), ("outbox", "text", sa.Text(), False)]
events = sa.table("events", sa.column("case_id", sa.Integer), sa.column("kind", sa.String),
                  sa.column("data", sa.JSON))
holders = sa.table("campaign_holders", sa.column("id", sa.Integer), sa.column("case_id", sa.Integer),
                   sa.column("id_digest", sa.String), sa.column("id_key", sa.String))


def _keys() -> sealing.DataKeyRing:
    return context.config.attributes.get("data_keys", sealing.DEMO_KEYS)


def _started_ids() -> dict[int, str]:
    """Case id -> the ID number its case started with (from its history, which keeps it)."""
    started = op.get_bind().execute(sa.select(events.c.case_id, events.c.data).where(events.c.kind == "case_started"))
    return {case_id: data["data"]["id_number"] for case_id, data in started if data["data"].get("id_number")}


def _redigest_holders(digest: Callable[[str], tuple[str, str]]) -> None:
    """Each campaign holder's (id_key, id_digest) made again by ``digest`` from their case's ID number."""
    numbers = _started_ids()
    connection = op.get_bind()
    values = []
    for row_id, case_id in connection.execute(sa.select(holders.c.id, holders.c.case_id)):
        key_id, value = digest(numbers[case_id])
        values.append({"row_id": row_id, "id_key": key_id, "id_digest": value})
    if values:
        connection.execute(sa.update(holders).where(holders.c.id == sa.bindparam("row_id")), values)


def _convert(table: str, column: str, new_type: sa.types.TypeEngine[Any], nullable: bool,
             convert: Callable[[Any], Any]) -> None:
    """``column`` of ``table`` dropped and made again with ``new_type``, each row's value passed through ``convert``
    (in the migration's one transaction: a failure leaves the table as it was)."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL")).all()
    # Not in batch: SQLite drops and adds a column in place (3.35 on), where a copied cases table would trip the
    # foreign keys of the tables that name it.
    op.drop_column(table, column)
    op.add_column(table, sa.Column(column, new_type, nullable=True))
    target = sa.table(table, sa.column("id"), sa.column(column, new_type))
    if rows:
        connection.execute(sa.update(target).where(target.c.id == sa.bindparam("row_id")),
                           [{"row_id": row_id, column: convert(value)} for row_id, value in rows])
    if not nullable:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, existing_type=new_type, nullable=False)


def _add_digest(table: str, digest_column: str, clear: list[tuple[int, str | None]]) -> None:
    """``digest_column`` added to ``table``, holding the lookup digest of the clear value of each (row id, value)."""
    op.add_column(table, sa.Column(digest_column, sa.String(64), nullable=True))
    keys = _keys()
    target = sa.table(table, sa.column("id"), sa.column(digest_column))
    values = [{"row_id": row_id, digest_column: keys.lookup_digest(value)} for row_id, value in clear if value]
    if values:
        op.get_bind().execute(sa.update(target).where(target.c.id == sa.bindparam("row_id")), values)


def upgrade() -> None:
    keys = _keys()
    op.drop_index("ix_cases_applicant_name", "cases")
    op.drop_index("ix_cases_id_masked", "cases")
    op.drop_index("ix_tasks_applicant_name", "tasks")
    connection = op.get_bind()
    for table in ("cases", "tasks"):
        names = connection.execute(sa.text(f"SELECT id, applicant_name FROM {table}")).all()
        _add_digest(table, "applicant_digest", [(row_id, name) for row_id, name in names])
    _add_digest("cases", "id_digest", list(_started_ids().items()))
    _redigest_holders(lambda id_number: (keys.current, keys.lookup_digest(id_number)))
    for table, column, _clear, nullable in SEALED:
        context_ = f"{table}.{column}".encode()
        _convert(table, column, sa.LargeBinary(), nullable,
                 lambda value, context_=context_: keys.encrypt(value.encode(), context=context_))
    op.create_index("ix_cases_applicant_digest", "cases", ["applicant_digest"])
    op.create_index("ix_cases_id_digest", "cases", ["id_digest"])
    op.create_index("ix_tasks_applicant_digest", "tasks", ["applicant_digest"])
    op.execute("DELETE FROM lookup_codes")


def downgrade() -> None:
    keys = _keys()
    op.drop_index("ix_tasks_applicant_digest", "tasks")
    op.drop_index("ix_cases_id_digest", "cases")
    op.drop_index("ix_cases_applicant_digest", "cases")
    for table, column, clear, nullable in SEALED:
        context_ = f"{table}.{column}".encode()
        _convert(table, column, clear, nullable,
                 lambda value, context_=context_: keys.decrypt(bytes(value), context=context_).decode())
    op.drop_column("tasks", "applicant_digest")
    op.drop_column("cases", "applicant_digest")
    op.drop_column("cases", "id_digest")
    op.create_index("ix_cases_applicant_name", "cases", ["applicant_name"])
    op.create_index("ix_cases_id_masked", "cases", ["id_masked"])
    op.create_index("ix_tasks_applicant_name", "tasks", ["applicant_name"])
    op.execute("DELETE FROM lookup_codes")  # under the data keys: the code before this finds by plain digests
    history_keys: history.KeyRing = context.config.attributes.get("history_keys", history.DEMO_KEYS)
    signing = history_keys.keys[history_keys.current]
    _redigest_holders(lambda id_number: (history_keys.current, hmac.new(
        signing, f"certflow-id:{id_number.strip().upper()}".encode(), hashlib.sha256).hexdigest()))
