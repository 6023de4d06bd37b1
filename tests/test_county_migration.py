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
from certflow.engine.db import MIGRATIONS, upgrade
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
