"""A worker on PostgreSQL wakes when a step gives it work, instead of at its next look; and looks again when the
next timer comes due rather than only every ``interval`` seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from enginekit import DEADLINE, build_runtime, open_task, start
from sqlalchemy import text

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.engine.wakeup import CHANNEL
from certflow.worker import RECONNECT_SECONDS, Worker

on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)
LONG_INTERVAL = 60.0  # a worker that only polled would not look again during the test


@pytest.fixture
def listening(rt: Runtime, database_url: str) -> Iterator[Worker]:
    """A worker serving in a thread, with its own runtime on the database, listening and idle."""
    sent: list[int] = []
    worker = Worker(build_runtime(database_url, rt.clock), lambda note: sent.append(note["id"]), LONG_INTERVAL,
                    listen_url=database_url)
    thread = threading.Thread(target=worker.serve)
    thread.start()
    try:
        assert worker.listener is not None and worker.listener.listening.wait(10)
        yield worker
    finally:
        worker.stop()
        thread.join(timeout=10)
        worker.runtime.sessions.kw["bind"].dispose()
    assert not thread.is_alive()


def settle(condition: Callable[[], bool], within: float) -> float:
    """Seconds until ``condition`` held; fails the test past ``within``."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > within:
            pytest.fail(f"not within {within} s")
        time.sleep(0.02)
    return time.monotonic() - began


@on_postgres
def test_a_listening_worker_delivers_a_queued_message_within_a_second_of_the_commit(
    rt: Runtime, listening: Worker,
) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")  # the case now waits for poke
    settle(lambda: all(t["status"] == "sent" for t in rt.outbox()), within=5)  # the worker's round done: idle
    time.sleep(0.3)

    rt.queue_message(number, "poke", {"by": "窗口"}, actor="clerk")
    assert settle(lambda: rt.case(number)["status"] == "completed", within=1.0) < 1.0


@on_postgres
def test_a_step_that_sets_a_sooner_timer_wakes_the_worker_to_reckon_its_wait(rt: Runtime, listening: Worker) -> None:
    rounds: list[float] = []
    round_once = listening.run_once
    listening.run_once = lambda: rounds.append(time.monotonic()) or round_once()  # type: ignore[method-assign]
    time.sleep(0.5)  # the rounds of its start
    rounds.clear()
    time.sleep(0.3)
    assert rounds == []  # idle, for LONG_INTERVAL

    number = start(rt)  # a case with a deadline timer, where there was none
    settle(lambda: bool(rounds), within=1.0)
    time.sleep(0.3)
    assert len(rounds) == 1
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")  # its timer gone: nothing sooner
    time.sleep(0.5)
    assert len(rounds) == 1


def test_the_worker_looks_again_when_the_next_timer_comes_due(rt: Runtime, clock: FixedClock) -> None:
    worker = Worker(rt, lambda note: None, LONG_INTERVAL)
    assert worker.pause() == LONG_INTERVAL  # nothing waits
    start(rt)  # its deadline timer is due at DEADLINE
    clock.set(DEADLINE - timedelta(seconds=2))
    assert 2 < worker.pause() < 2.1
    clock.set(DEADLINE - timedelta(days=1))
    assert worker.pause() == LONG_INTERVAL
    clock.set(DEADLINE + timedelta(seconds=1))  # due, and not fired by the round: no busy loop on it
    assert worker.pause() == LONG_INTERVAL


@on_postgres
def test_a_worker_whose_listening_connection_was_cut_listens_again(rt: Runtime, listening: Worker) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")
    assert listening.listener is not None
    with rt.sessions() as session:  # as a restarted database or a dropped network would
        cut = session.scalar(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE query = :listen AND datname = current_database()"),
                             {"listen": f"LISTEN {CHANNEL}"})
    assert cut == 1
    settle(lambda: not listening.listener.listening.is_set(), within=5)
    settle(listening.listener.listening.is_set, within=RECONNECT_SECONDS + 5)
    time.sleep(0.3)

    rt.queue_message(number, "poke", {}, actor="clerk")
    settle(lambda: rt.case(number)["status"] == "completed", within=1.0)
