"""What a step costs the database: the statements it sends (the cost per case in BENCHMARKS.md is mostly these)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from enginekit import DEADLINE, kinds, open_task, start
from sqlalchemy import event
from sqlalchemy.orm import Session

from certflow.engine.errors import Conflict, NotFound
from certflow.engine.runtime import Runtime
from certflow.engine.steps import Steps
from certflow.people.counties import Counties


@contextmanager
def statements(rt: Runtime) -> Iterator[Counter[str]]:
    """The data statements sent meanwhile, by verb and table (``SELECT tasks``, ``INSERT INTO events``, ...)."""
    seen: Counter[str] = Counter()

    def count(_conn, _cursor, sql: str, *_args) -> None:  # type: ignore[no-untyped-def]
        words = sql.split()
        verb = " ".join(words[:2]) if words[0] in ("INSERT", "DELETE") else words[0]
        if verb in ("SELECT", "UPDATE", "INSERT INTO", "DELETE FROM"):
            table = words[words.index("FROM") + 1] if verb == "SELECT" else words[1 if verb == "UPDATE" else 2]
            seen[f"{verb} {table}"] += 1

    engine = rt.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_completing_a_task_reads_the_case_and_its_open_tasks_once_and_writes_each_table_once(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)
    with statements(rt) as seen:
        rt.complete_task(task["id"], {"approved": True}, actor="window")
    assert seen == Counter({
        "SELECT cases": 1,  # found through the task and locked in one statement; its workflow kept in memory
        "SELECT tasks": 1,  # the case's open tasks, read under the lock: the task itself and the projection's rows
        # no SELECT of counties: its county's rules were read at the start, and are kept a while
        "INSERT INTO events": 1, "UPDATE cases": 1, "UPDATE tasks": 1, "DELETE FROM drafts": 1,
    })
    assert rt.task(task["id"])["status"] == "completed"
    assert rt.verify(number).ok


def test_a_countys_rules_are_read_once_in_their_time_and_again_once_changed(rt: Runtime) -> None:
    with statements(rt) as seen:
        start(rt)
        start(rt, "李四")
    assert seen["SELECT counties"] == 1  # the process's first step of the county, not each step
    Counties(rt.sessions, rt.clock).seed(rt.settings)  # a change: the county becomes a row
    with statements(rt) as seen:
        number = start(rt, "王五")
    assert seen["SELECT counties"] == 1
    assert rt.verify(number).ok


def test_a_step_that_loads_its_workflow_reads_the_state_after_the_lock(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)
    rt.settings = replace(rt.settings, workflow_cache_size=0)  # nothing kept in memory: the step loads
    with statements(rt) as seen:
        rt.complete_task(task["id"], {"approved": True}, actor="window")
    assert seen["SELECT cases"] == 2  # the lock without the state, then the state
    assert rt.verify(number).ok


def test_a_steps_events_go_in_as_one_statement_and_keep_their_chain(rt: Runtime) -> None:
    number = start(rt)
    with statements(rt) as seen:  # the deadline's timer calls the echo handler: two events, one step
        assert rt.tick(DEADLINE + timedelta(seconds=1)) == [number]
    assert seen["INSERT INTO events"] == 1
    assert [e["kind"] for e in rt.history(number)][-2:] == ["timer_fired", "service_called"]
    assert rt.verify(number).ok


def test_a_task_completed_meanwhile_is_a_conflict_naming_who_did_it(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)
    rt.complete_task(task["id"], {"approved": True}, actor="window")
    with pytest.raises(Conflict, match="已由 window 办理"):
        rt.claim(task["id"], actor="other")


@pytest.mark.parametrize("missing", ["LS-2026-000099", "99", "nonsense"])
def test_a_cases_tasks_by_number_or_id_and_an_unknown_case(rt: Runtime, missing: str) -> None:
    number = start(rt)
    task = open_task(rt, number)
    assert rt.tasks(case="1") == [task]
    assert rt.tasks(case=number, status="completed") == []
    with pytest.raises(NotFound):
        rt.tasks(case=missing)


def test_an_unknown_task_is_not_found(rt: Runtime) -> None:
    start(rt)
    with pytest.raises(NotFound, match="任务 no-such-task 不存在"):
        rt.complete_task("no-such-task", {"approved": True}, actor="window")


def test_starting_a_case_inserts_its_row_and_writes_it_once(rt: Runtime) -> None:
    start(rt)  # the version's specs are restored once per process, at its first case
    with statements(rt) as seen:
        number = start(rt, "李四")
    assert seen == Counter({
        "SELECT process_versions": 1,  # the latest version
        "INSERT INTO cases": 1,  # the row, for its id (the number holds it)
        # no SELECT of counties: its county's prefix, signature and days were read by the case before
        "UPDATE cases": 1,  # the rest of it, once: a new case has no open tasks to read
        "INSERT INTO tasks": 1, "INSERT INTO events": 1,
    })
    assert rt.verify(number).ok


def test_a_case_row_written_meanwhile_is_a_conflict_and_the_step_leaves_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = start(rt)
    task = open_task(rt, number)
    read = Steps.open_task

    def read_before_another_step(steps: Steps, session: Session, task_id: str) -> Any:
        row, case, open_rows = read(steps, session, task_id)
        case.lock_version -= 1  # as the row was before another step wrote it
        return row, case, open_rows

    monkeypatch.setattr(Steps, "open_task", read_before_another_step)
    with pytest.raises(Conflict, match="案件刚被其他人同时修改，请刷新后再试"):
        rt.complete_task(task["id"], {"approved": True}, actor="window")
    monkeypatch.undo()
    assert open_task(rt, number) == task
    assert kinds(rt, number) == ["case_started"]
    rt.complete_task(task["id"], {"approved": True}, actor="window")
    assert kinds(rt, number) == ["case_started", "task_completed"]
    assert rt.verify(number).ok
