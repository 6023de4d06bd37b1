"""Lanes named the way other tools name them: refused with the roles listed, deployed once an administrator maps
them (泳道对照), and each version keeping the mapping it was deployed with."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner, Result
from enginekit import open_task, start
from test_deploy import refused, smoke_files, smoke_text

from certflow.cli import main
from certflow.engine import sandbox
from certflow.engine.db import make_engine
from certflow.engine.errors import NotFound, ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.people.directory import Directory
from certflow.people.lanes import LaneMappings
from certflow.schema import metadata

LUSHAN = "360483"  # 庐山市, the deployment's own county

# The smoke process with its one lane named as another tool's analyst named it.
REVIEWER = smoke_files(**{"smoke.bpmn": smoke_text().replace('name="残联综合窗口"', 'name="审批人"').encode()})


@pytest.fixture
def lanes(fresh_rt: Runtime) -> LaneMappings:
    directory = Directory(fresh_rt.sessions)
    directory.add("county", "county", "庐山市残联", LUSHAN)
    directory.add("window", "window_clerk", "庐山市残联综合窗口", LUSHAN)
    directory.add("hospital-renmin", "hospital", "庐山市人民医院", LUSHAN)
    return LaneMappings(fresh_rt.sessions, directory, fresh_rt.clock)


def cli(runtime: Runtime, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), obj=runtime)


def where(runtime: Runtime, number: str) -> tuple[str | None, str | None]:
    task = open_task(runtime, number)
    return task["role"], task["group"]


def test_an_unknown_lane_is_refused_with_the_roles_and_how_to_fix_it(fresh_rt: Runtime) -> None:
    problems = refused(fresh_rt, REVIEWER)
    message = next(p.message for p in problems if p.element == "approve")
    assert message.startswith("泳道“审批人”不是已知的角色")
    listed = message.split("已知的角色：")[1].split("。")[0].split("、")
    assert listed == ["申请人", "残联综合窗口", "定点医院", "村(社区)", "评残专家委员会", "乡镇(街道)残联", "县残联"]
    assert "改名" in message and "泳道对照" in message


def test_a_mapped_lane_deploys_and_its_tasks_go_to_the_mapped_role_and_group(
    fresh_rt: Runtime, lanes: LaneMappings,
) -> None:
    lanes.save("审批人", "county", "county", actor="admin")
    [deployed] = fresh_rt.deploy(REVIEWER, author="analyst")
    assert deployed.created and deployed.version == 1
    number = start(fresh_rt)
    assert where(fresh_rt, number) == ("county", "county")
    assert [t["case"] for t in fresh_rt.tasks(group="county")] == [number]
    assert fresh_rt.user_tasks()[0]["role"] == "county"


def test_without_a_group_the_roles_default_group_takes_the_task(fresh_rt: Runtime, lanes: LaneMappings) -> None:
    lanes.save("审批人", "window_clerk", None, actor="admin")
    fresh_rt.deploy(REVIEWER, author="analyst")
    assert where(fresh_rt, start(fresh_rt)) == ("window_clerk", "window")


def test_a_changed_or_removed_mapping_leaves_deployed_cases_where_they_were(
    fresh_rt: Runtime, lanes: LaneMappings,
) -> None:
    lanes.save("审批人", "county", "county", actor="admin")
    fresh_rt.deploy(REVIEWER, author="analyst")
    number = start(fresh_rt)

    lanes.save("审批人", "hospital", "hospital-renmin", actor="admin")
    assert where(fresh_rt, number) == ("county", "county")
    assert fresh_rt.verify(number).ok, str(fresh_rt.verify(number))
    lanes.remove("审批人", actor="admin")
    assert fresh_rt.verify(number).ok, str(fresh_rt.verify(number))
    assert [t["role"] for t in fresh_rt.replay_at(number, 1)["open_tasks"]] == ["county"]

    # A new case of the same version still goes where the version says, and its step completes.
    other = start(fresh_rt, "李四")
    assert where(fresh_rt, other) == ("county", "county")
    fresh_rt.complete_task(open_task(fresh_rt, other)["id"], {"approved": True}, actor="county")
    assert fresh_rt.verify(other).ok, str(fresh_rt.verify(other))


def test_the_same_file_deployed_after_a_change_is_a_new_version_with_the_new_mapping(
    fresh_rt: Runtime, lanes: LaneMappings,
) -> None:
    lanes.save("审批人", "county", "county", actor="admin")
    fresh_rt.deploy(REVIEWER, author="analyst")
    old_case = start(fresh_rt)
    [again] = fresh_rt.deploy(REVIEWER, author="analyst")
    assert not again.created  # nothing changed: no new version

    lanes.save("审批人", "hospital", "hospital-renmin", actor="admin")
    [new] = fresh_rt.deploy(REVIEWER, author="analyst")
    assert new.created and new.version == 2
    assert where(fresh_rt, start(fresh_rt, "李四")) == ("hospital", "hospital-renmin")
    assert where(fresh_rt, old_case) == ("county", "county")

    # A case moved to the new version follows that version's lanes.
    fresh_rt.migrate(old_case, 2, actor="analyst")
    assert where(fresh_rt, old_case) == ("hospital", "hospital-renmin")
    assert fresh_rt.verify(old_case).ok, str(fresh_rt.verify(old_case))


def test_a_rollback_brings_back_the_lanes_of_the_earlier_version(fresh_rt: Runtime, lanes: LaneMappings) -> None:
    lanes.save("审批人", "county", "county", actor="admin")
    fresh_rt.deploy(REVIEWER, author="analyst")
    lanes.save("审批人", "hospital", "hospital-renmin", actor="admin")
    fresh_rt.deploy(REVIEWER, author="analyst")
    lanes.remove("审批人", actor="admin")

    rolled = fresh_rt.rollback("smoke", 1, author="analyst")
    assert rolled.version == 3
    assert where(fresh_rt, start(fresh_rt)) == ("county", "county")


def test_a_mapping_is_checked_against_the_roles_and_the_directory(fresh_rt: Runtime, lanes: LaneMappings) -> None:
    def errors(lane: str, role: str, group: str | None, **kwargs: bool) -> dict[str, str]:
        with pytest.raises(ValidationFailed) as caught:
            lanes.save(lane, role, group, actor="admin", **kwargs)
        return {e.field: e.message for e in caught.value.errors}

    assert errors(" ", "", None) == {"lane": "必填", "role": "必填"}
    assert "本身就是角色“县残联”" in errors("县残联", "county", None)["lane"]
    assert "不能对照到“审计”" in errors("审批人", "auditor", None)["role"]
    assert "没有编号为 nowhere 的组织机构" in errors("审批人", "county", "nowhere")["group"]
    wrong_role = errors("审批人", "county", "hospital-renmin")["group"]
    assert "“庐山市人民医院”属于“定点医院”，与所选角色“县残联”不符" in wrong_role
    lanes.save("审批人", "county", None, actor="admin")
    assert "已有对照" in errors("审批人", "county", None, replace=False)["lane"]
    assert [m.lane for m in lanes.all()] == ["审批人"]
    with pytest.raises(NotFound):
        lanes.remove("Reviewer", actor="admin")


def test_the_command_line_maps_lists_and_removes_lanes_as_the_page_does(fresh_rt: Runtime, lanes: LaneMappings) -> None:
    assert "泳道对照" in cli(fresh_rt, "lanes", "--help").stdout
    assert cli(fresh_rt, "lanes", "list").stdout == "还没有泳道对照。\n"

    result = cli(fresh_rt, "lanes", "set", "审批人", "县残联", "--group", "庐山市残联", "--user", "xieadmin")
    assert (result.exit_code, result.stdout) == (0, "已对照：审批人 → 县残联（庐山市残联）\n")
    fresh_rt.deploy(REVIEWER, author="analyst")
    assert where(fresh_rt, start(fresh_rt)) == ("county", "county")
    result = cli(fresh_rt, "lanes", "set", "Reviewer", "window_clerk")
    assert result.stdout == "已对照：Reviewer → 残联综合窗口（按角色默认的组织机构）\n"
    assert cli(fresh_rt, "lanes", "list").stdout.splitlines() == [
        "Reviewer → 残联综合窗口（按角色默认的组织机构）    （cli 修改）",
        "审批人 → 县残联（庐山市残联）    （xieadmin 修改）",
    ]

    refused_role = cli(fresh_rt, "lanes", "set", "审批人", "审计")
    assert refused_role.exit_code == 1 and "Traceback" not in refused_role.output
    assert refused_role.stderr.splitlines() == [
        "泳道对照有误：",
        "角色：泳道不能对照到“审计”，请选择：申请人、残联综合窗口、定点医院、村(社区)、评残专家委员会、乡镇(街道)残联、县残联",
    ]
    kept = lanes.get("审批人")
    assert kept is not None and kept.role == "county"

    assert cli(fresh_rt, "lanes", "remove", "审批人").stdout == "已删除泳道“审批人”的对照\n"
    again = cli(fresh_rt, "lanes", "remove", "审批人")
    assert (again.exit_code, again.stderr) == (1, "泳道“审批人”没有对照\n")
    assert [m.lane for m in lanes.all()] == ["Reviewer"]


def test_a_test_run_of_a_draft_takes_the_mappings_along(fresh_rt: Runtime, lanes: LaneMappings) -> None:
    def test_run() -> dict[str, Any]:
        return sandbox.test_run(REVIEWER, fresh_rt.handlers, fresh_rt.settings, "smoke", {"applicant_name": "张三"},
                                [], lanes=fresh_rt.lane_mappings())

    assert "泳道“审批人”不是已知的角色" in test_run()["problems"][0]["message"]
    lanes.save("审批人", "county", "county", actor="admin")
    result = test_run()
    assert result["ok"]
    assert [(t["role"], t["group"]) for t in result["trace"][0]["open_tasks"]] == [("county", "county")]


def test_the_migration_makes_the_table_the_model_describes(migrated_url: str) -> None:
    engine = make_engine(migrated_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert [d for d in differences if "lane_mappings" in repr(d)] == []
