"""Every deployed diagram opens cleanly in bpmn-js: no import warnings, every element drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DRAWN = {"lane", "sequenceFlow"}

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>html, body, #canvas { margin: 0; width: 1800px; height: 1000px; }</style></head>
<body><div id="canvas"></div></body></html>"""


def elements_that_need_a_shape(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    ids = set()
    for process in root.iter(f"{BPMN}process"):
        for element in process.iter():
            if not isinstance(element.tag, str) or not element.get("id"):
                continue
            local = etree.QName(element).localname
            if local in DRAWN or local.endswith(("Task", "Event", "Gateway", "subProcess", "callActivity")):
                ids.add(element.get("id"))
    return ids


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_diagram_opens_in_bpmn_js_without_warnings(browser, bpmn_js, artifacts, diagram):
    page = browser.new_page(viewport={"width": 1800, "height": 1000})
    page.set_content(PAGE)
    for css in ("diagram-js.css", "bpmn-js.css"):
        page.add_style_tag(path=str(bpmn_js / "assets" / css))
    page.add_script_tag(path=str(bpmn_js / "bpmn-viewer.production.min.js"))
    result = page.evaluate(
        """async (xml) => {
            const viewer = new BpmnJS({ container: '#canvas' });
            const { warnings } = await viewer.importXML(xml);
            viewer.get('canvas').zoom('fit-viewport');
            const drawn = viewer.get('elementRegistry').getAll().map(e => e.id);
            return { warnings: warnings.map(w => w.message), drawn };
        }""",
        diagram.read_text(encoding="utf-8"),
    )
    page.screenshot(path=str(artifacts / f"diagram-{diagram.stem}.png"))
    page.close()
    assert result["warnings"] == []
    missing = elements_that_need_a_shape(diagram) - set(result["drawn"])
    assert not missing, f"elements without diagram layout: {sorted(missing)}"
