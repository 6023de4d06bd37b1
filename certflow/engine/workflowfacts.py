"""What the runtime reads off a case's workflow without changing it: its current data (and that data fit to print),
its next timer, what it waits for (as plain data), and the path it took through the main diagram."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
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
    values = [e.value for e in workflow.waiting_events() if e.event_type in _TIMERS]
    # An event-based gateway waits for all its events as one MultipleEventDefinition, which SpiffWorkflow lists
    # without a value: its timer's moment is in the waiting task's data.
    values += [task._get_internal_data("event_value") for task in workflow.event_manager.tasks.values()
               if isinstance(definition := task.task_spec.event_definition, MultipleEventDefinition)
               and any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)]
    dues = [d for d in map(_timer_due, values) if d]
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
                      "label": _waiting_for(task.task_spec)})
    return found


def waiting_label(workflow: BpmnWorkflow) -> str | None:
    names = [_waiting_for(t.task_spec) for t in workflow.get_tasks(state=TaskState.WAITING)
             if getattr(t.task_spec, "event_definition", None) is not None]
    return "、".join(dict.fromkeys(names)) or None


def _waiting_for(spec: Any) -> str:
    """A waiting event as the diagram names it; unnamed, what it waits for. An event-based gateway waits for the
    first of the events after it."""
    if spec.bpmn_name:
        return spec.bpmn_name
    if isinstance(spec.event_definition, MultipleEventDefinition) and spec.outputs:
        return "或".join(_waiting_for(event) for event in spec.outputs)
    # Unnamed: what it waits for in general words; a message's own name is an internal key, kept in the data.
    if isinstance(spec.event_definition, TimerEventDefinition):
        return "等待到期"
    if isinstance(spec.event_definition, MessageEventDefinition):
        return "等待消息"
    return "等待中"


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
