"""A limit on guessing: failed attempts are counted per address in the security log, as failed logins are.

The address is the one the web server sees; behind a reverse proxy the app must be told the client's
real address (e.g. werkzeug's ProxyFix), or every visitor shares one count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.clock import Clock
from certflow.engine.models import SecurityEvent


@dataclass(frozen=True)
class Throttle:
    """At most ``attempts`` failures of ``kind`` from one address within ``window``."""

    sessions: sessionmaker[Session]
    clock: Clock
    kind: str  # the security event recorded for each failure, e.g. status_lookup_failed
    attempts: int
    window: timedelta

    def refused(self, remote_addr: str | None) -> bool:
        """Whether this address has failed too often lately."""
        since = self.clock.now() - self.window
        with self.sessions() as session:
            failed = session.scalar(select(func.count()).select_from(SecurityEvent).where(
                SecurityEvent.kind == self.kind, SecurityEvent.remote_addr == remote_addr, SecurityEvent.at > since,
            ))
        return failed >= self.attempts

    def record_failure(self, remote_addr: str | None, target: str) -> None:
        with self.sessions.begin() as session:
            session.add(SecurityEvent(kind=self.kind, at=self.clock.now(), remote_addr=remote_addr,
                                      target=target[:300]))
