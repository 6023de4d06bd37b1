"""One clock for the whole runtime, injectable in tests.

Every operation runs under a clock (``use_clock``); SpiffWorkflow's timers, the task timestamps and
the script helpers all read ``now()``, so a test or a replay decides what time it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    def advance(self, **delta: float) -> None:
        self._at += timedelta(**delta)

    def now(self) -> datetime:
        return self._at


_SYSTEM = SystemClock()
_current: ContextVar[Clock | None] = ContextVar("certflow_clock", default=None)


def now() -> datetime:
    return (_current.get() or _SYSTEM).now()


@contextmanager
def use_clock(clock: Clock) -> Iterator[Clock]:
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
