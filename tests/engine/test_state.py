"""A case's stored state and the workflow rebuilt from it: loading copies only what it must, and shares nothing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from certflow.engine import state
from certflow.engine.models import Case
from certflow.engine.specs import restore_specs


def scribble(value: Any) -> None:
    """Change every dict and list inside ``value`` in place."""
    if isinstance(value, dict):
        for inner in value.values():
            scribble(inner)
        value["scribbled"] = True
    elif isinstance(value, list):
        for inner in value:
            scribble(inner)
        value.append("scribbled")


def test_a_loaded_workflow_shares_nothing_with_the_stored_state(start, runtime):
    case = start()
    case.complete("pre_review", {"decision": "pass"})  # the assessment now runs as a called process
    with runtime.sessions() as session:
        row = session.scalars(select(Case).where(Case.number == case.number)).one()
        stored = row.state
        spec, subprocesses = restore_specs(row.version.spec)
    as_stored = json.dumps(stored, ensure_ascii=False)  # key order counts: tasks are restored in that order

    workflow = state.load(stored, spec, subprocesses)
    assert json.dumps(stored, ensure_ascii=False) == as_stored
    assert workflow.subprocesses
    assert state.dump(state.load(stored, spec, subprocesses)) == state.dump(workflow)  # a second load is alike

    for changed in (workflow, *workflow.subprocesses.values()):
        changed.correlations["scribbled"] = True
        scribble(changed.data)
    for task in workflow.get_tasks():
        scribble(task.data)
        scribble(task.internal_data)
    assert json.dumps(stored, ensure_ascii=False) == as_stored
