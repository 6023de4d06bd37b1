"""Limits on guessing and on anonymous work: attempts counted in the security log, per user name or per address.

Logins are limited per user name, status lookups and online applications per address. The address is the one the
web server sees; behind a reverse proxy the app must be told the client's real address (e.g. werkzeug's ProxyFix),
or every visitor shares one count.

An attempt is counted and recorded in one short transaction that holds a lock on its key, before the password is
checked, the case looked up or the application stored: of many simultaneous attempts, exactly as many as the limit
go ahead. The record stands (a failure, an application) unless the caller settles it otherwise (``succeeded``,
``withdrawn``), so an attempt that never finishes still counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import BigInteger, delete, func, select, text, type_coerce, update
from sqlalchemy.orm import Session, sessionmaker

from certflow.people.models import SecurityEvent

MIB = 1024 * 1024
# The bytes of the attempts selected: 0 when there are none, so a number either way.
_STORED = type_coerce(func.coalesce(func.sum(SecurityEvent.bytes), 0), BigInteger)


@dataclass(frozen=True)
class Throttle:
    """At most ``attempts`` of ``kind`` for one key (``by``) within ``window``, and optionally at most
    ``bytes_per_key`` stored for one key and ``bytes_total`` for everyone in that window."""

    kind: str  # the security event recorded for each attempt, e.g. login_failed
    attempts: int
    window: timedelta
    by: Literal["username", "remote_addr"] = "remote_addr"
    bytes_per_key: int | None = None
    bytes_total: int | None = None

    @property
    def minutes(self) -> int:
        return int(self.window.total_seconds() // 60)

    def reserve(self, sessions: sessionmaker[Session], key: str | None, now: datetime, *,
                username: str | None = None, remote_addr: str | None = None, target: str | None = None,
                size: int = 0) -> int | None:
        """Count and record one attempt of ``size`` bytes at once: the id of its record, or None when refused."""
        with sessions.begin() as session:
            # A cap on everyone's bytes is one count for all keys: then all attempts queue on one lock.
            _hold(session, self.kind if self.bytes_total is not None else f"{self.kind}\n{key}")
            recent = (SecurityEvent.kind == self.kind, SecurityEvent.at > now - self.window)
            mine = (*recent, getattr(SecurityEvent, self.by) == key)
            count, stored = session.execute(select(func.count(), _STORED).where(*mine)).one()
            if count >= self.attempts or _over(self.bytes_per_key, stored + size):
                return None
            if self.bytes_total is not None and _over(self.bytes_total, size + session.execute(
                    select(_STORED).where(*recent)).scalar_one()):
                return None
            row = SecurityEvent(kind=self.kind, at=now, username=username, remote_addr=remote_addr,
                                target=target[:300] if target else None, bytes=size or None)
            session.add(row)
            session.flush()
            return row.id

    @staticmethod
    def succeeded(session: Session, attempt: int, kind: str) -> None:
        """The attempt went well: its record becomes a ``kind`` event, in the caller's transaction."""
        session.execute(update(SecurityEvent).where(SecurityEvent.id == attempt).values(kind=kind))

    @staticmethod
    def withdrawn(sessions: sessionmaker[Session], attempt: int) -> None:
        """The attempt does not count (a lookup that found the case, an application that was not stored)."""
        with sessions.begin() as session:
            session.execute(delete(SecurityEvent).where(SecurityEvent.id == attempt))


def _over(limit: int | None, amount: int) -> bool:
    return limit is not None and amount > limit


def _hold(session: Session, key: str) -> None:
    """Hold a lock on ``key`` until the transaction ends. SQLite's transactions already hold the one write lock
    from their start (``BEGIN IMMEDIATE``, certflow.engine.db); PostgreSQL takes an advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})


LOGINS = Throttle("login_failed", attempts=5, window=timedelta(minutes=15), by="username")
# Enough for typos, too few to guess ID numbers.
STATUS_LOOKUPS = Throttle("status_lookup_failed", attempts=10, window=timedelta(minutes=15))
# Files picked on the application form, stored before it is sent: enough for a family's applications.
UPLOAD_DRAFTS = Throttle("upload_draft", attempts=60, window=timedelta(hours=1), bytes_per_key=100 * MIB,
                         bytes_total=2048 * MIB)
# Codes asked for from one address (each texts an applicant's phone when the ID number has cases).
CODE_REQUESTS = Throttle("lookup_code_requested", attempts=5, window=timedelta(hours=1))


def applications(per_address: int = 10, mib_per_address: int = 100, mib_total: int = 2048,
                 minutes: int = 60) -> Throttle:
    """The online applications' limits: a family or a village office applying for several people gets through,
    one client cannot fill the disk or have the window texted without end."""
    return Throttle("application_received", attempts=per_address, window=timedelta(minutes=minutes),
                    bytes_per_key=mib_per_address * MIB, bytes_total=mib_total * MIB)


APPLICATIONS = applications()
