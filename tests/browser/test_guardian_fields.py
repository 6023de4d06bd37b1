"""The application form shows the guardian's fields only when a guardian acts: a minor, 智力 or 精神."""

from __future__ import annotations

from browserkit import LiveServer
from stdnum.cn import ric


def lushan_id(birth: str, sequence: str) -> str:
    body = f"360483{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def test_the_guardian_fields_appear_for_a_minor_or_a_mental_disability_only(browser, live: LiveServer) -> None:
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{live.url}/apply")
    guardian = page.locator("[data-field=guardian_name]")
    page.fill("#f-id_number", lushan_id("19750312", "482"))
    page.select_option("#f-category", "肢体")
    assert not guardian.is_visible()
    page.select_option("#f-category", "精神")
    assert guardian.is_visible() and page.locator("[data-field=guardian_relation]").is_visible()
    page.select_option("#f-category", "听力")
    assert not guardian.is_visible()
    page.fill("#f-id_number", lushan_id("20180101", "246"))  # a child
    assert guardian.is_visible() and page.locator("[data-field=guardian_id_number]").is_visible()
