"""Row-level security on PostgreSQL: each transaction reaches the rows of its county only (nothing on SQLite).

The application scopes every query by the person's county (``certflow.people.access``); these policies enforce the
same rule underneath, so that a query which forgot its county finds nothing of another. Each transaction sets
``certflow.county`` (``certflow.engine.scope``): a county code reaches that county's rows, ``*`` every row (the
worker, the commands, migrations, province-wide administrators), an unset or empty setting none. FORCE makes the
rules hold for the tables' owner too; only a superuser or a role with BYPASSRLS passes them by.

- ``cases``, ``tasks``, ``campaign_holders``: by their county, for reading and writing.
- ``users``, ``groups``: a row of no county (a province-wide administrator, the province's own group) is read by
  every county, to name who acted and which group, but written province-wide only: a county's administrator can
  neither make nor change a province-wide account.
- the rows of a case (``events``, ``attachments``, ``outbox``, ``jobs``, ``incidents``), of a holder
  (``reassessment_appointments``), of a task (``drafts``) and of a person (``api_tokens``): those whose owner row
  the scope reaches, the owner's table filtering by the same rule; no column of their own, which would repeat the
  owner's and could disagree with it.

Not covered: ``upload_drafts`` (files picked before an application is sent belong to no case and no county yet;
found by a token only the uploading browser holds), and what is no county's own: processes and their versions,
deployments, lane mappings, process drafts, the counties, the security log, lookup codes.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

from certflow.engine.scope import EVERY_ROW as EVERY
from certflow.engine.scope import OWN_ROWS as OWN
from certflow.engine.scope import SHARED_ROWS as SHARED

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

BY_COUNTY = ("cases", "tasks", "campaign_holders")
SHARED_WHEN_NO_COUNTY = ("users", "groups")
# table: (its column naming the owner row, the owner's table, the owner's key)
BY_OWNER = {
    "events": ("case_id", "cases", "id"),
    "attachments": ("case_id", "cases", "id"),
    "outbox": ("case_id", "cases", "id"),
    "jobs": ("case_id", "cases", "id"),
    "incidents": ("case_id", "cases", "id"),
    "reassessment_appointments": ("holder_id", "campaign_holders", "id"),
    "drafts": ("task_id", "tasks", "id"),
    "api_tokens": ("user_id", "users", "id"),
}
TABLES = (*BY_COUNTY, *SHARED_WHEN_NO_COUNTY, *BY_OWNER)


def _owned(table: str, column: str, owner: str, key: str) -> str:
    # Province-wide first: PostgreSQL stops at the first true branch of an OR, so the worker looks up no owner.
    return f"({EVERY} OR EXISTS (SELECT 1 FROM {owner} WHERE {owner}.{key} = {table}.{column}))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for table in BY_COUNTY:
        op.execute(f"CREATE POLICY county_scope ON {table} USING {OWN} WITH CHECK {OWN}")
    for table in SHARED_WHEN_NO_COUNTY:
        op.execute(f"CREATE POLICY county_scope ON {table} USING {OWN} WITH CHECK {OWN}")
        op.execute(f"CREATE POLICY county_scope_read ON {table} FOR SELECT USING {SHARED}")
    for table, (column, owner, key) in BY_OWNER.items():
        rule = _owned(table, column, owner, key)
        op.execute(f"CREATE POLICY county_scope ON {table} USING {rule} WITH CHECK {rule}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS county_scope ON {table}")
        op.execute(f"DROP POLICY IF EXISTS county_scope_read ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
