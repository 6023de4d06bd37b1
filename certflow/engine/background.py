"""Work nobody waits for at a screen: due timers (``tick``), queued messages and the outbox of texts.

Each piece of work is one transaction, claimed with FOR UPDATE SKIP LOCKED so that any number of workers can share
it. Work that fails is tried again later (``Settings.retry``); once its tries are used up an incident is opened, and
a timer or message incident pauses the case until an administrator acts (``recovery``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from certflow.engine import cases, incidents, workflowfacts
from certflow.engine.budget import BudgetExceeded
from certflow.engine.clock import Clock, FixedClock
from certflow.engine.errors import ValidationFailed, describe
from certflow.engine.models import Case, Job, Notification
from certflow.engine.queries import outbox_dict
from certflow.engine.steps import Steps, attempt
from certflow.engine.views import OutboxText

log = logging.getLogger("certflow.engine")


def tick(steps: Steps, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
    """Fire every timer due at ``now`` (default: the clock); returns the cases that moved.

    One case per transaction, claimed with FOR UPDATE SKIP LOCKED so workers can share the work. A case
    whose step fails is tried again later (``Settings.retry``), then paused by an incident; it never holds
    up the cases due after it. ``limit`` bounds the cases tried, so a worker can stop in between.
    """
    at = now or steps.clock.now()
    clock = FixedClock(at)
    skipped: set[int] = set()
    return _drain(lambda: _fire_next_due(steps, at, clock, skipped), limit)[0]


def queue_message(steps: Steps, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> int:
    """Queue a message for the workers to deliver (retried, then an incident); returns the job's id."""
    now = steps.clock.now()
    with steps.transaction() as session:
        job = Job(case_id=steps.case_id(session, case_ref), kind="message", actor=actor, status="queued",
                  payload={"name": name, "payload": payload}, attempts=0, created_at=now, next_attempt_at=now)
        session.add(job)
        session.flush()
        return job.id


def run_jobs(steps: Steps, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
    """Deliver the queued messages that are due; returns the cases they moved."""
    at = now or steps.clock.now()
    skipped: set[int] = set()
    return _drain(lambda: _run_next_job(steps, at, skipped), limit)[0]


def send_notifications(
    steps: Steps, send: Callable[[OutboxText], None], now: datetime | None = None, *, limit: int | None = None,
) -> tuple[int, int]:
    """Hand each due text of the outbox to ``send`` (which raises when it cannot); (sent, failed) counts.

    Each try is recorded on its row; a failed one is tried again later, and after the last try the text
    is marked failed and an incident opened. A text is sent at least once: a worker that dies between
    sending and committing leaves it to be sent again.
    """
    at = now or steps.clock.now()
    sent, tried = _drain(lambda: _send_next(steps, send, at), limit)
    return len(sent), tried - len(sent)


def _fire_next_due(steps: Steps, at: datetime, clock: Clock, skipped: set[int]) -> tuple[str, bool] | None:
    """Claim the case whose timer is due first and fire it: (case, whether it moved); None when none is due."""
    with steps.transaction(clock) as session:
        query = (
            select(Case).options(defer(Case.state))
            .where(Case.status == "running", Case.next_due_at < at, Case.id.not_in(skipped))
            .order_by(Case.next_due_at).limit(1).with_for_update(skip_locked=True)
        )
        case = session.scalars(query).first()
        if case is None:
            return None
        if error := attempt(session, lambda: cases.fire_timers(steps, session, case, at, clock, "system")):
            _failed(steps, session, case, error, at)
            skipped.add(case.id)
            return case.number, False
        if case.next_due_at is not None and case.next_due_at < at:
            skipped.add(case.id)  # nothing more can fire now; don't loop on it
        return case.number, True


def _run_next_job(steps: Steps, at: datetime, skipped: set[int]) -> tuple[str, bool] | None:
    clock = FixedClock(at)
    with steps.transaction(clock) as session:
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
        case = steps.lock_case(session, job.case_id, running_only=False)
        if case.status == "error":  # paused since the job was picked: it waits for the incident
            return case.number, False
        job.attempts += 1
        if case.status != "running":  # ended while the message waited: there is nobody to deliver it to
            job.status, job.last_error = "failed", f"case {case.number} is {case.status}"
            return case.number, False
        payload = job.payload
        if error := attempt(session, lambda: cases.deliver(
                steps, session, case, payload["name"], payload["payload"], job.actor, clock)):
            _failed(steps, session, case, error, at, job)
            return case.number, False
        job.status, job.done_at, job.last_error = "done", at, None
        return case.number, True


def _send_next(steps: Steps, send: Callable[[OutboxText], None], at: datetime) -> tuple[str, bool] | None:
    with steps.transaction() as session:
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
            next_try = steps.settings.retry.next_try(note.attempts, at)
            log.warning("text not sent", extra={"fields": {"outbox_id": note.id, "attempt": note.attempts,
                                                           "error": note.last_error}})
            if next_try is not None:
                note.next_attempt_at = next_try
                return str(note.id), False
            note.status = "failed"
            case = steps.lock_case(session, note.case_id, running_only=False)
            _open_incident(steps, session, case, "notification", f"短信（{note.template}）", note.last_error,
                           note.attempts, at, note.id)
            return str(note.id), False
        note.status, note.sent_at, note.last_error = "sent", at, None
        return str(note.id), True


def _failed(
    steps: Steps, session: Session, case: Case, error: Exception, at: datetime, job: Job | None = None,
) -> None:
    """A failed try of a case's timer (no job) or of a queued job: try again later, or open an incident."""
    message = describe(error)
    if job is None:
        case.failures += 1
        case.last_error = message
        tries = case.failures
    else:
        job.last_error = message
        tries = job.attempts
    # A step over its budget goes over it again, and a message refused for its content is refused again: trying
    # them again only holds up the others.
    next_try = (None if isinstance(error, BudgetExceeded | ValidationFailed)
                else steps.settings.retry.next_try(tries, at))
    log.warning("step failed", extra={"fields": {"case": case.number, "try": tries, "error": message,
                                                 "detail": getattr(error, "detail", None),
                                                 "retry_at": next_try.isoformat() if next_try else None}})
    if next_try is not None:
        if job is None:
            case.next_due_at = next_try
        else:
            job.next_attempt_at = next_try
        return
    if job is not None:
        job.status = "failed"
    _open_incident(steps, session, case, "timer" if job is None else "message", getattr(error, "step", None),
                   message, tries, at, job.id if job else None)


def _open_incident(
    steps: Steps, session: Session, case: Case, kind: str, step: str | None, message: str, attempts: int,
    at: datetime, work_id: int | None = None,
) -> None:
    """An incident with the case's data as it stood, and its event in the case's history."""
    data = workflowfacts.public_data(workflowfacts.case_data(steps.load(session, case)))
    incident = incidents.open_incident(session, case, kind=kind, step=step, message=message, data=data,
                                       attempts=attempts, at=at, work_id=work_id)
    session.flush()
    event = ("incident_opened", None, None, {"incident": incident.id, "kind": kind, "step": step,
                                             "message": message, "attempts": attempts})
    steps.append_events(session, case, [event], "system", at)
    log.error("incident opened", extra={"fields": {"case": case.number, "incident": incident.id, "kind": kind,
                                                   "step": step, "error": message}})


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
