"""Work nobody waits for at a screen: due timers (``tick``), queued messages and the outbox of texts.

Each piece of work is one transaction, claimed with FOR UPDATE SKIP LOCKED so that any number of workers can share
it. Work that fails is tried again later (``Settings.retry``); once its tries are used up an incident is opened, and
a timer or message incident pauses the case until an administrator acts (``recovery``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certflow.engine import cases, incidents, wakeup, workflowfacts
from certflow.engine.budget import BudgetExceeded
from certflow.engine.clock import Clock, FixedClock
from certflow.engine.errors import ValidationFailed, describe
from certflow.engine.models import Case, Job, Notification
from certflow.engine.queries import outbox_dict
from certflow.engine.roles import ROLES
from certflow.engine.steps import CASES, CaseRow, Steps, attempt
from certflow.engine.views import OutboxText

log = logging.getLogger("certflow.engine")

# How long a worker has to hand a text to the gateway and record it. A text claimed by a worker that died (or
# lost the database) meanwhile is sent again once this has passed.
SENDING_LEASE = timedelta(minutes=10)
WAITING = ("queued", "sending")  # the texts a worker may take, the ones being sent once their claim runs out


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
        wakeup.wake_workers(session)
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
    is marked failed and an incident opened. ``send`` is called outside any transaction, the text claimed
    (committed as being sent) before and the outcome recorded after. A text is sent at least once: a worker
    that dies between claiming and recording leaves it claimed, and another sends it again once the claim
    runs out (``SENDING_LEASE``), a second time if the gateway had taken it the first. That try counts.
    """
    at = now or steps.clock.now()
    sent, tried = _drain(lambda: _send_next(steps, send, at), limit)
    return len(sent), tried - len(sent)


def next_work_at(steps: Steps) -> datetime | None:
    """When the first piece of work comes due, a timer, a queued message or a text; None when nothing waits."""
    firsts = (
        select(func.min(Case.next_due_at)).where(Case.status == "running").scalar_subquery(),
        select(func.min(Job.next_attempt_at)).where(Job.status == "queued").scalar_subquery(),
        select(func.min(Notification.next_attempt_at)).where(Notification.status.in_(WAITING)).scalar_subquery(),
    )
    with steps.sessions() as session:
        found = [at for at in session.execute(select(*firsts)).one() if at is not None]
    return min(found, default=None)


def _fire_next_due(steps: Steps, at: datetime, clock: Clock, skipped: set[int]) -> tuple[str, bool] | None:
    """Claim the case whose timer is due first and fire it: (case, whether it moved); None when none is due."""
    with steps.transaction(clock) as session:
        query = (
            select(*CaseRow.selected())
            .where(CASES.c.status == "running", CASES.c.next_due_at < at, CASES.c.id.not_in(skipped))
            .order_by(CASES.c.next_due_at).limit(1).with_for_update(skip_locked=True)
        )
        found = session.execute(query).mappings().first()
        if found is None:
            return None
        case = CaseRow.of(found)
        if error := attempt(session, case, lambda: cases.fire_timers(steps, session, case, at, clock, "system")):
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
        if error := attempt(session, case, lambda: cases.deliver(
                steps, session, case, payload["name"], payload["payload"], job.actor, clock)):
            _failed(steps, session, case, error, at, job)
            return case.number, False
        job.status, job.done_at, job.last_error = "done", at, None
        return case.number, True


def _send_next(steps: Steps, send: Callable[[OutboxText], None], at: datetime) -> tuple[str, bool] | None:
    """Claim the first due text and commit, hand it to the gateway outside any transaction, then record how it
    went: a slow gateway holds no lock and no connection, and no case waits for it."""
    claimed = _claim_text(steps, at)
    if claimed is None:
        return None
    note_id, attempts, text = claimed
    try:
        send(text)
    except Exception as error:  # a gateway fails in its own ways; each is one failed try
        _record_text(steps, note_id, attempts, at, describe(error))
        return str(note_id), False
    _record_text(steps, note_id, attempts, at, None)
    return str(note_id), True


def _claim_text(steps: Steps, at: datetime) -> tuple[int, int, OutboxText] | None:
    """The first due text, marked as being sent until ``SENDING_LEASE`` from now: (id, tries, text)."""
    with steps.transaction() as session:
        query = (
            select(Notification).where(Notification.status.in_(WAITING), Notification.next_attempt_at <= at)
            .order_by(Notification.next_attempt_at, Notification.id).limit(1).with_for_update(skip_locked=True)
        )
        note = session.scalars(query).first()
        if note is None:
            return None
        note.status, note.attempts, note.last_attempt_at = "sending", note.attempts + 1, at
        # A worker that dies before recording the try leaves the text due again once the claim runs out.
        note.next_attempt_at = at + SENDING_LEASE
        return note.id, note.attempts, outbox_dict(note)


def _record_text(steps: Steps, note_id: int, attempts: int, at: datetime, error: str | None) -> None:
    """Record a try of the text claimed as its try ``attempts``: sent (``error`` None), to be tried again later,
    or failed for good with an incident."""
    with steps.transaction() as session:
        note = session.scalars(select(Notification).where(Notification.id == note_id).with_for_update()).one()
        if note.status != "sending" or note.attempts != attempts:
            # The claim ran out before the gateway answered and another worker took the text again: its try is
            # the one to record.
            log.warning("text claim ran out", extra={"fields": {"outbox_id": note_id, "attempt": attempts}})
            return
        if error is None:
            note.status, note.sent_at, note.last_error = "sent", at, None
            return
        note.last_error = error
        next_try = steps.settings.retry.next_try(note.attempts, at)
        log.warning("text not sent", extra={"fields": {"outbox_id": note.id, "attempt": note.attempts,
                                                       "error": error}})
        if next_try is not None:
            note.status, note.next_attempt_at = "queued", next_try
            return
        note.status = "failed"
        case = steps.lock_case(session, note.case_id, running_only=False)
        # Which text, in the administrator's words: the template's name is the deployment's key, not theirs.
        step = f"发给{ROLES.get(note.recipient_role, note.recipient_role)}的短信"
        _open_incident(steps, session, case, "notification", step, error, note.attempts, at,
                       note.id)


def _failed(
    steps: Steps, session: Session, case: CaseRow, error: Exception, at: datetime, job: Job | None = None,
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
        steps.write_case(session, case)
        return
    if job is not None:
        job.status = "failed"
    _open_incident(steps, session, case, "timer" if job is None else "message", getattr(error, "step", None),
                   message, tries, at, job.id if job else None)


def _open_incident(
    steps: Steps, session: Session, case: CaseRow, kind: str, step: str | None, message: str, attempts: int,
    at: datetime, work_id: int | None = None,
) -> None:
    """An incident with the case's data as it stood, and its event in the case's history."""
    data = workflowfacts.public_data(workflowfacts.case_data(steps.load(session, case)))
    incident = incidents.open_incident(session, case.id, kind=kind, step=step, message=message, data=data,
                                       attempts=attempts, at=at, work_id=work_id)
    if kind in incidents.PAUSING:
        case.status = "error"
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
