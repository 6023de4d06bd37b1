"""Waking the workers: on PostgreSQL, a transaction that gives them work says so with NOTIFY.

PostgreSQL delivers a notification when its transaction commits (and drops it on a rollback), so a worker that
LISTENs (certflow.worker) wakes once the work is there to be claimed. Notifications of one transaction on one
channel are folded into one. SQLite has no such thing: its worker polls.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

CHANNEL = "certflow_work"


def wake_workers(session: Session) -> None:
    """Have the listening workers look for work as soon as the session's transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"NOTIFY {CHANNEL}"))


def sooner(new: datetime | None, old: datetime | None) -> bool:
    """Whether a timer due at ``new`` instead of ``old`` comes due sooner than the workers may expect it."""
    return new is not None and (old is None or new < old)
