"""Limits on guessing: failed attempts counted in the security log, per user name or per address.

Logins are limited per user name, status lookups per address. The address is the one the web server
sees; behind a reverse proxy the app must be told the client's real address (e.g. werkzeug's
ProxyFix), or every visitor shares one count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certflow.engine.models import SecurityEvent


@dataclass(frozen=True)
class Throttle:
    """At most ``attempts`` failures of ``kind`` for one key (``by``) within ``window``."""

    kind: str  # the security event recorded for each failure, e.g. login_failed
    attempts: int
    window: timedelta
    by: Literal["username", "remote_addr"] = "remote_addr"

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)

    def refused(self, session: Session, key: str | None, now: datetime) -> bool:
        """Whether this key has failed too often lately."""
        failed = session.scalar(select(func.count()).select_from(SecurityEvent).where(
            SecurityEvent.kind == self.kind, getattr(SecurityEvent, self.by) == key,
            SecurityEvent.at > now - self.window,
        ))
        return (failed or 0) >= self.attempts

    def failure(self, now: datetime, *, username: str | None = None, remote_addr: str | None = None,
                target: str | None = None) -> SecurityEvent:
        """The row that records one failure; the caller adds it in its own transaction."""
        return SecurityEvent(kind=self.kind, at=now, username=username, remote_addr=remote_addr,
                             target=target[:300] if target else None)


LOGINS = Throttle("login_failed", attempts=5, window=timedelta(minutes=15), by="username")
# Enough for typos, too few to guess ID numbers.
STATUS_LOOKUPS = Throttle("status_lookup_failed", attempts=10, window=timedelta(minutes=15))
