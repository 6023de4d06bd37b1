"""Each person's day begins: every kind of demo person signs in at their device's width, lands on the page of their
work, and that page and the key page of their main journey pass axe-core with no violation of any impact. A
screenshot of each page is saved in test-artifacts/ to look at."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from browserkit import DESKTOP, PHONE, LiveServer, Screens, assert_accessible, sign_in_on
from exchange import COUNTY

from certflow.demo.shizong import load_campaign_demo


@dataclass(frozen=True)
class Person:
    username: str
    heading: str  # the heading of the page they land on
    tab: str | None  # the queue's tab shown as current, on the task list
    journey: str  # a CSS selector: the link from their first page to the key page of their work
    phone: bool = False


PEOPLE = [
    Person("window", "待办事项", "我的待办", "a[href^='/tasks/']"),
    Person("renmin", "待办事项", "我的待办", "a[href^='/tasks/']"),
    Person("yujing", "待办事项", "我的待办", "a[href^='/tasks/']", phone=True),
    Person("expert", "待办事项", "我的待办", "a[href^='/tasks/']"),
    Person("county", "案件查询", None, "a[href^='/cases/']"),  # Lushan's county has no task waiting
    Person("auditor", "案件查询", None, "a[href^='/cases/']"),
    Person("analyst", "流程管理：庐山市", None, "a[href^='/modeling/drafts/']"),  # of their own county
    Person("admin", "用户管理", None, "a[href='/admin/groups']"),
    Person("xiongbi", "换证服务台", None, "a[href^='/campaign/desk/']", phone=True),
    Person("shizong", "换证进度", None, "a[href^='/campaign/register']"),
    Person("province", "全省换证进度", None, "a[href^='/province/']"),  # a county's townships
]


@pytest.fixture(scope="module")
def both_counties(live: LiveServer) -> LiveServer:
    """Shizong's certificate exchange beside Lushan's demo, as `certflow demo` loads them."""
    load_campaign_demo(live.runtime.sessions, live.runtime, live.accounts, COUNTY)
    return live


@pytest.fixture
def person_page(browser: Any, both_counties: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    person: Person = request.param
    context = browser.new_context(viewport=PHONE if person.phone else DESKTOP, locale="zh-CN",
                                  is_mobile=person.phone, has_touch=person.phone)
    yield sign_in_on(context.new_page(), both_counties, person.username)
    context.close()


@pytest.mark.parametrize("person_page", PEOPLE, indirect=True, ids=[p.username for p in PEOPLE])
def test_each_person_lands_on_their_work_and_its_pages_are_accessible(
        person_page: Any, both_counties: LiveServer, screens: Screens, request: pytest.FixtureRequest) -> None:
    page = person_page
    person: Person = request.node.callspec.params["person_page"]
    assert page.inner_text("main h1") == person.heading
    if person.tab:
        assert page.inner_text(".tabs a.active").startswith(person.tab)
    if person.phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    screens.shot(page, "first-page")
    assert_accessible(page)

    page.locator(person.journey).first.click()
    page.wait_for_load_state("networkidle")
    if person.username == "xiongbi":  # from the holder to the desk's task
        page.click("text=办理：核验并换证")
        page.wait_for_selector("#task-form")
    screens.shot(page, "key-page")
    assert_accessible(page)
