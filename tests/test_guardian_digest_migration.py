"""Migration 0023: the cases started before it are found by their guardian's ID number afterwards (the digest made
from the start event's number), and the column and its index are those the models describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from lushan import ADULT_ID, GUARDIAN_ID, MINOR_ID, application
from sqlalchemy import inspect, text

from certflow.engine.db import MIGRATIONS, upgrade
from certflow.engine.runtime import Runtime
from certflow.schema import metadata


# SQLite cannot reflect the drafts' index on an expression (0022); it is not what this compares.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_cases_started_before_the_migration_are_found_by_their_guardians_number(runtime: Runtime, start) -> None:  # type: ignore[no-untyped-def]
    erased = start(applicant_name="李小红", id_number=MINOR_ID)  # rejected long ago and erased: nothing to find
    erased.complete("pre_review", {"decision": "reject", "reason": "已持有有效残疾人证"}, user="window")
    erased.at("2037-10-20T10:00:00+08:00")
    runtime.erase_personal_data(erased.number, actor="system", basis="保存期限已满")
    minor = runtime.start_case("application_online", application(applicant_name="李小明", id_number=MINOR_ID),
                               actor="applicant")
    adult = runtime.start_case("application_online", application(), actor="applicant")
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine
    command.downgrade(alembic, "0022")
    assert "guardian_digest" not in {c["name"] for c in inspect(engine).get_columns("cases")}

    upgrade(engine)

    assert runtime.case_numbers_for_guardian(GUARDIAN_ID) == [minor]
    assert runtime.case_numbers_for_guardian(ADULT_ID) == [] and runtime.case_numbers_for_applicant(ADULT_ID) == [adult]
    with engine.connect() as connection:
        digests = dict(connection.execute(text("SELECT number, guardian_digest FROM cases")).all())
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert digests == {minor: runtime.settings.data_keys.lookup_digest(GUARDIAN_ID), adult: None,
                       erased.number: None}
    assert [d for d in differences if "guardian" in repr(d)] == []
