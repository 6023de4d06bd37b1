"""Automatic work that fails: retries with backoff, then an incident; fixing the data, retrying, cancelling.

The smoke case's deadline timer calls ``echo``; here ``echo`` fails as an outside service would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from enginekit import DEADLINE, failing_echo, kinds, open_task, start
from lushan import application
from sqlalchemy.orm import Session

from certflow.engine.clock import FixedClock
from certflow.engine.errors import Conflict, InvalidState, StepFailed, ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.engine.services import Handlers, Operator, ServiceContext
from certflow.engine.steps import CaseRow, Steps

AFTER = DEADLINE.replace(hour=1)


def fail_three_times(rt: Runtime, clock: FixedClock, number: str) -> None:
    """Three ticks, each after the delay the one before set; the third failure opens the incident."""
    clock.set(AFTER)
    for delay in (0, 61, 121):
        clock.advance(seconds=delay)
        assert rt.tick() == []


def test_a_failing_timer_is_retried_with_backoff_then_pauses_the_case(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    rt.handlers = failing_echo()
    clock.set(AFTER)

    assert rt.tick() == []
    view = rt.case(number)
    assert view["status"] == "running"
    assert datetime.fromisoformat(view["next_due_at"]) == AFTER.replace(minute=1)  # one minute later
    assert rt.tick() == []  # not before then
    clock.advance(seconds=61)
    assert rt.tick() == []
    assert datetime.fromisoformat(rt.case(number)["next_due_at"]) == clock.now() + timedelta(minutes=2)
    assert rt.incidents() == []
    clock.advance(seconds=121)
    assert rt.tick() == []

    [incident] = rt.incidents()
    assert (incident["case"], incident["kind"], incident["step"], incident["attempts"]) == (number, "timer", "提醒", 3)
    assert "提醒服务不可用" in incident["message"]
    assert incident["data"]["applicant_name"] == "张三"
    assert rt.case(number)["status"] == "error"
    assert kinds(rt, number) == ["case_started", "incident_opened"]  # nothing of the failed step
    assert rt.verify(number).ok
    clock.advance(hours=1)
    assert rt.tick() == []  # a paused case is left alone
    with pytest.raises(InvalidState, match="因故障暂停"):
        rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")


def test_a_timer_step_undone_at_its_last_write_leaves_the_case_as_it_was_and_is_tried_again(
    rt: Runtime, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = start(rt)
    before = rt.case(number)
    write = Steps.write_case
    writes: list[int] = []

    def lost_race_once(steps: Steps, session: Session, case: CaseRow) -> None:
        writes.append(case.event_count)
        if len(writes) == 1:  # the step's own write, its state and events already made
            raise Conflict("案件刚被其他人同时修改，请刷新后再试")
        write(steps, session, case)

    monkeypatch.setattr(Steps, "write_case", lost_race_once)
    clock.set(AFTER)
    assert rt.tick() == []
    monkeypatch.undo()
    assert writes == [3, 1]  # the step's events counted, then the failure written on the row as it was
    after = rt.case(number)
    assert {**after, "next_due_at": None} == {**before, "next_due_at": None}
    assert datetime.fromisoformat(after["next_due_at"]) == AFTER.replace(minute=1)
    assert kinds(rt, number) == ["case_started"]
    assert rt.verify(number).ok
    clock.advance(seconds=61)
    assert rt.tick() == [number]
    assert kinds(rt, number) == ["case_started", "timer_fired", "service_called"]
    assert rt.verify(number).ok


def test_a_failing_case_does_not_hold_up_the_cases_due_after_it(rt: Runtime, clock: FixedClock) -> None:
    first = start(rt, "甲")
    second = start(rt, "乙")  # both are due at the same deadline; the first is tried first
    rt.handlers = failing_echo(failures=1)
    clock.set(AFTER)

    assert rt.tick() == [second]
    assert rt.case(first)["status"] == "running"
    assert datetime.fromisoformat(rt.case(first)["next_due_at"]) > AFTER


def test_fix_the_data_then_retry_completes_the_case_and_replay_agrees(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    rt.handlers = failing_echo()  # fails until the case data has ok
    fail_three_times(rt, clock, number)
    with pytest.raises(StepFailed, match="提醒服务不可用"):
        rt.retry_incident(number, actor="admin")
    assert rt.incidents()[0]["attempts"] == 4
    assert rt.case(number)["status"] == "error"

    with pytest.raises(ValidationFailed):
        rt.fix_incident(number, {"spiff__task": 1}, actor="admin")
    rt.fix_incident(number, {"ok": True}, actor="admin")
    rt.retry_incident(number, actor="admin")

    assert rt.incidents() == []
    [resolved] = rt.incidents(status=None)
    assert (resolved["resolution"], resolved["resolved_by"]) == ("retried", "admin")
    assert rt.case(number)["status"] == "running"
    assert kinds(rt, number) == ["case_started", "incident_opened", "data_fixed", "timer_fired", "service_called"]
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    rt.send_message(number, "poke", {}, actor="cli")
    assert rt.case(number)["status"] == "completed"
    assert rt.verify(number).ok
    assert rt.replay_at(number, 3)["data"]["ok"] is True


def test_cancel_a_paused_case(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    rt.handlers = failing_echo()
    fail_three_times(rt, clock, number)

    with pytest.raises(ValidationFailed):
        rt.cancel_case(number, "  ", actor="admin")
    rt.cancel_case(number, "申请人撤回申请", actor="admin")

    view = rt.case(number)
    assert (view["status"], view["open_tasks"], view["next_due_at"]) == ("cancelled", [], None)
    assert rt.tasks(case=number, status="cancelled")
    assert rt.incidents(status=None)[0]["resolution"] == "cancelled"
    assert rt.history(number)[-1]["data"] == {"reason": "申请人撤回申请"}
    assert rt.verify(number).ok
    with pytest.raises(InvalidState):
        rt.cancel_case(number, "again", actor="admin")


def test_a_queued_message_is_delivered_by_the_workers(rt: Runtime) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    rt.queue_message(number, "poke", {"by": "窗口"}, actor="clerk")
    assert rt.case(number)["status"] == "running"

    assert rt.run_jobs() == [number]
    assert rt.case(number)["status"] == "completed"
    rt.queue_message(number, "poke", {}, actor="clerk")  # too late: the case has ended
    assert rt.run_jobs() == []
    assert (rt.case(number)["status"], rt.incidents()) == ("completed", [])
    [delivered] = [e for e in rt.history(number) if e["kind"] == "message_received"]
    assert (delivered["actor"], delivered["data"]["payload"]) == ("clerk", {"by": "窗口"})
    assert rt.run_jobs() == []


def test_a_message_that_cannot_be_delivered_becomes_an_incident(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    rt.queue_message(number, "poke", {}, actor="clerk")  # the case does not wait for it yet
    for delay in (0, 61, 121):
        clock.advance(seconds=delay)
        assert rt.run_jobs() == []

    [incident] = rt.incidents()
    assert (incident["kind"], incident["attempts"]) == ("message", 3)
    assert "现在不等消息“poke”" in incident["message"]
    assert rt.case(number)["status"] == "error"
    rt.cancel_case(number, "消息无法送达", actor="admin")
    assert rt.run_jobs() == []


def test_an_interactive_step_that_fails_changes_nothing_and_opens_no_incident(
    runtime: Runtime, start,  # type: ignore[no-untyped-def]
) -> None:
    case = start()
    before = runtime.history(case.number)

    def unavailable(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
        raise ConnectionError("短信平台不可用")

    operators = {**runtime.handlers.operators, "notify": Operator("notify", ("template",), unavailable, True)}
    runtime.handlers = Handlers(operators, runtime.handlers.helpers)
    with pytest.raises(StepFailed, match="短信平台不可用") as failed:
        case.complete("pre_review", {"decision": "pass"})

    assert failed.value.step
    assert runtime.history(case.number) == before
    assert case.task("pre_review")["status"] == "open"
    assert runtime.incidents(status=None) == []
    with pytest.raises(StepFailed):
        runtime.start_case("application_online", application(), actor="applicant")
    assert runtime.case_numbers() == [case.number]
