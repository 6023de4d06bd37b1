"""The exchange at a township federation in a real browser: find the holder at the desk, check them against the
certificate, take the old certificate back and hand the card over; then the register, the village's ledger and
the county's dashboard, with a screenshot of each page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from browserkit import LiveServer, Screens, sign_in
from exchange import COUNTY, COUNTY_GROUP, TOWNSHIP, VILLAGE, roster_csv, roster_row

from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster

CLERK, COUNTY_CLERK = "xiongbi-clerk", "shizong-county"
FIRST_DAY = date(2022, 3, 17)  # the day after the township federations collected the pre-made cards


@pytest.fixture(scope="module")
def holder(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A county roster of 300 holders plus 王秀英 of 雄壁镇天生桥村 (her case number); two thirds of those assessed by
    a hospital already exchanged over the fortnight before the first deadline, as other clerks recorded it."""
    folder = tmp_path_factory.mktemp("roster")
    write_roster(generate_roster(COUNTY, 300), folder / "county.csv")
    import_roster(live.runtime.sessions, live.runtime, folder / "county.csv", actor="county", county=COUNTY)
    [number] = import_roster(live.runtime.sessions, live.runtime, roster_csv(folder / "holder.csv", [roster_row()]),
                             actor="county", county=COUNTY).started
    for username, roles, groups, name in ((CLERK, ["township"], [TOWNSHIP], "雄壁镇残联 李娟"),
                                          (COUNTY_CLERK, ["county"], [COUNTY_GROUP], "师宗县残联 陆松")):
        live.accounts.create(username, "demo", display_name=name, roles=roles, groups=groups, county=COUNTY.code,
                             demo=True)
    waiting = [t for t in live.runtime.tasks(limit=1000) if t["name"] == "exchange" and t["case"] != number]
    for n, task in enumerate(waiting[: len(waiting) * 2 // 3]):
        issued_on = FIRST_DAY + timedelta(days=n * 14 // len(waiting))
        live.runtime.complete_task(task["id"], {"verification": "match", "old_certificate": "collected",
                                                "issued_on": issued_on.isoformat()}, actor="township-clerk")
    return number


def test_a_township_clerk_exchanges_a_card_and_the_reports_show_it(browser, live: LiveServer, screens: Screens,
                                                                    holder: str) -> None:
    page = sign_in(browser, live, CLERK)
    assert page.url.endswith("/campaign/desk")  # a township clerk starts on the desk
    page.fill("input[name=q]", "王秀英")
    page.click("form.filters button")
    row = page.locator(f"tr[data-case='{holder}']")
    assert "530323********" in row.inner_text() and "核验并换证" in row.inner_text()
    screens.shot(page, "desk-found")

    row.locator("a").first.click()
    page.wait_for_selector("#holder")
    assert "肢体 3级" in page.inner_text("#holder")
    screens.shot(page, "holder")
    page.click("text=办理：核验并换证")
    page.wait_for_selector("#task-form")
    page.get_by_role("radio", name="人证相符，类别、等级无误").check()
    page.get_by_role("radio", name="已收回").check()
    page.fill("#f-issued_on", "2022-03-25")
    screens.shot(page, "exchange-form")
    page.click("button[value=complete]")
    page.wait_for_url(re.compile(r"/inbox"))
    assert f"已提交。案件 {holder}" in page.inner_text(".flash")

    page.click("text=发放登记表")
    line = page.locator(f"#register tr[data-case='{holder}']")
    assert all(text in line.inner_text() for text in ("王秀英", "已收回", "2022-03-25", "李娟"))  # the clerk, by name
    screens.shot(page, "register")

    page.click("text=换证台账")
    page.select_option("select[name=village]", VILLAGE)
    page.click("#choose button")
    page.wait_for_selector("#ledger")
    assert "已换证" in page.inner_text(f"#ledger tr[data-case='{holder}']")
    assert "合计" in page.inner_text("#summary")
    screens.shot(page, "ledger")
    page.emulate_media(media="print")
    screens.shot(page, "ledger-print")
    assert not page.locator(".topbar").is_visible()

    county = sign_in(browser, live, COUNTY_CLERK)
    assert county.url.endswith("/campaign/dashboard")  # the county starts on the campaign's progress
    for chart in ("progress-chart", "township-chart", "category-chart"):
        box = county.locator(f"#{chart} svg").bounding_box()
        assert box and box["width"] > 600 and box["height"] > 150, chart
    assert county.locator("#township-chart rect title", has_text="雄壁镇 已换证").count() == 1
    hidden = county.locator("#progress-chart .chart-data").bounding_box()
    assert hidden and hidden["width"] <= 1  # on screen only for screen readers; printed
    screens.shot(county, "dashboard")
