"""What someone who can write to the database does to a case's history, for the tests of verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import history
from certflow.engine.models import Case, Event
from certflow.engine.runtime import Runtime


def forge(
    runtime: Runtime, number: str, edit: Callable[[Session, list[Event]], list[Event]],
    *, keys: history.KeyRing | None = None, unsigned: bool = False,
) -> None:
    """What a database writer does: change the events (``edit`` returns the ones left), recompute every hash and fix
    the case row to match. With ``keys`` the forger also holds the history key and signs (and seals); ``unsigned``
    turns the history into version 1 (no signatures; with ``keys``, sealed as the upgrade seals it)."""
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        rows = edit(session, list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq))))
        prev = history.GENESIS
        for row in rows:
            body = history.event_body(case_number=case.number, seq=row.seq, kind=row.kind, at=row.at,
                                      actor=row.actor, task_id=row.task_id, task_name=row.task_name, data=row.data)
            row.prev_hash, row.hash = prev, history.chain_hash(prev, body)
            if keys is not None:
                row.key_id, row.mac = keys.sign(history.event_message(row.hash))
            if unsigned:
                row.key_id = row.mac = None
            prev = row.hash
        case.event_count, case.last_hash = len(rows), prev
        if keys is not None:
            case.seal_key, case.seal = keys.sign(history.seal_message(case.number, case.event_count, prev))
        elif unsigned:
            case.seal_key = case.seal = None


def changing(seq: int, **values: Any) -> Callable[[Session, list[Event]], list[Event]]:
    def edit(session: Session, rows: list[Event]) -> list[Event]:
        for name, value in values.items():
            setattr(rows[seq - 1], name, value)
        return rows
    return edit


def dropping_the_last(session: Session, rows: list[Event]) -> list[Event]:
    session.delete(rows[-1])
    return rows[:-1]
