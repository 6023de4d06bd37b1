"""The changes a step applies to a case's workflow, shared by live steps and replay.

Each change works on the workflow alone: no database, no clock of its own. A live step applies it to the workflow it
loaded under the case's lock (``steps``); replay rebuilds the same change from the recorded event (``replaying``) and
applies it to the state the step before reached (``building``: as stored, or the very workflow where the step ran on
the one kept in memory), and must reach the state the step recorded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from certflow.engine import budget, failures, liveness, migration, replay, state
from certflow.engine.errors import Conflict, FieldError, InvalidState, NotFound, ValidationFailed
from certflow.engine.scripting import element_title
from certflow.engine.views import EventView

Change = Callable[[BpmnWorkflow], None]


def starting(data: dict[str, Any], case_number: str) -> Change:
    def apply(workflow: BpmnWorkflow) -> None:
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(copy.deepcopy(data))
        start.data["case_no"] = case_number
        advance(workflow)
    return apply


def completing(task_id: str, data: dict[str, Any]) -> Change:
    def apply(workflow: BpmnWorkflow) -> None:
        task = workflow.get_task_from_id(_uuid(task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"任务 {task_id} 已不在等人办理")
        task.data.update(copy.deepcopy(data))
        budget.note(element_title(task))
        task.run()
        advance(workflow)
    return apply


def delivering(case_number: str, name: str, payload: dict[str, Any]) -> Change:
    def apply(workflow: BpmnWorkflow) -> None:
        awaited = [d for t in workflow.get_tasks(state=TaskState.WAITING)
                   for d in liveness.messages(getattr(t.task_spec, "event_definition", None)) if d.name == name]
        if not awaited:
            raise InvalidState(f"案件 {case_number} 现在不等消息“{name}”")
        definition = awaited[0]
        # The values that say which case a message belongs to, from its payload: each must be there.
        correlations = _correlations(workflow, definition, payload)
        try:
            workflow.send_event(BpmnEvent(definition, copy.deepcopy(payload), correlations))
        except WorkflowException as error:
            if not str(error).startswith("This process is not waiting"):  # SpiffWorkflow's words for no match
                raise
            expected = "，".join(f"{prop} = {value}" for values in workflow.correlations.values()
                                for prop, value in values.items())
            raise InvalidState(f"案件 {case_number} 在等消息“{name}”，但这条消息的关联值与本案件的不符"
                               f"（本案件：{expected}）") from None
        advance(workflow)
    return apply


def _correlations(workflow: BpmnWorkflow, definition: MessageEventDefinition,
                  payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's correlation values from its payload, as SpiffWorkflow reads them; a value the payload lacks is a
    refusal naming it (SpiffWorkflow would stop at a bare NameError)."""
    for prop in definition.correlation_properties:
        try:
            workflow.script_engine.environment.evaluate(prop.retrieval_expression, copy.deepcopy(payload))
        except NameError as missing:
            raise ValidationFailed([FieldError(missing.name or prop.name, (
                f"消息“{definition.name}”要带上 {missing.name}：它是关联值 {prop.name}，"
                "用来确认消息属于哪个案件"))], message="消息内容不全") from None
        except Exception as error:
            raise ValidationFailed([FieldError(prop.name, (
                f"从消息“{definition.name}”的内容算不出关联值 {prop.name}（{prop.retrieval_expression}）："
                f"{failures.in_words(error)}"))], message="消息内容有误") from None
    return definition.calculate_correlations(workflow.script_engine, definition.correlation_properties,
                                             copy.deepcopy(payload))


def fixing(changes: dict[str, Any]) -> Change:
    def apply(workflow: BpmnWorkflow) -> None:
        # A task takes its parent's data again when it is updated, so the tasks before it get the values too.
        fixed: set[UUID] = set()
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            while task is not None and task.id not in fixed:
                task.data.update(copy.deepcopy(changes))
                fixed.add(task.id)
                task = task.parent
    return apply


def firing_timers(workflow: BpmnWorkflow) -> None:
    workflow.refresh_timers()
    advance(workflow)


def migrating(spec: Any, subprocesses: dict[str, Any]) -> Change:
    def apply(workflow: BpmnWorkflow) -> None:
        migration.apply(workflow, spec, subprocesses)
        advance(workflow)  # a step the new version made automatic goes on at once, as after any step
    return apply


def advance(workflow: BpmnWorkflow) -> None:
    """Run the automatic tasks, each noted so that a step over its budget names where it was."""
    workflow.do_engine_steps(will_complete_task=lambda task: budget.note(element_title(task)))


def building(
    previous: dict[str, Any] | None, spec: Any, subprocesses: dict[str, Any], kept: BpmnWorkflow | None = None,
) -> Callable[[], BpmnWorkflow]:
    """How a replayed step gets its workflow: a new one for the first step; the very workflow the step before
    reached (``kept``) for a step that ran live on the one its previous step left in memory; else the state the step
    before saved, as stored."""
    if previous is None:
        return lambda: BpmnWorkflow(spec, subprocesses)
    if kept is not None:
        return lambda: kept
    return lambda: state.load(replay.as_stored(previous), spec, subprocesses)


def replaying(case_number: str, event: EventView) -> Change:
    """The change a recorded step applied, to apply it again."""
    data = event["data"]
    kind = event["kind"]
    if kind == "case_started":
        return starting(data["data"], case_number)
    if kind == "task_completed":
        if event["task_id"] is None:
            raise replay.ReplayError("办理事件没有记下办的是哪项任务")
        return completing(event["task_id"], data["data"])
    if kind == "message_received":
        return delivering(case_number, data["name"], data["payload"])
    if kind == "timer_fired":
        return firing_timers
    if kind == "data_fixed":
        return fixing(data["changes"])
    raise replay.ReplayError(f"{kind} 不是改变流程的事件")


def _uuid(task_id: str) -> UUID:
    try:
        return UUID(task_id)
    except ValueError:
        raise NotFound(f"任务 {task_id} 不存在") from None
