"""Administrators and analysts at county scale, in a real browser: the organisation tree searched, the modeler's
办理组 chosen from the groups, a refused deployment marked on the canvas, two versions compared side by side."""

from __future__ import annotations

from browserkit import LiveServer, Screens, sign_in
from lushan import application
from test_analyst import deploy, select

# The zoom of each diagram shown: the scale of its viewport's transform.
SCALES = ("() => [...document.querySelectorAll('.diagram svg > .viewport')]"
          ".map(v => v.transform.baseVal.consolidate().matrix.a)")


def test_the_administrator_finds_a_village_in_the_organisation(browser, live: LiveServer, screens: Screens) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(browser, live, "admin")
    page.goto(f"{live.url}/admin/groups")
    bailu = page.locator('[data-township="360483101"]')
    assert "白鹿镇" in bailu.locator("summary").inner_text()
    assert bailu.locator("tr[data-group]").count() == 2
    screens.shot(page, "tree")

    page.fill("input[name=q]", "玉京")
    page.click('form[role=search] button[type=submit]')
    page.wait_for_url(lambda url: "q=" in url)
    rows = page.locator("tr[data-group]")
    assert rows.count() == 1 and "白鹿镇玉京村" in rows.first.inner_text()
    assert page.locator('[data-township="360483101"] tr[data-group="village-360483101209"]').is_visible()
    screens.shot(page, "tree-search")
    rows.first.locator("a").first.click()
    page.wait_for_url(lambda url: url.endswith("/admin/groups/village-360483101209"))

    page.goto(f"{live.url}/admin/users")
    page.fill("input[name=q]", "人民医院")
    page.click('form[role=search] button[type=submit]')
    assert [page.locator("#users tr[data-user]").nth(i).get_attribute("data-user")
            for i in range(page.locator("#users tr[data-user]").count())] == ["renmin"]
    screens.shot(page, "users-search")
    page.close()


def candidate_group(page) -> str:  # type: ignore[no-untyped-def]
    """The candidateGroup property of the selected element, as the saved diagram will hold it."""
    return page.evaluate("""() => {
        const [element] = window.certflowModeler.get('selection').get();
        const values = element.businessObject.extensionElements.values;
        const properties = values.find(v => v.$type === 'spiffworkflow:Properties').properties;
        return (properties.find(p => p.name === 'candidateGroup') || {}).value || '';
    }""")


def pick(page, element_id: str) -> None:  # type: ignore[no-untyped-def]
    """Select an element far off the screen, as the problem list does: scrolled to and selected."""
    page.evaluate("""id => {
        const modeler = window.certflowModeler;
        const element = modeler.get('elementRegistry').get(id);
        modeler.get('canvas').scrollToElement(element);
        modeler.get('selection').select(element);
    }""", element_id)
    page.wait_for_selector(f'#properties-body[data-element="{element_id}"]')


def test_the_analyst_picks_a_group_and_sees_a_refused_deployment_on_the_canvas(  # type: ignore[no-untyped-def]
    browser, live: LiveServer, screens: Screens,
) -> None:
    page = sign_in(browser, live, "analyst")
    page.goto(f"{live.url}/modeling/drafts/application_online.bpmn")
    page.wait_for_selector("#canvas[data-ready=true]")
    select(page, "pre_review")
    group = page.locator("#panel-candidate-group")
    assert group.locator("option:checked").inner_text() == "庐山市残联综合窗口"
    assert page.locator("#panel-candidate-group-expression").is_hidden()
    assert "残疾人证申请表（application.json）" in page.locator("#panel-form").inner_text()  # forms by their title

    page.select_option("#panel-candidate-group", label="庐山市人民医院")
    assert candidate_group(page) == '"hospital-renmin"'
    pick(page, "committee_review")  # an expression stays one, shown as it is written
    assert page.locator("#panel-candidate-group option:checked").inner_text() == "表达式…"
    assert page.input_value("#panel-candidate-group-expression") == "expert_group"
    screens.shot(page, "group-expression")
    pick(page, "pre_review")
    assert page.locator("#panel-candidate-group option:checked").inner_text() == "庐山市人民医院"

    # A task without a form is refused; the task is outlined on the canvas with the message on its badge.
    page.select_option("#panel-form", "")
    deploy(page, "预审改由医院办理")
    assert page.locator("#result tr.problem").count() == 1
    page.wait_for_selector('.djs-element.cf-problem[data-element-id="pre_review"]')
    badge = page.locator('.cf-problem-badge[data-element="pre_review"]')
    badge.hover()
    tip = badge.locator(".cf-problem-tip")
    assert tip.is_visible() and "没有指定表单" in tip.inner_text()
    screens.shot(page, "refused-on-canvas")
    page.click("#canvas", position={"x": 5, "y": 5})
    badge.click()
    page.wait_for_selector('#properties-body[data-element="pre_review"]')

    page.select_option("#panel-form", "review.json")
    deploy(page, "预审改由医院办理")
    assert page.locator('#deploy-result li[data-process="application_online"]').get_attribute("data-created") == "true"
    assert page.locator(".cf-problem").count() == 0 and page.locator(".cf-problem-badge").count() == 0
    case = live.runtime.start_case("application_online", application(applicant_name="周敏"), actor="applicant")
    [review] = live.runtime.tasks(case=case)
    assert (review["name"], review["group"]) == ("pre_review", "hospital-renmin")

    # Compare: both versions side by side, zooming one zooms the other.
    page.goto(f"{live.url}/modeling/processes/application_online/compare")
    page.wait_for_selector(".compare-diagrams[data-ready=true]")
    boxes = page.locator(".compare-diagrams .diagram").evaluate_all(
        "ds => ds.map(d => d.getBoundingClientRect()).map(r => [Math.round(r.left), Math.round(r.top)])")
    assert boxes[0][1] == boxes[1][1] and boxes[0][0] < boxes[1][0]  # side by side
    [before, _] = page.evaluate(SCALES)
    page.click("[data-zoom=in]")
    page.wait_for_function(f"() => {{ const [a, b] = ({SCALES})(); return a > {before} && Math.abs(a - b) < 0.01; }}")
    screens.shot(page, "compare-side-by-side")
    page.close()
