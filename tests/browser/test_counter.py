"""The counter on a phone and the clerk's task page: a township clerk at 390 px finds those waiting village by
village and exchanges a card from the desk, the 发放日期 already today, the steps taken listed instead of a
diagram; at a desk the case diagram zooms and moves."""

from __future__ import annotations

import pytest
from browserkit import LiveServer, Screens, sign_in
from exchange import COUNTY, TOWNSHIP, roster_csv, roster_row

from certflow.campaign.reassessment.scheduling import schedule
from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster
from certflow.engine.calendar import CHINA_TZ

PHONE = {"width": 390, "height": 844}
CLERK = "xiongbi-counter"


@pytest.fixture(scope="module")
def holder(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A county roster of 60 holders plus 王秀英 of 雄壁镇天生桥村 (her case number), and a township clerk."""
    folder = tmp_path_factory.mktemp("counter")
    write_roster(generate_roster(COUNTY, 60), folder / "county.csv")
    import_roster(live.runtime.sessions, live.runtime, folder / "county.csv", actor="county", county=COUNTY)
    [number] = import_roster(live.runtime.sessions, live.runtime, roster_csv(folder / "holder.csv", [roster_row()]),
                             actor="county", county=COUNTY).started
    schedule(live.runtime.sessions, live.runtime, COUNTY, actor="county")  # the 目测 holders' notices go out
    live.accounts.create(CLERK, "demo", display_name="雄壁镇残联 王芳", roles=["township"], groups=[TOWNSHIP],
                         county=COUNTY.code, demo=True)
    return number


def wider_than_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_a_township_clerk_exchanges_from_the_desk_on_a_phone(browser, live: LiveServer, screens: Screens,
                                                             holder: str) -> None:
    page = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True)
    page.goto(f"{live.url}/login")
    page.fill("#username", CLERK)
    page.fill("#password", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("/campaign/desk"))
    assert "待换证" in page.inner_text("#found")
    villages = page.locator("#holders tr.group").all_inner_texts()
    assert villages and all(v.startswith("雄壁镇") for v in villages) and villages == sorted(villages)
    assert not wider_than_the_screen(page)
    screens.shot(page, "counter-phone-desk")

    row = page.locator(f"tr[data-case='{holder}']")
    row.get_by_role("link", name="核验并换证").click()
    page.wait_for_selector("#task-form")
    today = live.runtime.clock.now().astimezone(CHINA_TZ).date().isoformat()
    assert page.input_value("#f-issued_on") == today
    assert page.locator("#steps-taken").is_visible() and not page.locator("#diagram").is_visible()
    assert "当前环节：核验并换证" in page.inner_text("#steps-taken")
    assert not wider_than_the_screen(page)
    screens.shot(page, "counter-phone-exchange")
    page.click("button[value=complete]")  # nothing chosen yet
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "form-errors"  # the summary takes the focus
    page.get_by_role("radio", name="人证相符，类别、等级无误").check()
    page.get_by_role("radio", name="已收回").check()
    assert page.input_value("#f-issued_on") == today  # hidden until then, it still starts at today
    screens.shot(page, "counter-phone-refused")
    page.click("button[value=complete]")
    page.wait_for_url(lambda url: "/tasks/" not in url)

    page.goto(f"{live.url}/campaign/desk?q={holder[-5:]}")
    assert page.inner_text(f"tr[data-case='{holder}'] td[data-label=办理情况]") == "已换证"

    page.goto(f"{live.url}/campaign/reassessment/receipts/{TOWNSHIP}")
    boxes = page.locator("#receipts input[name=case]")
    assert boxes.count() > 1
    page.get_by_label("全选本页").check()
    assert all(box.is_checked() for box in boxes.all())
    boxes.first.uncheck()
    assert page.evaluate("document.getElementById('select-all').indeterminate")
    page.get_by_label("全选本页").click()  # from some ticked: all
    assert all(box.is_checked() for box in boxes.all())
    page.get_by_label("全选本页").uncheck()
    assert not any(box.is_checked() for box in boxes.all())


def test_the_case_diagram_zooms_and_moves(browser, live: LiveServer, holder: str) -> None:
    page = sign_in(browser, live, CLERK)
    page.locator("#holders a.button").first.click()  # another holder's 核验并换证
    page.wait_for_selector("#task-form")
    page.wait_for_selector("#diagram[data-ready=true]")
    assert not page.locator("#steps-taken").is_visible()

    def viewport() -> str:
        return str(page.get_attribute("#diagram svg g.viewport", "transform"))

    opened = viewport()
    page.get_by_role("button", name="放大").click()
    zoomed = viewport()
    assert zoomed != opened
    box = page.locator("#diagram").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 150, box["y"] + box["height"] / 2 - 40, steps=5)
    page.mouse.up()
    assert viewport() != zoomed  # dragged
    page.get_by_role("button", name="显示全图").click()
    assert viewport() != zoomed
