"""The runtime: deploy processes, start cases, complete tasks, deliver messages, fire timers.

Every change of a case is one transaction: load the case (locked), apply the change through
SpiffWorkflow under the runtime clock, save the state, refresh the task projection, append the
hash-chained events, queue the texts, commit. A change that fails leaves nothing behind.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine import (
    attachments,
    changes,
    forms,
    history,
    incidents,
    migration,
    replay,
    state,
    versions,
    workflowfacts,
)
from certflow.engine.attachments import FileStore, Upload
from certflow.engine.budget import BudgetExceeded
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.changes import fixing
from certflow.engine.clock import Clock, FixedClock, SystemClock
from certflow.engine.compare import compare
from certflow.engine.errors import (
    CertflowError,
    Conflict,
    FieldError,
    InvalidState,
    NotFound,
    StepFailed,
    ValidationFailed,
    describe,
)
from certflow.engine.models import (
    Attachment,
    Case,
    Deployment,
    DeploymentFile,
    Draft,
    Event,
    Incident,
    Job,
    Notification,
    ProcessVersion,
    Task,
)
from certflow.engine.privacy import mask_id
from certflow.engine.projection import task_dict, task_fields, title
from certflow.engine.roles import role_for_lane
from certflow.engine.services import Handlers
from certflow.engine.settings import Settings
from certflow.engine.specs import (
    CASE_PREFIX_PROPERTY,
    ParsedDeployment,
    SourceFile,
    parse_deployment,
    start_form,
    start_property,
)
from certflow.engine.steps import StepOutput, Steps, attempt

log = logging.getLogger("certflow.engine")


@dataclass(frozen=True)
class DeployedVersion:
    process_key: str
    version: int
    created: bool  # False when identical content was already deployed


class Runtime:
    def __init__(
        self, sessions: sessionmaker[Session], handlers: Handlers,
        settings: Settings | None = None, clock: Clock | None = None, files: FileStore | None = None,
    ) -> None:
        self.sessions = sessions
        self.handlers = handlers
        self.settings = settings or Settings()
        self.clock = clock or SystemClock()
        self.files = files
        self._steps = Steps(self)

    # -- deployments -------------------------------------------------------------------------

    def deploy(self, files: list[SourceFile], *, author: str, note: str = "") -> list[DeployedVersion]:
        """Check and store a set of files; a process whose content is unchanged gets no new version."""
        return self._store(parse_deployment(files, self.handlers.signatures, self.settings.limits), files, author, note)

    def _store(
        self, parsed: ParsedDeployment, files: list[SourceFile], author: str, note: str, only: str | None = None,
    ) -> list[DeployedVersion]:
        """New versions for the processes (or only the one) whose content differs from their latest version."""
        now = self.clock.now()
        results: list[DeployedVersion] = []
        with self.sessions.begin() as session:
            deployment: Deployment | None = None
            for process in parsed.processes:
                if only is not None and process.key != only:
                    continue
                latest = versions.latest(session, process.key)
                if latest is not None and latest.content_hash == process.content_hash:
                    results.append(DeployedVersion(process.key, latest.version, False))
                    continue
                if deployment is None:
                    deployment = Deployment(content_hash=parsed.content_hash, author=author, note=note, created_at=now)
                    deployment.files = [
                        DeploymentFile(name=f.name, kind=f.kind, sha256=f.sha256, content=f.content.decode("utf-8"))
                        for f in files
                    ]
                    session.add(deployment)
                    session.flush()
                version = (latest.version if latest else 0) + 1
                session.add(ProcessVersion(
                    process_key=process.key, version=version, name=process.name,
                    content_hash=process.content_hash, deployment_id=deployment.id, spec=process.spec,
                    forms=process.forms, files=process.files, created_at=now,
                ))
                results.append(DeployedVersion(process.key, version, True))
        return results

    def versions(self, process_key: str | None = None) -> list[dict[str, Any]]:
        """Every deployed version, newest first per process: hash, author, time, note, cases, files."""
        with self.sessions() as session:
            return versions.listing(session, process_key)

    def version_files(self, process_key: str, version: int) -> dict[str, str]:
        """File name → content of the files the version was built from."""
        with self.sessions() as session:
            return versions.files(session, versions.find(session, process_key, version))

    def compare(self, process_key: str, old: int, new: int) -> dict[str, Any]:
        """Elements added, removed and changed from version ``old`` to ``new``; see ``compare.compare``."""
        result = compare(self.version_files(process_key, old), self.version_files(process_key, new), process_key)
        return {**result, "old_version": old, "new_version": new}

    def rollback(self, process_key: str, version: int, *, author: str, note: str = "") -> DeployedVersion:
        """Deploy an earlier version's files again: the new latest version has its content."""
        sources = [SourceFile(name, content.encode("utf-8"))
                   for name, content in self.version_files(process_key, version).items()]
        parsed = parse_deployment(sources, self.handlers.signatures, self.settings.limits)
        [result] = self._store(parsed, sources, author, note or f"rollback to v{version}", only=process_key)
        return result


    # -- cases -------------------------------------------------------------------------------

    def start_case(self, process_key: str, data: dict[str, Any], *, actor: str, county: str | None = None) -> str:
        """Start a case on the latest version of ``process_key``; returns the case number.

        ``county``: the county the case belongs to (its area code), by default the deployment's jurisdiction.
        """
        clock = self._steps.step_clock()
        now = clock.now()
        with self._steps.transaction(clock) as session:
            version = versions.latest(session, process_key)
            if version is None:
                raise NotFound(f"no process {process_key} is deployed")
            spec, subprocesses, version_forms = self._steps.specs(session, version.id)
            form = start_form(spec)
            if form:
                errors = forms.validate(version_forms[form], data, today=now.astimezone(CHINA_TZ).date())
                if errors:
                    raise ValidationFailed(errors)
            case = Case(
                process_version_id=version.id, process_key=process_key, status="running",
                county=county or self.settings.county,
                applicant_name=data.get("applicant_name"),
                id_masked=mask_id(data["id_number"]) if data.get("id_number") else None,
                state={}, started_by=actor, started_at=now, updated_at=now,
            )
            session.add(case)
            session.flush()
            prefix = start_property(spec, CASE_PREFIX_PROPERTY) or self.settings.case_prefix
            case.number = f"{prefix}-{now.astimezone(CHINA_TZ).year}-{case.id:06d}"
            step = StepOutput()
            workflow = self._steps.run(case, step, lambda: BpmnWorkflow(spec, subprocesses),
                                 changes.starting(data, case.number), clock=clock)
            step.events.insert(0, ("case_started", None, None, {
                "process": process_key, "version": version.version, "data": data,
            }))
            self._steps.save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)
            return case.number

    def complete_task(self, task_id: str, data: dict[str, Any], *, actor: str) -> str:
        """Submit a user task's form; returns the case number. Conflict if someone got there first."""
        clock = self._steps.step_clock()
        with self._steps.transaction(clock) as session:
            row, case, open_rows = self._steps.open_task(session, task_id)
            if row.assignee and row.assignee != actor:
                raise Conflict(f"task {task_id} ({row.title}) is claimed by {row.assignee}")
            version_forms = self._steps.specs(session, case.process_version_id)[2]
            if row.form:
                errors = forms.validate(version_forms[row.form], data, today=clock.now().astimezone(CHINA_TZ).date())
                if errors:
                    raise ValidationFailed(errors)
            step = StepOutput()
            workflow = self._steps.run(case, step, lambda: self._steps.load(session, case),
                                       changes.completing(task_id, data),
                                 clock=clock)
            step.events.insert(0, ("task_completed", task_id, row.name, {"title": row.title, "data": data}))
            self._steps.save(session, case, workflow, step, actor, completed_task_by={task_id: actor}, clock=clock,
                       open_rows=open_rows)
            session.execute(delete(Draft).where(Draft.task_id == task_id))
            return case.number

    def send_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> str:
        """Deliver a message (e.g. an objection) to the case waiting for it."""
        clock = self._steps.step_clock()
        with self._steps.transaction(clock) as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref))
            self._deliver(session, case, name, payload, actor, clock)
            return case.number

    def _deliver(
        self, session: Session, case: Case, name: str, payload: dict[str, Any], actor: str, clock: Clock,
    ) -> None:
        step = StepOutput()
        workflow = self._steps.run(case, step, lambda: self._steps.load(session, case),
                             changes.delivering(case.number, name, payload), clock=clock)
        step.events.insert(0, ("message_received", None, None, {"name": name, "payload": payload}))
        self._steps.save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    def tick(self, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
        """Fire every timer due at ``now`` (default: the clock); returns the cases that moved.

        One case per transaction, claimed with FOR UPDATE SKIP LOCKED so workers can share the work. A case
        whose step fails is tried again later (``Settings.retry``), then paused by an incident; it never holds
        up the cases due after it. ``limit`` bounds the cases tried, so a worker can stop in between.
        """
        at = now or self.clock.now()
        clock = FixedClock(at)
        skipped: set[int] = set()
        return _drain(lambda: self._fire_next_due(at, clock, skipped), limit)[0]

    def _fire_next_due(self, at: datetime, clock: Clock, skipped: set[int]) -> tuple[str, bool] | None:
        """Claim the case whose timer is due first and fire it: (case, whether it moved); None when none is due."""
        with self._steps.transaction(clock) as session:
            query = (
                select(Case).where(Case.status == "running", Case.next_due_at < at, Case.id.not_in(skipped))
                .order_by(Case.next_due_at).limit(1).with_for_update(skip_locked=True)
            )
            case = session.scalars(query).first()
            if case is None:
                return None
            if error := attempt(session, lambda: self._fire(session, case, at, clock, "system")):
                self._failed(session, case, error, at)
                skipped.add(case.id)
                return case.number, False
            if case.next_due_at is not None and case.next_due_at < at:
                skipped.add(case.id)  # nothing more can fire now; don't loop on it
            return case.number, True

    def _fire(self, session: Session, case: Case, at: datetime, clock: Clock, actor: str) -> None:
        step = StepOutput()
        due: list[str] = []

        def apply(workflow: BpmnWorkflow) -> None:
            due.extend(e.value for e in workflow.waiting_events() if workflowfacts.is_due(e, at))
            changes.firing_timers(workflow)

        workflow = self._steps.run(case, step, lambda: self._steps.load(session, case), apply, clock=clock)
        step.events.insert(0, ("timer_fired", None, None, {"due": due, "now": at.isoformat()}))
        self._steps.save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    # -- queued work, retries and incidents ----------------------------------------------------

    def queue_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> int:
        """Queue a message for the workers to deliver (retried, then an incident); returns the job's id."""
        now = self.clock.now()
        with self._steps.transaction() as session:
            job = Job(case_id=self._steps.case_id(session, case_ref), kind="message", actor=actor, status="queued",
                      payload={"name": name, "payload": payload}, attempts=0, created_at=now, next_attempt_at=now)
            session.add(job)
            session.flush()
            return job.id

    def run_jobs(self, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
        """Deliver the queued messages that are due; returns the cases they moved."""
        at = now or self.clock.now()
        skipped: set[int] = set()
        return _drain(lambda: self._run_next_job(at, skipped), limit)[0]

    def _run_next_job(self, at: datetime, skipped: set[int]) -> tuple[str, bool] | None:
        clock = FixedClock(at)
        with self._steps.transaction(clock) as session:
            query = (
                select(Job).join(Case, Case.id == Job.case_id)
                .where(Job.status == "queued", Job.next_attempt_at <= at, Job.id.not_in(skipped),
                       Case.status != "error")
                .order_by(Job.id).limit(1).with_for_update(skip_locked=True, of=Job)
            )
            job = session.scalars(query).first()
            if job is None:
                return None
            skipped.add(job.id)
            case = self._steps.lock_case(session, job.case_id, running_only=False)
            if case.status == "error":  # paused since the job was picked: it waits for the incident
                return case.number, False
            job.attempts += 1
            if case.status != "running":  # ended while the message waited: there is nobody to deliver it to
                job.status, job.last_error = "failed", f"case {case.number} is {case.status}"
                return case.number, False
            payload = job.payload
            if error := attempt(session, lambda: self._deliver(
                    session, case, payload["name"], payload["payload"], job.actor, clock)):
                self._failed(session, case, error, at, job)
                return case.number, False
            job.status, job.done_at, job.last_error = "done", at, None
            return case.number, True

    def send_notifications(
        self, send: Callable[[dict[str, Any]], None], now: datetime | None = None, *, limit: int | None = None,
    ) -> tuple[int, int]:
        """Hand each due text of the outbox to ``send`` (which raises when it cannot); (sent, failed) counts.

        Each try is recorded on its row; a failed one is tried again later, and after the last try the text
        is marked failed and an incident opened. A text is sent at least once: a worker that dies between
        sending and committing leaves it to be sent again.
        """
        at = now or self.clock.now()
        sent, tried = _drain(lambda: self._send_next(send, at), limit)
        return len(sent), tried - len(sent)

    def _send_next(self, send: Callable[[dict[str, Any]], None], at: datetime) -> tuple[str, bool] | None:
        with self._steps.transaction() as session:
            query = (
                select(Notification).where(Notification.status == "queued", Notification.next_attempt_at <= at)
                .order_by(Notification.next_attempt_at, Notification.id).limit(1).with_for_update(skip_locked=True)
            )
            note = session.scalars(query).first()
            if note is None:
                return None
            note.attempts += 1
            note.last_attempt_at = at
            try:
                send(outbox_dict(note))
            except Exception as error:  # a gateway fails in its own ways; each is one failed try
                note.last_error = f"{type(error).__name__}: {error}"
                next_try = self.settings.retry.next_try(note.attempts, at)
                log.warning("text not sent", extra={"fields": {"outbox_id": note.id, "attempt": note.attempts,
                                                               "error": note.last_error}})
                if next_try is not None:
                    note.next_attempt_at = next_try
                    return str(note.id), False
                note.status = "failed"
                case = self._steps.lock_case(session, note.case_id, running_only=False)
                self._open_incident(session, case, "notification", f"短信（{note.template}）", note.last_error,
                                    note.attempts, at, note.id)
                return str(note.id), False
            note.status, note.sent_at, note.last_error = "sent", at, None
            return str(note.id), True

    def _failed(self, session: Session, case: Case, error: Exception, at: datetime, job: Job | None = None) -> None:
        """A failed try of a case's timer (no job) or of a queued job: try again later, or open an incident."""
        message = describe(error)
        if job is None:
            case.failures += 1
            case.last_error = message
            tries = case.failures
        else:
            job.last_error = message
            tries = job.attempts
        # A step over its budget goes over it again: trying it again only holds up the others.
        next_try = None if isinstance(error, BudgetExceeded) else self.settings.retry.next_try(tries, at)
        log.warning("step failed", extra={"fields": {"case": case.number, "try": tries, "error": message,
                                                     "retry_at": next_try.isoformat() if next_try else None}})
        if next_try is not None:
            if job is None:
                case.next_due_at = next_try
            else:
                job.next_attempt_at = next_try
            return
        if job is not None:
            job.status = "failed"
        self._open_incident(session, case, "timer" if job is None else "message", getattr(error, "step", None),
                            message, tries, at, job.id if job else None)

    def _open_incident(
        self, session: Session, case: Case, kind: str, step: str | None, message: str, attempts: int,
        at: datetime, work_id: int | None = None,
    ) -> None:
        data = workflowfacts.public_data(workflowfacts.case_data(self._steps.load(session, case)))
        incident = incidents.open_incident(session, case, kind=kind, step=step, message=message, data=data,
                                           attempts=attempts, at=at, work_id=work_id)
        session.flush()
        event = ("incident_opened", None, None, {"incident": incident.id, "kind": kind, "step": step,
                                                 "message": message, "attempts": attempts})
        self._steps.append_events(session, case, [event], "system", at)
        log.error("incident opened", extra={"fields": {"case": case.number, "incident": incident.id, "kind": kind,
                                                       "step": step, "error": message}})

    def incidents(self, *, status: str | None = "open", case_ref: str | None = None,
                  county: str | None = None) -> list[dict[str, Any]]:
        """Incidents (``status`` None for all; of the cases of ``county``, None for every county), newest first."""
        with self.sessions() as session:
            case_id = self._steps.case_id(session, case_ref) if case_ref else None
            return incidents.listing(session, status=status, case_id=case_id, county=county)

    def fix_incident(self, case_ref: str, changes: dict[str, Any], *, actor: str) -> None:
        """Change the data of a case with an open incident, before a retry; a step of its own in the history.

        The values are set on every task that is under way, and on the tasks before them, so what runs next
        reads them (``data_fixed``, replayed like any step).
        """
        bad = [key for key in changes if not key or key.startswith("spiff__") or key == "case_no"]
        if not changes or bad:
            raise ValidationFailed([FieldError(key, "不能修改") for key in bad] or [FieldError("", "没有要修改的数据")])
        clock = self._steps.step_clock()
        with self._steps.transaction(clock) as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            if not incidents.open_for(session, case.id):
                raise InvalidState(f"case {case.number} has no open incident")
            step = StepOutput()
            workflow = self._steps.run(case, step, lambda: self._steps.load(session, case), fixing(changes),
                                       clock=clock)
            step.events.insert(0, ("data_fixed", None, None, {"changes": changes}))
            self._steps.save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    def retry_incident(self, case_ref: str, *, actor: str) -> None:
        """Try the case's failed work again now: its timer or message at once, its unsent texts by the workers.

        Success resolves the incidents and the case runs on; StepFailed leaves them open, one try more.
        """
        clock = self._steps.step_clock()
        at = clock.now()
        failure: Exception | None = None
        with self._steps.transaction(clock) as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            found = incidents.open_for(session, case.id)
            if not found:
                raise InvalidState(f"case {case.number} has no open incident")
            for incident in found:
                if error := attempt(session, lambda i=incident: self._retry(session, case, i, actor, clock)):
                    incident.attempts += 1
                    incident.message, incident.step = describe(error), getattr(error, "step", None) or incident.step
                    failure = error
                    continue
                incidents.resolve(incident, how="retried", actor=actor, at=at)
        if failure is not None:
            raise StepFailed(f"retried, and failed again: {describe(failure)}", step=getattr(failure, "step", None))

    def _retry(self, session: Session, case: Case, incident: Incident, actor: str, clock: Clock) -> None:
        if incident.kind == "notification":
            note = session.get(Notification, incident.work_id)
            note.status, note.attempts, note.next_attempt_at = "queued", 0, clock.now()
            return
        case.status = "running"
        if incident.kind == "timer":
            self._fire(session, case, clock.now(), clock, actor)
            return
        job = session.get(Job, incident.work_id)
        self._deliver(session, case, job.payload["name"], job.payload["payload"], actor, clock)
        job.status, job.done_at, job.attempts = "done", clock.now(), job.attempts + 1

    def cancel_case(self, case_ref: str, reason: str, *, actor: str) -> None:
        """Stop a running or paused case for good: its tasks, queued messages and incidents are closed."""
        reason = reason.strip()
        if not reason:
            raise ValidationFailed([FieldError("reason", "必填")])
        now = self.clock.now()
        with self._steps.transaction() as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            if case.status not in ("running", "error"):
                raise InvalidState(f"case {case.number} is {case.status}")
            for row in session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")):
                row.status, row.completed_at = "cancelled", now
            for job in session.scalars(select(Job).where(Job.case_id == case.id, Job.status == "queued")):
                job.status, job.last_error = "failed", "case cancelled"
            for incident in incidents.open_for(session, case.id):
                incidents.resolve(incident, how="cancelled", actor=actor, at=now)
            case.status, case.ended_at, case.updated_at = "cancelled", now, now
            case.next_due_at = case.current_step = None
            self._steps.append_events(session, case, [("case_cancelled", None, None, {"reason": reason})], actor, now)

    def stuck(self, now: datetime | None = None, county: str | None = None) -> dict[str, Any]:
        """Running cases that nothing inside certflow will move (no open task, timer or queued job), with what
        they wait for, if anything; and the open tasks past their deadline. Of ``county``'s cases, or of all."""
        at = now or self.clock.now()
        with self.sessions() as session:
            cases = [
                {"case": c.number, "process": c.process_key, "applicant_name": c.applicant_name,
                 "updated_at": c.updated_at.isoformat(),
                 "waiting": workflowfacts.waiting_label(self._steps.load(session, c))}
                for c in incidents.motionless(session, county)
            ]
            overdue = incidents.overdue(session, at, county=county)
            return {"cases": cases, "overdue_tasks": [task_dict(t) for t in overdue]}

    def claim(self, task_id: str, *, actor: str) -> None:
        self._assign(task_id, actor, expect=None, kind="task_claimed")

    def unclaim(self, task_id: str, *, actor: str) -> None:
        self._assign(task_id, None, expect=actor, kind="task_unclaimed")

    def _assign(self, task_id: str, assignee: str | None, *, expect: str | None, kind: str) -> None:
        with self._steps.transaction() as session:
            row, case, _ = self._steps.open_task(session, task_id)
            if row.assignee != expect:
                held = f"is claimed by {row.assignee}" if row.assignee else "is not claimed"
                raise Conflict(f"task {task_id} {held}")
            row.assignee = assignee
            event = (kind, task_id, row.name, {"title": row.title})
            self._steps.append_events(session, case, [event], assignee or expect or "system", self.clock.now())
            case.updated_at = self.clock.now()


    def reassign(self, task_id: str, assignee: str | None, *, actor: str) -> None:
        """Give a task to someone else (or back to its group), whoever holds it now."""
        with self._steps.transaction() as session:
            row, case, _ = self._steps.open_task(session, task_id)
            previous, row.assignee = row.assignee, assignee
            event = ("task_reassigned", task_id, row.name, {"title": row.title, "from": previous, "to": assignee})
            self._steps.append_events(session, case, [event], actor, self.clock.now())
            case.updated_at = self.clock.now()

    # -- moving cases to a newer version ------------------------------------------------------

    def migration_check(self, case_ref: str, to_version: int) -> dict[str, Any]:
        """Whether the case can move to ``to_version`` of its process, why not, and which of its tasks change.

        ``{"possible", "reason" (Chinese), "removed", "changed"}``; the rule is in ``migration``.
        """
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            plan = self._migration_plan(session, case, to_version, self._steps.step_clock())[1]
            return plan.as_dict(case.version.version, to_version)

    def migrate(self, case_ref: str, to_version: int, *, actor: str) -> None:
        """Move a running case to a newer version of its process; InvalidState with the reason when it cannot."""
        clock = self._steps.step_clock()
        with self._steps.transaction(clock) as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            target, plan = self._migration_plan(session, case, to_version, clock)
            if target is None or not plan.possible:
                raise InvalidState(plan.as_dict(case.version.version, to_version)["reason"])
            spec, subprocesses, _ = self._steps.specs(session, target.id)
            step = StepOutput()
            workflow = self._steps.run(case, step, lambda: self._steps.load(session, case),
                                       changes.migrating(spec, subprocesses),
                                 clock=clock)
            step.events.insert(0, ("case_migrated", None, None, {
                "from_version": case.version.version, "to_version": target.version,
            }))
            case.version = target
            self._steps.save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    def migrate_all(self, process_key: str, from_version: int, to_version: int, *, actor: str,
                    county: str | None = None) -> list[dict[str, Any]]:
        """Every running case of ``from_version`` (of ``county``, None for every county) moved to ``to_version``,
        each in its own transaction.

        ``[{"case", "migrated", "reason"}]``: a case that cannot move keeps its version and says why.
        """
        with self.sessions() as session:
            source = versions.find(session, process_key, from_version)
            running = select(Case.number).where(Case.process_version_id == source.id, Case.status == "running")
            if county is not None:
                running = running.where(Case.county == county)
            numbers = session.scalars(running.order_by(Case.id)).all()
        results = []
        for number in numbers:
            try:
                self.migrate(number, to_version, actor=actor)
                results.append({"case": number, "migrated": True, "reason": ""})
            except CertflowError as error:
                results.append({"case": number, "migrated": False, "reason": str(error)})
        return results

    def _migration_plan(
        self, session: Session, case: Case, to_version: int, clock: Clock,
    ) -> tuple[ProcessVersion | None, migration.Plan]:
        """The target version and the plan, tried on the case at ``clock``'s instant; no target when ruled out."""
        current = case.version.version
        if case.status != "running":
            return None, migration.refused(f"案件 {case.number} 不在办理中，不能迁移")
        try:
            target = versions.find(session, case.process_key, to_version)
        except NotFound:
            return None, migration.refused(f"流程 {case.process_key} 没有 v{to_version}")
        if target.version <= current:
            return None, migration.refused(f"案件在 v{current} 上，只能迁移到更新的版本")
        spec, subprocesses, _ = self._steps.specs(session, target.id)
        plans: list[migration.Plan] = []
        try:
            self._steps.run(case, StepOutput(), lambda: self._steps.load(session, case),
                      lambda workflow: plans.append(migration.check(workflow, spec, subprocesses)), clock=clock)
        except CertflowError as error:
            return None, migration.refused(f"试迁移失败：{error}")
        return target, plans[0]

    # -- what people add to a case besides steps ---------------------------------------------

    def save_draft(self, task_id: str, data: dict[str, Any], *, actor: str) -> None:
        """Keep unfinished input for ``actor``; a draft is not validated and not in the history."""
        with self.sessions.begin() as session:
            row = session.get(Task, task_id)
            if row is None or row.status != "open":
                raise NotFound(f"task {task_id} is not open")
            session.merge(Draft(task_id=task_id, actor=actor, data=data, saved_at=self.clock.now()))

    def draft(self, task_id: str, *, actor: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(Draft, (task_id, actor))
            return row.data if row else None

    def add_comment(self, case_ref: str, text: str, *, actor: str) -> None:
        text = text.strip()
        if not text:
            raise ValidationFailed([FieldError("comment", "必填")])
        if len(text) > 2000:
            raise ValidationFailed([FieldError("comment", "最多2000个字")])
        with self._steps.transaction() as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            event = ("comment_added", None, None, {"text": text})
            self._steps.append_events(session, case, [event], actor, self.clock.now())

    def attach(self, case_ref: str, uploads: list[Upload], *, actor: str) -> None:
        """Store files for a case and record each, with its checksum, in the case's history."""
        if self.files is None:
            raise InvalidState("no upload directory is configured")
        types = attachments.check(uploads)
        now = self.clock.now()
        with self._steps.transaction() as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            recorded = []
            for upload, content_type in zip(uploads, types, strict=True):
                digest = self.files.put(upload.content)
                session.add(Attachment(
                    case_id=case.id, material=upload.material, filename=upload.filename[:255],
                    content_type=content_type, size=len(upload.content), sha256=digest,
                    uploaded_by=actor, uploaded_at=now,
                ))
                recorded.append({"material": upload.material, "filename": upload.filename, "sha256": digest})
            self._steps.append_events(session, case, [("files_attached", None, None, {"files": recorded})], actor, now)

    def attachments(self, case_ref: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            case_id = self._steps.case_id(session, case_ref)
            rows = session.scalars(select(Attachment).where(Attachment.case_id == case_id).order_by(Attachment.id))
            return [
                {"id": a.id, "material": a.material, "filename": a.filename, "content_type": a.content_type,
                 "size": a.size, "sha256": a.sha256, "uploaded_by": a.uploaded_by,
                 "uploaded_at": a.uploaded_at.isoformat()}
                for a in rows
            ]

    def attachment_content(self, case_ref: str, attachment_id: int) -> tuple[dict[str, Any], bytes]:
        found = [a for a in self.attachments(case_ref) if a["id"] == attachment_id]
        if not found or self.files is None:
            raise NotFound(f"attachment {attachment_id} of case {case_ref} does not exist")
        return found[0], self.files.read(found[0]["sha256"])

    def record_view(self, case_ref: str, what: str, *, actor: str) -> None:
        """Note in the case's history that ``actor`` saw full personal data (an ID number, medical files)."""
        with self._steps.transaction() as session:
            case = self._steps.lock_case(session, self._steps.case_id(session, case_ref), running_only=False)
            event = ("personal_data_viewed", None, None, {"what": what})
            self._steps.append_events(session, case, [event], actor, self.clock.now())

    def history_export(self, case_ref: str) -> dict[str, Any]:
        """The history with exactly what each hash covers, so it can be checked without certflow.

        hash = SHA-256(prev_hash + body as JSON with sorted keys, no spaces, UTF-8); the first prev_hash
        is 64 zeros; each body's seq counts from 1. The signatures (mac, seal) can be checked only with the key.
        """
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            rows = self._event_rows(session, case)
            return {
                "case": case.number, "process": case.process_key, "version": case.version.version,
                "event_count": case.event_count, "last_hash": case.last_hash,
                "algorithm": "sha256(prev_hash + json(body, sort_keys, separators=(',', ':'), ensure_ascii=False))",
                "genesis": history.GENESIS,
                "signature": "mac = hmac-sha256(key[key_id], 'certflow-event:' + hash); seal = hmac-sha256("
                             "key[seal_key], 'certflow-case:' + json([case, event_count, last_hash]))",
                "seal": case.seal, "seal_key": case.seal_key,
                "events": [{"body": body, "prev_hash": prev, "hash": digest, "key_id": row.key_id, "mac": row.mac}
                           for row, (body, prev, digest) in zip(rows, self._chain(case, rows), strict=True)],
            }

    def _event_rows(self, session: Session, case: Case) -> list[Event]:
        return list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))

    @staticmethod
    def _chain(case: Case, rows: list[Event]) -> list[tuple[dict[str, Any], str, str]]:
        """(what the hash covers, prev_hash, hash) for each event, in seq order."""
        return [
            (history.event_body(case_number=case.number, seq=e.seq, kind=e.kind, at=e.at, actor=e.actor,
                                task_id=e.task_id, task_name=e.task_name, data=e.data), e.prev_hash, e.hash)
            for e in rows
        ]

    # -- reading -----------------------------------------------------------------------------

    def case(self, case_ref: str) -> dict[str, Any]:
        """Everything ``certflow show`` prints: summary, open tasks, waiting events, data."""
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            workflow = self._steps.load(session, case)
            open_tasks = session.scalars(
                select(Task).where(Task.case_id == case.id, Task.status == "open").order_by(Task.created_at)
            ).all()
            return {
                "number": case.number,
                "county": case.county,
                "process": case.process_key,
                "version": case.version.version,
                "start_form": start_form(self._steps.specs(session, case.process_version_id)[0]),
                "status": case.status,
                "outcome": case.outcome,
                "current_step": case.current_step,
                "applicant_name": case.applicant_name,
                "id_masked": case.id_masked,
                "started_at": case.started_at.isoformat(),
                "ended_at": case.ended_at.isoformat() if case.ended_at else None,
                "next_due_at": case.next_due_at.isoformat() if case.next_due_at else None,
                "open_tasks": [task_dict(t) for t in open_tasks],
                "waiting": [
                    {"event": e.event_type, "name": e.name, "value": e.value} for e in workflow.waiting_events()
                ],
                "data": workflowfacts.public_data(workflowfacts.case_data(workflow)),
            }

    def case_for_applicant(self, number: str, id_number: str) -> dict[str, Any]:
        """The case, for someone who gives its number and the ID number it was started with.

        An unknown number and a wrong ID number both raise the same NotFound, so an answer never says which.
        """
        with self.sessions() as session:
            started = session.scalar(
                select(Event.data).join(Case, Case.id == Event.case_id)
                .where(Case.number == number, Event.kind == "case_started")
            )
        recorded = str((started or {}).get("data", {}).get("id_number") or "").upper()
        given = id_number.strip().upper()
        # compare_digest: how long the comparison takes does not tell how much of the number matched
        if not recorded or not hmac.compare_digest(given.encode(), recorded.encode()):
            raise NotFound(f"case {number} with that ID number does not exist")
        return self.case(number)

    def tasks(
        self, *, role: str | None = None, group: str | None = None, case: str | None = None,
        assignee: str | None = None, status: str = "open", limit: int = 200,
    ) -> list[dict[str, Any]]:
        with self.sessions() as session:
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
                query = query.where(Task.case_id == self._steps.case_id(session, case))
            return [task_dict(t) for t in session.scalars(query.order_by(*order).limit(limit))]

    def processes(self) -> list[dict[str, Any]]:
        """The latest version of each deployed process, with the form its cases start with."""
        with self.sessions() as session:
            found = []
            for version in versions.latest_of_each(session):
                spec, _, version_forms = self._steps.specs(session, version.id)
                form = start_form(spec)
                found.append({
                    "key": version.process_key, "name": version.name, "version": version.version,
                    "deployed_at": version.created_at.isoformat(), "start_form": form,
                    "start_schema": version_forms.get(form) if form else None,
                })
            return found

    def user_tasks(self) -> list[dict[str, Any]]:
        """The user tasks of the latest versions: process, BPMN id, title and role (for inbox filters)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        with self.sessions() as session:
            for version in versions.latest_of_each(session):
                spec, subprocesses, _forms = self._steps.specs(session, version.id)
                for process in (spec, *subprocesses.values()):
                    for task_spec in process.task_specs.values():
                        if isinstance(task_spec, UserTask):
                            found.setdefault((process.name, task_spec.name), {
                                "process": process.name, "name": task_spec.name,
                                "title": task_spec.bpmn_name or task_spec.name, "role": role_for_lane(task_spec.lane),
                            })
        return sorted(found.values(), key=lambda t: (t["process"], t["name"]))

    def task(self, task_id: str) -> dict[str, Any]:
        with self.sessions() as session:
            row = session.get(Task, task_id)
            if row is None:
                raise NotFound(f"task {task_id} does not exist")
            return task_dict(row)

    def case_forms(self, case_ref: str) -> dict[str, Any]:
        """The forms (file name → JSON Schema) of the version the case is pinned to."""
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            return self._steps.specs(session, case.process_version_id)[2]

    def diagram(self, case_ref: str) -> dict[str, Any]:
        """The case's main diagram and where the case has been: elements passed (with how often) and current."""
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            return {"process": case.process_key, "xml": self._diagram_xml(session, case.version),
                    **workflowfacts.path(self._steps.load(session, case))}

    def _diagram_xml(self, session: Session, version: ProcessVersion) -> str | None:
        marker = f'id="{version.process_key}"'
        files = session.scalars(select(DeploymentFile).where(
            DeploymentFile.deployment_id == version.deployment_id, DeploymentFile.kind == "bpmn"))
        return next((f.content for f in files if marker in f.content), None)

    def history(self, case_ref: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return self._events(session, self._steps.case_id(session, case_ref))

    def _events(self, session: Session, case_id: int) -> list[dict[str, Any]]:
        events = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))
        return [_event_dict(e) for e in events]

    # -- replay and verification -------------------------------------------------------------

    def replay_at(self, case_ref: str, seq: int) -> dict[str, Any]:
        """The case as it was after event ``seq``, rebuilt by replaying its history (not from a snapshot)."""
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            events = self._events(session, case.id)
            if not 1 <= seq <= len(events):
                raise NotFound(f"case {case.number} has no event {seq}")
            steps = self._replay(session, case, events)
            step = next((s for s in reversed(steps) if s.seq <= seq), steps[0])
            # The version the case was on after that step: a migration later does not change its past.
            version = session.get(ProcessVersion, step.version_id) if step.version_id else case.version
            spec, subprocesses, _ = self._steps.specs(session, version.id)
            workflow = state.load(replay.as_stored(step.state), spec, subprocesses) if step.state else None
            return {
                "case": case.number, "seq": seq, "step": step.seq, "error": step.error, "version": version.version,
                "events": events[:seq],
                "steps": [{"seq": s.seq, "last_seq": s.last_seq, "label": replay.describe_event(s.first),
                           "at": s.first["at"], "actor": s.first["actor"]} for s in steps],
                "xml": self._diagram_xml(session, version),
                **(workflowfacts.path(workflow) if workflow else {"passed": {}, "current": []}),
                "open_tasks": [
                    {"id": str(t.id), "name": t.task_spec.name, "title": title(t),
                     "role": role_for_lane(t.task_spec.lane)}
                    for t in (workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)
                              if workflow else [])
                ],
                "data": workflowfacts.public_data(workflowfacts.case_data(workflow)) if workflow else {},
            }

    def verify(self, case_ref: str) -> replay.Verification:
        """Check the hash chain and its signatures, the case row and its seal, every replayed step, the stored state,
        and the case's status, outcome and open tasks against the replay; the first finding wins."""
        keys = self.settings.history_keys
        with self.sessions() as session:
            case = session.get(Case, self._steps.case_id(session, case_ref))
            rows = self._event_rows(session, case)
            events = [_event_dict(e) for e in rows]
            findings: list[replay.Finding] = []
            if broken := history.check_chain(self._chain(case, rows)):
                findings.append(replay.chain_finding(broken))
            if unsigned := history.check_signatures(keys, ((e.seq, e.hash, e.key_id, e.mac) for e in rows)):
                findings.append(replay.chain_finding(unsigned))
            if cut := replay.count_finding(case.event_count, case.last_hash, events):
                findings.append(cut)
            if unsealed := replay.seal_finding(keys, case.number, case.event_count, case.last_hash,
                                               case.seal_key, case.seal):
                findings.append(unsealed)
            steps = self._replay(session, case, events)
            if not findings:  # a broken chain names the very event; a replay over it would only wander
                findings = _step_findings(steps, case.state) or self._row_findings(session, case, steps, events)
            first = min(findings, key=lambda f: f.seq) if findings else None
            unsigned = sum(1 for e in rows if e.key_id is None)
            return replay.Verification(case.number, len(events), len(steps), first, unsigned)

    def _row_findings(
        self, session: Session, case: Case, steps: list[replay.Step], events: list[dict[str, Any]],
    ) -> list[replay.Finding]:
        """The case row's status and outcome, and its open tasks (role, group, assignee), against the replay."""
        last = steps[-1]
        spec, subprocesses, _ = self._steps.specs(session, last.version_id or case.process_version_id)
        workflow = state.load(replay.as_stored(last.state), spec, subprocesses)
        helpers = self.handlers.helpers(self._steps.context(FixedClock(datetime.fromisoformat(last.first["at"]))))
        cancelled = any(e["kind"] == "case_cancelled" for e in events)
        open_tasks = {} if cancelled or workflow.completed else {
            str(t.id): task_fields(t, helpers, self.settings.limits)
            for t in workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)
        }
        rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open"))
        projected = {row.id: {**{name: getattr(row, name) for name in replay.TASK_FIELDS}, "assignee": row.assignee}
                     for row in rows}
        outcome = workflowfacts.case_data(workflow).get("outcome") if workflow.completed else None
        return replay.row_findings(
            events, status=case.status, outcome=case.outcome, replayed_outcome=outcome,
            completed=workflow.completed, cancelled=cancelled, open_tasks=open_tasks, projected=projected,
        )

    def case_numbers(self) -> list[str]:
        with self.sessions() as session:
            return list(session.scalars(select(Case.number).order_by(Case.id)))

    def _replay(self, session: Session, case: Case, events: list[dict[str, Any]]) -> list[replay.Step]:
        """Every step of the case run again; stops at the first step that cannot be re-run.

        It starts on the version the case started on, and moves to another where the case was migrated.
        """
        done: list[replay.Step] = []
        previous: dict[str, Any] | None = None
        version_id: int | None = None
        for step in replay.steps(events):
            first = step.first
            try:
                if (first["kind"] == "case_started") != (previous is None):
                    raise replay.ReplayError("事件顺序不对：第一步必须是受理，且只能有一次")
                if first["kind"] == "case_started":
                    version_id = versions.find(session, case.process_key, first["data"]["version"]).id
                if first["kind"] == "case_migrated":
                    target_id = versions.find(session, case.process_key, first["data"]["to_version"]).id
                    apply = changes.migrating(*self._steps.specs(session, target_id)[:2])
                else:
                    target_id, apply = version_id, changes.replaying(case.number, first)
                build = changes.building(previous, *self._steps.specs(session, version_id)[:2])
                recorded = step.service_results()
                workflow = self._steps.run(replay.ReplayScope(case.number, first["seq"] - 1), StepOutput(), build,
                                           apply,
                                     FixedClock(datetime.fromisoformat(first["at"])), recorded=recorded)
                if (extra := next(recorded, None)) is not None:
                    raise replay.ReplayError(f"历史记录了 {extra['operator']} 的调用，重放时流程没有调用它")
            except (CertflowError, KeyError, TypeError, ValueError) as error:
                step.error = str(error)
                step.state = previous or {}
                step.version_id = version_id
                done.append(step)
                break
            step.state = state.dump(workflow)
            step.digest = history.state_digest(step.state)
            previous, version_id = step.state, target_id
            step.version_id = version_id
            done.append(step)
        return done

    def outbox(self, case_ref: str | None = None) -> list[dict[str, Any]]:
        with self.sessions() as session:
            query = select(Notification).order_by(Notification.id)
            if case_ref:
                query = query.where(Notification.case_id == self._steps.case_id(session, case_ref))
            return [outbox_dict(n) for n in session.scalars(query)]


