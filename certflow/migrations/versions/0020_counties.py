"""Counties as data: a table of the installation's counties, and the county of groups, campaign rows and versions.

A province runs one installation for all its counties. Each county (code, name, federation, case prefix, SMS
signature, calendar additions) becomes a row; groups and campaign holders carry their county like cases, tasks
and people already do; a process version may be one county's own (``county``) or the province's (null).

Existing groups are given the county of the configuration they were made under: those named in the county file
(``CERTFLOW_COUNTY``) are its county's, every other one the deployment's own county (``CERTFLOW_JURISDICTION``'s
first code); campaign holders the county of their case. Existing versions stay province-wide.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("county", sa.String))
groups = sa.table("groups", sa.column("id", sa.String), sa.column("county", sa.String))
holders = sa.table("campaign_holders", sa.column("case_id", sa.Integer), sa.column("county", sa.String))


def upgrade() -> None:
    op.create_table(
        "counties",
        sa.Column("code", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("federation", sa.String(100), nullable=False),
        sa.Column("case_prefix", sa.String(6), nullable=False, unique=True),
        sa.Column("sms_signature", sa.String(20), nullable=False),
        sa.Column("holidays", sa.JSON(), nullable=False),
        sa.Column("workdays", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    # Nullable in the schema, as in 0013: on SQLite a NOT NULL would copy tables other tables' keys name.
    op.add_column("groups", sa.Column("county", sa.String(12), nullable=True))
    op.create_index("ix_groups_county", "groups", ["county"])
    op.add_column("campaign_holders", sa.Column("county", sa.String(12), nullable=True))
    op.create_index("ix_campaign_holders_county", "campaign_holders", ["county"])
    op.add_column("process_versions", sa.Column("county", sa.String(12), nullable=True))
    connection = op.get_bind()
    connection.execute(holders.update().values(
        county=sa.select(cases.c.county).where(cases.c.id == holders.c.case_id).scalar_subquery()))
    if connection.scalar(sa.select(sa.func.count()).select_from(groups)):
        _fill_groups(connection)


def _fill_groups(connection: sa.Connection) -> None:
    from certflow.campaign.county import County
    from certflow.config import Config  # the configuration the rows were made under

    config = Config.from_env()
    campaign = County.load(config.county_file) if config.county_file.exists() else None
    if campaign is not None:
        ids = sorted(group for group, _, _ in campaign.groups())
        connection.execute(groups.update().where(groups.c.id.in_(ids)).values(county=campaign.code))
    connection.execute(groups.update().where(groups.c.county.is_(None)).values(county=config.settings.county))


def downgrade() -> None:
    op.drop_column("process_versions", "county")
    op.drop_index("ix_campaign_holders_county", table_name="campaign_holders")
    op.drop_column("campaign_holders", "county")
    op.drop_index("ix_groups_county", table_name="groups")
    op.drop_column("groups", "county")
    op.drop_table("counties")
