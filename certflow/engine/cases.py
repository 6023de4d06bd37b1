"""The steps that move a case, each one transaction through ``steps``: start it, complete a task, deliver a message,
fire its due timers; and who holds a task: claim it, give it back, hand it to someone else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from certflow.engine import changes, forms, formschema, versions, workflowfacts
from certflow.engine.budget import BudgetExceeded
from certflow.engine.calendar import CHINA_TZ, china_today
from certflow.engine.clock import Clock
from certflow.engine.errors import Conflict, NotFound, ValidationFailed
from certflow.engine.models import Draft, Task
from certflow.engine.privacy import mask_id
from certflow.engine.projection import TASKS, task_dict
from certflow.engine.specs import CASE_PREFIX_PROPERTY, start_form, start_property
from certflow.engine.steps import CASES, NOT_STARTED, CaseRow, EventRow, StepOutput, Steps
from certflow.engine.views import TaskView


def start_case(
    steps: Steps, process_key: str, data: dict[str, Any], *, actor: str, county: str | None = None,
) -> str:
    """Start a case on the version of ``process_key`` current in its county; returns the case number.

    ``county``: the county the case belongs to (its area code), by default the deployment's jurisdiction. Its
    own newest version if it has one, else the province's newest (``versions.current``): every start, from a page,
    the API, a command or a roster, is chosen here. The number begins with its county's prefix (``counties``).
    """
    clock = steps.step_clock()
    now = clock.now()
    county = county or steps.settings.county
    with steps.transaction(clock) as session:
        version = versions.current(session, process_key, county)
        if version is None:
            raise NotFound(f"没有部署流程 {process_key}")
        spec, subprocesses, version_forms = steps.specs(session, version.id)
        form = start_form(spec)
        if form:
            errors = forms.validate(version_forms[form], data, today=now.astimezone(CHINA_TZ).date())
            if errors:
                raise ValidationFailed(errors)
        name, id_number, keys = data.get("applicant_name"), data.get("id_number"), steps.settings.data_keys
        guardian = data.get("guardian_id_number")
        # The row first, for its id (the number holds it); the step writes the rest of it.
        case = CaseRow.of(session.connection().execute(insert(CASES).values(
            process_version_id=version.id, process_key=process_key, status="running",
            county=county,
            applicant_name=name, applicant_digest=keys.lookup_digest(name) if name else None,
            id_masked=mask_id(id_number) if id_number else None,
            id_digest=keys.lookup_digest(id_number) if id_number else None,
            guardian_digest=keys.lookup_digest(guardian) if guardian else None,
            state={}, started_by=actor, started_at=now, updated_at=now,
        ).returning(*CaseRow.selected())).mappings().one())
        prefix = (steps.local(session, case).case_prefix or start_property(spec, CASE_PREFIX_PROPERTY)
                  or steps.settings.case_prefix)
        case.number = f"{prefix}-{now.astimezone(CHINA_TZ).year}-{case.id:06d}"
        output = StepOutput()
        try:
            workflow = steps.run(session, case, output, lambda: BpmnWorkflow(spec, subprocesses),
                                 changes.starting(data, case.number), clock=clock, starting=True)
            output.events.insert(0, ("case_started", None, None, {
                "process": process_key, "version": version.version, "data": data,
            }))
            steps.save(session, case, workflow, output, actor, completed_task_by={}, clock=clock, open_rows=[])
        except BudgetExceeded as exceeded:  # said like the other failed starts: the number given out made no case
            raise exceeded.saying(NOT_STARTED) from exceeded
        return case.number


def complete_task(steps: Steps, task_id: str, data: dict[str, Any], *, actor: str) -> str:
    """Submit a user task's form; returns the case number. Conflict if someone got there first."""
    return complete_task_view(steps, task_id, data, actor=actor)["case"]


