"""The task projection: one row per READY step of a person, the rows the inbox reads, brought in line at every step.

A person's steps are user tasks (a form to fill), manual tasks and plain tasks (instructions to follow, then
继续), as SpiffArena offers them; each goes to its lane's role.

A row's title, role, group and form come from its task's spec and the lanes of its version (``task_fields``): a
live step writes them and verification checks them against the replay.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import RowMapping, bindparam, insert, select, update
from sqlalchemy.orm import Session

from certflow.engine.budget import BudgetExceeded, Limits
from certflow.engine.models import Task
from certflow.engine.roles import Lanes
from certflow.engine.scripting import RestrictedEnvironment, element_title
from certflow.engine.services import Handlers, ServiceContext
from certflow.engine.specs import FORM_PROPERTY
from certflow.engine.views import TaskView

if TYPE_CHECKING:
    from certflow.engine.steps import CaseRow

TASKS = Task.metadata.tables["tasks"]
SPEC_FIELDS = ("name", "title", "role", "candidate_group", "form")  # what ``task_fields`` gives a row


def read_open(session: Session, case_id: int) -> list[RowMapping]:
    """The case's open rows, as plain rows (read on the step's connection: the projection is written there)."""
    query = select(TASKS).where(TASKS.c.case_id == case_id, TASKS.c.status == "open")
    return list(session.connection().execute(query).mappings())


def sync(
    session: Session, case: CaseRow, workflow: BpmnWorkflow, *, completed_task_by: dict[str, str], now: datetime,
    context: ServiceContext, handlers: Handlers, limits: Limits, lanes: Lanes,
    open_rows: list[RowMapping] | None = None,
) -> list[dict[str, Any]]:
    """Bring the projection in line with the workflow's READY steps of people (``open_rows``: the case's open rows,
    if the step already read them under its lock; ``lanes``: those of the case's version); what the rows of the READY
    tasks show (``task_fields``), in the workflow's order.

    Open rows are refreshed from their task's spec too: a migration may rename a task or move it. The rows that
    change go in as one ``UPDATE`` with a parameter set each, the new ones as one ``INSERT``.
    """
    ready = {str(t.id): t for t in people_steps(workflow)}
    existing = {row["id"]: row for row in (read_open(session, case.id) if open_rows is None else open_rows)}
    helpers = handlers.helpers(context)
    shown = {task_id: task_fields(task, helpers, limits, lanes) for task_id, task in ready.items()}
    changed = []
    for task_id, row in existing.items():
        if task_id not in ready:
            status = "completed" if task_id in completed_task_by else "cancelled"
            changed.append(_change(row, status, now, completed_task_by.get(task_id), {f: row[f] for f in SPEC_FIELDS}))
        elif any(row[f] != value for f, value in shown[task_id].items()):
            changed.append(_change(row, "open", None, None, shown[task_id]))
    added = [{
        "id": task_id, "case_id": case.id, "case_number": case.number, "county": case.county,
        "applicant_name": case.applicant_name,
        "applicant_digest": case.applicant_digest, "id_masked": case.id_masked, "process_key": case.process_key,
        "status": "open", "created_at": now, "due_at": _due(task, context), "assignee": None, "completed_at": None,
        "completed_by": None, **shown[task_id],
    } for task_id, task in ready.items() if task_id not in existing]
    connection = session.connection()
    if changed:
        connection.execute(update(TASKS).where(TASKS.c.id == bindparam("task_id")), changed)
    if added:
        connection.execute(insert(TASKS), added)
    return list(shown.values())


def _change(
    row: RowMapping, status: str, at: datetime | None, by: str | None, fields: dict[str, Any],
) -> dict[str, Any]:
    """One parameter set of the projection's ``UPDATE``: every set has the same columns, so that it is one statement."""
    return {"task_id": row["id"], "status": status, "completed_at": at, "completed_by": by, **fields}


def _due(task: SpiffTask, context: ServiceContext) -> datetime | None:
    due_days = task.task_spec.extensions.get("properties", {}).get("dueInWorkingDays")
    return context.calendar.deadline(context.today, int(due_days)) if due_days else None


def people_steps(workflow: BpmnWorkflow) -> list[SpiffTask]:
    """The READY tasks a person does: SpiffWorkflow marks user, manual and plain tasks as manual."""
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def task_fields(task: Any, helpers: dict[str, Any], limits: Limits, lanes: Lanes) -> dict[str, Any]:
    """What the task list shows of a READY step of a person, from its spec and the lanes of its version: a live
    step writes it, verification checks it."""
    properties = task.task_spec.extensions.get("properties", {})
    role = lanes.role(task.task_spec.lane)
    group = lanes.group(task.task_spec.lane)
    if properties.get("candidateGroup"):
        environment = RestrictedEnvironment(helpers, lambda *a: None, limits)
        try:
            # On a copy: a change to the data here would be in the state saved, not in a replay (which does not
            # project), nor in the workflow kept for the case's next step (livecache).
            group = str(environment.evaluate(properties["candidateGroup"], copy.deepcopy(task.data)))
        except BudgetExceeded as error:
            raise error.at(element_title(task)) from None
    return {"name": task.task_spec.name, "title": title(task),
            "role": role, "candidate_group": group, "form": properties.get(FORM_PROPERTY)}


def title(task: SpiffTask) -> str:
    """The task's label, with the element of the nearest multi-instance it runs in when that is a word:
    鉴定并审核（肢体）, one of the parts of a multiple disability."""
    label = task.task_spec.bpmn_name or task.task_spec.name
    current: SpiffTask | None = task
    while current is not None:
        item = getattr(current.parent.task_spec, "input_item", None) if current.parent else None
        if item is not None:
            value = current.data.get(item.bpmn_id)
            return f"{label}（{value}）" if isinstance(value, str) else label
        # Up from a sub-process to the task that runs it.
        parent_id = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return label


def task_dict(task: Task) -> TaskView:
    return {
        "id": task.id, "case": task.case_number, "county": task.county, "applicant_name": task.applicant_name,
        "id_masked": task.id_masked, "process": task.process_key, "name": task.name, "title": task.title,
        "role": task.role, "group": task.candidate_group, "assignee": task.assignee, "form": task.form,
        "status": task.status, "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by,
    }
