"""Reading cases and what belongs to them, as the plain dicts the pages, the API and the command line show:
a case, its tasks, forms, diagram and history; the deployed processes; the outbox. Nothing here changes a case."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import formschema, instructions, versions, workflowfacts
from certflow.engine.db import read_again_if_disconnected
from certflow.engine.errors import NotFound
from certflow.engine.models import Case, DeploymentFile, Event, Notification, ProcessVersion, Task
from certflow.engine.projection import task_dict
from certflow.engine.specs import start_form
from certflow.engine.steps import Steps
from certflow.engine.views import (
    CaseView,
    DiagramView,
    EventView,
    OutboxText,
    ProcessView,
    TaskForm,
    TaskView,
    UserTaskSpec,
)


def case(steps: Steps, case_ref: str) -> CaseView:
    """Everything ``certflow show`` prints: summary, open tasks, waiting events, data."""
    with steps.sessions() as session:
        row = steps.case(session, case_ref)
        workflow = steps.load(session, row)
        open_tasks = session.scalars(
            select(Task).where(Task.case_id == row.id, Task.status == "open").order_by(Task.created_at)
        ).all()
        return {
            "number": row.number,
            "county": row.county,
            "process": row.process_key,
            "version": row.version.version,
            "start_form": start_form(steps.specs(session, row.process_version_id)[0]),
            "status": row.status,
            "outcome": row.outcome,
            "current_step": row.current_step,
            "applicant_name": row.applicant_name,
            "id_masked": row.id_masked,
            "started_at": row.started_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
            "next_due_at": row.next_due_at.isoformat() if row.next_due_at else None,
            "open_tasks": [task_dict(t) for t in open_tasks],
            "waiting": workflowfacts.waiting(workflow),
            "data": workflowfacts.public_data(workflowfacts.case_data(workflow)),
        }


def case_for_applicant(steps: Steps, number: str, id_number: str) -> CaseView:
    """The case, for someone who gives its number and the ID number it was started with.

    An unknown number and a wrong ID number both raise the same NotFound, so an answer never says which.
    """
    with steps.sessions() as session:
        started = session.scalar(
            select(Event.data).join(Case, Case.id == Event.case_id)
            .where(Case.number == number, Event.kind == "case_started")
        )
    if not _started_with(started, id_number):
        raise NotFound(f"案件 {number} 不存在，或身份证号不符")
    return case(steps, number)


def _started_with(started: dict[str, Any] | None, id_number: str, field: str = "id_number") -> bool:
    """Whether a case_started event's data has ``id_number`` under ``field``."""
    recorded = str((started or {}).get("data", {}).get(field) or "").upper()
    # compare_digest: how long the comparison takes does not tell how much of the number matched
    return bool(recorded) and hmac.compare_digest(id_number.strip().upper().encode(), recorded.encode())


def case_numbers_for_applicant(steps: Steps, id_number: str) -> list[str]:
    """The numbers of the cases started with ``id_number``, the newest first (for a lookup the applicant proved
    with a code texted to them): its lookup digests find them, the number their history recorded confirms it."""
    return _started_by(steps, Case.id_digest, "id_number", id_number)


def case_numbers_for_guardian(steps: Steps, id_number: str) -> list[str]:
    """The numbers of the cases whose application gave ``id_number`` as the guardian's (监护人/代办人), the newest
    first, found and confirmed as ``case_numbers_for_applicant``'s."""
    return _started_by(steps, Case.guardian_digest, "guardian_id_number", id_number)


def _started_by(steps: Steps, digest: Any, field: str, id_number: str) -> list[str]:
    """The cases whose ``digest`` column is one of ``id_number``'s lookup digests and whose start event recorded
    that number under ``field``."""
    with steps.sessions() as session:
        rows = session.execute(
            select(Case.number, Event.data).join(Event, Event.case_id == Case.id)
            .where(digest.in_(steps.settings.data_keys.lookup_digests(id_number)), Event.kind == "case_started")
            .order_by(Case.started_at.desc(), Case.id.desc())
        ).all()
    return [number for number, started in rows if _started_with(started, id_number, field)]


def tasks(
    steps: Steps, *, role: str | None = None, group: str | None = None, case: str | None = None,
    assignee: str | None = None, status: str = "open", limit: int = 200,
) -> list[TaskView]:
    with steps.sessions() as session:
        query = select(Task).where(Task.status == status)
        if role:
            query = query.where(Task.role == role)
        if group:
            query = query.where(Task.candidate_group == group)
        if assignee:
            query = query.where(Task.assignee == assignee)
        order = (Task.due_at.is_(None), Task.due_at, Task.created_at)
        if case:
            # Rows carry their case's number: one query, unless the case has none or is named by its id.
            found = session.scalars(query.where(Task.case_number == case).order_by(*order).limit(limit)).all()
            if found:
                return [task_dict(t) for t in found]
            query = query.where(Task.case_id == steps.case_id(session, case))
        return [task_dict(t) for t in session.scalars(query.order_by(*order).limit(limit))]


def task(steps: Steps, task_id: str) -> TaskView:
    def read() -> TaskView:
        with steps.sessions() as session:
            return task_dict(steps.row(session, Task, task_id, "任务"))
    return read_again_if_disconnected(read)  # often a request's first read: what the guard checks


