"""Files saved by Camunda Modeler and by SpiffArena open in the modeler certflow uses and are saved again
with every extension setting kept, so they deploy (or are refused) exactly as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from browserkit import diagram_page, elements_that_need_a_shape
from lxml import etree

from certflow.engine.errors import DeploymentError
from certflow.engine.specs import SourceFile, parse_deployment, read_paths
from handlers.registry import HANDLERS

ROOT = Path(__file__).resolve().parents[2]
FOREIGN = ROOT / "tests" / "engine" / "foreign"
DIAGRAMS = sorted(FOREIGN.glob("*.bpmn"))
MODDLE = ROOT / "certflow" / "web" / "static" / "spiffworkflow.json"  # the extension the modeler page loads
STANDARD = {
    "http://www.omg.org/spec/BPMN/20100524/MODEL", "http://www.omg.org/spec/BPMN/20100524/DI",
    "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance",
}


def extensions(xml: str) -> list[tuple[Any, ...]]:
    """Every attribute and element outside BPMN's own namespaces, with the id of the element it is in."""
    found: list[tuple[Any, ...]] = []
    for el in etree.fromstring(xml.encode()).iter():
        if not isinstance(el.tag, str):
            continue
        where = next((a.get("id") for a in (el, *el.iterancestors()) if a.get("id")), None)
        if etree.QName(el).namespace not in STANDARD:
            found.append((where, el.tag, (el.text or "").strip(), sorted(el.attrib.items())))
        found += [(where, name, value) for name, value in el.attrib.items()
                  if etree.QName(name).namespace not in (None, *STANDARD)]
    return sorted(found, key=repr)


def deployed(name: str, xml: str) -> list[Any]:
    """The processes the file deploys as, with the example forms; or what the refusal names."""
    files = [SourceFile(f"foreign/{name}", xml.encode()), *read_paths(sorted(FOREIGN.glob("*.json")))]
    try:
        return sorted(p.key for p in parse_deployment(files, HANDLERS.signatures).processes)
    except DeploymentError as error:
        return sorted((p.element, p.message) for p in error.problems)


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda p: p.name)
def test_foreign_diagram_survives_the_modeler(browser, bpmn_js, artifacts, diagram):
    original = diagram.read_text(encoding="utf-8")
    page = diagram_page(browser, bpmn_js, "bpmn-modeler.production.min.js")
    result = page.evaluate(
        """async ([xml, spiffworkflow]) => {
            const modeler = new BpmnJS({ container: '#canvas', moddleExtensions: { spiffworkflow } });
            const { warnings } = await modeler.importXML(xml);
            modeler.get('canvas').zoom('fit-viewport');
            const drawn = modeler.get('elementRegistry').getAll().map(e => e.id);
            const { xml: saved } = await modeler.saveXML({ format: true });
            return { warnings: warnings.map(w => w.message), drawn, saved };
        }""",
        [original, json.loads(MODDLE.read_text(encoding="utf-8"))],
    )
    page.screenshot(path=str(artifacts / f"foreign-{diagram.stem}.png"))
    page.close()

    assert result["warnings"] == []
    missing = elements_that_need_a_shape(diagram) - set(result["drawn"])
    assert not missing, f"elements without diagram layout: {sorted(missing)}"
    kept = extensions(original)
    assert any("camunda.org" in repr(e) or "spiffworkflow.org" in repr(e) for e in kept)
    assert extensions(result["saved"]) == kept
    assert deployed(diagram.name, result["saved"]) == deployed(diagram.name, original)