def complete_task_view(steps: Steps, task_id: str, data: dict[str, Any], *, actor: str) -> TaskView:
    """``complete_task``, answering with the task as the step left it (completed, by whom, when): what the API
    answers, without reading the task again."""
    clock = steps.step_clock()
    with steps.transaction(clock) as session:
        row, case, open_rows = steps.open_task(session, task_id)
        if row["assignee"] and row["assignee"] != actor:
            raise Conflict(f"任务“{row['title']}”（{task_id}）已由 {row['assignee']} 认领")
        version_forms = steps.specs(session, case.process_version_id)[2]
        if row["form"]:
            schema = version_forms[row["form"]]
            if formschema.uses_task_data(schema):  # the same choices the page showed, from the task's data now
                task = next(t for t in steps.load(session, case).get_tasks() if str(t.id) == task_id)
                schema = formschema.with_task_data(schema, task.data)
            errors = forms.validate(schema, data, today=china_today(clock))
            if errors:
                raise ValidationFailed(errors)
        output = StepOutput()
        workflow = steps.run(session, case, output, lambda: steps.resume(session, case),
                             changes.completing(task_id, data), clock=clock)
        output.events.insert(0, ("task_completed", task_id, row["name"], {"title": row["title"], "data": data}))
        steps.save(session, case, workflow, output, actor, completed_task_by={task_id: actor}, clock=clock,
                   open_rows=open_rows)
        # A Core DELETE: the ORM's would look for the drafts in the session too, where a step never loads one.
        session.connection().execute(delete(Draft).where(Draft.task_id == task_id))
        # The row as the step wrote it, never added to the session; UTC as it reads back from the database.
        now = clock.now().astimezone(UTC)
        done = Task(**{**row, "status": "completed", "completed_by": actor, "completed_at": now})
        return task_dict(done)


def send_message(steps: Steps, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> str:
    """Deliver a message (e.g. an objection) to the case waiting for it."""
    clock = steps.step_clock()
    with steps.transaction(clock) as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref))
        deliver(steps, session, case, name, payload, actor, clock)
        return case.number


def deliver(
    steps: Steps, session: Session, case: CaseRow, name: str, payload: dict[str, Any], actor: str, clock: Clock,
) -> None:
    """The message step on a case already locked: sent by a person, a queued job, or a retry."""
    output = StepOutput()
    workflow = steps.run(session, case, output, lambda: steps.resume(session, case),
                         changes.delivering(case.number, name, payload), clock=clock)
    output.events.insert(0, ("message_received", None, None, {"name": name, "payload": payload}))
    steps.save(session, case, workflow, output, actor, completed_task_by={}, clock=clock)


def fire_timers(steps: Steps, session: Session, case: CaseRow, at: datetime, clock: Clock, actor: str) -> None:
    """The timer step on a case already locked: every timer due at ``at`` fires (by ``tick`` or a retry)."""
    output = StepOutput()
    due: list[str] = []

    def apply(workflow: BpmnWorkflow) -> None:
        due.extend(e.value for e in workflow.waiting_events() if workflowfacts.is_due(e, at))
        changes.firing_timers(workflow)

    workflow = steps.run(session, case, output, lambda: steps.resume(session, case), apply, clock=clock)
    output.events.insert(0, ("timer_fired", None, None, {"due": due, "now": at.isoformat()}))
    steps.save(session, case, workflow, output, actor, completed_task_by={}, clock=clock)


def claim(steps: Steps, task_id: str, *, actor: str) -> None:
    _assign(steps, task_id, actor, expect=None, kind="task_claimed")


def unclaim(steps: Steps, task_id: str, *, actor: str) -> None:
    _assign(steps, task_id, None, expect=actor, kind="task_unclaimed")


def reassign(steps: Steps, task_id: str, assignee: str | None, *, actor: str) -> None:
    """Give a task to someone else (or back to its group), whoever holds it now."""
    with steps.transaction() as session:
        row, case, _ = steps.open_task(session, task_id)
        event = ("task_reassigned", task_id, row["name"],
                 {"title": row["title"], "from": row["assignee"], "to": assignee})
        _hand_over(steps, session, case, task_id, assignee, event, actor)


def _assign(steps: Steps, task_id: str, assignee: str | None, *, expect: str | None, kind: str) -> None:
    with steps.transaction() as session:
        row, case, _ = steps.open_task(session, task_id)
        if row["assignee"] != expect:
            held = f"已由 {row['assignee']} 认领" if row["assignee"] else "还没有人认领"
            raise Conflict(f"任务“{row['title']}”（{task_id}）{held}")
        event = (kind, task_id, row["name"], {"title": row["title"]})
        _hand_over(steps, session, case, task_id, assignee, event, assignee or expect or "system")


def _hand_over(
    steps: Steps, session: Session, case: CaseRow, task_id: str, assignee: str | None, event: EventRow, actor: str,
) -> None:
    """The task's new holder, the event that says so, and the case's time of change."""
    session.connection().execute(update(TASKS).where(TASKS.c.id == task_id).values(assignee=assignee))
    case.updated_at = steps.clock.now()
    steps.append_events(session, case, [event], actor, case.updated_at)
