"""The runtime: deploy processes, start cases, complete tasks, deliver messages, fire timers.

Every change of a case is one transaction: load the case (locked), apply the change through
SpiffWorkflow under the runtime clock, save the state, refresh the task projection, append the
hash-chained events, queue the texts, commit. A change that fails leaves nothing behind.
"""

from __future__ import annotations

import copy
import hmac
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from certflow.engine import (
    attachments,
    budget,
    determinism,
    forms,
    history,
    incidents,
    migration,
    replay,
    state,
    versions,
)
from certflow.engine.attachments import FileStore, Upload
from certflow.engine.budget import BudgetExceeded, Limits
from certflow.engine.calendar import CHINA_TZ, WorkingCalendar
from certflow.engine.clock import Clock, FixedClock, SystemClock, use_clock
from certflow.engine.compare import compare
from certflow.engine.errors import (
    CertflowError,
    Conflict,
    FieldError,
    InputRefused,
    InvalidState,
    NotFound,
    StepFailed,
    ValidationFailed,
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
from certflow.engine.roles import DEFAULT_GROUPS, role_for_lane
from certflow.engine.scripting import RestrictedEnvironment, ScriptEngine, element_title
from certflow.engine.services import Handlers, ServiceContext
from certflow.engine.specs import (
    CASE_PREFIX_PROPERTY,
    FORM_PROPERTY,
    START_FORM_PROPERTY,
    ParsedDeployment,
    SourceFile,
    parse_deployment,
    restore_specs,
)

determinism.install()
log = logging.getLogger("certflow.engine")


@dataclass(frozen=True)
class Settings:
    # address codes of the households served: 庐山市 and 星子县, the county it replaced in 2016
    jurisdiction: tuple[str, ...] = ("360483", "360427")
    signature: str = "庐山市残联"
    case_prefix: str = "LS"
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    retry: incidents.RetryPolicy = field(default_factory=incidents.RetryPolicy)
    limits: Limits = field(default_factory=Limits)
    history_keys: history.KeyRing = history.DEMO_KEYS

    @property
    def county(self) -> str:
        """The deployment's own county, the first of its codes (the others are the counties it replaced): a case
        started here belongs to it unless its starter names another."""
        return self.jurisdiction[0]


@dataclass(frozen=True)
class DeployedVersion:
    process_key: str
    version: int
    created: bool  # False when identical content was already deployed


@dataclass
class _Step:
    """What one change produced besides the new state: events and texts, in order."""

    events: list[tuple[str, str | None, str | None, dict[str, Any]]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def event(self, kind: str, data: dict[str, Any], task_id: str | None = None, task_name: str | None = None) -> None:
        self.events.append((kind, task_id, task_name, data))


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
        self._spec_cache: dict[int, tuple[Any, dict[str, Any], dict[str, Any]]] = {}

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

    def _specs(self, session: Session, version_id: int) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """A version's specs and forms, restored once per process: versions never change."""
        cached = self._spec_cache.get(version_id)
        if cached is None:
            version = session.get(ProcessVersion, version_id)
            if version is None:
                raise NotFound(f"process version {version_id} does not exist")
            spec, subprocesses = restore_specs(version.spec)
            cached = self._spec_cache[version_id] = (spec, subprocesses, version.forms)
        return cached

    # -- cases -------------------------------------------------------------------------------

    def start_case(self, process_key: str, data: dict[str, Any], *, actor: str, county: str | None = None) -> str:
        """Start a case on the latest version of ``process_key``; returns the case number.

        ``county``: the county the case belongs to (its area code), by default the deployment's jurisdiction.
        """
        clock = self._step_clock()
        now = clock.now()
        with self._transaction(clock) as session:
            version = versions.latest(session, process_key)
            if version is None:
                raise NotFound(f"no process {process_key} is deployed")
            spec, subprocesses, version_forms = self._specs(session, version.id)
            start_form = _start_form(spec)
            if start_form:
                errors = forms.validate(version_forms[start_form], data, today=now.astimezone(CHINA_TZ).date())
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
            prefix = _start_property(spec, CASE_PREFIX_PROPERTY) or self.settings.case_prefix
            case.number = f"{prefix}-{now.astimezone(CHINA_TZ).year}-{case.id:06d}"
            step = _Step()
            workflow = self._run(case, step, lambda: BpmnWorkflow(spec, subprocesses),
                                 _starting(data, case.number), clock=clock)
            step.events.insert(0, ("case_started", None, None, {
                "process": process_key, "version": version.version, "data": data,
            }))
            self._save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)
            return case.number

    def complete_task(self, task_id: str, data: dict[str, Any], *, actor: str) -> str:
        """Submit a user task's form; returns the case number. Conflict if someone got there first."""
        clock = self._step_clock()
        with self._transaction(clock) as session:
            row, case, open_rows = self._open_task(session, task_id)
            if row.assignee and row.assignee != actor:
                raise Conflict(f"task {task_id} ({row.title}) is claimed by {row.assignee}")
            version_forms = self._specs(session, case.process_version_id)[2]
            if row.form:
                errors = forms.validate(version_forms[row.form], data, today=clock.now().astimezone(CHINA_TZ).date())
                if errors:
                    raise ValidationFailed(errors)
            step = _Step()
            workflow = self._run(case, step, lambda: self._load(session, case), _completing(task_id, data),
                                 clock=clock)
            step.events.insert(0, ("task_completed", task_id, row.name, {"title": row.title, "data": data}))
            self._save(session, case, workflow, step, actor, completed_task_by={task_id: actor}, clock=clock,
                       open_rows=open_rows)
            session.execute(delete(Draft).where(Draft.task_id == task_id))
            return case.number

    def send_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> str:
        """Deliver a message (e.g. an objection) to the case waiting for it."""
        clock = self._step_clock()
        with self._transaction(clock) as session:
            case = self._lock_case(session, self._case_id(session, case_ref))
            self._deliver(session, case, name, payload, actor, clock)
            return case.number

    def _deliver(
        self, session: Session, case: Case, name: str, payload: dict[str, Any], actor: str, clock: Clock,
    ) -> None:
        step = _Step()
        workflow = self._run(case, step, lambda: self._load(session, case),
                             _delivering(case.number, name, payload), clock=clock)
        step.events.insert(0, ("message_received", None, None, {"name": name, "payload": payload}))
        self._save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

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
        with self._transaction(clock) as session:
            query = (
                select(Case).where(Case.status == "running", Case.next_due_at < at, Case.id.not_in(skipped))
                .order_by(Case.next_due_at).limit(1).with_for_update(skip_locked=True)
            )
            case = session.scalars(query).first()
            if case is None:
                return None
            if error := self._attempt(session, lambda: self._fire(session, case, at, clock, "system")):
                self._failed(session, case, error, at)
                skipped.add(case.id)
                return case.number, False
            if case.next_due_at is not None and case.next_due_at < at:
                skipped.add(case.id)  # nothing more can fire now; don't loop on it
            return case.number, True

    def _fire(self, session: Session, case: Case, at: datetime, clock: Clock, actor: str) -> None:
        step = _Step()
        due: list[str] = []

        def apply(workflow: BpmnWorkflow) -> None:
            due.extend(e.value for e in workflow.waiting_events() if _is_due(e, at))
            _firing_timers(workflow)

        workflow = self._run(case, step, lambda: self._load(session, case), apply, clock=clock)
        step.events.insert(0, ("timer_fired", None, None, {"due": due, "now": at.isoformat()}))
        self._save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    # -- queued work, retries and incidents ----------------------------------------------------

    def queue_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> int:
        """Queue a message for the workers to deliver (retried, then an incident); returns the job's id."""
        now = self.clock.now()
        with self._transaction() as session:
            job = Job(case_id=self._case_id(session, case_ref), kind="message", actor=actor, status="queued",
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
        with self._transaction(clock) as session:
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
            case = self._lock_case(session, job.case_id, running_only=False)
            if case.status == "error":  # paused since the job was picked: it waits for the incident
                return case.number, False
            job.attempts += 1
            if case.status != "running":  # ended while the message waited: there is nobody to deliver it to
                job.status, job.last_error = "failed", f"case {case.number} is {case.status}"
                return case.number, False
            payload = job.payload
            if error := self._attempt(session, lambda: self._deliver(
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
        with self._transaction() as session:
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
                case = self._lock_case(session, note.case_id, running_only=False)
                self._open_incident(session, case, "notification", f"短信（{note.template}）", note.last_error,
                                    note.attempts, at, note.id)
                return str(note.id), False
            note.status, note.sent_at, note.last_error = "sent", at, None
            return str(note.id), True

    @staticmethod
    def _attempt(session: Session, work: Callable[[], None]) -> Exception | None:
        """Run a piece of automatic work in a savepoint; the error that undid it, if any.

        Any error but the database's is the work's: a bug in one handler must not stop the workers at one case.
        """
        try:
            with session.begin_nested():
                work()
        except SQLAlchemyError:
            raise
        except Exception as error:
            return error
        return None

    def _failed(self, session: Session, case: Case, error: Exception, at: datetime, job: Job | None = None) -> None:
        """A failed try of a case's timer (no job) or of a queued job: try again later, or open an incident."""
        message = _describe(error)
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
        data = _public_data(_case_data(self._load(session, case)))
        incident = incidents.open_incident(session, case, kind=kind, step=step, message=message, data=data,
                                           attempts=attempts, at=at, work_id=work_id)
        session.flush()
        event = ("incident_opened", None, None, {"incident": incident.id, "kind": kind, "step": step,
                                                 "message": message, "attempts": attempts})
        self._append_events(session, case, [event], "system", at)
        log.error("incident opened", extra={"fields": {"case": case.number, "incident": incident.id, "kind": kind,
                                                       "step": step, "error": message}})

    def incidents(self, *, status: str | None = "open", case_ref: str | None = None,
                  county: str | None = None) -> list[dict[str, Any]]:
        """Incidents (``status`` None for all; of the cases of ``county``, None for every county), newest first."""
        with self.sessions() as session:
            case_id = self._case_id(session, case_ref) if case_ref else None
            return incidents.listing(session, status=status, case_id=case_id, county=county)

    def fix_incident(self, case_ref: str, changes: dict[str, Any], *, actor: str) -> None:
        """Change the data of a case with an open incident, before a retry; a step of its own in the history.

        The values are set on every task that is under way, and on the tasks before them, so what runs next
        reads them (``data_fixed``, replayed like any step).
        """
        bad = [key for key in changes if not key or key.startswith("spiff__") or key == "case_no"]
        if not changes or bad:
            raise ValidationFailed([FieldError(key, "不能修改") for key in bad] or [FieldError("", "没有要修改的数据")])
        clock = self._step_clock()
        with self._transaction(clock) as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            if not incidents.open_for(session, case.id):
                raise InvalidState(f"case {case.number} has no open incident")
            step = _Step()
            workflow = self._run(case, step, lambda: self._load(session, case), _fixing(changes), clock=clock)
            step.events.insert(0, ("data_fixed", None, None, {"changes": changes}))
            self._save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

    def retry_incident(self, case_ref: str, *, actor: str) -> None:
        """Try the case's failed work again now: its timer or message at once, its unsent texts by the workers.

        Success resolves the incidents and the case runs on; StepFailed leaves them open, one try more.
        """
        clock = self._step_clock()
        at = clock.now()
        failure: Exception | None = None
        with self._transaction(clock) as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            found = incidents.open_for(session, case.id)
            if not found:
                raise InvalidState(f"case {case.number} has no open incident")
            for incident in found:
                if error := self._attempt(session, lambda i=incident: self._retry(session, case, i, actor, clock)):
                    incident.attempts += 1
                    incident.message, incident.step = _describe(error), getattr(error, "step", None) or incident.step
                    failure = error
                    continue
                incidents.resolve(incident, how="retried", actor=actor, at=at)
        if failure is not None:
            raise StepFailed(f"retried, and failed again: {_describe(failure)}", step=getattr(failure, "step", None))

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
        with self._transaction() as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
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
            self._append_events(session, case, [("case_cancelled", None, None, {"reason": reason})], actor, now)

    def stuck(self, now: datetime | None = None, county: str | None = None) -> dict[str, Any]:
        """Running cases that nothing inside certflow will move (no open task, timer or queued job), with what
        they wait for, if anything; and the open tasks past their deadline. Of ``county``'s cases, or of all."""
        at = now or self.clock.now()
        with self.sessions() as session:
            cases = [
                {"case": c.number, "process": c.process_key, "applicant_name": c.applicant_name,
                 "updated_at": c.updated_at.isoformat(), "waiting": _waiting_label(self._load(session, c))}
                for c in incidents.motionless(session, county)
            ]
            overdue = incidents.overdue(session, at, county=county)
            return {"cases": cases, "overdue_tasks": [task_dict(t) for t in overdue]}

    def claim(self, task_id: str, *, actor: str) -> None:
        self._assign(task_id, actor, expect=None, kind="task_claimed")

    def unclaim(self, task_id: str, *, actor: str) -> None:
        self._assign(task_id, None, expect=actor, kind="task_unclaimed")

    def _assign(self, task_id: str, assignee: str | None, *, expect: str | None, kind: str) -> None:
        with self._transaction() as session:
            row, case, _ = self._open_task(session, task_id)
            if row.assignee != expect:
                held = f"is claimed by {row.assignee}" if row.assignee else "is not claimed"
                raise Conflict(f"task {task_id} {held}")
            row.assignee = assignee
            event = (kind, task_id, row.name, {"title": row.title})
            self._append_events(session, case, [event], assignee or expect or "system", self.clock.now())
            case.updated_at = self.clock.now()


    def reassign(self, task_id: str, assignee: str | None, *, actor: str) -> None:
        """Give a task to someone else (or back to its group), whoever holds it now."""
        with self._transaction() as session:
            row, case, _ = self._open_task(session, task_id)
            previous, row.assignee = row.assignee, assignee
            event = ("task_reassigned", task_id, row.name, {"title": row.title, "from": previous, "to": assignee})
            self._append_events(session, case, [event], actor, self.clock.now())
            case.updated_at = self.clock.now()

    # -- moving cases to a newer version ------------------------------------------------------

    def migration_check(self, case_ref: str, to_version: int) -> dict[str, Any]:
        """Whether the case can move to ``to_version`` of its process, why not, and which of its tasks change.

        ``{"possible", "reason" (Chinese), "removed", "changed"}``; the rule is in ``migration``.
        """
        with self.sessions() as session:
            case = session.get(Case, self._case_id(session, case_ref))
            plan = self._migration_plan(session, case, to_version, self._step_clock())[1]
            return plan.as_dict(case.version.version, to_version)

    def migrate(self, case_ref: str, to_version: int, *, actor: str) -> None:
        """Move a running case to a newer version of its process; InvalidState with the reason when it cannot."""
        clock = self._step_clock()
        with self._transaction(clock) as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            target, plan = self._migration_plan(session, case, to_version, clock)
            if target is None or not plan.possible:
                raise InvalidState(plan.as_dict(case.version.version, to_version)["reason"])
            spec, subprocesses, _ = self._specs(session, target.id)
            step = _Step()
            workflow = self._run(case, step, lambda: self._load(session, case), _migrating(spec, subprocesses),
                                 clock=clock)
            step.events.insert(0, ("case_migrated", None, None, {
                "from_version": case.version.version, "to_version": target.version,
            }))
            case.version = target
            self._save(session, case, workflow, step, actor, completed_task_by={}, clock=clock)

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
        spec, subprocesses, _ = self._specs(session, target.id)
        plans: list[migration.Plan] = []
        try:
            self._run(case, _Step(), lambda: self._load(session, case),
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
        with self._transaction() as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            self._append_events(session, case, [("comment_added", None, None, {"text": text})], actor, self.clock.now())

    def attach(self, case_ref: str, uploads: list[Upload], *, actor: str) -> None:
        """Store files for a case and record each, with its checksum, in the case's history."""
        if self.files is None:
            raise InvalidState("no upload directory is configured")
        types = attachments.check(uploads)
        now = self.clock.now()
        with self._transaction() as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            recorded = []
            for upload, content_type in zip(uploads, types, strict=True):
                digest = self.files.put(upload.content)
                session.add(Attachment(
                    case_id=case.id, material=upload.material, filename=upload.filename[:255],
                    content_type=content_type, size=len(upload.content), sha256=digest,
                    uploaded_by=actor, uploaded_at=now,
                ))
                recorded.append({"material": upload.material, "filename": upload.filename, "sha256": digest})
            self._append_events(session, case, [("files_attached", None, None, {"files": recorded})], actor, now)

    def attachments(self, case_ref: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            case_id = self._case_id(session, case_ref)
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
        with self._transaction() as session:
            case = self._lock_case(session, self._case_id(session, case_ref), running_only=False)
            event = ("personal_data_viewed", None, None, {"what": what})
            self._append_events(session, case, [event], actor, self.clock.now())

    def history_export(self, case_ref: str) -> dict[str, Any]:
        """The history with exactly what each hash covers, so it can be checked without certflow.

        hash = SHA-256(prev_hash + body as JSON with sorted keys, no spaces, UTF-8); the first prev_hash
        is 64 zeros; each body's seq counts from 1. The signatures (mac, seal) can be checked only with the key.
        """
        with self.sessions() as session:
            case = session.get(Case, self._case_id(session, case_ref))
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
            case = session.get(Case, self._case_id(session, case_ref))
            workflow = self._load(session, case)
            open_tasks = session.scalars(
                select(Task).where(Task.case_id == case.id, Task.status == "open").order_by(Task.created_at)
            ).all()
            return {
                "number": case.number,
                "county": case.county,
                "process": case.process_key,
                "version": case.version.version,
                "start_form": _start_form(self._specs(session, case.process_version_id)[0]),
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
                "data": _public_data(_case_data(workflow)),
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
                query = query.where(Task.case_id == self._case_id(session, case))
            return [task_dict(t) for t in session.scalars(query.order_by(*order).limit(limit))]

    def processes(self) -> list[dict[str, Any]]:
        """The latest version of each deployed process, with the form its cases start with."""
        with self.sessions() as session:
            found = []
            for version in _latest_versions(session):
                spec, _, version_forms = self._specs(session, version.id)
                start_form = _start_form(spec)
                found.append({
                    "key": version.process_key, "name": version.name, "version": version.version,
                    "deployed_at": version.created_at.isoformat(), "start_form": start_form,
                    "start_schema": version_forms.get(start_form) if start_form else None,
                })
            return found

    def user_tasks(self) -> list[dict[str, Any]]:
        """The user tasks of the latest versions: process, BPMN id, title and role (for inbox filters)."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        with self.sessions() as session:
            for version in _latest_versions(session):
                spec, subprocesses, _forms = self._specs(session, version.id)
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
            case = session.get(Case, self._case_id(session, case_ref))
            return self._specs(session, case.process_version_id)[2]

    def diagram(self, case_ref: str) -> dict[str, Any]:
        """The case's main diagram and where the case has been: elements passed (with how often) and current."""
        with self.sessions() as session:
            case = session.get(Case, self._case_id(session, case_ref))
            return {"process": case.process_key, "xml": self._diagram_xml(session, case.version),
                    **_path(self._load(session, case))}

    def _diagram_xml(self, session: Session, version: ProcessVersion) -> str | None:
        marker = f'id="{version.process_key}"'
        files = session.scalars(select(DeploymentFile).where(
            DeploymentFile.deployment_id == version.deployment_id, DeploymentFile.kind == "bpmn"))
        return next((f.content for f in files if marker in f.content), None)

    def history(self, case_ref: str) -> list[dict[str, Any]]:
        with self.sessions() as session:
            return self._events(session, self._case_id(session, case_ref))

    def _events(self, session: Session, case_id: int) -> list[dict[str, Any]]:
        events = session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))
        return [_event_dict(e) for e in events]

    # -- replay and verification -------------------------------------------------------------

    def replay_at(self, case_ref: str, seq: int) -> dict[str, Any]:
        """The case as it was after event ``seq``, rebuilt by replaying its history (not from a snapshot)."""
        with self.sessions() as session:
            case = session.get(Case, self._case_id(session, case_ref))
            events = self._events(session, case.id)
            if not 1 <= seq <= len(events):
                raise NotFound(f"case {case.number} has no event {seq}")
            steps = self._replay(session, case, events)
            step = next((s for s in reversed(steps) if s.seq <= seq), steps[0])
            # The version the case was on after that step: a migration later does not change its past.
            version = session.get(ProcessVersion, step.version_id) if step.version_id else case.version
            spec, subprocesses, _ = self._specs(session, version.id)
            workflow = state.load(replay.as_stored(step.state), spec, subprocesses) if step.state else None
            return {
                "case": case.number, "seq": seq, "step": step.seq, "error": step.error, "version": version.version,
                "events": events[:seq],
                "steps": [{"seq": s.seq, "last_seq": s.last_seq, "label": replay.describe_event(s.first),
                           "at": s.first["at"], "actor": s.first["actor"]} for s in steps],
                "xml": self._diagram_xml(session, version),
                **(_path(workflow) if workflow else {"passed": {}, "current": []}),
                "open_tasks": [
                    {"id": str(t.id), "name": t.task_spec.name, "title": _title(t),
                     "role": role_for_lane(t.task_spec.lane)}
                    for t in (workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)
                              if workflow else [])
                ],
                "data": _public_data(_case_data(workflow)) if workflow else {},
            }

    def verify(self, case_ref: str) -> replay.Verification:
        """Check the hash chain and its signatures, the case row and its seal, every replayed step, the stored state,
        and the case's status, outcome and open tasks against the replay; the first finding wins."""
        keys = self.settings.history_keys
        with self.sessions() as session:
            case = session.get(Case, self._case_id(session, case_ref))
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
        spec, subprocesses, _ = self._specs(session, last.version_id or case.process_version_id)
        workflow = state.load(replay.as_stored(last.state), spec, subprocesses)
        helpers = self.handlers.helpers(self._context(FixedClock(datetime.fromisoformat(last.first["at"]))))
        cancelled = any(e["kind"] == "case_cancelled" for e in events)
        open_tasks = {} if cancelled or workflow.completed else {
            str(t.id): _task_fields(t, helpers, self.settings.limits)
            for t in workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)
        }
        rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open"))
        projected = {row.id: {**{name: getattr(row, name) for name in replay.TASK_FIELDS}, "assignee": row.assignee}
                     for row in rows}
        outcome = _case_data(workflow).get("outcome") if workflow.completed else None
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
                    apply = _migrating(*self._specs(session, target_id)[:2])
                else:
                    target_id, apply = version_id, _replaying(case.number, first)
                build = _building(previous, *self._specs(session, version_id)[:2])
                recorded = step.service_results()
                workflow = self._run(replay.ReplayScope(case.number, first["seq"] - 1), _Step(), build, apply,
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
                query = query.where(Notification.case_id == self._case_id(session, case_ref))
            return [outbox_dict(n) for n in session.scalars(query)]

    # -- internals ---------------------------------------------------------------------------

    def _step_clock(self) -> FixedClock:
        """One instant for a whole step: its events, its timestamps in the state, its timers.

        Replay runs the step again at the recorded instant and must reach the same state.
        """
        return FixedClock(self.clock.now())

    @contextmanager
    def _transaction(self, clock: Clock | None = None) -> Iterator[Session]:
        """One unit of work; a lost race on the case row becomes a Conflict."""
        try:
            with self.sessions.begin() as session, use_clock(clock or self.clock):
                yield session
        except (StaleDataError, IntegrityError) as error:
            raise Conflict("the case was changed by someone else at the same time; reload and try again") from error

    def _case_id(self, session: Session, case_ref: str) -> int:
        case_id = session.scalar(select(Case.id).where(Case.number == case_ref))
        if case_id is None and case_ref.isascii() and case_ref.isdigit() and len(case_ref) < 19:  # a bigint
            case_id = session.scalar(select(Case.id).where(Case.id == int(case_ref)))
        if case_id is None:
            raise NotFound(f"case {case_ref} does not exist")
        return case_id

    def _open_task(self, session: Session, task_id: str) -> tuple[Task, Case, list[Task]]:
        """The task's projection row and its case's open rows, read once the case is locked; Conflict unless open.

        The case is found and locked in one statement, and the rows are read after the lock (what makes it correct
        on PostgreSQL, where another clerk may have completed the task meanwhile).
        """
        case_of_task = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
        case = session.scalars(select(Case).where(Case.id == case_of_task).with_for_update()).one_or_none()
        if case is None:
            raise NotFound(f"task {task_id} does not exist")
        _check_running(case)
        open_rows = list(session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")))
        row = next((r for r in open_rows if r.id == task_id), None)
        if row is None:
            row = session.get(Task, task_id)
            who = f" by {row.completed_by}" if row.completed_by else ""
            raise Conflict(f"task {task_id} ({row.title}) is already {row.status}{who}")
        return row, case, open_rows

    def _lock_case(self, session: Session, case_id: int, *, running_only: bool = True) -> Case:
        case = session.scalars(select(Case).where(Case.id == case_id).with_for_update()).one()
        if running_only:
            _check_running(case)
        return case

    def _load(self, session: Session, case: Case) -> BpmnWorkflow:
        spec, subprocesses, _ = self._specs(session, case.process_version_id)
        return state.load(case.state, spec, subprocesses)

    def _context(self, clock: Clock) -> ServiceContext:
        return ServiceContext(
            today=clock.now().astimezone(CHINA_TZ).date(),
            jurisdiction=self.settings.jurisdiction,
            signature=self.settings.signature,
            calendar=self.settings.calendar,
        )

    def _run(
        self, case: Case | replay.ReplayScope, step: _Step, build: Callable[[], BpmnWorkflow],
        apply: Callable[[BpmnWorkflow], None], clock: Clock, recorded: Iterator[dict[str, Any]] | None = None,
    ) -> BpmnWorkflow:
        """Apply a change under the clock, with replayable task ids and recorded service calls.

        Live, each handler is called and its result recorded; in a replay (``recorded``) the handlers
        are not called again: each call gets the result the history recorded for it, in order.
        """
        context = self._context(clock)
        operators = self.handlers.operators

        def call(data: dict[str, Any], name: str, params: dict[str, Any]) -> Any:
            if recorded is not None:
                return _recorded_result(recorded, name, params)
            operator = operators.get(name)
            if operator is None:
                raise LookupError(f"no handler is registered for operator {name}")
            result = operator.call(params, data, context)
            step.event("service_called", {"operator": name, "params": params, "result": result})
            if operator.sends_notification:
                step.notifications.append(result)
            return result

        engine = ScriptEngine(environment=RestrictedEnvironment(self.handlers.helpers(context), call,
                                                                self.settings.limits))

        def work() -> BpmnWorkflow:
            workflow = build()
            workflow.script_engine = engine
            apply(workflow)
            return workflow

        with use_clock(clock), determinism.deterministic_ids(f"{case.number}/{case.event_count + 1}"):
            try:
                workflow = budget.run_step(self.settings.limits, work)
            except WorkflowTaskException as error:
                refused = _refusal(error)
                if refused is not None:
                    raise ValidationFailed([FieldError(field, message) for field, message in refused.errors]) from error
                where = element_title(error.task) if error.task else "?"
                if exceeded := budget.cause(error):
                    raise exceeded.at(where) from error
                raise StepFailed(f"case {case.number}: step “{where}” failed: {error}", step=where) from error
            except SpiffWorkflowException as error:
                if exceeded := budget.cause(error):
                    raise exceeded from error
                raise StepFailed(f"case {case.number}: {error}") from error
        return workflow

    def _save(
        self, session: Session, case: Case, workflow: BpmnWorkflow, step: _Step, actor: str,
        *, completed_task_by: dict[str, str], clock: Clock | None = None, open_rows: list[Task] | None = None,
    ) -> None:
        now = (clock or self.clock).now()
        # The projection's query first: after the row changes, it would flush the row, written twice a step.
        open_tasks = self._sync_tasks(session, case, workflow, completed_task_by, now, clock or self.clock, open_rows)
        case.state = state.dump(workflow)
        case.updated_at = now
        case.next_due_at = _next_due(workflow)
        case.failures, case.last_error = 0, None  # the step went through: a later failure starts counting anew
        if workflow.completed:
            case.status = "completed"
            case.ended_at = now
            case.outcome = _case_data(workflow).get("outcome")
            case.current_step = None
            step.event("case_ended", {"outcome": case.outcome})
        else:
            case.current_step = "、".join(t.title for t in open_tasks) or _waiting_label(workflow)
        step.events[0][3]["state"] = history.state_digest(case.state)
        if step.notifications:
            # Append-only rows go in as one statement on the step's connection, without the ORM's unit of work.
            session.connection().execute(insert(Notification.__table__), [{
                "case_id": case.id, "template": note["template"], "recipient_role": note["recipient_role"],
                "recipient_group": note.get("recipient_group"), "recipient_phone": note.get("recipient_phone"),
                "text": note["text"], "created_at": now, "next_attempt_at": now,
            } for note in step.notifications])
        self._append_events(session, case, step.events, actor, now)

    def _append_events(
        self, session: Session, case: Case,
        events: list[tuple[str, str | None, str | None, dict[str, Any]]], actor: str, now: datetime,
    ) -> None:
        rows = []
        for kind, task_id, task_name, data in events:
            seq = case.event_count + 1
            body = history.event_body(
                case_number=case.number, seq=seq, kind=kind, at=now, actor=actor,
                task_id=task_id, task_name=task_name, data=data,
            )
            digest = history.chain_hash(case.last_hash or history.GENESIS, body)
            key_id, mac = self.settings.history_keys.sign(history.event_message(digest))
            rows.append({"case_id": case.id, "seq": seq, "kind": kind, "at": now, "actor": actor, "task_id": task_id,
                         "task_name": task_name, "data": data, "prev_hash": case.last_hash or history.GENESIS,
                         "hash": digest, "key_id": key_id, "mac": mac})
            case.event_count = seq
            case.last_hash = digest
        case.seal_key, case.seal = self.settings.history_keys.sign(
            history.seal_message(case.number, case.event_count, case.last_hash))
        # One statement for the step's events, on its connection: the ORM inserted them one by one on SQLite (to
        # read back ids nobody uses). The case row, flushed at commit, still guards the chain with lock_version.
        session.connection().execute(insert(Event.__table__), rows)

    def _sync_tasks(
        self, session: Session, case: Case, workflow: BpmnWorkflow, completed_task_by: dict[str, str],
        now: datetime, clock: Clock, open_rows: list[Task] | None = None,
    ) -> list[Task]:
        """Bring the projection in line with the workflow's READY user tasks (``open_rows``: the case's open rows,
        if the step already read them under its lock).

        Open rows are refreshed from their task's spec too: a migration may rename a task or move it.
        """
        ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)}
        if open_rows is None:
            open_rows = list(session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")))
        existing = {t.id: t for t in open_rows}
        for task_id, row in existing.items():
            if task_id not in ready:
                row.status = "completed" if task_id in completed_task_by else "cancelled"
                row.completed_at = now
                row.completed_by = completed_task_by.get(task_id)
        context = self._context(clock)
        helpers = self.handlers.helpers(context)
        for task_id, task in ready.items():
            spec_fields = _task_fields(task, helpers, self.settings.limits)
            if task_id in existing:
                for name, value in spec_fields.items():
                    setattr(existing[task_id], name, value)
                continue
            due_days = task.task_spec.extensions.get("properties", {}).get("dueInWorkingDays")
            row = Task(
                id=task_id, case_id=case.id, case_number=case.number, county=case.county,
                applicant_name=case.applicant_name,
                id_masked=case.id_masked, process_key=case.process_key, status="open", created_at=now,
                due_at=self.settings.calendar.deadline(context.today, int(due_days)) if due_days else None,
                **spec_fields,
            )
            session.add(row)
            existing[task_id] = row
        return [existing[t] for t in ready]


def _event_dict(e: Event) -> dict[str, Any]:
    return {"seq": e.seq, "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "task_id": e.task_id,
            "task_name": e.task_name, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def _task_fields(task: Any, helpers: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """What the task list shows of a READY user task, from its spec: a live step writes it, verification checks it."""
    properties = task.task_spec.extensions.get("properties", {})
    role = role_for_lane(task.task_spec.lane)
    group = DEFAULT_GROUPS.get(role or "")
    if properties.get("candidateGroup"):
        environment = RestrictedEnvironment(helpers, lambda *a: None, limits)
        try:
            group = str(environment.evaluate(properties["candidateGroup"], task.data))
        except BudgetExceeded as error:
            raise error.at(element_title(task)) from None
    return {"name": task.task_spec.name, "title": _title(task),
            "role": role, "candidate_group": group, "form": properties.get(FORM_PROPERTY)}


# -- the changes a step applies: shared by live steps and replay ---------------------------------

def _starting(data: dict[str, Any], case_number: str) -> Callable[[BpmnWorkflow], None]:
    def apply(workflow: BpmnWorkflow) -> None:
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(copy.deepcopy(data))
        start.data["case_no"] = case_number
        _advance(workflow)
    return apply


def _completing(task_id: str, data: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    def apply(workflow: BpmnWorkflow) -> None:
        task = workflow.get_task_from_id(_uuid(task_id))
        if task is None or task.state != TaskState.READY:
            raise Conflict(f"task {task_id} is no longer waiting to be done")
        task.data.update(copy.deepcopy(data))
        budget.note(element_title(task))
        task.run()
        _advance(workflow)
    return apply


def _delivering(case_number: str, name: str, payload: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    def apply(workflow: BpmnWorkflow) -> None:
        waiting = [
            t for t in workflow.get_tasks(state=TaskState.WAITING)
            if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)
            and t.task_spec.event_definition.name == name
        ]
        if not waiting:
            raise InvalidState(f"case {case_number} is not waiting for message {name}")
        workflow.send_event(BpmnEvent(waiting[0].task_spec.event_definition, copy.deepcopy(payload)))
        _advance(workflow)
    return apply


def _fixing(changes: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    def apply(workflow: BpmnWorkflow) -> None:
        # A task takes its parent's data again when it is updated, so the tasks before it get the values too.
        fixed: set[UUID] = set()
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            while task is not None and task.id not in fixed:
                task.data.update(copy.deepcopy(changes))
                fixed.add(task.id)
                task = task.parent
    return apply


def _title(task: SpiffTask) -> str:
    """The task's label, with the element of the nearest multi-instance it runs in when that is a word:
    鉴定并审核（肢体）, one of the parts of a multiple disability."""
    title = task.task_spec.bpmn_name or task.task_spec.name
    current: SpiffTask | None = task
    while current is not None:
        item = getattr(current.parent.task_spec, "input_item", None) if current.parent else None
        if item is not None:
            value = current.data.get(item.bpmn_id)
            return f"{title}（{value}）" if isinstance(value, str) else title
        # Up from a sub-process to the task that runs it.
        parent_id = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return title


def _refusal(error: BaseException) -> InputRefused | None:
    """The handler's refusal of the step's input behind a failed task, if that is what failed."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, InputRefused):
        # SpiffWorkflow wraps a script's error inside its except block, without ``from``.
        cause = cause.__cause__ or cause.__context__
    return cause


def _firing_timers(workflow: BpmnWorkflow) -> None:
    workflow.refresh_timers()
    _advance(workflow)


def _migrating(spec: Any, subprocesses: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    def apply(workflow: BpmnWorkflow) -> None:
        migration.apply(workflow, spec, subprocesses)
        _advance(workflow)  # a step the new version made automatic goes on at once, as after any step
    return apply


def _advance(workflow: BpmnWorkflow) -> None:
    """Run the automatic tasks, each noted so that a step over its budget names where it was."""
    workflow.do_engine_steps(will_complete_task=lambda task: budget.note(element_title(task)))


def _building(previous: dict[str, Any] | None, spec: Any, subprocesses: dict[str, Any]) -> Callable[[], BpmnWorkflow]:
    """How a replayed step gets its workflow: a new one for the first step, else the state the step before reached."""
    if previous is None:
        return lambda: BpmnWorkflow(spec, subprocesses)
    return lambda: state.load(replay.as_stored(previous), spec, subprocesses)


def _replaying(case_number: str, event: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    """The change a recorded step applied, to apply it again."""
    data = event["data"]
    kind = event["kind"]
    if kind == "case_started":
        return _starting(data["data"], case_number)
    if kind == "task_completed":
        return _completing(event["task_id"], data["data"])
    if kind == "message_received":
        return _delivering(case_number, data["name"], data["payload"])
    if kind == "timer_fired":
        return _firing_timers
    if kind == "data_fixed":
        return _fixing(data["changes"])
    raise replay.ReplayError(f"{kind} 不是改变流程的事件")


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


def _path(workflow: BpmnWorkflow) -> dict[str, Any]:
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


def _recorded_result(recorded: Iterator[dict[str, Any]], name: str, params: dict[str, Any]) -> Any:
    """The next service result the history holds for this step; a different call is a divergence."""
    event = next(recorded, None)
    if event is None or event["operator"] != name or event["params"] != params:
        found = f"{event['operator']}({event['params']})" if event else "nothing"
        raise replay.ReplayError(f"the process called {name}({params}) where the history recorded {found}")
    return copy.deepcopy(event["result"])


def _latest_versions(session: Session) -> list[ProcessVersion]:
    latest = select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v")).group_by(
        ProcessVersion.process_key).subquery()
    newest = (ProcessVersion.process_key == latest.c.process_key) & (ProcessVersion.version == latest.c.v)
    return list(session.scalars(
        select(ProcessVersion).options(*versions.WITHOUT_SPEC).join(latest, newest).order_by(ProcessVersion.process_key)
    ))


def outbox_dict(note: Notification) -> dict[str, Any]:
    return {
        "id": note.id, "template": note.template, "recipient_role": note.recipient_role,
        "recipient_group": note.recipient_group, "recipient_phone": note.recipient_phone, "text": note.text,
        "status": note.status, "created_at": note.created_at.isoformat(),
    }


def task_dict(task: Task) -> dict[str, Any]:
    return {
        "id": task.id, "case": task.case_number, "county": task.county, "applicant_name": task.applicant_name,
        "id_masked": task.id_masked, "process": task.process_key, "name": task.name, "title": task.title,
        "role": task.role, "group": task.candidate_group, "assignee": task.assignee, "form": task.form,
        "status": task.status, "created_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "completed_at": task.completed_at.isoformat() if task.completed_at else None,
        "completed_by": task.completed_by,
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


def _describe(error: Exception) -> str:
    """An error in words: ours are written for people; anything else names its type."""
    return str(error) if isinstance(error, CertflowError) else f"{type(error).__name__}: {error}"


def _check_running(case: Case) -> None:
    if case.status == "error":
        raise InvalidState(f"case {case.number} is paused by an incident until an administrator retries or cancels it")
    if case.status != "running":
        raise InvalidState(f"case {case.number} is {case.status}")


def _uuid(task_id: str) -> UUID:
    try:
        return UUID(task_id)
    except ValueError:
        raise NotFound(f"task {task_id} does not exist") from None


def _start_form(spec: Any) -> str | None:
    """The form a case's start data must satisfy, named on the start event."""
    return _start_property(spec, START_FORM_PROPERTY)


def _start_property(spec: Any, name: str) -> str | None:
    """A property of the start event: the start form, the prefix of the cases' numbers (one per deployment)."""
    if not spec.start.outputs:
        return None
    return spec.start.outputs[0].extensions.get("properties", {}).get(name)


def _case_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The case's current data: the end data once finished, else the most recent live task's."""
    if workflow.completed:
        return workflow.data or (workflow.last_task.data if workflow.last_task else {})
    live = [t for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING) if t.task_spec.bpmn_id]
    if live:
        return max(live, key=lambda t: t.last_state_change).data
    return workflow.last_task.data if workflow.last_task else {}


def _public_data(data: dict[str, Any]) -> dict[str, Any]:
    """Data fit to print: the full ID number masked."""
    shown = {k: v for k, v in data.items() if not k.startswith("spiff__")}
    if "id_number" in shown and shown["id_number"]:
        shown["id_number"] = mask_id(shown["id_number"])
    return shown


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return TimerEventDefinition.get_datetime(value)
        except ValueError:
            return None
    return None


def _is_due(event: Any, at: datetime) -> bool:
    # SpiffWorkflow fires a timer once its moment has passed, not at the moment itself.
    due = _timer_due(event.value)
    return due is not None and due < at


_TIMERS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def _next_due(workflow: BpmnWorkflow) -> datetime | None:
    dues = [d for d in (_timer_due(e.value) for e in workflow.waiting_events() if e.event_type in _TIMERS) if d]
    return min(dues) if dues else None


def _waiting_label(workflow: BpmnWorkflow) -> str | None:
    names = [t.task_spec.bpmn_name or t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)
             if getattr(t.task_spec, "event_definition", None) is not None]
    return "、".join(dict.fromkeys(names)) or None
