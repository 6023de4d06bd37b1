"""Moving a running case to a newer version of its process, with SpiffWorkflow's diff utilities.

``SpecDiff`` aligns the old version's task specs with the new one's (by BPMN id, else by position
between aligned neighbours) and lists the attributes that changed. ``migrate_workflow`` then points
every task at its aligned spec and resets the READY and WAITING tasks: their predicted successors
are dropped and predicted again from the new version. From that follows what can be migrated:

- A task that is no prediction (done, cancelled, waiting, ready, in progress) whose element the new
  version removed: refused. ``migrate_workflow`` leaves it on its old spec, and the saved state
  would name an element the new version does not have. Removed predictions are dropped by the reset.
- A task in progress (STARTED: a call activity or subprocess whose tasks are under way) that changed
  in more than its label, lane, documentation or flows: refused. It is not reset, so it would go on
  with what it set up under the old version. Its flows take effect when it finishes.
- A subprocess of the case (running or done) whose process the new version no longer has: refused.
- Changed READY and WAITING tasks are fine: the reset runs them again from the new version (a
  pre-script runs again, a form or lane changes). A waiting timer keeps its deadline when its
  expression is unchanged; the reset would otherwise start it again from the moment of migration.
- Changed completed tasks are history: fine.
Finally the migration is tried and the state saved and restored with the new version; anything
SpiffWorkflow cannot restore is refused with its error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from certflow.engine import replay, state
from certflow.engine.specs import REGISTRY
from certflow.engine.views import ChangedTask, MigrationCheck, PlannedTask

# What a task in progress may change: only shown (label, lane, documentation) or used once it finishes (flows).
_STARTED_MAY_CHANGE = {"bpmn_name", "description", "lane", "documentation", "inputs", "outputs"}
Entry = TypeVar("Entry", PlannedTask, ChangedTask)


@dataclass
class Plan:
    """What a migration would do to the case's tasks, and why it cannot be done (if it cannot)."""

    removed: list[PlannedTask] = field(default_factory=list)
    changed: list[ChangedTask] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def possible(self) -> bool:
        return not self.reasons

    def as_dict(self, from_version: int, to_version: int) -> MigrationCheck:
        reason = "；".join(dict.fromkeys(self.reasons)) or f"可以从 v{from_version} 迁移到 v{to_version}"
        return {"possible": self.possible, "reason": reason, "removed": self.removed, "changed": self.changed}


def refused(reason: str) -> Plan:
    return Plan(reasons=[reason])


def check(workflow: BpmnWorkflow, spec: Any, subprocess_specs: dict[str, Any]) -> Plan:
    """The plan for moving ``workflow`` to ``spec``; tries it on ``workflow``, which is spent afterwards."""
    plan = Plan()
    for part, _, diff in _diffs(workflow, spec, subprocess_specs):
        if diff is None:
            plan.reasons.append(f"案件经过的子流程「{part.spec.description or part.spec.name}」在新版本中不存在")
            continue
        _judge(WorkflowDiff(part, diff), diff, plan)
    if plan.possible:
        try:
            apply(workflow, spec, subprocess_specs)
            state.load(replay.as_stored(state.dump(workflow)), spec, subprocess_specs)
        except Exception as error:  # whatever SpiffWorkflow cannot migrate, save or restore is a reason to refuse
            plan.reasons.append(f"试迁移失败：{error}")
    return plan


def apply(workflow: BpmnWorkflow, spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """Point the case's tasks at the new version (live and in a replay); call ``check`` first."""
    deadlines = _timer_deadlines(workflow)
    for part, new_spec, diff in list(_diffs(workflow, spec, subprocess_specs)):
        migrate_workflow(WorkflowDiff(part, diff), part, new_spec)
    workflow.subprocess_specs = subprocess_specs
    for task in workflow.get_tasks(state=TaskState.WAITING):
        kept = deadlines.get(task.id)
        if kept and _timer_expression(task) == kept[0]:
            task.internal_data["event_value"] = kept[1]


def _diffs(workflow: BpmnWorkflow, spec: Any, subprocess_specs: dict[str, Any]) -> Iterator[tuple[Any, Any, Any]]:
    """(workflow or subprocess, its new spec, SpecDiff or None when the new version lacks its process)."""
    yield workflow, spec, SpecDiff(REGISTRY, workflow.spec, spec)
    for subprocess in workflow.subprocesses.values():
        new_spec = subprocess_specs.get(subprocess.spec.name)
        yield subprocess, new_spec, SpecDiff(REGISTRY, subprocess.spec, new_spec) if new_spec else None


def _judge(tasks: WorkflowDiff, diff: SpecDiff, plan: Plan) -> None:
    for task in tasks.removed:
        if task.has_state(TaskState.PREDICTED_MASK) or not task.task_spec.bpmn_id:
            continue
        _add(plan.removed, _task(task))
        where = "正在办理的" if task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED) else "已经过的"
        plan.reasons.append(f"案件{where}「{_title(task)}」在新版本中被删除")
    for task in tasks.changed:
        if not task.task_spec.bpmn_id:
            continue
        what = diff.changed[task.task_spec]
        _add(plan.changed, ChangedTask(**_task(task), what=what))
        if task.state == TaskState.STARTED and set(what) - _STARTED_MAY_CHANGE:
            plan.reasons.append(f"正在进行的「{_title(task)}」在新版本中有改动（{'、'.join(what)}），进行中的步骤不能改")


def _add(found: list[Entry], entry: Entry) -> None:
    if entry not in found:  # an element passed more than once is listed once per state
        found.append(entry)


def _task(task: Any) -> PlannedTask:
    return {"id": task.task_spec.bpmn_id, "name": _title(task), "state": TaskState.get_name(task.state)}


def _title(task: Any) -> str:
    return task.task_spec.bpmn_name or task.task_spec.bpmn_id


def _timer_expression(task: Any) -> str | None:
    definition = getattr(task.task_spec, "event_definition", None)
    return definition.expression if isinstance(definition, TimerEventDefinition) else None


def _timer_deadlines(workflow: BpmnWorkflow) -> dict[Any, tuple[str, Any]]:
    return {
        task.id: (expression, task.internal_data["event_value"])
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if (expression := _timer_expression(task)) is not None and "event_value" in task.internal_data
    }