def task_form(steps: Steps, task_id: str) -> TaskForm:
    """What the page of a task shows above and in its form: the instructions (``spiffworkflow:instructionsForEndUser``,
    what SpiffArena writes, else the element's documentation) filled in with the task's data, the form's schema with
    choices taken from that data, and its uiSchema (``formUiSchemaFilename``)."""
    with steps.sessions() as session:
        row = steps.row(session, Task, task_id, "任务")
        case = steps.row(session, Case, row.case_id, "案件")
        version_forms = steps.specs(session, case.process_version_id)[2]
        workflow = steps.load(session, case)
    schema = version_forms.get(row.form or "") or {}
    task = next((t for t in workflow.get_tasks() if str(t.id) == task_id), None)
    if task is None:  # a cancelled task's branch is gone from the workflow
        return {"schema": schema, "ui": {}, "instructions": instructions.render(None, {})}
    spec = task.task_spec
    text = spec.extensions.get("instructionsForEndUser") or getattr(spec, "documentation", None)
    ui_name = spec.extensions.get("properties", {}).get(formschema.UI_PROPERTY)
    return {
        "schema": formschema.with_task_data(schema, task.data),
        "ui": version_forms.get(ui_name or "") or {},
        "instructions": instructions.render(text if isinstance(text, str) else None, task.data),
    }


def processes(steps: Steps, county: str | None = None) -> list[ProcessView]:
    """The version of each deployed process that new cases of ``county`` (by default the deployment's own) start
    on, with the form they start with."""
    with steps.sessions() as session:
        found: list[ProcessView] = []
        for version in versions.current_of_each(session, county or steps.settings.county):
            spec, _, version_forms = steps.specs(session, version.id)
            form = start_form(spec)
            found.append({
                "key": version.process_key, "name": version.name, "version": version.version,
                "deployed_at": version.created_at.isoformat(), "start_form": form,
                "start_schema": version_forms.get(form) if form else None,
            })
        return found


def user_tasks(steps: Steps, county: str | None = None) -> list[UserTaskSpec]:
    """The steps people do in the versions current in ``county`` (by default the deployment's own; user, manual
    and plain tasks): process, BPMN id, title and role (for inbox filters). A step of a called process is listed
    under each process that calls it, as its tasks are."""
    found: dict[tuple[str, str], UserTaskSpec] = {}
    with steps.sessions() as session:
        for version in versions.current_of_each(session, county or steps.settings.county):
            spec, subprocesses, _forms = steps.specs(session, version.id)
            lanes = steps.lanes(session, version.id)
            for process in (spec, *subprocesses.values()):
                for task_spec in process.task_specs.values():
                    if task_spec.manual:  # user, manual and plain tasks: the steps people do
                        found.setdefault((version.process_key, task_spec.name), {
                            "process": version.process_key, "name": task_spec.name,
                            "title": task_spec.bpmn_name or task_spec.name, "role": lanes.role(task_spec.lane),
                        })
    return sorted(found.values(), key=lambda t: (t["process"], t["name"]))


def case_forms(steps: Steps, case_ref: str) -> dict[str, Any]:
    """The forms (file name → JSON Schema) of the version the case is pinned to."""
    with steps.sessions() as session:
        return steps.specs(session, steps.case(session, case_ref).process_version_id)[2]


def diagram(steps: Steps, case_ref: str) -> DiagramView:
    """The case's main diagram and where the case has been: elements passed (with how often) and current."""
    with steps.sessions() as session:
        row = steps.case(session, case_ref)
        return {"process": row.process_key, "xml": diagram_xml(session, row.version),
                **workflowfacts.path(steps.load(session, row))}


def diagram_xml(session: Session, version: ProcessVersion) -> str | None:
    """The BPMN file of the version that holds its process's diagram."""
    marker = f'id="{version.process_key}"'
    files = session.scalars(select(DeploymentFile).where(
        DeploymentFile.deployment_id == version.deployment_id, DeploymentFile.kind == "bpmn"))
    return next((f.content for f in files if marker in f.content), None)


def history(steps: Steps, case_ref: str) -> list[EventView]:
    with steps.sessions() as session:
        return events(session, steps.case_id(session, case_ref))


def events(session: Session, case_id: int) -> list[EventView]:
    """The case's events in order, as dicts."""
    return [event_dict(e) for e in session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))]


def outbox(steps: Steps, case_ref: str | None = None) -> list[OutboxText]:
    with steps.sessions() as session:
        query = select(Notification).order_by(Notification.id)
        if case_ref:
            query = query.where(Notification.case_id == steps.case_id(session, case_ref))
        return [outbox_dict(n) for n in session.scalars(query)]


def case_numbers(steps: Steps) -> list[str]:
    with steps.sessions() as session:
        return list(session.scalars(select(Case.number).order_by(Case.id)))


def event_dict(e: Event) -> EventView:
    return {"seq": e.seq, "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "task_id": e.task_id,
            "task_name": e.task_name, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def outbox_dict(note: Notification) -> OutboxText:
    return {
        "id": note.id, "template": note.template, "recipient_role": note.recipient_role,
        "recipient_group": note.recipient_group, "recipient_phone": note.recipient_phone, "text": note.text,
        "status": note.status, "created_at": note.created_at.isoformat(),
    }
