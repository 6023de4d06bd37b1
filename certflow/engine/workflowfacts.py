"""What the runtime reads off a case's workflow without changing it: its current data (and that data fit to print),
its next timer, what it waits for (as plain data), and the path it took through the main diagram."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from certflow.engine.privacy import mask_id
from certflow.engine.views import DiagramPath, WaitingEvent

_TIMERS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's current data: the end data once finished, else the most recent live task's."""
    if workflow.completed:
        return workflow.data or (workflow.last_task.data if workflow.last_task else {})
    live = [t for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING) if t.task_spec.bpmn_id]
    if live:
        return max(live, key=lambda t: t.last_state_change).data
    return workflow.last_task.data if workflow.last_task else {}


def public_data(data: dict[str, Any]) -> dict[str, Any]:
    """Data fit to print: the full ID number masked."""
    shown = {k: v for k, v in data.items() if not k.startswith("spiff__")}
    if "id_number" in shown and shown["id_number"]:
        shown["id_number"] = mask_id(shown["id_number"])
    return shown


def next_due(workflow: BpmnWorkflow) -> datetime | None:
    dues = [d for d in (_timer_due(e.value) for e in workflow.waiting_events() if e.event_type in _TIMERS) if d]
    return min(dues) if dues else None


def is_due(event: Any, at: datetime) -> bool:
    # SpiffWorkflow fires a timer once its moment has passed, not at the moment itself.
    due = _timer_due(event.value)
    return due is not None and due < at


def waiting(workflow: BpmnWorkflow) -> list[WaitingEvent]:
    """The messages and timers the case waits for, fit for JSON: SpiffWorkflow gives a message's correlation
    properties as its objects, shown here as each property's name and the value a message must carry (None until
    a message of the case sets it); ``label`` is the waiting element's name in the diagram, for people."""
    found: list[WaitingEvent] = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if definition is None:
            continue
        event = definition.details(task)
        value = event.value
        if event.event_type == "MessageEventDefinition":
            known = {name: v for values in event.correlations.values() for name, v in values.items()}
            value = {p.name: known.get(p.name) for p in value} if value else None
        found.append({"event": event.event_type, "name": event.name, "value": value,
                      "label": task.task_spec.bpmn_name})
    return found


def waiting_label(workflow: BpmnWorkflow) -> str | None:
    names = [t.task_spec.bpmn_name or t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)
             if getattr(t.task_spec, "event_definition", None) is not None]
    return "、".join(dict.fromkeys(names)) or None


def path(workflow: BpmnWorkflow) -> DiagramPath:
    """Elements of the main diagram passed (with how often) and current; called processes have their own."""
    passed: dict[str, int] = {}
    current: list[str] = []
    for task in workflow.get_tasks():
        bpmn_id = task.task_spec.bpmn_id
        if not bpmn_id or task.workflow is not workflow:
            continue
        if task.state == TaskState.COMPLETED:
            passed[bpmn_id] = passed.get(bpmn_id, 0) + 1
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            current.append(bpmn_id)
    return {"passed": passed, "current": current}


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return TimerEventDefinition.get_datetime(value)
        except ValueError:
            return None
    return None
