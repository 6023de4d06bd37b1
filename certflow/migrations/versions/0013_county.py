"""Each case, task and person belongs to a county: one county's staff no longer read another's cases.

Existing rows are given the counties of the configuration they were made under: the cases of the county
file's process (``CERTFLOW_COUNTY``) and the people with one of its groups are that county's; every other
case and person is the deployment's own (``CERTFLOW_JURISDICTION``), but administrators without a group,
who stay province-wide.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("process_key", sa.String),
                 sa.column("county", sa.String))
tasks = sa.table("tasks", sa.column("case_id", sa.Integer), sa.column("county", sa.String))
users = sa.table("users", sa.column("id", sa.Integer), sa.column("roles", sa.JSON), sa.column("groups", sa.JSON),
                 sa.column("county", sa.String))


def upgrade() -> None:
    # Nullable in the schema: on SQLite a NOT NULL would copy the cases table, which the other tables' foreign
    # keys forbid; certflow writes a county on every new case and task.
    for table in ("cases", "tasks", "users"):
        op.add_column(table, sa.Column("county", sa.String(12), nullable=True))
    connection = op.get_bind()
    if connection.scalar(sa.select(sa.func.count()).select_from(cases)) or \
            connection.scalar(sa.select(sa.func.count()).select_from(users)):
        _fill(connection)
    op.create_index("ix_cases_county", "cases", ["county"])


def _fill(connection: sa.Connection) -> None:
    from certflow.config import Config  # the configuration the rows were made under
    from certflow.campaign.county import County

    config = Config.from_env()
    own = config.settings.county
    campaign = County.load(config.county_file) if config.county_file.exists() else None
    if campaign is not None:
        connection.execute(cases.update().where(cases.c.process_key == campaign.process).values(county=campaign.code))
    connection.execute(cases.update().where(cases.c.county.is_(None)).values(county=own))
    connection.execute(tasks.update().values(county=sa.select(cases.c.county).where(cases.c.id == tasks.c.case_id)
                                             .scalar_subquery()))
    campaign_groups = {group for group, _, _ in campaign.groups()} if campaign is not None else set()
    for user_id, roles, groups in connection.execute(sa.select(users.c.id, users.c.roles, users.c.groups)).all():
        if campaign is not None and campaign_groups & set(groups):
            county = campaign.code
        else:
            county = None if "admin" in roles and not groups else own
        connection.execute(users.update().where(users.c.id == user_id).values(county=county))


def downgrade() -> None:
    op.drop_index("ix_cases_county", table_name="cases")
    for table in ("users", "tasks", "cases"):
        op.drop_column(table, "county")  # SQLite drops a column in place since 3.35
