"""Automatic work that fails, and cases that cannot move.

Due timers, queued messages and texts are tried again after a growing delay (``RetryPolicy``); once
the tries are used up the work stops and an incident is opened. A timer or message incident pauses
the case (status ``error``) until an administrator retries it or cancels the case; a text that could
not be sent is an incident too, but the case goes on without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from certflow.engine.models import Case, Incident, Job, Task
from certflow.engine.views import IncidentView

PAUSING = ("timer", "message")  # kinds of incident that stop the case until someone acts


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 3  # tries in all, the first included, before an incident
    first_delay: timedelta = timedelta(minutes=1)  # then twice as long after each failed try

    def next_try(self, failures: int, at: datetime) -> datetime | None:
        """When to try again after ``failures`` failed tries at ``at``; None once they are used up."""
        if failures >= self.attempts:
            return None
        return at + self.first_delay * 2 ** (failures - 1)


def open_incident(
    session: Session, case_id: int, *, kind: str, step: str | None, message: str, data: dict[str, Any],
    attempts: int, at: datetime, work_id: int | None = None,
) -> Incident:
    """The incident's row; a pausing kind (``PAUSING``) pauses the case, which its caller writes with the event."""
    incident = Incident(
        case_id=case_id, kind=kind, step=step, message=message, data=data, attempts=attempts,
        work_id=work_id, status="open", opened_at=at,
    )
    session.add(incident)
    return incident


def open_for(session: Session, case_id: int) -> list[Incident]:
    return list(session.scalars(
        select(Incident).where(Incident.case_id == case_id, Incident.status == "open").order_by(Incident.id)))


def resolve(incident: Incident, *, how: str, actor: str, at: datetime) -> None:
    incident.status = "resolved"
    incident.resolution = how
    incident.resolved_by = actor
    incident.resolved_at = at


def listing(session: Session, *, status: str | None = "open", case_id: int | None = None,
            county: str | None = None) -> list[IncidentView]:
    """Incidents (of the cases of ``county``, or of every county), newest first, with their case's number and status."""
    query = select(Incident, Case.number, Case.status).join(Case, Case.id == Incident.case_id)
    if county is not None:
        query = query.where(Case.county == county)
    if status:
        query = query.where(Incident.status == status)
    if case_id is not None:
        query = query.where(Incident.case_id == case_id)
    return [as_dict(incident, number, case_status)
            for incident, number, case_status in session.execute(query.order_by(Incident.id.desc()))]


def as_dict(incident: Incident, case_number: str, case_status: str) -> IncidentView:
    return IncidentView(
        id=incident.id, case=case_number, case_status=case_status, kind=incident.kind,
        step=incident.step, message=incident.message, data=incident.data, attempts=incident.attempts,
        status=incident.status, opened_at=incident.opened_at.isoformat(),
        resolved_at=incident.resolved_at.isoformat() if incident.resolved_at else None,
        resolved_by=incident.resolved_by, resolution=incident.resolution,
    )


def motionless(session: Session, county: str | None = None, offset: int = 0,
               limit: int | None = None) -> tuple[list[Case], int]:
    """Running cases (of ``county``, or of every county) with no open task, no timer and no queued job: only a
    message from outside can move them. Those from ``offset``, at most ``limit`` (None: all), and how many in all."""
    has_task = exists().where(Task.case_id == Case.id, Task.status == "open")
    has_job = exists().where(Job.case_id == Case.id, Job.status == "queued")
    query = select(Case).where(Case.status == "running", Case.next_due_at.is_(None), ~has_task, ~has_job)
    if county is not None:
        query = query.where(Case.county == county)
    return _window(session, query, Case.updated_at, offset, limit)


def overdue(session: Session, at: datetime, county: str | None = None, offset: int = 0,
            limit: int | None = 500) -> tuple[list[Task], int]:
    """Open tasks past their deadline at ``at``, the most overdue first; and how many in all."""
    query = select(Task).where(Task.status == "open", Task.due_at < at)
    if county is not None:
        query = query.where(Task.county == county)
    return _window(session, query, Task.due_at, offset, limit)


def _window(session: Session, query: Select[Any], order: Any, offset: int, limit: int | None) -> tuple[list[Any], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.order_by(order).offset(offset).limit(limit))), total
