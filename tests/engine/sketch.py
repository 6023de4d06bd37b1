"""Small diagrams written inline for a test: the process body only, the layout every deployment needs added."""

from __future__ import annotations

import re

from certflow.engine.specs import SourceFile

_HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
         'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
         'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" '
         'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
         'id="{key}_definitions" targetNamespace="http://certflow/tests">')


def sketch(key: str, body: str, *, around: str = "", name: str = "草图") -> SourceFile:
    """``key``.bpmn holding process ``key`` with ``body``; ``around`` goes beside the process (messages).

    Every element of the body with an id gets a shape (a sequence flow an edge), each in its own place.
    """
    shapes = []
    for i, (tag, element_id) in enumerate(re.findall(r"<bpmn:(\w+)\s+id=\"([^\"]+)\"", body)):
        if tag == "sequenceFlow":
            shapes.append(f'<bpmndi:BPMNEdge id="{element_id}_di" bpmnElement="{element_id}">'
                          f'<di:waypoint x="{i * 60}" y="0"/><di:waypoint x="{i * 60 + 40}" y="0"/></bpmndi:BPMNEdge>')
        else:
            shapes.append(f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}">'
                          f'<dc:Bounds x="{i * 60}" y="100" width="36" height="36"/></bpmndi:BPMNShape>')
    xml = (_HEAD.format(key=key) + around
           + f'<bpmn:process id="{key}" name="{name}" isExecutable="true">{body}</bpmn:process>'
           + f'<bpmndi:BPMNDiagram id="{key}_diagram"><bpmndi:BPMNPlane id="{key}_plane" bpmnElement="{key}">'
           + "".join(shapes) + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>")
    return SourceFile(f"{key}.bpmn", xml.encode())
