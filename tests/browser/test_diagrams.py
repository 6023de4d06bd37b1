"""Every deployed diagram opens cleanly in bpmn-js: no import warnings, every element drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from browserkit import diagram_page, elements_that_need_a_shape

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_diagram_opens_in_bpmn_js_without_warnings(browser, bpmn_js, artifacts, diagram):
    page = diagram_page(browser, bpmn_js, "bpmn-navigated-viewer.production.min.js")
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
