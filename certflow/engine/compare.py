"""What changed between two versions of a process, element by element (by BPMN id).

Works on the files each version was built from, so it can say what an analyst changed in words
they know (name, form, lane, condition …) and a diagram can mark the same elements.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from certflow.engine.checks import BPMN, FLOW_NODES, FORM_PROPERTIES, SPIFF
from certflow.engine.specs import BPMN_ENDINGS

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
_TIMERS = ("timeDate", "timeDuration", "timeCycle")
# Properties that have a word of their own; others are compared as "properties".
_NAMED_PROPERTIES = {"candidateGroup": "group", "dueInWorkingDays": "due"}

_COMPARED = (*FLOW_NODES, BPMN + "sequenceFlow", BPMN + "lane")
_CONTAINED = {*_COMPARED, BPMN + "laneSet", BPMN + "childLaneSet", BPMN + "flowNodeRef"}

# The elements compared, by their BPMN tag, in people's words.
ELEMENTS = {
    "userTask": "用户任务", "serviceTask": "服务任务", "scriptTask": "脚本任务", "businessRuleTask": "业务规则任务",
    "callActivity": "调用流程", "task": "任务", "startEvent": "开始事件", "endEvent": "结束事件",
    "intermediateCatchEvent": "中间事件", "intermediateThrowEvent": "中间事件", "boundaryEvent": "边界事件",
    "exclusiveGateway": "排他网关", "parallelGateway": "并行网关", "inclusiveGateway": "包容网关",
    "sequenceFlow": "连线", "lane": "泳道",
}
# What changed in an element (``what`` of ``compare``), in people's words.
ASPECTS = {
    "type": "类型", "name": "名称", "lane": "泳道", "flows": "连线", "form": "表单", "operator": "服务",
    "script": "脚本", "condition": "条件", "timer": "定时", "message": "消息", "called": "调用",
    "documentation": "说明", "group": "办理组", "due": "办结时限", "properties": "扩展属性", "other": "其他",
}

Element = tuple[str | None, str | None]  # (process id, element id), None where the XML has no id


def compare(old: Mapping[str, str], new: Mapping[str, str], process_key: str) -> dict[str, Any]:
    """Elements added, removed and changed from ``old`` to ``new`` (file name → content of each version).

    Each element is ``{"process", "id", "type", "name", "what"}``; ``what`` lists the aspects that
    changed. Forms and decision tables are compared as whole files. ``old_xml``/``new_xml`` are the
    BPMN files holding ``process_key``, for a diagram.
    """
    before, after = _elements(old), _elements(new)
    added = [_entry(key, after[key], []) for key in after if key not in before]
    removed = [_entry(key, before[key], []) for key in before if key not in after]
    changed = []
    for key, facts in after.items():
        if key in before and (what := _what_changed(before[key], facts)):
            changed.append(_entry(key, facts, what))
    return {
        "process": process_key, "added": added, "removed": removed, "changed": changed,
        "forms": _file_changes(old, new, ".json"), "decisions": _file_changes(old, new, ".dmn"),
        "old_xml": _holding(old, process_key), "new_xml": _holding(new, process_key),
    }


def _elements(files: Mapping[str, str]) -> dict[Element, dict[str, Any]]:
    found: dict[Element, dict[str, Any]] = {}
    for name, content in files.items():
        if not name.lower().endswith(BPMN_ENDINGS):
            continue
        root = etree.fromstring(content.encode("utf-8"), _SAFE_XML)
        for process in root.iter(BPMN + "process"):
            lanes: dict[str | None, str | None] = {
                ref.text.strip(): lane.get("name") or lane.get("id")
                for lane in process.iter(BPMN + "lane") for ref in lane.iterchildren(BPMN + "flowNodeRef")
                if ref.text}
            for el in process.iter(*_COMPARED):
                found[(process.get("id"), el.get("id"))] = _facts(_own(el), lanes.get(el.get("id")))
    return found


def _own(el: etree._Element) -> etree._Element:
    """The element without the elements it holds: a subprocess's tasks and a lane's members show on their own."""
    if not any(child.tag in _CONTAINED for child in el):
        return el
    shallow = copy.deepcopy(el)
    for child in [child for child in shallow if child.tag in _CONTAINED]:
        shallow.remove(child)
    return shallow


def _facts(el: etree._Element, lane: str | None) -> dict[str, Any]:
    """An element's aspects as comparable values, and its whole text for anything they miss."""
    properties = {p.get("name"): p.get("value") for p in el.iter(SPIFF + "property")}
    facts: dict[str, Any] = {
        "type": etree.QName(el).localname,
        "name": el.get("name"),
        "lane": lane,
        "flows": [sorted(_texts(el, "incoming")), sorted(_texts(el, "outgoing")), el.get("sourceRef"),
                  el.get("targetRef"), el.get("default"), el.get("attachedToRef")],
        "form": [properties.pop(p, None) for p in FORM_PROPERTIES],
        "operator": [_canonical(op) for op in el.iter(SPIFF + "serviceTaskOperator")],
        "script": [_text(el, BPMN + "script"), _text(el, SPIFF + "preScript"), _text(el, SPIFF + "postScript")],
        "condition": _text(el, BPMN + "conditionExpression"),
        "timer": [_text(el, BPMN + tag) for tag in _TIMERS],
        "message": [[d.get("messageRef"), _text(d, SPIFF + "messageVariable")]
                    for d in el.iterchildren(BPMN + "messageEventDefinition")],
        "called": [el.get("calledElement"), _text(el, SPIFF + "calledDecisionId")],
        "documentation": _text(el, BPMN + "documentation"),
    }
    for name, word in _NAMED_PROPERTIES.items():
        facts[word] = properties.pop(name, None)
    facts["properties"] = properties
    facts["other"] = _canonical(el)
    return facts


