"""Moving waiting cases to a newer version: allowed where SpiffWorkflow's migration can, recorded, replayable."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from drafts import lushan, remove_step, rename

from certflow.cli import main
from certflow.engine.errors import InvalidState
from certflow.engine.runtime import Runtime

ONLINE = "application_online"
PASS = {"decision": "pass"}
APPOINTMENT = {"appointment_at": "2026-10-12T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
               "bring_items": ["居民身份证"]}


def deploy_v2(runtime: Runtime, tmp_path, **edits) -> None:  # type: ignore[no-untyped-def]
    runtime.deploy(lushan(tmp_path, **edits), author="analyst")
    assert runtime.versions(ONLINE)[0]["version"] == 2


def events(runtime: Runtime, number: str, kind: str) -> list[dict]:
    return [e for e in runtime.history(number) if e["kind"] == kind]


def test_a_case_waiting_at_pre_review_moves_to_a_version_with_the_step_renamed(runtime, start, tmp_path):
    case = start()
    task_id = case.task("pre_review")["id"]
    deploy_v2(runtime, tmp_path, application_online=rename("pre_review", "预审（复核）"))

    check = runtime.migration_check(case.number, 2)
    assert (check["possible"], check["reason"], check["removed"]) == (True, "可以从 v1 迁移到 v2", [])
    assert check["changed"] == [{"id": "pre_review", "name": "预审", "state": "READY", "what": ["bpmn_name"]}]

    case.clock.advance(hours=1)
    runtime.migrate(case.number, 2, actor="admin")

    assert case.view["version"] == 2 and case.view["current_step"] == "预审（复核）"
    assert case.task("pre_review") == {**case.task("pre_review"), "id": task_id, "title": "预审（复核）"}
    [migrated] = events(runtime, case.number, "case_migrated")
    assert (migrated["actor"], migrated["data"]["from_version"], migrated["data"]["to_version"]) == ("admin", 1, 2)
    assert len(migrated["data"]["state"]) == 64  # the state digest, as every step records
    assert runtime.verify(case.number).ok

    case.complete("pre_review", PASS)
    assert case.task("register_appointment") and runtime.verify(case.number).ok
    before, after = runtime.replay_at(case.number, 1), runtime.replay_at(case.number, migrated["seq"])
    assert (before["version"], after["version"]) == (1, 2)
    assert "预审（复核）" not in before["xml"] and "预审（复核）" in after["xml"]
    assert [t["title"] for t in before["open_tasks"]] == ["预审"]
    assert [t["title"] for t in after["open_tasks"]] == ["预审（复核）"]
    assert after["steps"][-2]["label"] == "迁移到新版本：v1 → v2"


def test_migration_is_refused_when_the_waiting_task_was_removed(runtime, start, tmp_path):
    case = start()
    deploy_v2(runtime, tmp_path, application_online=remove_step("pre_review"))

    check = runtime.migration_check(case.number, 2)
    assert check["possible"] is False
    assert check["reason"] == "案件正在办理的「预审」在新版本中被删除"
    assert check["removed"] == [{"id": "pre_review", "name": "预审", "state": "READY"}]
    with pytest.raises(InvalidState, match="案件正在办理的「预审」在新版本中被删除"):
        runtime.migrate(case.number, 2, actor="admin")
    assert case.view["version"] == 1 and events(runtime, case.number, "case_migrated") == []
    assert runtime.verify(case.number).ok


def test_migration_is_refused_for_a_passed_removed_step_the_same_version_or_an_ended_case(runtime, start, tmp_path):
    passed = start()
    passed.complete("pre_review", PASS)
    ended = start()
    ended.complete("pre_review", {"decision": "reject", "reason": "不符合申请条件"})
    assert ended.view["status"] == "completed"
    deploy_v2(runtime, tmp_path, application_online=remove_step("pre_review"))

    assert runtime.migration_check(passed.number, 2)["reason"] == "案件已经过的「预审」在新版本中被删除"
    assert runtime.migration_check(passed.number, 1)["reason"] == "案件在 v1 上，只能迁移到更新的版本"
    assert runtime.migration_check(passed.number, 5)["reason"] == f"流程 {ONLINE} 没有 v5"
    with pytest.raises(InvalidState, match=f"案件 {ended.number} 不在办理中，不能迁移"):
        runtime.migrate(ended.number, 2, actor="admin")


def test_a_waiting_timer_keeps_its_deadline_across_a_migration(runtime, start, tmp_path):
    case = start()
    case.complete("pre_review", PASS)
    case.complete("register_appointment", APPOINTMENT, user="doctor", group="hospital-renmin")
    due = case.view["next_due_at"]
    assert due is not None  # the 10-working-day reminder on the assessment
    deploy_v2(runtime, tmp_path, assessment=rename("assess", "鉴定并出具结论"))

    case.clock.advance(days=14)  # still before the deadline, and past the National Day holidays
    runtime.migrate(case.number, 2, actor="admin")

    assert case.view["next_due_at"] == due  # not 10 working days from the migration
    assert case.task("assess")["title"] == "鉴定并出具结论（肢体）"
    assert runtime.verify(case.number).ok


def test_migrate_all_moves_what_it_can_and_says_why_not_for_the_rest(runtime, start, tmp_path):
    at_review = start()
    waiting = start(category="智力", materials=["photos"])
    waiting.complete("pre_review", {"decision": "missing"})
    deploy_v2(runtime, tmp_path, application_online=remove_step("wait_materials"))

    results = runtime.migrate_all(ONLINE, 1, 2, actor="admin")

    assert results == [
        {"case": at_review.number, "migrated": True, "reason": ""},
        {"case": waiting.number, "migrated": False, "reason": "案件正在办理的「等待补齐材料」在新版本中被删除"},
    ]
    assert (at_review.view["version"], waiting.view["version"]) == (2, 1)
    assert runtime.verify(at_review.number).ok and runtime.verify(waiting.number).ok
    assert runtime.migrate_all(ONLINE, 1, 2, actor="admin")[0]["migrated"] is False


def test_migrate_on_the_command_line(runtime, start, tmp_path):
    at_review = start()
    waiting = start(category="智力", materials=["photos"])
    waiting.complete("pre_review", {"decision": "missing"})
    deploy_v2(runtime, tmp_path, application_online=remove_step("wait_materials"))
    cli = CliRunner()

    one = cli.invoke(main, ["migrate", waiting.number, "--to", "2", "--user", "admin"], obj=runtime)
    assert one.exit_code == 1 and "错误：案件正在办理的「等待补齐材料」在新版本中被删除" in one.output
    every = cli.invoke(main, ["migrate", "--process", ONLINE, "--from", "1", "--to", "2"], obj=runtime)
    assert every.exit_code == 1
    assert every.output.splitlines() == [
        f"{at_review.number}：已迁移到 v2",
        f"{waiting.number}：不能迁移：案件正在办理的「等待补齐材料」在新版本中被删除",
        "共 2 个案件：已迁移 1 个，不能迁移 1 个",
    ]
    assert cli.invoke(main, ["migrate", "--to", "2"], obj=runtime).exit_code == 2  # neither a case nor --process
