"""A county giving up its own version of a process: its new cases follow the province's newest again, its running
cases keep theirs, and a version it deploys afterwards shadows the province's anew."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from click.testing import CliRunner
from test_county_versions import COUNTY_NAME, LUSHAN, ONLINE, PROVINCE_NAME, SHIZONG, current, on, renamed, started

from certflow.cli import main
from certflow.engine.db import MIGRATIONS, make_engine, upgrade
from certflow.engine.errors import InvalidArgument, InvalidState
from certflow.engine.runtime import DeployedVersion
from certflow.modeling.drafts import Drafts
from certflow.schema import metadata


def test_a_county_that_gives_up_its_version_follows_the_provinces_newest_until_it_deploys_its_own(runtime, tmp_path):
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)  # v2
    running = started(runtime, SHIZONG)

    given = runtime.give_up(ONLINE, county=SHIZONG, author="shizong", note="回到全省的流程")
    assert given == DeployedVersion(ONLINE, 1, False, None)
    assert on(runtime, started(runtime, SHIZONG, applicant_name="王芳")) == (1, "预审")
    assert on(runtime, running) == (2, COUNTY_NAME)  # its running case keeps its version
    assert current(runtime, SHIZONG) == [(1, None)]
    assert current(runtime, None) == [(1, None)]  # the province's list shows no current version of Shizong's
    assert {p["key"]: p["version"] for p in runtime.processes(SHIZONG)}[ONLINE] == 1
    [release] = runtime.releases(ONLINE, SHIZONG)
    assert (release["through_version"], release["author"], release["note"]) == (2, "shizong", "回到全省的流程")

    # The province deploys again: Shizong follows it now.
    runtime.deploy(renamed(tmp_path, PROVINCE_NAME), author="省")  # v3
    assert on(runtime, started(runtime, SHIZONG, applicant_name="赵强")) == (3, PROVINCE_NAME)

    # Deploying its own again shadows the province's anew, also with the content it gave up.
    assert DeployedVersion(ONLINE, 4, True, SHIZONG) in runtime.deploy(renamed(tmp_path, COUNTY_NAME),
                                                                       author="shizong", county=SHIZONG)
    assert on(runtime, started(runtime, SHIZONG, applicant_name="孙丽")) == (4, COUNTY_NAME)
    assert current(runtime, SHIZONG) == [(4, SHIZONG)]


def test_giving_up_touches_no_other_county_and_needs_a_version_to_give_up(runtime, tmp_path):
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)  # v2
    runtime.deploy(renamed(tmp_path, "预审（庐山）"), author="lushan", county=LUSHAN)  # v3

    runtime.give_up(ONLINE, county=LUSHAN, author="lushan")
    assert on(runtime, started(runtime, SHIZONG)) == (2, COUNTY_NAME)
    assert on(runtime, started(runtime, LUSHAN)) == (1, "预审")
    with pytest.raises(InvalidState, match="没有 application_online 自有的版本"):
        runtime.give_up(ONLINE, county=LUSHAN, author="lushan")  # given up already: nothing left to give up
    with pytest.raises(InvalidArgument, match="6位行政区划代码"):
        runtime.give_up(ONLINE, county="师宗县", author="x")
    assert [r["county"] for r in runtime.releases(ONLINE)] == [LUSHAN]

    # A rollback to its own given-up version makes a version of its own again.
    assert runtime.rollback(ONLINE, 3, author="lushan", county=LUSHAN) == DeployedVersion(ONLINE, 4, True, LUSHAN)
    assert on(runtime, started(runtime, LUSHAN, applicant_name="王芳")) == (4, "预审（庐山）")


def test_the_command_line_gives_up_a_countys_version_and_lists_the_record(runtime, tmp_path):
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)
    cli = CliRunner()

    given = cli.invoke(main, ["follow-province", ONLINE, "--county", SHIZONG, "--author", "张敏", "--note", "试点结束"],
                       obj=runtime)
    assert (given.exit_code, given.output) == (0, f"{ONLINE}：县（市）{SHIZONG}已放弃自有的版本，新案件用全省的 v1\n")
    again = cli.invoke(main, ["follow-province", ONLINE, "--county", SHIZONG], obj=runtime)
    assert again.exit_code == 1 and "已在用全省的版本" in again.output and "Traceback" not in again.output
    listed = cli.invoke(main, ["follow-province", ONLINE, "--county", SHIZONG, "--list"], obj=runtime)
    assert listed.output.split()[1:] == ["张敏", "放弃了", "v2", "及以前的自有版本", "试点结束"]
    assert on(runtime, started(runtime, SHIZONG)) == (1, "预审")


# SQLite cannot reflect the drafts' index on an expression (name and county); PostgreSQL compares it.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_the_migration_makes_the_tables_the_models_describe(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert [d for d in differences if "version_releases" in repr(d) or "process_drafts" in repr(d)] == []


def test_drafts_kept_through_the_migration_are_the_provinces(runtime) -> None:  # type: ignore[no-untyped-def]
    province, shizong = (Drafts(runtime.sessions, runtime.clock, county) for county in (None, SHIZONG))
    province.save("publicity.bpmn", "<全省/>", author="省")
    shizong.save("publicity.bpmn", "<师宗/>", author="shizong")
    engine = runtime.sessions.kw["bind"]
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(MIGRATIONS))
    alembic.attributes["engine"] = engine
    command.downgrade(alembic, "0020")  # drafts without a county: a county's cannot stay
    upgrade(engine)

    assert [(d.name, d.content) for d in province.all()] == [("publicity.bpmn", "<全省/>")]
    assert shizong.all() == []
    shizong.save("publicity.bpmn", "<师宗/>", author="shizong")  # new rows numbered after the copied ones
    assert [d.content for d in shizong.all() + shizong.province()] == ["<师宗/>", "<全省/>"]