def _event_dict(e: Event) -> dict[str, Any]:
    return {"seq": e.seq, "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "task_id": e.task_id,
            "task_name": e.task_name, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def _step_findings(steps: list[replay.Step], stored: dict[str, Any]) -> list[replay.Finding]:
    """The first replayed step that failed or reached another state; else whether the stored state matches."""
    for step in steps:
        what = replay.describe_event(step.first)
        if step.error:
            return [replay.Finding(step.seq, "diverged", f"{what}：重放失败：{step.error}")]
        if step.digest != step.recorded:
            return [replay.Finding(step.seq, "state", f"{what}：重放得到的状态与当时记录的状态不同")]
    if steps and history.state_digest(stored) != steps[-1].digest:
        difference = replay.state_difference(stored, steps[-1].state)
        return [replay.Finding(steps[-1].seq, "stored", f"案件当前保存的状态与重放到此步的结果不同：{difference}")]
    return []


def outbox_dict(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id, "template": note.template, "recipient_role": note.recipient_role,
        "recipient_group": note.recipient_group, "recipient_phone": note.recipient_phone, "text": note.text,
        "status": note.status, "created_at": note.created_at.isoformat(),
    }


def _drain(take: Callable[[], tuple[str, bool] | None], limit: int | None) -> tuple[list[str], int]:
    """Take pieces of work until none is left or ``limit`` were tried: (what moved, how many were tried)."""
    done: list[str] = []
    tried = 0
    while limit is None or tried < limit:
        outcome = take()
        if outcome is None:
            break
        tried += 1
        if outcome[1]:
            done.append(outcome[0])
    return done, tried
