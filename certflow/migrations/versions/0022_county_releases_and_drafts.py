"""A county giving up its own process versions (``version_releases``), and drafts per county.

``version_releases`` records each time a county went back to following the province's newest version of a
process: its own versions up to ``through_version`` no longer shadow the province's for its new cases.

``process_drafts`` gains ``county`` (null: the province's, which every existing draft becomes), unique by name and
county instead of name alone. The table is copied into a new one, because SQLite cannot drop the name's unnamed
unique constraint in place.

On PostgreSQL both tables come under row-level security (as 0021's): a county reaches its own drafts and records
and reads the province's drafts (county null), which only province-wide work writes.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from certflow.engine.scope import OWN_ROWS as OWN
from certflow.engine.scope import SHARED_ROWS as SHARED

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_DRAFT_COLUMNS = ("id", "name", "content", "author", "updated_at", "based_on_key", "based_on_version")


def upgrade() -> None:
    op.create_table(
        "version_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_key", sa.String(100), nullable=False),
        sa.Column("county", sa.String(12), nullable=False),
        sa.Column("through_version", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_version_releases_key_county", "version_releases", ["process_key", "county"])
    _copy_drafts(with_county=True)
    # Null is the province: the index compares it as '' so that the province has one draft of a name too.
    op.create_index("uq_process_drafts_name_county", "process_drafts",
                    ["name", sa.text("coalesce(county, '')")], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        for table in ("process_drafts", "version_releases"):
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY county_scope ON {table} USING {OWN} WITH CHECK {OWN}")
        op.execute(f"CREATE POLICY county_scope_read ON process_drafts FOR SELECT USING {SHARED}")


def _copy_drafts(*, with_county: bool) -> None:
    """``process_drafts`` made again with or without ``county``; without, only the province's drafts are kept."""
    columns = [
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False, unique=not with_county),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("based_on_key", sa.String(100), nullable=True),
        sa.Column("based_on_version", sa.Integer(), nullable=True),
    ]
    if with_county:
        columns.append(sa.Column("county", sa.String(12), nullable=True))
    # Named by direction: on PostgreSQL the copy keeps its constraints' names after the rename.
    copy = "process_drafts_new" if with_county else "process_drafts_old"
    op.create_table(copy, *columns)
    listed = ", ".join(_DRAFT_COLUMNS)
    province = "" if with_county else " WHERE county IS NULL"
    op.execute(f"INSERT INTO {copy} ({listed}) SELECT {listed} FROM process_drafts{province}")
    op.drop_table("process_drafts")
    op.rename_table(copy, "process_drafts")
    if op.get_bind().dialect.name == "postgresql":  # the copied ids go on from where they were
        op.execute("SELECT setval(pg_get_serial_sequence('process_drafts', 'id'), "
                   "coalesce((SELECT max(id) FROM process_drafts), 0) + 1, false)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # the copy made below is the old table again, without rules
        op.execute("DROP POLICY IF EXISTS county_scope_read ON process_drafts")
        op.execute("DROP POLICY IF EXISTS county_scope ON process_drafts")
        op.execute("ALTER TABLE process_drafts NO FORCE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE process_drafts DISABLE ROW LEVEL SECURITY")
    op.drop_index("uq_process_drafts_name_county", table_name="process_drafts")
    _copy_drafts(with_county=False)
    op.drop_index("ix_version_releases_key_county", table_name="version_releases")
    op.drop_table("version_releases")
