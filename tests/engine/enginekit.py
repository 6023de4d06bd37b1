"""The smoke process's runtime, shared by the engine tests and by the processes they spawn."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from certflow.engine import history
from certflow.engine.clock import Clock, FixedClock
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.errors import CertflowError
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.services import Handlers, Operator, ServiceContext
from certflow.engine.specs import read_paths

HERE = Path(__file__).resolve().parent
CONTENT = HERE / "content"
BROKEN = HERE / "broken"
FOREIGN = HERE / "foreign"  # files as Camunda Modeler and SpiffArena save them
WAITS = HERE / "waits"  # small processes each waiting on one kind of thing: a correlated message, a manual task

# 2026-09-30 is the last working day before the National Day holidays (10-01 to 10-07);
# two working days later is Friday 10-09, so a two-day deadline ends at 10-10 00:00 China time.
START = datetime.fromisoformat("2026-09-30T09:00:00+08:00")
DEADLINE = datetime.fromisoformat("2026-10-10T00:00:00+08:00")


def _echo(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return {"echo": params["text"]}


def _helpers(ctx: ServiceContext) -> dict[str, Any]:
    def working_days_deadline(start: str, n: int) -> str:
        return ctx.calendar.deadline(date.fromisoformat(start), n).isoformat()

    return {"today": ctx.today.isoformat, "working_days_deadline": working_days_deadline}


HANDLERS = Handlers({"echo": Operator("echo", ("text",), _echo)}, _helpers)


def build_runtime(url: str, clock: Clock | None = None, *, migrate: bool = False) -> Runtime:
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Runtime(make_sessions(engine), HANDLERS, Settings(), clock or FixedClock(START))


def deploy_smoke(runtime: Runtime) -> None:
    runtime.deploy(read_paths([CONTENT]), author="tests")


def start(runtime: Runtime, name: str = "张三") -> str:
    return runtime.start_case("smoke", {"applicant_name": name}, actor="applicant")


def open_task(runtime: Runtime, number: str) -> dict[str, Any]:
    [task] = runtime.tasks(case=number)
    return task


def kinds(runtime: Runtime, number: str) -> list[str]:
    return [e["kind"] for e in runtime.history(number)]


def chain(runtime: Runtime, number: str) -> list[tuple[dict[str, Any], str, str]]:
    """(body, prev_hash, hash) for each stored event, as an auditor would rebuild them."""
    return [
        (
            history.event_body(
                case_number=number, seq=e["seq"], kind=e["kind"], at=datetime.fromisoformat(e["at"]),
                actor=e["actor"], task_id=e["task_id"], task_name=e["task_name"], data=e["data"],
            ),
            e["prev_hash"],
            e["hash"],
        )
        for e in runtime.history(number)
    ]


def race_worker(url: str, action: str, target: str, number: str, actor: str, barrier: Any, results: Any) -> None:
    """One of two processes doing the same thing to one case at the same moment.

    Puts (actor, outcome, detail) on ``results``: outcome is "done", "conflict" or "error".
    """
    try:
        runtime = build_runtime(url)
        runtime.case(number)  # connect and load the process before the start line
        barrier.wait(timeout=60)
        if action == "complete":
            detail: Any = runtime.complete_task(target, {"approved": True}, actor=actor)
        elif action == "tick":
            detail = runtime.tick(datetime.fromisoformat(target))
        else:
            raise ValueError(action)
        results.put((actor, "done", detail))
    except CertflowError as error:
        results.put((actor, "conflict" if error.code == "conflict" else "error", str(error)))
    except BaseException as error:  # report anything else to the test rather than hang it
        results.put((actor, "error", repr(error)))


def failing_echo(failures: int | None = None) -> Handlers:
    """The smoke handlers with an ``echo`` that fails: ``failures`` times, or (None) until the case data has ok."""
    left = [failures]

    def echo(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
        if (left[0] is None and not data.get("ok")) or (left[0] is not None and left[0] > 0):
            if left[0] is not None:
                left[0] -= 1
            raise ConnectionError("提醒服务不可用")
        return _echo(params, data, ctx)

    return Handlers({"echo": Operator("echo", ("text",), echo)}, _helpers)


def worker_process(url: str, at: str, marker: str | None = None, hold: float = 0.0) -> None:
    """A background worker on the smoke process, its clock at ``at``, until SIGTERM (run in its own process).

    With a ``marker`` file, the first ``echo`` call anywhere creates it, writes its process id there and
    takes ``hold`` seconds: a step under way, for a test to stop or kill.
    """
    import os
    import time

    from certflow.worker import Worker

    def echo(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
        if marker:
            try:
                with open(marker, "x") as first:
                    first.write(str(os.getpid()))
            except FileExistsError:
                pass
            else:
                time.sleep(hold)
        return _echo(params, data, ctx)

    runtime = build_runtime(url, FixedClock(datetime.fromisoformat(at)))
    runtime.handlers = Handlers({"echo": Operator("echo", ("text",), echo)}, _helpers)
    Worker(runtime, lambda note: None, interval=0.1).run()
