"""Each case's workflow kept in memory between its steps: each step records whether it ran on the kept workflow
(``"from": "kept"`` in its first event, what an auditor sees), replay does the same, and every case verifies,
whichever way its steps began: cache on, off or both, two processes taking turns, steps that fail."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import enginekit as smoke
import pytest
from sqlalchemy import delete, insert, select, update

from certflow.engine.errors import Conflict, StepFailed, ValidationFailed
from certflow.engine.models import Case, Event
from certflow.engine.replay import STEP_KINDS
from certflow.engine.runtime import Runtime
from certflow.engine.services import Handlers, Operator

PASS = {"decision": "pass"}
KEPT = "kept"


def began(runtime: Runtime, number: str) -> list[tuple[str, str | None]]:
    """Each step of the case, by its task (or kind), with how it began: "kept", or None when it loaded the state."""
    return [(e["task_name"] or e["kind"], e["data"].get("from"))
            for e in runtime.history(number) if e["kind"] in STEP_KINDS]


def verified(runtime: Runtime, number: str) -> None:
    result = runtime.verify(number)
    assert result.ok, str(result)


def cache_size(runtime: Runtime, size: int) -> None:
    runtime.settings = replace(runtime.settings, workflow_cache_size=size)


def to_publicity(case: Any) -> None:
    case.complete("pre_review", PASS, user="window")
    case.assess()
    case.post_publicity("2026-09-30")


def to_the_end(case: Any) -> None:
    case.tick("2026-10-14T09:00:00+08:00")
    case.issue()
    assert case.view["outcome"] == "issued"


MAIN_PATH = ["case_started", "pre_review", "register_appointment", "assess", "post_publicity", "timer_fired",
             "issue_certificate"]


def test_each_step_after_the_first_runs_on_the_kept_workflow_and_the_case_verifies(runtime, start):
    case = start()
    to_publicity(case)
    to_the_end(case)
    assert began(runtime, case.number) == [(MAIN_PATH[0], None)] + [(step, KEPT) for step in MAIN_PATH[1:]]
    verified(runtime, case.number)
    # The replay of a kept step shows the case as it was then.
    seq = next(e["seq"] for e in runtime.history(case.number) if e["task_name"] == "assess")
    assert [t["name"] for t in runtime.replay_at(case.number, seq)["open_tasks"]] == ["post_publicity"]


def test_with_the_cache_off_every_step_loads_and_records_nothing(runtime, start):
    cache_size(runtime, 0)
    case = start()
    to_publicity(case)
    to_the_end(case)
    assert began(runtime, case.number) == [(step, None) for step in MAIN_PATH]
    assert all("from" not in e["data"] for e in runtime.history(case.number))
    verified(runtime, case.number)


def test_a_case_whose_steps_were_kept_and_loaded_by_turns_verifies(runtime, start):
    case = start()
    case.complete("pre_review", PASS, user="window")
    cache_size(runtime, 0)  # the cache turned off (emptied) for one step, as a restart would
    case.assess()  # two steps: register_appointment, then assess
    cache_size(runtime, 200)
    case.post_publicity("2026-09-30")  # nothing was kept: loads, and is kept for the timer
    to_the_end(case)
    assert began(runtime, case.number) == [
        ("case_started", None), ("pre_review", KEPT), ("register_appointment", None), ("assess", None),
        ("post_publicity", None), ("timer_fired", KEPT), ("issue_certificate", KEPT),
    ]
    verified(runtime, case.number)


def test_two_processes_taking_turns_never_use_a_workflow_the_other_has_moved_on_from(runtime, start):
    other = Runtime(runtime.sessions, runtime.handlers, runtime.settings, runtime.clock)  # its own cache
    case = start()  # this process keeps the started workflow
    other.complete_task(case.task("pre_review")["id"], PASS, actor="window")
    # Kept here is the workflow before pre_review: the row has moved on, so this step loads.
    case.complete("register_appointment", {
        "appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
        "bring_items": ["居民身份证"],
    }, user="doctor@hospital-renmin", group="hospital-renmin")
    case.complete("assess", {"meets_standard": True, "grade": 3, "conclusion": "符合"},
                  user="doctor@hospital-renmin", group="hospital-renmin")
    case.on_day("2026-09-30")
    other.complete_task(case.task("post_publicity")["id"], {"posted_on": "2026-09-30", "posting_place": "公示栏"},
                        actor="village")
    case.at("2026-10-14T09:00:00+08:00")
    assert other.tick() == [case.number]  # the other process fires the timer on the workflow it kept
    case.issue()
    assert began(runtime, case.number) == [
        ("case_started", None), ("pre_review", None), ("register_appointment", None), ("assess", KEPT),
        ("post_publicity", None), ("timer_fired", KEPT), ("issue_certificate", None),
    ]
    verified(runtime, case.number)
    verified(other, case.number)


def test_a_claim_a_comment_and_a_reassignment_keep_the_workflow_for_the_next_step(runtime, start):
    case = start()
    task = case.task("pre_review")
    runtime.claim(task["id"], actor="window")
    runtime.add_comment(case.number, "材料齐全", actor="window")
    runtime.reassign(task["id"], "window2", actor="director")
    runtime.complete_task(task["id"], PASS, actor="window2")
    assert began(runtime, case.number)[1] == ("pre_review", KEPT)
    verified(runtime, case.number)


def raising_posting_check(runtime: Runtime) -> Handlers:
    def broken(params: dict[str, Any], data: dict[str, Any], ctx: Any) -> Any:
        raise RuntimeError("公示核对服务不可用")

    operators = {**runtime.handlers.operators, "posting_check": Operator("posting_check", ("posted_on",), broken)}
    return Handlers(operators, runtime.handlers.helpers)


def test_a_step_whose_handler_raised_leaves_nothing_kept(runtime, start):
    case = start()
    case.complete("pre_review", PASS, user="window")
    case.assess()
    working, runtime.handlers = runtime.handlers, raising_posting_check(runtime)
    with pytest.raises(StepFailed):
        case.post_publicity("2026-09-30")  # ran the user task, then failed in the service task
    runtime.handlers = working
    case.post_publicity("2026-09-30")
    assert began(runtime, case.number)[-1] == ("post_publicity", None)
    to_the_end(case)
    assert began(runtime, case.number)[-2:] == [("timer_fired", KEPT), ("issue_certificate", KEPT)]
    verified(runtime, case.number)


def test_a_step_refused_by_its_handler_leaves_nothing_kept(runtime, start):
    case = start()
    case.complete("pre_review", PASS, user="window")
    case.assess()
    with pytest.raises(ValidationFailed):  # the posting check refuses a day after today, inside the step
        case.complete("post_publicity", {"posted_on": "2026-12-01", "posting_place": "村委会公示栏"}, user="village")
    case.post_publicity("2026-09-30")
    assert began(runtime, case.number)[-1] == ("post_publicity", None)
    verified(runtime, case.number)


def test_a_form_refused_before_the_step_ran_leaves_the_kept_workflow_as_it_was(runtime, start):
    case = start()
    with pytest.raises(ValidationFailed):  # the form's own check: the workflow was not touched
        case.complete("pre_review", {"decision": "maybe"}, user="window")
    case.complete("pre_review", PASS, user="window")
    assert began(runtime, case.number)[-1] == ("pre_review", KEPT)
    verified(runtime, case.number)


def test_a_step_that_lost_a_race_at_its_events_leaves_nothing_kept(runtime, start):
    case = start()
    with runtime.sessions.begin() as session:  # another writer's event took the next number first
        row = session.scalars(select(Case).where(Case.number == case.number)).one()
        planted = dict(case_id=row.id, seq=row.event_count + 1, kind="comment_added", at=runtime.clock.now(),
                       actor="someone", data={"text": "x"}, prev_hash=row.last_hash, hash="0" * 64)
        session.execute(insert(Event).values(**planted))
    with pytest.raises(Conflict):
        case.complete("pre_review", PASS, user="window")  # ran the workflow, then could not write its events
    with runtime.sessions.begin() as session:
        session.execute(delete(Event).where(Event.case_id == planted["case_id"], Event.seq == planted["seq"]))
    case.complete("pre_review", PASS, user="window")
    case.assess()
    assert began(runtime, case.number)[1:] == [("pre_review", None), ("register_appointment", KEPT),
                                               ("assess", KEPT)]
    verified(runtime, case.number)


def test_an_edited_stored_state_of_a_case_whose_steps_were_kept_is_found(runtime, start):
    case = start()
    to_publicity(case)
    to_the_end(case)
    assert began(runtime, case.number)[-1] == ("issue_certificate", KEPT)
    with runtime.sessions.begin() as session:
        stored = session.scalar(select(Case.state).where(Case.number == case.number))
        for task in stored["tasks"].values():
            if task["data"].get("delivery") == "post":
                task["data"]["delivery"] = "in_person"
        session.execute(update(Case).where(Case.number == case.number).values(state=stored))
    result = runtime.verify(case.number)
    assert result.finding is not None and result.finding.kind == "stored"
    assert 'delivery：保存的是 "in_person"，重放得到 "post"' in result.finding.message


def test_a_data_fix_loads_and_the_steps_after_it_run_on_what_it_reached(rt, clock):
    number = smoke.start(rt)
    rt.handlers = smoke.failing_echo()  # the deadline's reminder fails until the case data has ok
    clock.set(smoke.DEADLINE.replace(hour=1))
    for delay in (0, 61, 121):  # the third failure opens the incident
        clock.advance(seconds=delay)
        assert rt.tick() == []
    rt.fix_incident(number, {"ok": True}, actor="admin")
    rt.retry_incident(number, actor="admin")
    rt.complete_task(smoke.open_task(rt, number)["id"], {"approved": True}, actor="王")
    rt.send_message(number, "poke", {}, actor="cli")
    assert rt.case(number)["status"] == "completed"
    assert began(rt, number) == [("case_started", None), ("data_fixed", None), ("timer_fired", KEPT),
                                 ("approve", KEPT), ("message_received", KEPT)]
    verified(rt, number)
