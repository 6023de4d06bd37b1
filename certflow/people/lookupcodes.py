"""Codes texted to the phone on file, with which applicants who lost their case number find their cases by ID number.

The threats are guessing codes and finding out whose ID numbers have cases. Against guessing: six digits, ten
minutes, five wrong tries and the code is void, only the newest code of an ID number works, and every address has
the status lookups' limit on wrong answers (``portal``). Against finding out: the page says the same whether the
ID number has cases or not, and a code is recorded (and counted) either way. What it does not stop: someone who
has the applicant's phone and ID number; many addresses working together, each under its limits; and texts to an
applicant's phone by whoever knows the ID number, up to ``CODES_PER_ID`` an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.models import session_keys
from certflow.people.models import LookupCode

TEMPLATE = "lookup_code"  # the outbox's name for the text; it is not shown among the case's texts
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_ID = 3  # an hour: a lost text, then another, and a third try
PER_ID_WINDOW = timedelta(hours=1)


class Checked(Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY = "too_many"  # the code took too many wrong tries: a new one is needed


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _id_digests(session: Session, id_number: str) -> list[str]:
    """The ID number's lookup digests under every data key, the current first: a plain digest of an 18-digit
    number is given back by trying the likely ones; a keyed one is not, to whoever copies the table."""
    return session_keys(session).lookup_digests(id_number)


def issue(sessions: sessionmaker[Session], id_number: str, now: datetime) -> str | None:
    """A new code for ``id_number`` (older ones void), or None when the ID number had ``CODES_PER_ID`` this hour."""
    with sessions.begin() as session:
        digests = _id_digests(session, id_number)
        recent = session.scalar(select(func.count()).select_from(LookupCode).where(
            LookupCode.id_digest.in_(digests), LookupCode.created_at > now - PER_ID_WINDOW)) or 0
        if recent >= CODES_PER_ID:
            return None
        session.execute(update(LookupCode).where(LookupCode.id_digest.in_(digests)).values(spent=True))
        code = f"{secrets.randbelow(10**6):06d}"
        session.add(LookupCode(id_digest=digests[0], code_digest=_digest(code), created_at=now,
                               expires_at=now + CODE_LIFETIME, tries=0, spent=False))
    return code


def check(sessions: sessionmaker[Session], id_number: str, code: str, now: datetime) -> Checked:
    """Whether ``code`` is the newest code of ``id_number``; the right one is spent, a wrong one counts a try."""
    with sessions.begin() as session:
        row = session.scalars(select(LookupCode).where(LookupCode.id_digest.in_(_id_digests(session, id_number)))
                              .order_by(LookupCode.created_at.desc(), LookupCode.id.desc()).limit(1)
                              .with_for_update()).first()
        if row is None or row.spent:
            return Checked.WRONG
        if row.expires_at <= now:
            return Checked.EXPIRED
        if row.tries >= CODE_TRIES:
            return Checked.TOO_MANY
        if hmac.compare_digest(row.code_digest, _digest(code.strip())):
            row.spent = True
            return Checked.OK
        row.tries += 1
        return Checked.TOO_MANY if row.tries >= CODE_TRIES else Checked.WRONG


def issued(sessions: sessionmaker[Session], id_number: str) -> list[dict[str, Any]]:
    """The codes asked for ``id_number``, oldest first: when, until when, wrong tries, whether used or replaced."""
    with sessions() as session:
        rows = session.scalars(select(LookupCode).where(LookupCode.id_digest.in_(_id_digests(session, id_number)))
                               .order_by(LookupCode.created_at, LookupCode.id))
        return [{"created_at": row.created_at.isoformat(), "expires_at": row.expires_at.isoformat(),
                 "tries": row.tries, "spent": row.spent} for row in rows]
