"""Reading the XML of diagrams and decision tables safely (no entities, no DTDs, no network), and what a new
diagram starts from."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from xml.sax.saxutils import quoteattr

from lxml import etree

_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def parse(text: str) -> etree._Element | None:
    """The document's root, or None when it is not well-formed (a deployment says where)."""
    try:
        return etree.fromstring(text.encode("utf-8"), _SAFE)
    except etree.XMLSyntaxError:
        return None


def local(el: etree._Element) -> str:
    """The tag without its namespace: DMN files come in several namespaces (1.1 to 1.5)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def new_diagram(name: str) -> str:
    """A new executable process for the draft ``name``: a start and an end joined by one flow, laid out, so the
    modeler opens it and a deployment accepts it; its id is the file's stem (made a valid XML id if need be)."""
    stem = PurePosixPath(name).stem
    process_id = stem if re.match(r"[A-Za-z_]", stem) else "p_" + stem
    return _NEW_DIAGRAM.format(id=quoteattr(process_id), plane=quoteattr(f"{process_id}_diagram"))


_NEW_DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="definitions" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id={id} name="新流程" isExecutable="true">
    <bpmn:startEvent id="start" name="开始"/>
    <bpmn:endEvent id="end" name="结束"/>
    <bpmn:sequenceFlow id="start_to_end" sourceRef="start" targetRef="end"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id={plane}>
    <bpmndi:BPMNPlane id="plane" bpmnElement={id}>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="100" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="400" y="100" width="36" height="36"/>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="start_to_end_di" bpmnElement="start_to_end">
        <di:waypoint x="216" y="118"/><di:waypoint x="400" y="118"/>
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
