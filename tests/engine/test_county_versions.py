"""Processes per county: a county's own version shadows the province's for that county's new cases only; deploying,
rolling back and moving cases for one county leave every other county as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from drafts import lushan, rename
from lushan import application

from certflow.cli import main
from certflow.engine.errors import InvalidArgument, InvalidState
from certflow.engine.runtime import DeployedVersion, Runtime

ONLINE = "application_online"
LUSHAN, SHIZONG = "360483", "530323"  # 庐山市, 师宗县: the counties the installation serves
COUNTY_NAME, PROVINCE_NAME = "预审（师宗）", "预审（全省）"


def started(runtime: Runtime, county: str, **changes: str) -> str:
    return runtime.start_case(ONLINE, application(**changes), actor="applicant", county=county)


def on(runtime: Runtime, number: str) -> tuple[int, str]:
    """The version a case runs on and the title of its open step."""
    case = runtime.case(number)
    return case["version"], case["open_tasks"][0]["title"]


def renamed(tmp_path: Path, title: str):  # type: ignore[no-untyped-def]
    return lushan(tmp_path, application_online=rename("pre_review", title))


def current(runtime: Runtime, county: str | None) -> list[tuple[int, str | None]]:
    """The current versions of the online application as the county's (or the province's) list shows them."""
    return [(v["version"], v["county"]) for v in runtime.versions(ONLINE, county) if v["current"]]


def test_a_county_version_shadows_the_provinces_for_that_county_only(runtime, tmp_path):
    results = runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)

    assert DeployedVersion(ONLINE, 2, True, SHIZONG) in results
    assert DeployedVersion("assessment", 1, False, None) in results  # unchanged: the province's serves it
    assert on(runtime, started(runtime, SHIZONG)) == (2, COUNTY_NAME)
    assert on(runtime, started(runtime, LUSHAN)) == (1, "预审")

    # The province deploys again: Lushan takes it, Shizong keeps its own.
    assert DeployedVersion(ONLINE, 3, True, None) in runtime.deploy(renamed(tmp_path, PROVINCE_NAME), author="省")
    assert on(runtime, started(runtime, LUSHAN, applicant_name="王芳")) == (3, PROVINCE_NAME)
    assert on(runtime, started(runtime, SHIZONG, applicant_name="王芳")) == (2, COUNTY_NAME)
    assert {p["key"]: p["version"] for p in runtime.processes(SHIZONG)}[ONLINE] == 2
    assert {p["key"]: p["version"] for p in runtime.processes(LUSHAN)}[ONLINE] == 3

    # Deploying what the county already runs makes nothing new; nor does a county deploying the province's current.
    assert DeployedVersion(ONLINE, 2, False, SHIZONG) in runtime.deploy(renamed(tmp_path, COUNTY_NAME),
                                                                        author="shizong", county=SHIZONG)
    assert DeployedVersion(ONLINE, 3, False, None) in runtime.deploy(renamed(tmp_path, PROVINCE_NAME),
                                                                     author="lushan", county=LUSHAN)
    assert [v["version"] for v in runtime.versions(ONLINE)] == [3, 2, 1]


def test_each_county_lists_the_versions_it_may_run_and_the_one_its_cases_start_on(runtime, tmp_path):
    started(runtime, LUSHAN)
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)
    started(runtime, SHIZONG)
    started(runtime, SHIZONG, applicant_name="王芳")

    shizong = {v["version"]: v for v in runtime.versions(ONLINE, SHIZONG)}
    assert (shizong[2]["county"], shizong[2]["current"], shizong[2]["running_cases"]) == (SHIZONG, True, 2)
    assert (shizong[1]["county"], shizong[1]["current"], shizong[1]["running_cases"]) == (None, False, 0)
    assert current(runtime, LUSHAN) == [(1, None)]
    assert [v["version"] for v in runtime.versions(ONLINE, LUSHAN)] == [1]  # another county's own is not listed
    # The province's list: every version, each owner's newest current, every county's cases counted.
    assert current(runtime, None) == [(2, SHIZONG), (1, None)]
    assert [v["running_cases"] for v in runtime.versions(ONLINE)] == [2, 1]


def test_a_rollback_in_one_county_leaves_the_province_and_the_other_counties(runtime, tmp_path):
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)  # v2
    runtime.deploy(renamed(tmp_path, "预审（庐山）"), author="lushan", county=LUSHAN)  # v3

    # Shizong goes back to the province's v1: a version of its own with v1's content.
    assert runtime.rollback(ONLINE, 1, author="shizong", county=SHIZONG) == DeployedVersion(ONLINE, 4, True, SHIZONG)
    assert on(runtime, started(runtime, SHIZONG)) == (4, "预审")
    assert on(runtime, started(runtime, LUSHAN)) == (3, "预审（庐山）")
    assert current(runtime, None) == [(4, SHIZONG), (3, LUSHAN), (1, None)]
    versions = {v["version"]: v for v in runtime.versions(ONLINE)}
    assert versions[4]["content_hash"] == versions[1]["content_hash"]
    # And to its own v2 again.
    assert runtime.rollback(ONLINE, 2, author="shizong", county=SHIZONG) == DeployedVersion(ONLINE, 5, True, SHIZONG)
    assert on(runtime, started(runtime, SHIZONG, applicant_name="王芳")) == (5, COUNTY_NAME)

    # Nobody rolls back to another county's own version, the province neither.
    with pytest.raises(InvalidState, match="县（市）530323 自有的版本"):
        runtime.rollback(ONLINE, 2, author="lushan", county=LUSHAN)
    with pytest.raises(InvalidState, match="全省不能回滚到它"):
        runtime.rollback(ONLINE, 3, author="省")
    assert [v["version"] for v in runtime.versions(ONLINE)] == [5, 4, 3, 2, 1]


def test_moving_cases_moves_only_that_countys_cases_to_a_version_valid_there(runtime, tmp_path):
    lushan_case, shizong_case = started(runtime, LUSHAN), started(runtime, SHIZONG)
    runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="shizong", county=SHIZONG)

    assert runtime.migrate_all(ONLINE, 1, 2, actor="shizong", county=SHIZONG) == [
        {"case": shizong_case, "migrated": True, "reason": ""}]
    assert on(runtime, shizong_case) == (2, COUNTY_NAME)
    assert on(runtime, lushan_case) == (1, "预审")

    # Shizong's own version is no version for a Lushan case, whoever asks.
    check = runtime.migration_check(lushan_case, 2)
    assert not check["possible"]
    assert check["reason"] == f"v2 是另一个县（市）自有的版本，案件 {lushan_case} 不能迁移到它"
    [refused] = runtime.migrate_all(ONLINE, 1, 2, actor="省")
    assert (refused["case"], refused["migrated"]) == (lushan_case, False)
    with pytest.raises(InvalidState, match="另一个县（市）自有的版本"):
        runtime.migrate(lushan_case, 2, actor="省")
    assert on(runtime, lushan_case) == (1, "预审")
    assert runtime.verify(shizong_case).ok and runtime.verify(lushan_case).ok


def test_a_county_is_named_by_its_code(runtime, tmp_path):
    with pytest.raises(InvalidArgument, match="6位行政区划代码"):
        runtime.deploy(renamed(tmp_path, COUNTY_NAME), author="x", county="师宗县")
    with pytest.raises(InvalidArgument, match="6位行政区划代码"):
        runtime.rollback(ONLINE, 1, author="x", county="5303")
    assert [v["version"] for v in runtime.versions(ONLINE)] == [1]


def test_the_command_line_deploys_lists_rolls_back_and_moves_cases_per_county(runtime, tmp_path):
    cli = CliRunner()
    shizong_case, lushan_case = started(runtime, SHIZONG), started(runtime, LUSHAN)
    folder = tmp_path / "county"
    for source in renamed(tmp_path, COUNTY_NAME):
        (folder / source.name).parent.mkdir(parents=True, exist_ok=True)
        (folder / source.name).write_bytes(source.content)

    deployed = cli.invoke(main, ["deploy", str(folder), "--county", SHIZONG, "--author", "shizong"], obj=runtime)
    assert deployed.exit_code == 0, deployed.output
    assert f"{ONLINE} v2（县（市）{SHIZONG}自有的新版本）" in deployed.output
    assert "assessment v1（内容未变，版本不变）" in deployed.output

    listed = cli.invoke(main, ["versions", ONLINE, "--county", LUSHAN], obj=runtime)
    assert [line.split()[1:3] for line in listed.output.splitlines()] == [["v1", "全省，当前"]]
    listed = cli.invoke(main, ["versions", ONLINE, "--county", SHIZONG], obj=runtime)
    assert [line.split()[1:3] for line in listed.output.splitlines()] == [["v2", f"县（市）{SHIZONG}，当前"],
                                                                          ["v1", "全省"]]

    moved = cli.invoke(main, ["migrate", "--process", ONLINE, "--from", "1", "--to", "2", "--county", SHIZONG],
                       obj=runtime)
    assert (moved.exit_code, moved.output.splitlines()[0]) == (0, f"{shizong_case}：已迁移到 v2")
    assert on(runtime, lushan_case) == (1, "预审")

    rolled = cli.invoke(main, ["rollback", ONLINE, "1", "--county", SHIZONG], obj=runtime)
    assert (rolled.exit_code, rolled.output) == (0, f"{ONLINE} v3（县（市）{SHIZONG}自有的新版本，内容同 v1）\n")
    refused = cli.invoke(main, ["rollback", ONLINE, "2", "--county", LUSHAN], obj=runtime)
    assert refused.exit_code == 1 and "自有的版本" in refused.output and "Traceback" not in refused.output
    wrong = cli.invoke(main, ["deploy", str(folder), "--county", "师宗县"], obj=runtime)
    assert wrong.exit_code == 1 and "6位行政区划代码" in wrong.output
    assert [v["version"] for v in runtime.versions(ONLINE, LUSHAN)] == [1]
