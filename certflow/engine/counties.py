"""What a county's own row (``counties``) changes in its cases' steps: the prefix of their numbers, the signature
their texts carry and the days its offices rest or work beyond the national calendar.

A county without a row keeps the deployment's settings (CERTFLOW_CASE_PREFIX, CERTFLOW_SIGNATURE and
CERTFLOW_CALENDAR), and its cases the prefix their diagram names: an installation from before counties were
rows runs as it did. The rows are kept by ``certflow.people.counties``, which checks them against the divisions.

A step takes its county's rules from ``Rules``, which keeps what it read for ``RULES_SECONDS``: a county's row then
costs a statement once in that time per process instead of once a step. A change made through
``certflow.people.counties`` calls ``changed``, which drops the county at once from every ``Rules`` of that process;
another process (another web worker, the background worker, the command line) may number, text and count days by
the old row for up to ``RULES_SECONDS`` more. Replay and verification read the row itself (``local``).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from cachetools import TTLCache
from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine.calendar import WorkingCalendar
from certflow.engine.models import County
from certflow.engine.settings import Settings


@dataclass(frozen=True)
class Local:
    """One county's rules for the step of one of its cases."""

    signature: str
    calendar: WorkingCalendar  # the national schedule, the deployment's additions, then the county's
    case_prefix: str | None  # None: the county has no row; its cases take their diagram's prefix, else the setting's


def local(session: Session, settings: Settings, county: str) -> Local:
    """The rules of ``county`` (an area code) as its row sets them, else the deployment's."""
    row = session.execute(select(County.case_prefix, County.sms_signature, County.holidays, County.workdays)
                          .where(County.code == county)).one_or_none()
    if row is None:
        return Local(settings.signature, settings.calendar, None)
    calendar = settings.calendar.adding(holidays=[date.fromisoformat(day) for day in row.holidays],
                                        workdays=[date.fromisoformat(day) for day in row.workdays])
    return Local(row.sms_signature, calendar, row.case_prefix)


RULES_SECONDS = 5.0
RULES_SIZE = 1024  # more than a province's counties (Yunnan has 129)

_every_rules: weakref.WeakSet[Rules] = weakref.WeakSet()  # the process's caches, for ``changed``
_every_rules_lock = threading.Lock()


class Rules:
    """Each county's rules as last read, for ``RULES_SECONDS`` (a process's steps share them, its threads too)."""

    def __init__(self, timer: Callable[[], float] = time.monotonic) -> None:
        """``timer``: the seconds the kept rules age by (the monotonic clock; a test moves it)."""
        self._kept: TTLCache[str, tuple[Settings, Local]] = TTLCache(RULES_SIZE, RULES_SECONDS, timer=timer)
        self._lock = threading.Lock()
        self._dropped = 0  # how many times rules were dropped: a read begun before must not be kept
        with _every_rules_lock:
            _every_rules.add(self)

    def local(self, session: Session, settings: Settings, county: str) -> Local:
        """``county``'s rules as ``local`` reads them, from memory when read in the last ``RULES_SECONDS`` with the
        same settings (the deployment's are the rules of a county without a row, and its calendar's base)."""
        with self._lock:
            kept, dropped = self._kept.get(county), self._dropped
        if kept is not None and kept[0] is settings:
            return kept[1]
        found = local(session, settings, county)
        with self._lock:
            if dropped == self._dropped:  # else the county may have changed after the read
                self._kept[county] = (settings, found)
        return found

    def forget(self, county: str) -> None:
        with self._lock:
            self._dropped += 1
            self._kept.pop(county, None)


def changed(county: str) -> None:
    """``county``'s row was added or changed (and committed): this process's steps read it again from now on."""
    with _every_rules_lock:
        every = list(_every_rules)
    for rules in every:
        rules.forget(county)
