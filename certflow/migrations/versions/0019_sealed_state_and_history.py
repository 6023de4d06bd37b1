"""The case state, the histories' data, drafts, incidents' data and queued messages encrypted at rest.

``cases.state``, ``events.data``, ``drafts.data``, ``incidents.data`` and ``jobs.payload`` held the application in
full (names, ID numbers, phone numbers, the assessment's conclusions): each value is sealed as JSON text (SM4-GCM, or
what CERTFLOW_DATA_CIPHER names) under the current data key the upgrade is given, with its table and column as
context, as ``models.SealedJSON`` writes it. The hash chain and the case seals stay as they were: they are over the
clear values, which do not change.

Rows are converted a few hundred at a time into a new column, which then takes the old one's place: a large
history is never held in memory whole. The columns are left nullable in the table (making them NOT NULL would copy
the cases table on SQLite, tripping the foreign keys that name it); the application never writes a null there.

The downgrade writes the clear JSON back (it needs the keys that sealed the values).

Revision ID: 0019
Revises: 0018
"""

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from certflow.engine import sealing

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# (table, column, its key columns)
SEALED = [("cases", "state", ("id",)), ("events", "data", ("id",)), ("drafts", "data", ("task_id", "actor")),
          ("incidents", "data", ("id",)), ("jobs", "payload", ("id",))]
BATCH = 500


def _keys() -> sealing.DataKeyRing:
    return context.config.attributes.get("data_keys", sealing.DEMO_KEYS)


def _replace(table: str, column: str, key: tuple[str, ...], old: sa.types.TypeEngine[Any],
             new: sa.types.TypeEngine[Any], convert: Callable[[Any], Any]) -> None:
    """``column`` of ``table`` made again with type ``new``, each value passed through ``convert``, in batches by
    ``key`` (in the migration's one transaction: a failure leaves the table as it was)."""
    connection = op.get_bind()
    staging = f"{column}_new"
    op.add_column(table, sa.Column(staging, new, nullable=True))
    target = sa.table(table, *(sa.column(name) for name in key), sa.column(column, old), sa.column(staging, new))
    keys = [target.c[name] for name in key]
    last: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*keys, target.c[column]).where(target.c[column].is_not(None)).order_by(*keys).limit(BATCH)
        if last is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*last))
        rows = connection.execute(query).all()
        if not rows:
            break
        condition = sa.and_(*(column_ == sa.bindparam(f"k_{column_.name}") for column_ in keys))
        connection.execute(sa.update(target).where(condition), [
            {**{f"k_{name}": value for name, value in zip(key, row[:-1], strict=True)}, staging: convert(row[-1])}
            for row in rows])
        last = tuple(rows[-1][:-1])
    op.drop_column(table, column)
    op.alter_column(table, staging, new_column_name=column)


def upgrade() -> None:
    keys = _keys()
    for table, column, key in SEALED:
        context_ = f"{table}.{column}".encode()
        _replace(table, column, key, sa.JSON(), sa.LargeBinary(), lambda value, context_=context_: keys.encrypt(
            json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(), context=context_))


def downgrade() -> None:
    keys = _keys()
    for table, column, key in SEALED:
        context_ = f"{table}.{column}".encode()
        _replace(table, column, key, sa.LargeBinary(), sa.JSON(),
                 lambda value, context_=context_: json.loads(keys.decrypt(bytes(value), context=context_)))
