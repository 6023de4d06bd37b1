"""Route SpiffWorkflow's wall-clock reads and random task ids through the runtime.

SpiffWorkflow stamps tasks with ``time.time()``, gives them ``uuid4()`` ids and computes timer
deadlines from ``datetime.now()``. Replaying a case from its history must reach the very same
state, so all three are derived from the runtime clock and from the (case, step) being applied.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo

import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer

from certflow.engine import clock

_NAMESPACE = uuid.UUID("5b0cf0e4-6b55-4d0e-9d3f-7b1f3c1c2a10")
_id_source: ContextVar[Iterator[uuid.UUID] | None] = ContextVar("certflow_ids", default=None)


class _ClockDatetime(datetime):
    # Answers a plain datetime, not this class's Self: it stands in for ``datetime`` only to be asked the time.
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz else current.astimezone().replace(tzinfo=None)


class _ClockTime:
    """Stands in for the ``time`` module inside ``SpiffWorkflow.task``."""

    @staticmethod
    def time() -> float:
        return clock.now().timestamp()


def _next_id() -> uuid.UUID:
    source = _id_source.get()
    return next(source) if source is not None else uuid.uuid4()


@contextmanager
def deterministic_ids(scope: str) -> Iterator[None]:
    """Task ids created inside are uuid5(scope, n): the same step replayed gets the same ids."""
    token = _id_source.set(uuid.uuid5(_NAMESPACE, f"{scope}/{n}") for n in itertools.count())
    try:
        yield
    finally:
        _id_source.reset(token)


def install() -> None:
    """Patch SpiffWorkflow once; idempotent."""
    spiff_timer.datetime = _ClockDatetime
    spiff_task.time = _ClockTime
    spiff_task.uuid4 = _next_id
