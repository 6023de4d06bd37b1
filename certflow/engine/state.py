"""A case's workflow state without its spec, and back.

SpiffWorkflow's serializer embeds the whole spec in every instance. The spec is stored once per
process version instead, so a case row holds only its task tree and data.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from certflow.engine.specs import REGISTRY

STATE_FORMAT = 1

_converter = REGISTRY.convert_to_dict[REGISTRY.typenames[BpmnWorkflow]].args[1].__self__


def dump(workflow: BpmnWorkflow) -> dict[str, Any]:
    state = WorkflowConverter.to_dict(_converter, workflow)
    state["subprocesses"] = _converter.mapping_to_dict(workflow.subprocesses)
    state["bpmn_events"] = REGISTRY.convert(workflow.bpmn_events)
    state["format"] = STATE_FORMAT
    return state


def load(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    """Rebuild a workflow; ``state`` is left as it was, and nothing of it is shared with the workflow."""
    state = _detached(state)
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = _converter.mapping_from_dict(state["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(state["root"]))
    _converter.set_default_attributes(workflow, state)
    _converter.subprocesses_from_dict(state["subprocesses"], workflow)
    workflow.bpmn_events = REGISTRY.restore(state.get("bpmn_events", []))
    return workflow


def _detached(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of only what SpiffWorkflow's converter would change or keep of ``state``.

    It restores tasks, data and events as new objects, but pops keys from the workflow dicts and keeps
    the correlations it is given. Copying just those costs next to nothing; a deep copy of a whole state
    took about 0.6 ms a step (BENCHMARKS.md).
    """
    return {
        **state,
        "correlations": copy.deepcopy(state.get("correlations", {})),
        "subprocesses": {
            key: {**sub, "correlations": copy.deepcopy(sub.get("correlations", {}))}
            for key, sub in state["subprocesses"].items()
        },
    }
