"""Personal data is encrypted at rest (names, phone numbers and texts: migration 0018, ``models.Sealed``; the case
state, histories, drafts, incidents' data and queued messages: migration 0019, ``models.SealedJSON``):
what a copy of those tables gives without the data key file, what the pages still find, and what a moved value does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from lushan import ADULT_ID, application
from sqlalchemy import Engine, text

from certflow.casework import search
from certflow.casework.search import CaseQuery
from certflow.engine import sealing
from certflow.engine.db import MIGRATIONS, upgrade
from certflow.engine.models import SealedJSON
from certflow.engine.runtime import Runtime
from certflow.people import lookupcodes
from certflow.people.accounts import Account
from certflow.schema import metadata

NAME, PHONE = "欧阳秀英", "13912345678"
# What a copy of these tables would show of a person.
PERSONAL_TABLES = ("cases", "tasks", "outbox", "campaign_holders", "lookup_codes", "events", "drafts", "incidents",
                   "jobs")


def engine_of(runtime: Runtime) -> Engine:
    return runtime.sessions.kw["bind"]


def start(runtime: Runtime, **changes: Any) -> str:
    number = runtime.start_case("application_online", application(**{"applicant_name": NAME, "phone": PHONE} | changes),
                                actor="applicant")
    runtime.text_applicant(number, "received", f"{NAME}：您的申请已受理")
    return number


def rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]  # noqa: S608


def shown(engine: Engine) -> str:
    """Every value of the personal tables, as whoever copied the database reads them."""
    values = [value for table in PERSONAL_TABLES for row in rows(engine, table) for value in row.values()]
    return " ".join(bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
                    for v in values)


def alembic(engine: Engine, keys: sealing.DataKeyRing = sealing.DEMO_KEYS) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["data_keys"] = keys
    return config


def test_a_copy_of_the_tables_shows_no_name_id_number_or_phone(runtime: Runtime) -> None:
    number = start(runtime)
    assert lookupcodes.issue(runtime.sessions, ADULT_ID, runtime.clock.now())
    copy = shown(engine_of(runtime))
    assert number in copy and "欧阳" not in copy and PHONE not in copy and ADULT_ID not in copy
    assert hashlib.sha256(f"id\n{ADULT_ID}".encode()).hexdigest() not in copy  # the code's digest is keyed
    assert ADULT_ID[-4:] in copy  # the masked number stays readable: the lists show it
    # What the application reads is the clear text.
    assert runtime.case(number)["applicant_name"] == NAME
    assert [t["applicant_name"] for t in runtime.tasks(case=number)] == [NAME]
    texts = [(n["recipient_phone"], n["text"]) for n in runtime.outbox(number)]
    assert (PHONE, f"{NAME}：您的申请已受理") in texts and all(NAME in t for _, t in texts)  # the step's texts too


def test_the_pages_searches_find_by_whole_name_and_id_number(runtime: Runtime) -> None:
    number = start(runtime)
    other = start(runtime, applicant_name="欧阳修")
    assert runtime.case_numbers_for_applicant(ADULT_ID.lower()) == [other, number]  # the /status lookup by code
    auditor = Account(id=0, username="a", display_name="a", roles=frozenset({"auditor"}), groups=frozenset(),
                      county="360483")
    found = search.search(runtime.sessions, CaseQuery(applicant=f" {NAME} "), auditor)
    assert [row["number"] for row in found.rows] == [number]


def test_a_value_moved_into_another_column_does_not_open(runtime: Runtime) -> None:
    number = start(runtime)
    with engine_of(runtime).begin() as connection:
        phone = connection.execute(text("SELECT recipient_phone FROM outbox")).scalar()
        connection.execute(text("UPDATE cases SET applicant_name = :phone WHERE number = :number"),
                           {"phone": phone, "number": number})
    with pytest.raises(sealing.SealError, match="不属于这里"):
        runtime.case(number)


def test_without_its_key_nothing_opens_and_the_key_is_named(runtime: Runtime) -> None:
    number = start(runtime)
    runtime.settings = replace(runtime.settings, data_keys=sealing.parse_keys(f"k2026:{secrets.token_hex(32)}"))
    with pytest.raises(sealing.SealError, match="数据加密密钥 demo 没有配置"):
        runtime.case(number)
    assert runtime.case_numbers_for_applicant(ADULT_ID) == []  # nor do its digests match another key's


def test_a_rotated_key_reads_the_old_values_and_seals_the_new_ones(runtime: Runtime) -> None:
    before = start(runtime)
    rotated = sealing.parse_keys(f"k2026:{secrets.token_hex(32)}\n{sealing.DEMO_KEY_ID}:{sealing.DEMO_KEY.hex()}")
    runtime.settings = replace(runtime.settings, data_keys=rotated)
    after = start(runtime)
    assert runtime.case(before)["applicant_name"] == runtime.case(after)["applicant_name"] == NAME
    with engine_of(runtime).connect() as connection:
        sealed = dict(connection.execute(text("SELECT number, applicant_name FROM cases")).all())
    assert rotated.needs_rotation(bytes(sealed[before])) and not rotated.needs_rotation(bytes(sealed[after]))
    assert runtime.case_numbers_for_applicant(ADULT_ID) == [after, before]  # both keys' digests are searched


def test_the_migration_seals_what_was_clear_and_its_downgrade_opens_it(runtime: Runtime) -> None:
    number = start(runtime)
    engine = engine_of(runtime)
    command.downgrade(alembic(engine), "0016")
    [case] = [row for row in rows(engine, "cases") if row["number"] == number]
    assert case["applicant_name"] == NAME and "applicant_digest" not in case
    assert PHONE in [row["recipient_phone"] for row in rows(engine, "outbox")]

    keys = sealing.parse_keys(f"k2026:{secrets.token_hex(32)}", "aes-256-gcm")
    upgrade(engine, data_keys=keys)
    runtime.settings = replace(runtime.settings, data_keys=keys)

    assert NAME not in shown(engine) and PHONE not in shown(engine)
    assert runtime.case(number)["applicant_name"] == NAME
    assert runtime.case_numbers_for_applicant(ADULT_ID) == [number]  # its digest made from the case's history
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    changed = ("applicant_name", "applicant_digest", "id_digest", "id_masked", "recipient_phone", "'text'")
    assert [d for d in differences if any(column in repr(d) for column in changed)] == []  # the model's schema


def test_migration_0019_seals_the_state_and_history_it_finds_and_its_downgrade_opens_them(runtime: Runtime) -> None:
    number = start(runtime)
    [task] = runtime.tasks(case=number)
    runtime.save_draft(task["id"], {"note": PHONE}, actor="window")
    engine = engine_of(runtime)
    command.downgrade(alembic(engine), "0018")
    assert ADULT_ID in shown(engine) and PHONE in " ".join(str(row["data"]) for row in rows(engine, "drafts"))

    keys = sealing.parse_keys(f"k2026:{secrets.token_hex(32)}\n{sealing.DEMO_KEY_ID}:{sealing.DEMO_KEY.hex()}")
    upgrade(engine, data_keys=keys)
    runtime.settings = replace(runtime.settings, data_keys=keys)

    copy = shown(engine)
    assert ADULT_ID not in copy and PHONE not in copy and "欧阳" not in copy
    assert all(not keys.needs_rotation(bytes(row["state"])) for row in rows(engine, "cases"))
    assert runtime.verify(number).ok and runtime.case(number)["data"]["phone"] == PHONE
    assert runtime.draft(task["id"], actor="window") == {"note": PHONE}
    runtime.complete_task(task["id"], {"decision": "pass"}, actor="window")  # the state loads and moves on


def test_a_circular_value_fails_in_a_sealed_json_column_and_does_not_bring_the_process_down() -> None:
    # The column's JSON skips the circular check (models.SealedJSON): such a value must still be an error.
    value: dict[str, Any] = {"材料": []}
    value["材料"].append(value)
    with pytest.raises(RecursionError):
        SealedJSON("cases.state").to_bytes(value)
