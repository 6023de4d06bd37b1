"""The migration that gives existing cases, tasks and people their county, from the configuration they were made
under: the county file's process and groups are its county's, the rest the deployment's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from exchange import COUNTY, TOWNSHIP, roster_csv, roster_row
from sqlalchemy import text

from certflow.campaign.roster import import_roster
from certflow.engine.db import MIGRATIONS, make_engine, upgrade
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

ROOT = Path(__file__).resolve().parent.parent


def test_existing_rows_get_the_county_of_their_configuration(runtime: Runtime, accounts: Accounts, start,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             every_case_replays) -> None:
    lushan = start().number
    [shizong] = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", [roster_row()]),
                              actor="county", county=COUNTY).started
    for username, roles, groups in (("window", ["window_clerk"], ["window"]), ("songxi", ["township"], [TOWNSHIP]),
                                    ("auditor", ["auditor"], []), ("admin", ["admin"], [])):
        accounts.create(username, "a-long-password", display_name=username, roles=roles, groups=groups)
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine
    command.downgrade(alembic, "0012")  # the schema before counties, with its rows

    monkeypatch.setenv("CERTFLOW_JURISDICTION", "360483")
    monkeypatch.setenv("CERTFLOW_COUNTY", str(ROOT / "shizong.json"))
    upgrade(engine)

    with engine.connect() as connection:
        cases = dict(connection.execute(text("SELECT number, county FROM cases")).all())
        tasks = set(connection.execute(text("SELECT case_number, county FROM tasks")).all())
        people = dict(connection.execute(text("SELECT username, county FROM users")).all())
    assert cases == {lushan: "360483", shizong: COUNTY.code}
    assert tasks == {(lushan, "360483"), (shizong, COUNTY.code)}
    assert people == {"window": "360483", "songxi": COUNTY.code, "auditor": "360483", "admin": None}
    assert accounts.by_username("admin").county is None  # an administrator of no group stays province-wide


def test_an_existing_database_gets_the_counties_of_its_configuration(runtime: Runtime, start, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    start()
    import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", [roster_row()]), actor="county",
                  county=COUNTY)
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine
    command.downgrade(alembic, "0019")  # the schema before counties were rows, with its cases and groups

    monkeypatch.setenv("CERTFLOW_JURISDICTION", "360483")
    monkeypatch.setenv("CERTFLOW_CASE_PREFIX", "LS")
    monkeypatch.setenv("CERTFLOW_SIGNATURE", "庐山市残联")
    monkeypatch.setenv("CERTFLOW_COUNTY", str(ROOT / "shizong.json"))
    upgrade(engine)

    with engine.connect() as connection:
        counties = connection.execute(text("SELECT code, name, federation, case_prefix, sms_signature, active "
                                           "FROM counties ORDER BY code")).all()
        groups = dict(connection.execute(text("SELECT id, county FROM groups")).all())
        holders = set(connection.execute(text("SELECT county FROM campaign_holders")).scalars())
    assert [tuple(row) for row in counties] == [
        ("360483", "庐山市", "庐山市残联", "LS", "庐山市残联", True),
        (COUNTY.code, "师宗县", "师宗县残联", "SZ", "师宗县残联", True),  # its process numbers its cases SZ
    ]
    assert (groups["window"], groups["hospital-renmin"], groups[TOWNSHIP]) == ("360483", "360483", COUNTY.code)
    assert groups[COUNTY.institution_for("肢体").group] == COUNTY.code  # a hospital's id names no place
    assert holders == {COUNTY.code}


def test_a_database_without_rows_gets_its_county_from_init_db_not_the_migration(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM counties")).scalar() == 0
    engine.dispose()
