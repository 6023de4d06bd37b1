"""Two processes, each with its own runtime on the same database, doing the same thing at once."""

from __future__ import annotations

import multiprocessing
import queue
from datetime import datetime
from typing import Any

import pytest
from enginekit import DEADLINE, kinds, open_task, race_worker, start

from certflow.engine.runtime import Runtime

pytestmark = pytest.mark.slow


def race(database_url: str, action: str, target: str, number: str) -> dict[str, tuple[str, Any]]:
    """Run ``action`` in two spawned processes released together; {actor: (outcome, detail)}."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [
        context.Process(target=race_worker, args=(database_url, action, target, number, actor, barrier, results))
        for actor in ("王", "李")
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = {}
        for _ in workers:
            actor, outcome, detail = results.get(timeout=90)
            outcomes[actor] = (outcome, detail)
    except queue.Empty:
        pytest.fail("a worker did not report back")
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers)
    return outcomes


def test_two_processes_complete_the_same_task_one_wins(rt: Runtime, database_url: str) -> None:
    number = start(rt)
    task_id = open_task(rt, number)["id"]

    outcomes = race(database_url, "complete", task_id, number)

    assert sorted(outcome for outcome, _ in outcomes.values()) == ["conflict", "done"], outcomes
    [winner] = [actor for actor, (outcome, _) in outcomes.items() if outcome == "done"]
    [loser] = [actor for actor in outcomes if actor != winner]
    assert outcomes[winner][1] == number
    assert f"已由 {winner} 办理" in outcomes[loser][1]

    assert kinds(rt, number).count("task_completed") == 1
    [completed] = [e for e in rt.history(number) if e["kind"] == "task_completed"]
    assert completed["actor"] == winner
    [task] = rt.tasks(status="completed")
    assert (task["id"], task["completed_by"]) == (task_id, winner)
    assert rt.case(number)["current_step"] == "等待"


def test_two_processes_tick_at_once_the_timer_fires_once(rt: Runtime, database_url: str) -> None:
    number = start(rt)
    assert datetime.fromisoformat(rt.case(number)["next_due_at"]) == DEADLINE

    outcomes = race(database_url, "tick", "2026-10-12T09:00:00+08:00", number)

    assert all(outcome == "done" for outcome, _ in outcomes.values()), outcomes
    assert sorted(tuple(moved) for _, moved in outcomes.values()) == [(), (number,)]
    assert kinds(rt, number) == ["case_started", "timer_fired", "service_called"]
    assert rt.case(number)["next_due_at"] is None
