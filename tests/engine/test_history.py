"""The history an auditor checks: a hash chain that shows any edit, and steps that replay alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from enginekit import START, build_runtime, chain, deploy_smoke, open_task, start
from sqlalchemy import delete, select, update

from certflow.engine import history
from certflow.engine.clock import FixedClock
from certflow.engine.models import Case, Event
from certflow.engine.runtime import Runtime


def run_whole_case(runtime: Runtime, clock: FixedClock) -> str:
    """Start, let the reminder fire, approve, poke: every kind of step."""
    number = start(runtime, "张三")
    clock.set(datetime.fromisoformat("2026-10-12T09:00:00+08:00"))
    assert runtime.tick() == [number]
    clock.advance(minutes=5)
    runtime.claim(open_task(runtime, number)["id"], actor="王")
    clock.advance(minutes=5)
    runtime.complete_task(open_task(runtime, number)["id"], {"approved": True, "note": "同意"}, actor="王")
    clock.advance(days=1)
    runtime.send_message(number, "poke", {"reason": "材料已补齐"}, actor="applicant")
    assert runtime.case(number)["status"] == "completed"
    return number


KINDS = [
    "case_started", "timer_fired", "service_called", "task_claimed", "task_completed", "message_received", "case_ended",
]


def tamper(runtime: Runtime, number: str, *statements: Any) -> None:
    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        for statement in statements:
            session.execute(statement.where(Event.case_id == case_id))


def seq_of(runtime: Runtime, number: str, kind: str) -> int:
    [seq] = [e["seq"] for e in runtime.history(number) if e["kind"] == kind]
    return seq


def test_chain_of_a_finished_case_checks_out(rt: Runtime, clock: FixedClock) -> None:
    number = run_whole_case(rt, clock)
    events = rt.history(number)
    assert [e["kind"] for e in events] == KINDS
    assert [e["seq"] for e in events] == list(range(1, len(KINDS) + 1))
    assert events[0]["prev_hash"] == history.GENESIS
    assert all(later["prev_hash"] == earlier["hash"] for earlier, later in zip(events, events[1:], strict=False))
    assert len({e["hash"] for e in events}) == len(events)
    assert history.check_chain(chain(rt, number)) is None


def test_every_step_records_the_state_it_reached(rt: Runtime, clock: FixedClock) -> None:
    number = run_whole_case(rt, clock)
    states = {e["kind"]: e["data"].get("state") for e in rt.history(number)}
    # One digest per change of the workflow (claims don't change it, service calls are part of a step).
    assert {kind for kind, digest in states.items() if digest} == {
        "case_started", "timer_fired", "task_completed", "message_received",
    }
    assert len(set(filter(None, states.values()))) == 4


@pytest.mark.parametrize("change", ["data", "actor", "time", "task"])
def test_editing_an_event_is_detected_at_that_event(rt: Runtime, clock: FixedClock, change: str) -> None:
    number = run_whole_case(rt, clock)
    seq = seq_of(rt, number, "task_completed")
    stored = rt.history(number)[seq - 1]
    values = {
        "data": {"data": {**stored["data"], "data": {"approved": False, "note": "不同意"}}},
        "actor": {"actor": "李"},
        "time": {"at": datetime.fromisoformat(stored["at"]) - timedelta(days=3)},
        "task": {"task_name": "review"},
    }[change]

    tamper(rt, number, update(Event).where(Event.seq == seq).values(**values))

    assert rt.history(number)[seq - 1] != stored  # the edit is there...
    assert history.check_chain(chain(rt, number)) == history.ChainBreak(seq, "content does not match its hash")


def test_editing_an_event_and_its_hash_is_detected_at_the_next_event(rt: Runtime, clock: FixedClock) -> None:
    number = run_whole_case(rt, clock)
    seq = seq_of(rt, number, "task_completed")
    body, prev_hash, _ = chain(rt, number)[seq - 1]
    forged = {**body, "data": {**body["data"], "data": {"approved": False}}}

    tamper(rt, number, update(Event).where(Event.seq == seq).values(
        data=forged["data"], hash=history.chain_hash(prev_hash, forged),
    ))

    assert history.check_chain(chain(rt, number)) == history.ChainBreak(
        seq + 1, "previous-hash link does not match the event before it"
    )


@pytest.mark.parametrize("kind", ["timer_fired", "service_called", "task_completed"])
def test_deleting_an_event_is_detected_where_it_was(rt: Runtime, clock: FixedClock, kind: str) -> None:
    number = run_whole_case(rt, clock)
    seq = seq_of(rt, number, kind)

    tamper(rt, number, delete(Event).where(Event.seq == seq))

    assert len(rt.history(number)) == len(KINDS) - 1
    assert history.check_chain(chain(rt, number)) == history.ChainBreak(
        seq, f"expected event {seq}, found {seq + 1}"
    )


def test_swapping_two_events_is_detected_at_the_first(rt: Runtime, clock: FixedClock) -> None:
    number = run_whole_case(rt, clock)
    a, b = seq_of(rt, number, "task_claimed"), seq_of(rt, number, "task_completed")

    tamper(
        rt, number,
        update(Event).where(Event.seq == a).values(seq=-1),
        update(Event).where(Event.seq == b).values(seq=a),
        update(Event).where(Event.seq == -1).values(seq=b),
    )

    assert [e["kind"] for e in rt.history(number)][a - 1] == "task_completed"
    assert history.check_chain(chain(rt, number)) == history.ChainBreak(
        a, "previous-hash link does not match the event before it"
    )


def test_same_inputs_on_two_fresh_databases_give_the_same_history(
    rt: Runtime, clock: FixedClock, tmp_path: Path,
) -> None:
    other_clock = FixedClock(START)
    other = build_runtime(f"sqlite:///{tmp_path / 'other.db'}", other_clock, migrate=True)
    deploy_smoke(other)

    first = run_whole_case(rt, clock)
    second = run_whole_case(other, other_clock)

    assert first == second
    ours, theirs = rt.history(first), other.history(second)
    states = [e["data"]["state"] for e in ours if "state" in e["data"]]
    assert len(states) == 4
    assert states == [e["data"]["state"] for e in theirs if "state" in e["data"]]
    # Task ids come from the case and the step, so they match too, and so does the whole chain.
    assert [e["task_id"] for e in ours] == [e["task_id"] for e in theirs]
    assert [e["hash"] for e in ours] == [e["hash"] for e in theirs]
    other.sessions.kw["bind"].dispose()


def test_a_different_input_gives_a_different_state(rt: Runtime, tmp_path: Path) -> None:
    other = build_runtime(f"sqlite:///{tmp_path / 'other.db'}", FixedClock(START), migrate=True)
    deploy_smoke(other)
    ours, theirs = start(rt, "张三"), start(other, "李四")
    assert ours == theirs
    assert rt.history(ours)[0]["data"]["state"] != other.history(theirs)[0]["data"]["state"]
    other.sessions.kw["bind"].dispose()
