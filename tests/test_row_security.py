"""PostgreSQL's row-level security, by plain SQL as the app's role: a transaction scoped to one county reads and
writes none of another's rows, one with no scope reads nothing, and the role cannot switch the rules off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from databases import app_role
from lushan import GUARDIAN_ID, MINOR_ID, application
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from twocounties import LUSHAN, SHIZONG, TwoCounties, fill

from certflow.engine.db import MIGRATIONS, upgrade
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.people.accounts import Accounts

on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)

BY_COUNTY = ("cases", "tasks", "campaign_holders", "users", "groups", "process_drafts", "version_releases")
# table: the query naming the county of each of its rows, through the row it belongs to
BY_OWNER = {
    "events": "SELECT t.id, c.county FROM events t JOIN cases c ON c.id = t.case_id",
    "attachments": "SELECT t.id, c.county FROM attachments t JOIN cases c ON c.id = t.case_id",
    "outbox": "SELECT t.id, c.county FROM outbox t JOIN cases c ON c.id = t.case_id",
    "jobs": "SELECT t.id, c.county FROM jobs t JOIN cases c ON c.id = t.case_id",
    "incidents": "SELECT t.id, c.county FROM incidents t JOIN cases c ON c.id = t.case_id",
    "reassessment_appointments": "SELECT t.id, h.county FROM reassessment_appointments t "
                                 "JOIN campaign_holders h ON h.id = t.holder_id",
    "drafts": "SELECT t.task_id || t.actor, k.county FROM drafts t JOIN tasks k ON k.id = t.task_id",
    "api_tokens": "SELECT t.id, u.county FROM api_tokens t JOIN users u ON u.id = t.user_id",
}
PROTECTED = {*BY_COUNTY, *BY_OWNER}
CAMPAIGN = {"campaign_holders", "reassessment_appointments"}  # Shizong's alone
PROVINCES_TOO = {"users", "groups", "process_drafts"}  # a county reads the province's rows (of no county) too


def rows_by_county(connection: Connection) -> dict[str, set[tuple[str, str | None]]]:
    """Every protected table's rows that the connection reads: (row, its county)."""
    found = {table: {(str(key), county) for key, county in connection.execute(
        text(f"SELECT id, county FROM {table}"))} for table in BY_COUNTY}
    for table, query in BY_OWNER.items():
        found[table] = {(str(key), county) for key, county in connection.execute(text(query))}
    return found


def scoped(connection: Connection, scope: str) -> None:
    connection.execute(text("SELECT set_config('certflow.county', :s, true)"), {"s": scope})


@pytest.fixture
def filled(runtime: Runtime, accounts: Accounts, start, tmp_path: Path) -> TwoCounties:  # type: ignore[no-untyped-def]
    return fill(runtime, accounts, start, tmp_path)


@pytest.fixture
def as_app(database_url: str, filled: TwoCounties) -> Iterator[Connection]:
    """A connection as the app's role, in a transaction rolled back after the test."""
    with app_role(database_url) as url:
        engine = create_engine(url)
        with engine.connect() as connection:
            yield connection
        engine.dispose()


@on_postgres
def test_every_table_of_a_countys_data_has_forced_row_security(runtime: Runtime) -> None:
    with runtime.sessions() as session:
        forced = set(session.scalars(text(
            "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity AND relkind = 'r'")))
    assert forced == PROTECTED


@on_postgres
def test_a_county_scope_reads_its_own_rows_and_nothing_of_another_county(as_app: Connection,
                                                                          runtime: Runtime) -> None:
    with runtime.sessions() as session:  # a superuser: what is there
        everything = rows_by_county(session.connection())
    for table, rows in everything.items():  # each table has Shizong's rows, all but the campaign's Lushan's too
        assert SHIZONG in {county for _key, county in rows}, table
        assert LUSHAN in {county for _key, county in rows} or table in CAMPAIGN, table

    for scope, other in ((LUSHAN, SHIZONG), (SHIZONG, LUSHAN)):
        with as_app.begin():
            scoped(as_app, scope)
            seen = rows_by_county(as_app)
        for table, rows in everything.items():
            shared = {(key, county) for key, county in rows if county is None} if table in PROVINCES_TOO else set()
            assert seen[table] == {(key, county) for key, county in rows if county == scope} | shared, table
            assert all(county != other for _key, county in seen[table]), table

    with as_app.begin():
        scoped(as_app, PROVINCE_WIDE)
        assert rows_by_county(as_app) == everything


