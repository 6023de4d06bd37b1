"""Cases as a clerk sees them: forms checked, the inbox, claiming, conflicts, messages, timers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from enginekit import DEADLINE, HANDLERS, kinds, open_task, start

from certflow.cli import main
from certflow.engine.clock import FixedClock
from certflow.engine.errors import Conflict, FieldError, InvalidState, NotFound, StepFailed, ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.engine.services import Handlers, ServiceContext


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def field_errors(error: pytest.ExceptionInfo[ValidationFailed]) -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in error.value.errors]


# -- starting ------------------------------------------------------------------------------------


def test_a_start_that_fails_says_nothing_was_started_and_names_no_case(rt: Runtime) -> None:
    def helpers(ctx: ServiceContext) -> dict[str, Any]:
        def today() -> str:
            raise RuntimeError("日历服务不可用")
        return {**HANDLERS.helpers(ctx), "today": today}

    rt.handlers = Handlers(HANDLERS.operators, helpers)
    with pytest.raises(StepFailed) as failed:
        start(rt)
    message = str(failed.value)
    assert message.startswith("没有开始办理，未建立案件：环节“问候”的脚本")
    assert "日历服务不可用" in message and "LS-" not in message
    assert rt.case_numbers() == []

    result = CliRunner().invoke(main, ["start", "smoke", "--data", '{"applicant_name": "张三"}', "--user", "窗口"],
                                obj=rt)
    assert result.exit_code == 1
    assert result.stderr.startswith("错误：没有开始办理，未建立案件：环节“问候”的脚本")
    assert "LS-" not in result.output and rt.case_numbers() == []


def test_a_started_case_shows_its_applicant_first_step_and_deadline(rt: Runtime) -> None:
    number = start(rt, "张三")
    assert number == "LS-2026-000001"
    view = rt.case(number)
    assert view["status"] == "running"
    assert view["version"] == 1
    assert view["applicant_name"] == "张三"
    assert view["current_step"] == "审批"
    assert view["data"]["greeting"] == "你好，张三"
    assert [w["name"] for w in view["waiting"]] == ["超时"]
    assert at(view["next_due_at"]) == DEADLINE
    assert start(rt, "李四") == "LS-2026-000002"


@pytest.mark.parametrize(("data", "expected"), [
    ({}, [("applicant_name", "必填")]),
    ({"applicant_name": ""}, [("applicant_name", "至少1个字")]),
    ({"applicant_name": 42}, [("applicant_name", "应为文本")]),
    ({"applicant_name": "张三", "phone": "13800000000"}, [("", "表单中没有这些字段：phone")]),
], ids=["missing", "empty", "not text", "unknown field"])
def test_start_data_is_checked_against_the_start_form(rt: Runtime, data: dict, expected: list) -> None:
    with pytest.raises(ValidationFailed) as caught:
        rt.start_case("smoke", data, actor="applicant")
    assert field_errors(caught) == expected
    assert all(isinstance(e, FieldError) for e in caught.value.errors)
    # Nothing was started: no task, and the next case takes the first number.
    assert rt.tasks() == []
    assert start(rt) == "LS-2026-000001"


def test_starting_an_undeployed_process_is_refused(rt: Runtime) -> None:
    with pytest.raises(NotFound, match="没有部署流程 nosuch"):
        rt.start_case("nosuch", {"applicant_name": "张三"}, actor="applicant")


# -- the inbox -----------------------------------------------------------------------------------


def test_open_task_is_in_the_window_clerks_inbox_due_in_two_working_days(rt: Runtime) -> None:
    number = start(rt, "张三")
    [task] = rt.tasks(role="window_clerk", group="window")
    assert task["case"] == number
    assert task["applicant_name"] == "张三"
    assert (task["name"], task["title"], task["form"]) == ("approve", "审批", "smoke_approve.json")
    assert (task["role"], task["group"], task["assignee"], task["status"]) == ("window_clerk", "window", None, "open")
    # Created 09-30; 10-01..10-07 are holidays; 10-08 and 10-09 are the two working days.
    assert at(task["due_at"]) == DEADLINE
    assert rt.tasks(case=number) == [task]
    assert rt.case(number)["open_tasks"] == [task]
    assert rt.tasks(role="hospital") == []
    assert rt.tasks(group="county") == []
    assert rt.tasks(status="completed") == []


def test_inbox_lists_the_earliest_due_first(rt: Runtime, clock: FixedClock) -> None:
    first = start(rt, "张三")
    clock.set(at("2026-10-09T10:00:00+08:00"))  # Friday; Saturday 10-10 is a make-up working day
    second = start(rt, "李四")
    assert [t["case"] for t in rt.tasks(role="window_clerk")] == [first, second]
    assert at(rt.tasks(case=second)[0]["due_at"]) == at("2026-10-13T00:00:00+08:00")


# -- completing tasks ----------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    ({}, [("approved", "必填")]),
    ({"approved": "同意"}, [("approved", "应为是/否")]),
    ({"approved": True, "note": "材" * 21}, [("note", "最多20个字")]),
    ({"approved": True, "grade": 1}, [("", "表单中没有这些字段：grade")]),
    ({"note": 5}, [("approved", "必填"), ("note", "应为文本")]),
], ids=["missing", "not boolean", "too long", "unknown field", "two errors"])
def test_task_data_is_checked_against_its_form(rt: Runtime, data: dict, expected: list) -> None:
    number = start(rt)
    task = open_task(rt, number)
    before = rt.history(number)

    with pytest.raises(ValidationFailed) as caught:
        rt.complete_task(task["id"], data, actor="王")

    assert field_errors(caught) == expected
    assert open_task(rt, number) == task
    assert rt.history(number) == before
    rt.complete_task(task["id"], {"approved": True, "note": "材" * 20}, actor="王")
    assert rt.tasks(case=number) == []


def test_completing_a_task_moves_the_case_on(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)

    assert rt.complete_task(task["id"], {"approved": True, "note": "同意"}, actor="王") == number

    view = rt.case(number)
    assert view["open_tasks"] == []
    assert view["current_step"] == "等待"
    assert view["next_due_at"] is None  # the deadline went with the task
    assert view["data"]["approved"] is True
    [done] = rt.tasks(status="completed")
    assert (done["id"], done["completed_by"]) == (task["id"], "王")
    assert kinds(rt, number) == ["case_started", "task_completed"]


def test_completing_a_task_twice_is_a_conflict(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)
    rt.complete_task(task["id"], {"approved": True}, actor="王")

    with pytest.raises(Conflict, match="“审批”.*已由 王 办理"):
        rt.complete_task(task["id"], {"approved": False}, actor="李")
    assert kinds(rt, number) == ["case_started", "task_completed"]
    assert rt.case(number)["data"]["approved"] is True


def test_completing_an_unknown_task_is_not_found(rt: Runtime) -> None:
    start(rt)
    with pytest.raises(NotFound):
        rt.complete_task("00000000-0000-0000-0000-000000000000", {"approved": True}, actor="王")
    with pytest.raises(NotFound):
        rt.complete_task("not-a-task", {"approved": True}, actor="王")


def test_claim_and_unclaim(rt: Runtime) -> None:
    number = start(rt)
    task_id = open_task(rt, number)["id"]

    rt.claim(task_id, actor="王")
    assert [t["id"] for t in rt.tasks(assignee="王")] == [task_id]
    assert rt.tasks(assignee="李") == []

    with pytest.raises(Conflict, match="已由 王 认领"):
        rt.complete_task(task_id, {"approved": True}, actor="李")
    with pytest.raises(Conflict, match="已由 王 认领"):
        rt.claim(task_id, actor="李")
    with pytest.raises(Conflict, match="已由 王 认领"):
        rt.unclaim(task_id, actor="李")

    rt.unclaim(task_id, actor="王")
    assert open_task(rt, number)["assignee"] is None
    with pytest.raises(Conflict, match="还没有人认领"):
        rt.unclaim(task_id, actor="王")

    rt.claim(task_id, actor="李")
    rt.complete_task(task_id, {"approved": True}, actor="李")
    assert rt.tasks(status="completed")[0]["completed_by"] == "李"
    with pytest.raises(Conflict, match="已由 .* 办理"):
        rt.claim(task_id, actor="王")
    assert kinds(rt, number) == ["case_started", "task_claimed", "task_unclaimed", "task_claimed", "task_completed"]
    assert [e["actor"] for e in rt.history(number)][1:] == ["王", "王", "李", "李"]


# -- messages ------------------------------------------------------------------------------------


def test_message_delivers_its_payload_and_ends_the_case(rt: Runtime) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")

    assert rt.send_message(number, "poke", {"reason": "材料已补齐"}, actor="applicant") == number

    view = rt.case(number)
    assert view["status"] == "completed"
    assert view["ended_at"] is not None
    assert view["waiting"] == []
    assert view["data"]["poke"] == {"reason": "材料已补齐"}
    assert kinds(rt, number)[-2:] == ["message_received", "case_ended"]


def test_message_nobody_waits_for_is_refused_clearly(rt: Runtime) -> None:
    number = start(rt)
    before = rt.history(number)

    with pytest.raises(InvalidState) as caught:
        rt.send_message(number, "poke", {}, actor="applicant")  # still at 审批
    assert str(caught.value) == f"案件 {number} 现在不等消息“poke”"
    with pytest.raises(InvalidState, match="现在不等消息“objection”"):
        rt.send_message(number, "objection", {}, actor="applicant")
    assert rt.history(number) == before

    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    rt.send_message(number, "poke", {}, actor="applicant")
    with pytest.raises(InvalidState, match=f"案件 {number} 已办结"):
        rt.send_message(number, "poke", {}, actor="applicant")
    with pytest.raises(NotFound, match="案件 LS-2026-999999 不存在"):
        rt.send_message("LS-2026-999999", "poke", {}, actor="applicant")


# -- timers --------------------------------------------------------------------------------------


def test_timer_fires_only_once_it_is_due_and_only_once(rt: Runtime) -> None:
    number = start(rt, "张三")
    started = rt.history(number)

    assert rt.tick(at("2026-10-09T23:59:59+08:00")) == []
    assert rt.tick(DEADLINE) == []  # due at the deadline, fired once it has passed
    assert rt.history(number) == started

    assert rt.tick(DEADLINE + timedelta(seconds=1)) == [number]
    assert kinds(rt, number) == ["case_started", "timer_fired", "service_called"]
    reminder = rt.history(number)[-1]["data"]
    assert (reminder["operator"], reminder["result"]) == ("echo", {"echo": "你好，张三"})

    assert rt.tick(at("2026-10-12T09:00:00+08:00")) == []
    assert rt.tick(at("2027-01-01T09:00:00+08:00")) == []
    assert len(rt.history(number)) == 3

    # The timer does not interrupt: the task is still open, the case still shows its data.
    view = rt.case(number)
    assert [t["title"] for t in view["open_tasks"]] == ["审批"]
    assert view["next_due_at"] is None
    assert view["waiting"] == []
    assert view["data"]["greeting"] == "你好，张三"
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    rt.send_message(number, "poke", {}, actor="applicant")
    assert rt.case(number)["status"] == "completed"


def test_tick_reads_the_runtime_clock_by_default(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    clock.set(at("2026-10-09T18:00:00+08:00"))
    assert rt.tick() == []
    clock.set(at("2026-10-10T08:00:00+08:00"))
    assert rt.tick() == [number]
    [fired] = [e for e in rt.history(number) if e["kind"] == "timer_fired"]
    assert at(fired["at"]) == at("2026-10-10T08:00:00+08:00")


def test_completed_task_cancels_its_timer(rt: Runtime) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    assert rt.tick(at("2026-10-12T09:00:00+08:00")) == []
    assert "service_called" not in kinds(rt, number)


def test_tick_moves_every_due_case_and_no_other(rt: Runtime, clock: FixedClock) -> None:
    early = start(rt, "张三")
    done = start(rt, "李四")
    rt.complete_task(open_task(rt, done)["id"], {"approved": True}, actor="王")
    clock.set(at("2026-10-09T10:00:00+08:00"))
    late = start(rt, "王五")  # due 10-13 00:00 (Saturday 10-10 and Monday 10-12)

    assert rt.tick(at("2026-10-12T09:00:00+08:00")) == [early]
    assert rt.tick(at("2026-10-13T00:00:01+08:00")) == [late]
    assert rt.tick(at("2026-10-20T00:00:00+08:00")) == []
