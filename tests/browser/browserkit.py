"""What the browser tests share: the live server's handle, numbered screenshots, a page with bpmn-js, and an
accessibility check with axe-core."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts


@dataclass
class LiveServer:
    """The app served on a free port, with the runtime behind it for what no page does (timers)."""

    url: str
    runtime: Runtime
    accounts: Accounts


class Screens:
    """Numbered screenshots of a journey in test-artifacts/, to look at after a run."""

    def __init__(self, artifacts: Path, journey: str) -> None:
        self.folder = artifacts / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shot(self, page: Any, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(page: Any) -> None:
    """Fail listing every axe-core violation of the page as it is now, whatever its impact (WCAG 2.x A and AA
    rules and axe's best practices)."""
    if not AXE.exists():
        raise AssertionError("axe-core is not installed: run `npm ci` (make install does)")
    # Evaluated rather than added as a <script>: the pages' Content-Security-Policy refuses inline scripts, and
    # a test must not loosen the policy it also checks.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations.map(v => ({id: v.id, "
                           "impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))")
    found = "\n".join(f"{v['impact']} {v['id']}: {v['help']} — {', '.join(v['targets'][:5])}" for v in result)
    assert not result, f"axe-core found on {page.url}:\n{found}"
# What the Content-Security-Policy blocked on signed-in pages, as Chromium reports it; conftest fails the test on any.
POLICY_VIOLATIONS: list[str] = []


def _note_violation(message: Any) -> None:
    if "Content Security Policy" in message.text:
        POLICY_VIOLATIONS.append(message.text)


def sign_in(browser: Any, live: LiveServer, username: str) -> Any:
    """A new page signed in as a demo person (password demo), on the page of their work."""
    return sign_in_on(browser.new_page(viewport=DESKTOP, locale="zh-CN"), live, username)


def sign_in_on(page: Any, live: LiveServer, username: str) -> Any:
    """``page`` (of a context set up for a device) signed in as a demo person, on the page of their work."""
    page.on("console", _note_violation)
    page.goto(f"{live.url}/login")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
DRAWN = {"lane", "sequenceFlow"}
DIAGRAM_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<style>html, body, #canvas { margin: 0; width: 1800px; height: 1000px; }</style></head>
<body><div id="canvas"></div></body></html>"""


def diagram_page(browser: Any, bpmn_js: Path, bundle: str) -> Any:
    """A blank page with bpmn-js's styles and one of its bundles (viewer or modeler), which defines BpmnJS."""
    page = browser.new_page(viewport={"width": 1800, "height": 1000})
    page.set_content(DIAGRAM_PAGE)
    for css in ("diagram-js.css", "bpmn-js.css"):
        page.add_style_tag(path=str(bpmn_js / "assets" / css))
    page.add_script_tag(path=str(bpmn_js / bundle))
    return page


def elements_that_need_a_shape(path: Path) -> set[str]:
    root = etree.parse(str(path)).getroot()
    ids: set[str] = set()
    for process in root.iter(f"{BPMN}process"):
        for element in process.iter():
            element_id = element.get("id")
            if not isinstance(element.tag, str) or not element_id:
                continue
            local = etree.QName(element).localname
            if local in DRAWN or local.endswith(("Task", "Event", "Gateway", "subProcess", "callActivity")):
                ids.add(element_id)
    return ids
