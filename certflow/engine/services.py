"""What the runtime offers handlers: the shape of an operator and the context it runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from certflow.engine.calendar import WorkingCalendar


@dataclass(frozen=True)
class ServiceContext:
    """Facts from outside the process that a handler may read; fixed for one step."""

    today: date
    jurisdiction: tuple[str, ...]  # 6-digit address codes
    signature: str
    calendar: WorkingCalendar


@dataclass(frozen=True)
class Operator:
    """A handler a service task can name (``spiffworkflow:serviceTaskOperator``)."""

    name: str
    params: tuple[str, ...]
    call: Callable[[dict[str, Any], dict[str, Any], ServiceContext], Any]
    sends_notification: bool = False  # the result is a text for the outbox


@dataclass(frozen=True)
class Handlers:
    """Everything a deployment plugs into the runtime."""

    operators: dict[str, Operator]
    helpers: Callable[[ServiceContext], dict[str, Callable[..., Any]]]

    @property
    def signatures(self) -> dict[str, tuple[str, ...]]:
        return {name: op.params for name, op in self.operators.items()}
