"""A case of a deployed diagram can always move on: it ends, or it waits for a task, a timer or a message someone
can send.

BPMN lets a path end without an end event: an element with no outgoing flow ends its path (an implicit end, what
Camunda and bpmn.io draw). SpiffWorkflow 3.2.0 joins only end events to the end of the process, so such a case
would stay running with nothing open; ``check`` joins these elements to the end too. What no runtime could finish
is refused, naming the element and how to fix it.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from certflow.engine.errors import Problem


def check(specs: list[Any], lines: dict[str, dict[str, int | None]]) -> list[Problem]:
    """Join each path's last element to its process's end, and list the waits nobody could end."""
    problems: list[Problem] = []
    for spec in specs:
        triggered = set(getattr(spec.start, "trigger_specs", []))  # event subprocesses: joined when triggered
        for ts in list(spec.task_specs.values()):
            if not ts.bpmn_id:
                continue  # SpiffWorkflow's own joins and splits
            if not ts.outputs and ts.name not in triggered:
                ts.connect(spec.end)
            if isinstance(ts, CatchingEvent) and any(d.name is None for d in messages(ts.event_definition)):
                problems.append(Problem(spec.file, lines.get(spec.file, {}).get(ts.bpmn_id), ts.bpmn_id, (
                    f"{_named(ts)}等待一条消息，却没有指定是哪一条（messageRef），谁也发不出它，案件会一直停在这里；"
                    "请在建模器里为它选定一条消息（Message）")))
    return problems


def parts(definition: Any) -> list[Any]:
    """An event's definitions: an event-based gateway or a multiple event has several (a MultipleEventDefinition)."""
    return definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]


def messages(definition: Any) -> list[MessageEventDefinition]:
    """The messages an event waits for or sends."""
    return [d for d in parts(definition) if isinstance(d, MessageEventDefinition)]


def _named(ts: Any) -> str:
    return f"“{ts.bpmn_name}”" if ts.bpmn_name else "这个事件"