@on_postgres
@pytest.mark.parametrize("scope", [None, ""])
def test_without_a_scope_nothing_is_read(as_app: Connection, scope: str | None) -> None:
    with as_app.begin():
        if scope is not None:
            scoped(as_app, scope)
        assert {table: len(rows) for table, rows in rows_by_county(as_app).items()} == dict.fromkeys(PROTECTED, 0)


@on_postgres
def test_a_county_scope_cannot_write_another_countys_rows(as_app: Connection, filled: TwoCounties,
                                                         runtime: Runtime) -> None:
    with runtime.sessions() as session:
        shizong_case = session.scalar(text("SELECT id FROM cases WHERE number = :n"), {"n": filled.shizong.numbers[0]})
    attempts = [  # each as Lushan's scope, each refused or reaching no row
        ("UPDATE cases SET county = :b WHERE number = :own", "row-level security"),  # moving its own case away
        ("INSERT INTO groups (id, role, name, active, county) VALUES ('x', 'village', 'x', true, :b)",
         "row-level security"),
        ("INSERT INTO users (username, display_name, password_hash, roles, groups, county, active, created_at, "
         "session_generation) VALUES ('root2', 'x', 'x', '[\"admin\"]', '[]', NULL, true, now(), 0)",
         "row-level security"),  # a province-wide administrator, made by a county
        ("INSERT INTO attachments (case_id, material, filename, content_type, size, sha256, uploaded_by, uploaded_at)"
         " VALUES (:case, 'photos', 'x.png', 'image/png', 1, 'x', 'x', now())", "row-level security"),
    ]
    for statement, refusal in attempts:
        with pytest.raises(ProgrammingError, match=refusal), as_app.begin():
            scoped(as_app, LUSHAN)
            as_app.execute(text(statement), {"b": SHIZONG, "own": filled.lushan.numbers[0], "case": shizong_case})
    with as_app.begin():
        scoped(as_app, LUSHAN)
        changed = as_app.execute(text("UPDATE cases SET status = 'cancelled' WHERE county = :b"), {"b": SHIZONG})
        deleted = as_app.execute(text("DELETE FROM events WHERE case_id = :case"), {"case": shizong_case})
        province = as_app.execute(text("UPDATE users SET roles = '[]' WHERE county IS NULL"))
        assert (changed.rowcount, deleted.rowcount, province.rowcount) == (0, 0, 0)


@on_postgres
def test_a_guardians_number_finds_no_case_of_another_county(as_app: Connection, runtime: Runtime) -> None:
    """The guardian's lookup digest (0023) is a column of cases: the same guardian in two counties is found by each
    county in its own case only."""
    with county_scope(PROVINCE_WIDE):
        numbers = {county: runtime.start_case("application_online", application(id_number=MINOR_ID),
                                              actor="applicant", county=county) for county in (LUSHAN, SHIZONG)}
    digest = runtime.settings.data_keys.lookup_digest(GUARDIAN_ID)
    for scope in (LUSHAN, SHIZONG):
        with as_app.begin():
            scoped(as_app, scope)
            found = as_app.scalars(text("SELECT number FROM cases WHERE guardian_digest = :d"), {"d": digest})
            assert list(found) == [numbers[scope]]


@on_postgres
def test_the_apps_role_cannot_switch_the_rules_off(as_app: Connection) -> None:
    for statement in ("ALTER TABLE cases DISABLE ROW LEVEL SECURITY", "DROP POLICY county_scope ON cases",
                      "ALTER TABLE cases NO FORCE ROW LEVEL SECURITY"):
        with pytest.raises(ProgrammingError, match="must be owner"), as_app.begin():
            as_app.execute(text(statement))
    with pytest.raises(DBAPIError, match="row-level security"), as_app.begin():
        as_app.execute(text("SET LOCAL row_security = off"))  # an error rather than the policies skipped
        as_app.execute(text("SELECT count(*) FROM cases"))


@on_postgres
def test_the_downgrade_removes_every_policy_and_the_upgrade_brings_them_back(runtime: Runtime) -> None:
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine

    def secured() -> tuple[set[str], int]:
        with engine.connect() as connection:
            tables = set(connection.scalars(text("SELECT relname FROM pg_class WHERE relrowsecurity OR "
                                                 "relforcerowsecurity")))
            return tables, int(connection.scalar(text("SELECT count(*) FROM pg_policies")) or 0)

    command.downgrade(alembic, "0020")
    assert secured() == (set(), 0)
    upgrade(engine)
    # one each, and a reading one on users, groups and process drafts (the province's rows)
    assert secured() == (PROTECTED, len(PROTECTED) + 3)
