"""A nested, conditional form with a uiSchema filled in the browser: the household form written for the tests
(tests/engine/household). Fields appear as their conditions come to hold, rows are added and removed in the
page, a hidden field is not posted, and the case gets the nested data."""

from __future__ import annotations

from pathlib import Path

from browserkit import LiveServer, Screens, sign_in
from playwright.sync_api import expect

from certflow.engine.specs import read_paths

HOUSEHOLD = Path(__file__).resolve().parents[1] / "engine" / "household"


def test_a_clerk_fills_a_nested_conditional_form(browser, live: LiveServer, screens: Screens) -> None:  # type: ignore[no-untyped-def]
    live.runtime.deploy(read_paths([HOUSEHOLD]), author="tests")
    number = live.runtime.start_case("household", {}, actor="window")
    [task] = live.runtime.tasks(case=number)
    page = sign_in(browser, live, "window")
    page.goto(f"{live.url}/tasks/{task['id']}")

    assert page.locator("#instructions").inner_text().startswith("请与王<芳>核对家庭成员。")
    rent, note_by = page.locator("[data-field=rent]"), page.locator("[data-field=note_by]")
    expect(rent).to_be_hidden()
    expect(note_by).to_be_hidden()
    assert page.locator("[data-field=source]").count() == 0  # ui:widget hidden: an input without a box

    page.select_option("[name=town]", "huajing")
    page.fill("[name='contact.name']", "李明")
    page.check("[name=housing][value=rent]")
    expect(rent).to_be_visible()
    page.fill("[name=rent]", "600")
    page.fill("[name=note]", "外出务工")
    expect(note_by).to_be_visible()
    page.fill("[name=note]", "")
    expect(note_by).to_be_hidden()

    # The first row is there (the list needs one); a second is added in the page, a third added and removed.
    page.fill("[name='members.0.name']", "张兰")
    page.select_option("[name='members.0.relation']", "配偶")
    page.click("[data-add-row=members]")
    page.click("[data-add-row=members]")
    assert page.locator("[data-rows=members] > .row").count() == 3
    page.locator("[data-rows=members] > .row").nth(2).locator("[data-remove-row]").click()
    second = page.locator("[data-rows=members] > .row").nth(1)
    second.locator("input[name$='.name']").fill("李小")
    second.locator("select[name$='.relation']").select_option("子女")
    card = second.locator("[data-field$='.card_no']")
    expect(card).to_be_hidden()
    second.locator("input[name$='.disabled'][value=true]").check()
    expect(card).to_be_visible()
    screens.shot(page, "filled-without-card")

    page.click("button[name=action][value=complete]")
    error = page.locator("[data-field='members.1.card_no'] .field-error")
    assert error.inner_text() == "第2项 残疾人证号：必填"
    # Shown again as typed, conditions judged again (by the page's script, once loaded): the card number and the rent
    # show, the note's author not.
    expect(page.locator("[data-field='members.1.card_no']")).to_be_visible()
    expect(rent).to_be_visible()
    expect(note_by).to_be_hidden()
    screens.shot(page, "error-beside-the-row")
    page.fill("[name='members.1.card_no']", "36048320100101123X42")
    page.click("button[name=action][value=complete]")
    page.wait_for_url(f"{live.url}/inbox")

    data = live.runtime.case(number)["data"]
    assert data["town"] == "huajing" and data["rent"] == 600 and "note_by" not in data
    assert data["members"] == [
        {"name": "张兰", "relation": "配偶"},
        {"name": "李小", "relation": "子女", "disabled": True, "card_no": "36048320100101123X42"},
    ]
