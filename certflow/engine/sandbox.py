"""A test run of a draft: deploy it into a throw-away database, start a case with sample data, step it.

Nothing touches the real database: each run has its own SQLite file in a temporary directory, a
fresh runtime and a fixed clock, and all of it is gone when the run returns. The result says, step
by step, what a clerk would see: the open tasks, what the case waits for, its data and the texts it
queued; or why the step was refused, in words.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.errors import CertflowError, DeploymentError, ValidationFailed
from certflow.engine.models import LaneMapping
from certflow.engine.roles import Lanes
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.services import Handlers
from certflow.engine.specs import SourceFile
from certflow.engine.views import TaskView

ACTOR = "sandbox"


def test_run(
    files: list[SourceFile], handlers: Handlers, settings: Settings, process_key: str, start_data: dict[str, Any],
    steps: list[dict[str, Any]], *, start_at: datetime | None = None, lanes: Lanes | None = None,
) -> dict[str, Any]:
    """Run ``process_key`` from ``files`` on sample data; each step is one of

    ``{"task": BPMN id or title, "data": {...}, "group": optional}``, ``{"message": name, "payload": {...}}``,
    ``{"tick": ISO date-time}`` (the clock moves there and due timers fire).

    ``lanes``: the lane mappings of the real database, so that the draft deploys as it would there.

    Returns ``{"ok", "problems", "case", "trace"}``: deployment problems (file, line, element, message),
    else one trace entry for the start and one per step.
    """
    with tempfile.TemporaryDirectory(prefix="certflow-sandbox-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'sandbox.db'}")
        try:
            upgrade(engine)
            clock = FixedClock(start_at or datetime.now(UTC))
            runtime = Runtime(make_sessions(engine), handlers, settings, clock)
            with runtime.sessions.begin() as session:
                for lane, target in (lanes.mapped if lanes else {}).items():
                    session.add(LaneMapping(lane=lane, role=target.role, group_id=target.group, changed_by=ACTOR,
                                            changed_at=clock.now()))
            try:
                runtime.deploy(files, author=ACTOR, note="test run")
            except DeploymentError as error:
                return {"ok": False, "problems": [asdict(p) for p in error.problems], "case": None, "trace": []}
            return _run_case(runtime, clock, process_key, start_data, steps)
        finally:
            engine.dispose()


def _run_case(
    runtime: Runtime, clock: FixedClock, process_key: str, start_data: dict[str, Any], steps: list[dict[str, Any]],
) -> dict[str, Any]:
    started: list[str] = []
    failure = _failure(lambda: started.append(runtime.start_case(process_key, start_data, actor=ACTOR)))
    trace = [{"step": {"start": process_key, "data": start_data}, **failure}]
    if not started:
        return {"ok": False, "problems": [], "case": None, "trace": trace}
    [number] = started
    trace[0].update(_after(runtime, number, texts_before=0))
    for step in steps:
        texts_before = len(runtime.outbox(number))
        failure = _failure(partial(_apply, runtime, clock, number, step))
        trace.append({"step": step, **failure, **_after(runtime, number, texts_before)})
    return {"ok": all(entry["error"] is None for entry in trace), "problems": [], "case": number, "trace": trace}


def _apply(runtime: Runtime, clock: FixedClock, number: str, step: dict[str, Any]) -> None:
    if "task" in step:
        task = _open_task(runtime, number, step["task"], step.get("group"))
        runtime.complete_task(task["id"], step.get("data", {}), actor=ACTOR)
    elif "message" in step:
        runtime.send_message(number, step["message"], step.get("payload", {}), actor=ACTOR)
    elif "tick" in step:
        try:  # not a date-time, or one without its offset from UTC
            clock.set(datetime.fromisoformat(step["tick"]))
        except ValueError:
            raise ValueError(f"时间 {step['tick']} 的写法不对，应写成 2026-10-14T00:05:00+08:00 这样") from None
        runtime.tick()
    else:
        raise ValueError("每一步须写明 task（办理任务）、message（送达消息）或 tick（时间到）之一")


def _failure(action: Callable[[], object]) -> dict[str, Any]:
    """Run the action; why it was refused, in words (per field for form data), or no error."""
    try:
        action()
    except ValidationFailed as error:
        return {"error": error.header, "error_code": error.code,
                "field_errors": [{"field": e.field, "message": e.message} for e in error.errors]}
    except CertflowError as error:
        return {"error": str(error), "error_code": error.code, "field_errors": []}
    except ValueError as error:  # a step that names no task, or a time that is not ISO 8601 with an offset
        return {"error": str(error), "error_code": "bad_step", "field_errors": []}
    return {"error": None, "error_code": None, "field_errors": []}


def _after(runtime: Runtime, number: str, texts_before: int) -> dict[str, Any]:
    """The case as a clerk would see it after a step, with the texts that step queued."""
    view = runtime.case(number)
    return {
        "status": view["status"], "outcome": view["outcome"], "current_step": view["current_step"],
        "open_tasks": [{"name": t["name"], "title": t["title"], "role": t["role"], "group": t["group"],
                        "form": t["form"], "due_at": t["due_at"]} for t in view["open_tasks"]],
        "waiting": view["waiting"], "data": view["data"],
        "texts": [{"template": t["template"], "to": t["recipient_phone"] or t["recipient_group"], "text": t["text"]}
                  for t in runtime.outbox(number)[texts_before:]],
    }


def _open_task(runtime: Runtime, number: str, name: str, group: str | None) -> TaskView:
    open_tasks = runtime.tasks(case=number)
    found = [t for t in open_tasks if name in (t["name"], t["title"]) and group in (None, t["group"])]
    if len(found) != 1:
        shown = "、".join(f"{t['title']}（{t['name']}，{t['group']}）" for t in open_tasks) or "无"
        raise ValueError(f"有 {len(found)} 个待办任务与“{name}”相符，须恰好一个；待办任务：{shown}")
    return found[0]
