"""Edited copies of the Lushan processes, as an analyst would deploy them: a step renamed, removed or added.

Edits are made on the XML (process and diagram alike) of a copy in a temporary directory; the
copy is read back with its usual names (processes/…, forms/…).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from certflow.engine.specs import SourceFile, read_paths

ROOT = Path(__file__).resolve().parents[2]
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"

Edit = Callable[[etree._Element], None]


def lushan(tmp_path: Path, **edits: Edit) -> list[SourceFile]:
    """The Lushan deployment with ``edits`` applied, keyed by file stem: ``application_online=rename(...)``."""
    target = tmp_path / f"draft{len(list(tmp_path.glob('draft*')))}"
    for folder in ("processes", "forms"):
        shutil.copytree(ROOT / folder, target / folder)
    for stem, edit in edits.items():
        path = target / "processes" / f"{stem}.bpmn"
        tree = etree.parse(str(path))
        edit(tree.getroot())
        tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return read_paths([target / "processes", target / "forms"])


def rename(element_id: str, name: str) -> Edit:
    def edit(root: etree._Element) -> None:
        _by_id(root, element_id).set("name", name)
    return edit


def remove_step(element_id: str) -> Edit:
    """Remove a step between two others: its incoming flow now leads where its outgoing flow led."""
    def edit(root: etree._Element) -> None:
        node = _by_id(root, element_id)
        [incoming] = [_by_id(root, ref.text) for ref in node.iterchildren(BPMN + "incoming")]
        [outgoing] = [_by_id(root, ref.text) for ref in node.iterchildren(BPMN + "outgoing")]
        after = _by_id(root, outgoing.get("targetRef"))
        incoming.set("targetRef", after.get("id"))
        for ref in after.iterchildren(BPMN + "incoming"):
            if ref.text == outgoing.get("id"):
                ref.text = incoming.get("id")
        for gone in (node, outgoing, *_layout(root, element_id), *_layout(root, outgoing.get("id")),
                     *[ref for ref in root.iter(BPMN + "flowNodeRef") if ref.text == element_id]):
            gone.getparent().remove(gone)
    return edit


def add_user_task(after_id: str, task_id: str, name: str, form: str) -> Edit:
    """A new user task right after ``after_id`` (in its lane), laid out below it."""
    def edit(root: etree._Element) -> None:
        before = _by_id(root, after_id)
        [outgoing] = [_by_id(root, ref.text) for ref in before.iterchildren(BPMN + "outgoing")]
        flow_id = f"flow_{task_id}"
        task = etree.SubElement(before.getparent(), BPMN + "userTask", id=task_id, name=name)
        properties = etree.SubElement(etree.SubElement(task, BPMN + "extensionElements"), SPIFF + "properties")
        etree.SubElement(properties, SPIFF + "property", name="formJsonSchemaFilename", value=form)
        etree.SubElement(task, BPMN + "incoming").text = outgoing.get("id")
        etree.SubElement(task, BPMN + "outgoing").text = flow_id
        etree.SubElement(before.getparent(), BPMN + "sequenceFlow", id=flow_id, sourceRef=task_id,
                         targetRef=outgoing.get("targetRef"))
        for ref in _by_id(root, outgoing.get("targetRef")).iterchildren(BPMN + "incoming"):
            if ref.text == outgoing.get("id"):
                ref.text = flow_id
        outgoing.set("targetRef", task_id)
        for ref in list(root.iter(BPMN + "flowNodeRef")):
            if ref.text == after_id:
                etree.SubElement(ref.getparent(), BPMN + "flowNodeRef").text = task_id
        [shape] = _layout(root, after_id)
        bounds = shape.find(DC + "Bounds")
        x, y = float(bounds.get("x")), float(bounds.get("y")) + 120
        plane = shape.getparent()
        new_shape = etree.SubElement(plane, BPMNDI + "BPMNShape", id=f"{task_id}_di", bpmnElement=task_id)
        etree.SubElement(new_shape, DC + "Bounds", x=f"{x:g}", y=f"{y:g}", width="100", height="80")
        edge = etree.SubElement(plane, BPMNDI + "BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        etree.SubElement(edge, DI + "waypoint", x=f"{x + 50:g}", y=f"{y:g}")
        etree.SubElement(edge, DI + "waypoint", x=f"{x + 50:g}", y=f"{y - 40:g}")
    return edit


def _by_id(root: etree._Element, element_id: str) -> etree._Element:
    [found] = root.xpath("//*[@id=$id]", id=element_id)
    return found


def _layout(root: etree._Element, element_id: str) -> list[etree._Element]:
    return [el for el in root.iter(BPMNDI + "BPMNShape", BPMNDI + "BPMNEdge") if el.get("bpmnElement") == element_id]
