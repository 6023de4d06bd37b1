"""Cases that stopped, and what an administrator does about them: the incidents, fixing a paused case's data,
trying its failed work again, cancelling a case for good; and the report of cases nothing will move."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import cases, changes, incidents, wakeup, workflowfacts
from certflow.engine.clock import Clock
from certflow.engine.errors import CASE_STATES, FieldError, InvalidState, StepFailed, ValidationFailed, describe
from certflow.engine.models import Incident, Job, Notification, Task
from certflow.engine.projection import task_dict
from certflow.engine.steps import CaseRow, StepOutput, Steps, attempt
from certflow.engine.views import IncidentView, StuckCase, StuckReport


def listing(
    steps: Steps, *, status: str | None = "open", case_ref: str | None = None, county: str | None = None,
) -> list[IncidentView]:
    """Incidents (``status`` None for all; of the cases of ``county``, None for every county), newest first."""
    with steps.sessions() as session:
        case_id = steps.case_id(session, case_ref) if case_ref else None
        return incidents.listing(session, status=status, case_id=case_id, county=county)


def fix_incident(steps: Steps, case_ref: str, fixes: dict[str, Any], *, actor: str) -> None:
    """Change the data of a case with an open incident, before a retry; a step of its own in the history.

    The values are set on every task that is under way, and on the tasks before them, so what runs next
    reads them (``data_fixed``, replayed like any step).
    """
    bad = [key for key in fixes if not key or key.startswith("spiff__") or key == "case_no"]
    if not fixes or bad:
        raise ValidationFailed([FieldError(key, "不能修改") for key in bad] or [FieldError("", "没有要修改的数据")])
    clock = steps.step_clock()
    with steps.transaction(clock) as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        if not incidents.open_for(session, case.id):
            raise InvalidState(f"案件 {case.number} 没有待处理的故障")
        output = StepOutput()
        workflow = steps.run(session, case, output, lambda: steps.load(session, case), changes.fixing(fixes),
                             clock=clock)
        output.events.insert(0, ("data_fixed", None, None, {"changes": fixes}))
        steps.save(session, case, workflow, output, actor, completed_task_by={}, clock=clock)


def retry_incident(steps: Steps, case_ref: str, *, actor: str) -> None:
    """Try the case's failed work again now: its timer or message at once, its unsent texts by the workers.

    Success resolves the incidents and the case runs on; StepFailed leaves them open, one try more.
    """
    clock = steps.step_clock()
    at = clock.now()
    failure: Exception | None = None
    with steps.transaction(clock) as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        found = incidents.open_for(session, case.id)
        if not found:
            raise InvalidState(f"案件 {case.number} 没有待处理的故障")
        for incident in found:
            if error := attempt(session, case, partial(_retry, steps, session, case, incident, actor, clock)):
                incident.attempts += 1
                incident.message, incident.step = describe(error), getattr(error, "step", None) or incident.step
                failure = error
                continue
            incidents.resolve(incident, how="retried", actor=actor, at=at)
    if failure is not None:
        raise StepFailed(f"重试后仍然失败：{describe(failure)}", step=getattr(failure, "step", None))


def cancel_case(steps: Steps, case_ref: str, reason: str, *, actor: str) -> None:
    """Stop a running or paused case for good: its tasks, queued messages and incidents are closed."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed([FieldError("reason", "必填")])
    now = steps.clock.now()
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        if case.status not in ("running", "error"):
            raise InvalidState(f"案件 {case.number} {CASE_STATES[case.status]}，不能取消")
        for row in session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")):
            row.status, row.completed_at = "cancelled", now
        for job in session.scalars(select(Job).where(Job.case_id == case.id, Job.status == "queued")):
            job.status, job.last_error = "failed", "case cancelled"
        for incident in incidents.open_for(session, case.id):
            incidents.resolve(incident, how="cancelled", actor=actor, at=now)
        case.status, case.ended_at, case.updated_at = "cancelled", now, now
        case.next_due_at = case.current_step = None
        steps.append_events(session, case, [("case_cancelled", None, None, {"reason": reason})], actor, now)


def stuck(steps: Steps, now: datetime | None = None, county: str | None = None, *, page_size: int | None = None,
          cases_page: int = 1, tasks_page: int = 1) -> StuckReport:
    """Running cases that nothing inside certflow will move (no open task, timer or queued job), with what
    they wait for, if anything; and the open tasks past their deadline. Of ``county``'s cases, or of all.
    ``page_size`` rows of each list, on pages ``cases_page`` and ``tasks_page``; None: every case and the 500
    most overdue tasks."""
    at = now or steps.clock.now()
    with steps.sessions() as session:
        found, cases_total = incidents.motionless(session, county, (cases_page - 1) * (page_size or 0), page_size)
        motionless: list[StuckCase] = [
            {"case": c.number, "process": c.process_key, "applicant_name": c.applicant_name,
             "updated_at": c.updated_at.isoformat(), "waiting": workflowfacts.waiting_label(steps.load(session, c))}
            for c in found
        ]
        overdue, overdue_total = incidents.overdue(session, at, county, (tasks_page - 1) * (page_size or 0),
                                                   page_size or 500)
        return {"cases": motionless, "cases_total": cases_total, "overdue_tasks": [task_dict(t) for t in overdue],
                "overdue_total": overdue_total}


def _retry(steps: Steps, session: Session, case: CaseRow, incident: Incident, actor: str, clock: Clock) -> None:
    if incident.kind == "notification":
        note = steps.row(session, Notification, incident.work_id, "待发短信")
        note.status, note.attempts, note.next_attempt_at = "queued", 0, clock.now()
        wakeup.wake_workers(session)
        return
    case.status = "running"
    if incident.kind == "timer":
        cases.fire_timers(steps, session, case, clock.now(), clock, actor)
        return
    job = steps.row(session, Job, incident.work_id, "后台作业")
    cases.deliver(steps, session, case, job.payload["name"], job.payload["payload"], actor, clock)
    job.status, job.done_at, job.attempts = "done", clock.now(), job.attempts + 1
