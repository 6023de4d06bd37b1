"""The province's dashboard in a real browser: ECharts draws each chart (a canvas) beside its table, with no error in
the console and nothing the Content-Security-Policy blocks; a screenshot of each page."""

from __future__ import annotations

from typing import Any

import pytest
from browserkit import LiveServer, Screens, assert_accessible, sign_in
from exchange import COUNTY

from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster


@pytest.fixture(scope="module")
def campaign(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Shizong's campaign with 120 holders, a third of them exchanged; Lushan, the deployment's own county, has
    no campaign."""
    folder = tmp_path_factory.mktemp("roster")
    write_roster(generate_roster(COUNTY, 120), folder / "county.csv")
    import_roster(live.runtime.sessions, live.runtime, folder / "county.csv", actor="county", county=COUNTY)
    waiting = [t for t in live.runtime.tasks(limit=1000) if t["name"] == "exchange"]
    for task in waiting[: len(waiting) // 3]:
        live.runtime.complete_task(task["id"], {"verification": "match", "old_certificate": "collected",
                                                "issued_on": "2022-03-25"}, actor="township-clerk")


def watched(page: Any) -> list[str]:
    """The errors the page's scripts raise or log from now on."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_drawn(page: Any, chart: str) -> None:
    """ECharts drew the chart: a canvas of a real size inside its box."""
    canvas = page.locator(f"#{chart} canvas")
    canvas.first.wait_for()
    box = canvas.first.bounding_box()
    assert box and box["width"] > 300 and box["height"] > 100, chart


def test_the_province_sees_the_counties_charts_beside_their_tables(  # type: ignore[no-untyped-def]
        browser, live: LiveServer, screens: Screens, campaign) -> None:
    page = sign_in(browser, live, "province")
    assert page.url.endswith("/province")  # where the province's staff land
    errors = watched(page)
    page.reload()
    assert_drawn(page, "county-chart")
    assert page.locator("#counties tbody tr").count() == 2  # 庐山市 (no campaign yet) and 师宗县
    assert page.locator("#counties tr[data-county='530323'] td").first.inner_text() == "120"  # new applicants apart
    chart, table = page.locator("#county-chart").bounding_box(), page.locator("#counties").bounding_box()
    assert chart and table and table["x"] > chart["x"] + chart["width"] - 1  # side by side on a desktop
    screens.shot(page, "province")
    assert_accessible(page)

    page.click("#counties a:text('师宗县')")
    page.wait_for_url(f"**/province/{COUNTY.code}")
    assert_drawn(page, "township-chart")
    assert page.locator("#townships tbody tr").count() == len(COUNTY.townships)
    screens.shot(page, "county")
    assert errors == []
