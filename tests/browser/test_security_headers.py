"""The pages work under their Content-Security-Policy: bpmn-js's viewer and modeler, the form and decision
editors, the portal, the print buttons, with not one violation; and an injected script does not run."""

from __future__ import annotations

from typing import Any

from browserkit import DESKTOP, LiveServer, sign_in
from exchange import COUNTY, TOWNSHIP

WATCH = """
window.violations = [];
document.addEventListener('securitypolicyviolation',
  (event) => window.violations.push(`${event.effectiveDirective} ${event.blockedURI} ${event.sourceFile}`));
window.print = () => { window.printed = true; };  // headless Chromium has no print dialog to open
"""


def watch(page: Any) -> Any:
    page.add_init_script(WATCH)
    page.blocked = []
    page.on("console", lambda message: page.blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    return page


def visit(page: Any, url: str, ready: str) -> None:
    """Open ``url``, wait for ``ready``, and check the policy came with it and blocked nothing."""
    response = page.goto(url)
    assert "script-src 'self';" in response.headers["content-security-policy"], url
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    assert (page.evaluate("window.violations"), page.blocked) == ([], []), url


def test_every_kind_of_page_works_under_the_policy(browser, live: LiveServer) -> None:  # type: ignore[no-untyped-def]
    analyst = watch(sign_in(browser, live, "analyst"))
    modeling = f"{live.url}/modeling"
    visit(analyst, modeling, "#processes")
    visit(analyst, f"{modeling}/drafts/application_online.bpmn", "#canvas[data-ready=true]")
    analyst.click('.djs-element[data-element-id="pre_review"]')  # the modeler answers: its side panel opens
    analyst.wait_for_selector('#properties-body[data-element="pre_review"]')
    visit(analyst, f"{modeling}/processes/application_online/compare?old=1&new=1",
          ".diagram[data-ready=true] >> nth=1")
    visit(analyst, f"{modeling}/decisions/hospital_routing.dmn", "table")
    visit(analyst, f"{modeling}/forms/review.json", "#preview [data-field]")
    assert analyst.evaluate("window.violations") == []
    analyst.close()

    auditor = watch(sign_in(browser, live, "auditor"))
    number = live.runtime.case_numbers()[0]
    visit(auditor, f"{live.url}/cases/{number}", "#diagram[data-ready=true]")
    visit(auditor, f"{live.url}/cases/{number}/replay", "#stepper")
    auditor.close()

    live.accounts.create("xiongbi-csp", "demo", display_name="雄壁镇残联 经办", roles=["township"],
                         groups=[TOWNSHIP], county=COUNTY.code, demo=True)
    township = watch(sign_in(browser, live, "xiongbi-csp"))
    visit(township, f"{live.url}/campaign/register", "[data-print]")
    township.click("[data-print]")
    assert township.evaluate("window.printed") is True
    visit(township, f"{live.url}/campaign/reassessment/", "main")
    township.close()

    applicant = watch(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    visit(applicant, f"{live.url}/apply", "#application")
    visit(applicant, f"{live.url}/status", "#lookup")
    applicant.close()


def test_an_injected_script_does_not_run(browser, live: LiveServer) -> None:  # type: ignore[no-untyped-def]
    """What a stored or reflected injection would put in a page: a script, an event handler, a javascript: link."""
    page = watch(browser.new_page(viewport=DESKTOP, locale="zh-CN"))
    page.goto(f"{live.url}/apply")
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.textContent = 'window.pwned = "script"';
      document.body.append(script);
      document.body.insertAdjacentHTML('beforeend',
        '<img src="/no-such-image.png" onerror="window.pwned = \\'handler\\'">' +
        '<a id="bad-link" href="javascript:window.pwned = \\'link\\'">x</a>');
    }""")
    page.click("#bad-link")
    page.wait_for_function("window.violations.length >= 3")
    assert page.evaluate("window.pwned") is None
    blocked = sorted(violation.split()[:2] for violation in page.evaluate("window.violations"))
    assert blocked == [["script-src-attr", "inline"], ["script-src-elem", "inline"], ["script-src-elem", "inline"]]
    page.close()
