"""What a file from another tool asks of another engine: refused, each setting naming its element and why.

Camunda Modeler writes Camunda 7 settings (``camunda:`` attributes and extension elements) and Camunda 8
ones (``zeebe:``), JUEL or FEEL conditions, Groovy or JavaScript scripts and timers as bare ISO 8601
text. SpiffWorkflow's schema lets all of them through, and certflow would run none of them as meant.
Settings that only tune Camunda's own engine or modeler (version tag, history cleanup, async
continuations, ``modeler:`` attributes) change nothing certflow does and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from certflow.engine.errors import Problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"

# Settings for Camunda's job executor, history, tasklist and element templates: nothing certflow does
# depends on them.
HARMLESS = {
    "versionTag", "historyTimeToLive", "isStartableInTasklist", "asyncBefore", "asyncAfter", "exclusive",
    "jobPriority", "failedJobRetryTimeCycle", "properties", "modelerTemplate", "modelerTemplateVersion",
    "modelerTemplateIcon",
}

# Attributes that only complete another one: reported once, with it.
PART_OF = {
    "topic": ("type",), "taskPriority": ("type",), "formRefBinding": ("formRef",), "formRefVersion": ("formRef",),
    "resultVariable": ("expression", "decisionRef"), "decisionRefBinding": ("decisionRef",),
    "mapDecisionResult": ("decisionRef",),
}

_HANDLER = "name a registered handler with spiffworkflow:serviceTaskOperator"
_FORM = "name a JSON Schema form with spiffworkflow:properties/formJsonSchemaFilename"
_WHO = "the lane's role, or a candidateGroup spiffworkflow:property, decides who works the task"
_SCRIPTS = "use a script task, or a spiffworkflow:preScript or postScript"

# {value} is the attribute's value.
CAMUNDA_SETTINGS = {
    "class": f"camunda:class (a Java delegate) is not run by certflow; {_HANDLER}",
    "expression": f"camunda:expression {{value}} (JUEL calling Java) is not run by certflow; {_HANDLER}",
    "delegateExpression": f"camunda:delegateExpression (a Java delegate bean) is not run by certflow; {_HANDLER}",
    "type": f'camunda:type="{{value}}" (a job for a Camunda worker) is not run by certflow; {_HANDLER}',
    "connector": f"camunda:connector (a Camunda Connect call) is not run by certflow; {_HANDLER}",
    "formKey": f"camunda:formKey is not used by certflow; {_FORM}",
    "formRef": f"camunda:formRef (a Camunda Form) is not used by certflow; {_FORM}",
    "formData": f"camunda:formData (a generated Camunda form) is not used by certflow; {_FORM}",
    "assignee": f"camunda:assignee is not used by certflow: {_WHO}",
    "candidateUsers": f"camunda:candidateUsers is not used by certflow: {_WHO}",
    "candidateGroups": f"camunda:candidateGroups is not used by certflow: {_WHO}",
    "dueDate": "camunda:dueDate is not used by certflow; give dueInWorkingDays as a spiffworkflow:property",
    "inputOutput": "camunda:inputOutput (input and output mappings) is not run by certflow; "
                   "compute values in a spiffworkflow:preScript or postScript",
    "executionListener": f"camunda:executionListener is not run by certflow; {_SCRIPTS}",
    "taskListener": f"camunda:taskListener is not run by certflow; {_SCRIPTS}",
    "resultVariable": "camunda:resultVariable is not set by certflow; assign the variable in the Python script",
    "decisionRef": "camunda:decisionRef is not used by certflow; name the decision with spiffworkflow:calledDecisionId",
}

_EXPRESSIONS = {
    BPMN + "conditionExpression": "condition",
    BPMN + "timeDate": "timer", BPMN + "timeDuration": "timer", BPMN + "timeCycle": "timer",
}
# What Camunda writes in a timer: P5D, PT10M, R3/PT1H, 2026-10-01T09:00:00+08:00.
_ISO_8601 = re.compile(r"(R\d*/)?PT?\d[\dYMWDHST.]*|\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-][\d:]+)?")
# Flow nodes, flows and lanes sit directly in these; a setting belongs to the one it is written in.
_CONTAINERS = {
    BPMN + tag for tag in (
        "definitions", "process", "subProcess", "transaction", "adHocSubProcess", "collaboration", "laneSet",
        "childLaneSet",
    )
}


def engine_specific(name: str, root: etree._Element) -> tuple[list[Problem], set[str | None]]:
    """One problem per setting that only another engine runs, and the ids of the processes that have any (None for
    a process without an id)."""
    problems: list[Problem] = []
    processes: set[str | None] = set()
    for el in root.iter():
        if not isinstance(tag := el.tag, str):  # a comment or processing instruction
            continue
        messages = [*_attributes(el), *_extension(el, tag), *_languages(el, tag)]
        if messages:
            problems += [Problem(name, el.sourceline, _owner(el).get("id"), m) for m in messages]
            process = el if el.tag == BPMN + "process" else next(el.iterancestors(BPMN + "process"), None)
            if process is not None:
                processes.add(process.get("id"))
    return problems, processes


def _attributes(el: etree._Element) -> Iterator[str]:
    beside = {etree.QName(a).localname for a in el.attrib if etree.QName(a).namespace == CAMUNDA}
    for attribute, value in el.attrib.items():
        name = etree.QName(attribute)
        if not beside & set(PART_OF.get(name.localname, ())) and (message := _setting(name, value)):
            yield message


def _extension(el: etree._Element, tag: str) -> Iterator[str]:
    parent = el.getparent()
    if parent is not None and parent.tag == BPMN + "extensionElements" and (message := _setting(etree.QName(tag), "")):
        yield message


def _languages(el: etree._Element, tag: str) -> Iterator[str]:
    """Scripts, conditions and timers written for another engine's languages."""
    if tag == BPMN + "scriptTask":
        script_format = el.get("scriptFormat")
        if script_format and script_format.lower() != "python":
            yield f"scriptFormat {script_format} is not run; scripts are Python (scriptFormat python, or none)"
    label = _EXPRESSIONS.get(tag)
    if label is None:
        return
    text = (el.text or "").strip()
    language = el.get("language")
    if language and language.lower() != "python":
        yield f"{label} language {language} is not run; certflow evaluates Python expressions"
    elif text.startswith(("${", "#{")):
        yield f"{label} {text} is JUEL; certflow evaluates Python expressions"
    elif text.startswith("="):
        yield f"{label} {text} is FEEL; certflow evaluates Python expressions"
    elif label == "timer" and _ISO_8601.fullmatch(text):
        yield f'timer {text} is ISO 8601 text, which certflow reads as a Python expression; quote it: "{text}"'


def _setting(qname: etree.QName, value: str) -> str | None:
    """Why an attribute or extension element of Camunda's is refused; None for other namespaces and harmless ones."""
    if qname.namespace not in (CAMUNDA, ZEEBE) or qname.localname in HARMLESS:
        return None
    if qname.namespace == ZEEBE:
        return f"zeebe:{qname.localname} is a Camunda 8 setting certflow does not run; use the spiffworkflow extensions"
    generic = f"camunda:{qname.localname} is a Camunda setting certflow does not run; remove it"
    return CAMUNDA_SETTINGS.get(qname.localname, generic).format(value=value)


def _owner(el: etree._Element) -> etree._Element:
    """The flow node, sequence flow, lane or process a setting is written in."""
    while (parent := el.getparent()) is not None and parent.tag not in _CONTAINERS:
        el = parent
    return el
