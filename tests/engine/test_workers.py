"""Background workers in their own processes, sharing the due timers of one database."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from enginekit import kinds, start, worker_process
from sqlalchemy import func, select

from certflow.engine.models import Case, Event
from certflow.engine.runtime import Runtime

pytestmark = pytest.mark.slow
AFTER_DEADLINE = "2026-10-12T09:00:00+08:00"
on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)


@pytest.fixture
def workers(database_url: str) -> Iterator[Callable[..., multiprocessing.Process]]:
    """``workers(marker=None, hold=0)``: a worker process started on the database; all are ended afterwards."""
    context = multiprocessing.get_context("spawn")
    started: list[multiprocessing.Process] = []

    def launch(marker: str | None = None, hold: float = 0.0) -> multiprocessing.Process:
        process = context.Process(target=worker_process, args=(database_url, AFTER_DEADLINE, marker, hold))
        process.start()
        started.append(process)
        return process

    yield launch
    for process in started:
        if process.is_alive():
            process.kill()
        process.join(timeout=10)


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "the workers") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    pytest.fail(f"{what} did not get there in {timeout} s")


def due_cases(rt: Runtime) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).where(Case.next_due_at.is_not(None)))


def stop(process: multiprocessing.Process) -> None:
    process.terminate()  # SIGTERM
    process.join(timeout=30)
    assert process.exitcode == 0


@on_postgres
def test_two_workers_fire_a_thousand_due_timers_each_exactly_once(rt: Runtime, workers) -> None:  # type: ignore[no-untyped-def]
    numbers = [start(rt, f"申请人{i}") for i in range(1000)]
    pair = [workers(), workers()]

    wait_for(lambda: due_cases(rt) == 0, timeout=120)
    for process in pair:
        stop(process)

    with rt.sessions() as session:
        firings = (Event.case_id == Case.id) & (Event.kind == "timer_fired")
        query = select(Case.number, func.count(Event.id)).join(Event, firings).group_by(Case.number)
        fired = dict(session.execute(query).all())
    assert fired == dict.fromkeys(numbers, 1)
    assert rt.verify(numbers[0]).ok and rt.verify(numbers[-1]).ok


@on_postgres
def test_a_worker_killed_in_the_middle_of_a_step_leaves_nothing_and_the_other_takes_it(
    rt: Runtime, workers, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    number = start(rt)
    marker = tmp_path / "holding"
    pair = [workers(str(marker), hold=300), workers(str(marker), hold=300)]

    holder = int(wait_for(lambda: marker.exists() and marker.read_text(), what="a worker's step"))
    assert kinds(rt, number) == ["case_started"]
    os.kill(holder, signal.SIGKILL)

    wait_for(lambda: due_cases(rt) == 0, what="the other worker")
    assert kinds(rt, number) == ["case_started", "timer_fired", "service_called"]
    assert rt.verify(number).ok
    [survivor] = [p for p in pair if p.pid != holder]
    stop(survivor)


def test_sigterm_lets_the_step_in_hand_finish(rt: Runtime, workers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    number = start(rt)
    marker = tmp_path / "holding"
    process = workers(str(marker), hold=1.5)

    wait_for(lambda: marker.exists() and marker.read_text(), what="the worker's step")
    stop(process)

    assert kinds(rt, number) == ["case_started", "timer_fired", "service_called"]
