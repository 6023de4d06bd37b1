"""Counties as data: a table of the installation's counties, and the county of groups, campaign rows and versions.

A province runs one installation for all its counties. Each county (code, name, federation, case prefix, SMS
signature, calendar additions) becomes a row; groups and campaign holders carry their county like cases, tasks
and people already do; a process version may be one county's own (``county``) or the province's (null).

An existing database gets the counties of the configuration its rows were made under, as a new one gets them from
``certflow init-db`` and the county file's commands: the deployment's own county (``CERTFLOW_JURISDICTION``'s first
code, numbered ``CERTFLOW_CASE_PREFIX``, signed ``CERTFLOW_SIGNATURE``) and the county file's (``CERTFLOW_COUNTY``:
its name and federation, numbered with its process's ``caseNumberPrefix`` when the process is deployed and names
one). Existing groups are given the county of that configuration: those named in the county file are its county's,
every other one the deployment's own; campaign holders the county of their case. Existing versions stay
province-wide. A database without rows gets no county here: ``certflow init-db`` adds the first.

Revision ID: 0020
Revises: 0019
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

cases = sa.table("cases", sa.column("id", sa.Integer), sa.column("county", sa.String))
groups = sa.table("groups", sa.column("id", sa.String), sa.column("county", sa.String))
holders = sa.table("campaign_holders", sa.column("case_id", sa.Integer), sa.column("county", sa.String))
users = sa.table("users", sa.column("id", sa.Integer))
versions = sa.table("process_versions", sa.column("process_key", sa.String), sa.column("version", sa.Integer),
                    sa.column("spec", sa.JSON))
counties = sa.table("counties", *(sa.column(name, sa.String) for name in (
    "code", "name", "federation", "case_prefix", "sms_signature")), sa.column("holidays", sa.JSON),
    sa.column("workdays", sa.JSON), sa.column("active", sa.Boolean),
    sa.column("created_at", sa.DateTime(timezone=True)))


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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
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
    if any(connection.scalar(sa.select(sa.func.count()).select_from(table)) for table in (cases, users, groups)):
        _fill(connection)


def _fill(connection: sa.Connection) -> None:
    from certflow.campaign.county import County
    from certflow.config import Config  # the configuration the rows were made under
    from certflow.people.counties import division_name

    config = Config.from_env()
    settings = config.settings
    campaign = County.load(config.county_file) if config.county_file.exists() else None
    if campaign is not None:
        ids = sorted(group for group, _, _ in campaign.groups())
        connection.execute(groups.update().where(groups.c.id.in_(ids)).values(county=campaign.code))
    connection.execute(groups.update().where(groups.c.county.is_(None)).values(county=settings.county))

    own = division_name(settings.county) or settings.county
    rows = [(settings.county, own, f"{own}残联", settings.case_prefix, settings.signature)]
    prefix = _case_prefix(connection, campaign.process) if campaign is not None else None
    if campaign is not None and prefix and campaign.code != settings.county and prefix != settings.case_prefix:
        rows.append((campaign.code, campaign.name, campaign.federation, prefix, campaign.federation))
    now = datetime.now(UTC)
    if connection.dialect.name == "sqlite":  # as certflow writes it there: UTC without a zone
        now = now.replace(tzinfo=None)
    connection.execute(counties.insert(), [
        {"code": code, "name": name, "federation": federation, "case_prefix": case_prefix, "sms_signature": signature,
         "holidays": [], "workdays": [], "active": True, "created_at": now}
        for code, name, federation, case_prefix, signature in rows])


def _case_prefix(connection: sa.Connection, process: str) -> str | None:
    """The case number prefix the newest deployed version of ``process`` names on its start event, if any."""
    from certflow.engine.specs import CASE_PREFIX_PROPERTY, restore_specs, start_property

    spec = connection.scalar(sa.select(versions.c.spec).where(versions.c.process_key == process)
                             .order_by(versions.c.version.desc()).limit(1))
    return start_property(restore_specs(spec)[0], CASE_PREFIX_PROPERTY) if spec else None


def downgrade() -> None:
    op.drop_column("process_versions", "county")
    op.drop_index("ix_campaign_holders_county", table_name="campaign_holders")
    op.drop_column("campaign_holders", "county")
    op.drop_index("ix_groups_county", table_name="groups")
    op.drop_column("groups", "county")
    op.drop_table("counties")