def _what_changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    what = [aspect for aspect in after if aspect != "other" and before[aspect] != after[aspect]]
    if not what and before["other"] != after["other"]:
        what.append("other")
    return what


def _entry(key: Element, facts: dict[str, Any], what: list[str]) -> dict[str, Any]:
    return {"process": key[0], "id": key[1], "type": facts["type"], "name": facts["name"], "what": what}


def _file_changes(old: Mapping[str, str], new: Mapping[str, str], suffix: str) -> list[dict[str, str]]:
    """Files of one kind added, removed or changed, by file name (forms are named by it in diagrams)."""
    def by_name(files: Mapping[str, str]) -> dict[str, Any]:
        return {PurePosixPath(n).name: _normalized(n, c) for n, c in files.items() if n.lower().endswith(suffix)}

    before, after = by_name(old), by_name(new)
    changes = [{"file": f, "change": "added"} for f in after if f not in before]
    changes += [{"file": f, "change": "removed"} for f in before if f not in after]
    changes += [{"file": f, "change": "changed"} for f in after if f in before and before[f] != after[f]]
    return sorted(changes, key=lambda c: c["file"])


def _normalized(name: str, content: str) -> Any:
    """Content compared for meaning: JSON parsed, XML without layout whitespace."""
    if name.lower().endswith(".json"):
        return json.loads(content)
    return _canonical(etree.fromstring(content.encode("utf-8"), _SAFE_XML))


def _holding(files: Mapping[str, str], process_key: str) -> str | None:
    marker = f'id="{process_key}"'
    return next((c for n, c in files.items() if n.lower().endswith(BPMN_ENDINGS) and marker in c), None)


def _texts(el: etree._Element, tag: str) -> list[str]:
    return [child.text.strip() for child in el.iterchildren(BPMN + tag) if child.text]


def _text(el: etree._Element, tag: str) -> str | None:
    found = el.find(f".//{tag}")
    return found.text.strip() if found is not None and found.text else None


def _canonical(el: etree._Element) -> str:
    return etree.tostring(el, method="c14n").decode("utf-8")
