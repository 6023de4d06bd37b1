"""The migrations that key the campaign holders' ID digests (0016 under the history key, 0018 under the data key):
a holder imported under the plain SHA-256 is found afterwards by the number typed in, and a copy of the table no
longer gives the number to whoever lacks the key."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from exchange import COUNTY, roster_csv, roster_row
from sqlalchemy import text, true

from certflow.campaign import ledgers
from certflow.campaign.roster import import_roster
from certflow.engine import history, sealing
from certflow.engine.db import MIGRATIONS, upgrade
from certflow.engine.runtime import Runtime

KEYS = history.parse_keys("k2026:" + "5a" * 16 + "c3" * 16)
DATA_KEYS = sealing.parse_keys(f"d2026:{secrets.token_hex(32)}")


def test_holders_imported_before_are_found_by_their_id_number_under_the_key(runtime: Runtime,
                                                                             tmp_path: Path) -> None:
    row = roster_row()
    [number] = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", [row]),
                             actor="county", county=COUNTY).started
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine
    command.downgrade(alembic, "0014")
    plain = hashlib.sha256(row["id_number"].encode()).hexdigest()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id_digest FROM campaign_holders")).scalar() == plain

    alembic.attributes["history_keys"] = KEYS
    command.upgrade(alembic, "0016")
    with engine.connect() as connection:
        key_id, digest = connection.execute(text("SELECT id_key, id_digest FROM campaign_holders")).one()
    assert (key_id, digest) != ("k2026", plain) and key_id == "k2026"

    upgrade(engine, KEYS, DATA_KEYS)  # 0018: a lookup digest under the data key, as every other lookup

    with engine.connect() as connection:
        key_id, digest = connection.execute(text("SELECT id_key, id_digest FROM campaign_holders")).one()
    assert (key_id, digest) == ("d2026", DATA_KEYS.lookup_digest(row["id_number"]))
    runtime.settings = replace(runtime.settings, data_keys=DATA_KEYS)
    found = ledgers.find_holders(runtime.sessions, DATA_KEYS, None, ledgers.DeskQuery(text=row["id_number"]), true())
    assert [h["number"] for h in found.rows] == [number]
    assert ledgers.find_holders(runtime.sessions, sealing.DEMO_KEYS, None,
                                ledgers.DeskQuery(text=row["id_number"]), true()).rows == []
