"""The re-assessment pages: the schedule and its sign-in sheets, the notices with their tear-off receipts,
recording the receipts returned; each township's clerk sees their own township, hospitals their categories."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, EXPERTS, GUARDIAN, TOWNSHIP, roster_csv, roster_row, shizong_id
from flask import Flask
from webkit import PASSWORD, login, post

from certflow.campaign.reassessment import listings
from certflow.campaign.reassessment.scheduling import schedule
from certflow.campaign.roster import import_roster
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

OTHER_TOWNSHIP = "township-530323001"  # 丹凤街道
NOTICES, RECEIPTS = f"/campaign/reassessment/notices/{TOWNSHIP}", f"/campaign/reassessment/receipts/{TOWNSHIP}"


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 16 March 2022: the notices go out before the re-assessment starts on 28 March."""
    return FixedClock(datetime.fromisoformat("2022-03-16T09:00:00+08:00"))


@pytest.fixture
def holders(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> dict[str, str]:
    """Three 目测 holders of 雄壁镇 (one visited at home, one 精神) and one of 丹凤街道, scheduled; name -> case."""
    rows = [
        roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测"),
        roster_row(applicant_name="赵春梅", id_number=shizong_id("19700101", "043"), basis="目测", grade="一级",
                   home_visit="是"),
        roster_row(applicant_name="周光辉", id_number=shizong_id("19700101", "053"), basis="目测", category="精神",
                   **GUARDIAN),
        roster_row(applicant_name="张美兰", id_number=shizong_id("19700101", "063"), basis="目测", township="丹凤街道",
                   village="丹凤社区", address="师宗县丹凤街道8号"),
    ]
    report = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county",
                           county=COUNTY)
    assert report.rejected == []
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    accounts.create("xiongbi", PASSWORD, display_name="雄壁镇 经办", roles=["township"], groups=[TOWNSHIP],
                    county=COUNTY.code)
    accounts.create("fengqi", PASSWORD, display_name="丹凤街道 经办", roles=["township"], groups=[OTHER_TOWNSHIP],
                    county=COUNTY.code)
    accounts.create("tcm", PASSWORD, display_name="中医医院 经办", roles=["hospital"], groups=["hospital-sz-tcm"],
                    county=COUNTY.code)
    accounts.create("shizong", PASSWORD, display_name="县残联 经办", roles=["county"], groups=[COUNTY_GROUP],
                    county=COUNTY.code)
    return dict(zip([r["applicant_name"] for r in rows], report.started, strict=True))


def notices_of(html: str) -> dict[str, lxml.html.HtmlElement]:
    return {n.get("data-case"): n for n in lxml.html.fromstring(html).cssselect("section.notice")}


def text(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_the_notices_print_one_a_page_each_with_a_receipt_to_tear_off(app: Flask, holders: dict[str, str]) -> None:
    page = login(app.test_client(), "xiongbi").get(NOTICES).get_data(as_text=True)
    found = notices_of(page)
    assert set(found) == {holders[n] for n in ("李国强", "赵春梅", "周光辉")}
    assert "break-after: page" in page
    assert shizong_id("19700101", "033") not in page and "530323********0336" not in page

    notice = found[holders["李国强"]]
    body = text(notice)
    assert "李国强（身份证号码：530323********" in body and "雄壁镇天生桥村" in body
    assert "评定时间：2022年3月28日（星期一） 评定地点：雄壁镇卫生院" in body
    assert "不收取工本费" in body and "医学辅助检查和照片等费用由个人自理" in body
    assert "到务工地具有评残资格的评残机构医院评定" in body and "安排上门评定" in body
    [cut] = notice.cssselect(".cut")
    [receipt] = notice.cssselect(".receipt")
    assert "沿此线剪下" in text(cut)
    assert notice.index(cut) < notice.index(receipt)  # the receipt is below the cut line
    assert f"案件编号：{holders['李国强']} 姓名：李国强 村(社区)：雄壁镇天生桥村" in text(receipt)
    assert "签名" in text(receipt) and "日期" in text(receipt)

    assert "评定医生计划于 2022年5月16日（星期一） 到您家中评定" in text(found[holders["赵春梅"]])
    assert "监护人陪同" in text(found[holders["周光辉"]]) and "监护人陪同" not in body


def test_notices_are_paged(app: Flask, holders: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listings, "PAGE_SIZE", 2)
    xiongbi = login(app.test_client(), "xiongbi")
    first = xiongbi.get(NOTICES).get_data(as_text=True)
    assert len(notices_of(first)) == 2 and "第 1 / 2 页" in first and f"{NOTICES}?page=2" in first
    assert len(notices_of(xiongbi.get(f"{NOTICES}?page=2").get_data(as_text=True))) == 1


def test_each_township_sees_its_own_and_hospitals_their_categories(app: Flask, as_user,  # type: ignore[no-untyped-def]
                                                                   accounts: Accounts,
                                                                   holders: dict[str, str]) -> None:
    fengqi = login(app.test_client(), "fengqi")
    assert fengqi.get(NOTICES).status_code == 404
    assert fengqi.get(RECEIPTS).status_code == 404
    assert post(fengqi, RECEIPTS, {"case": holders["李国强"]}, page="/campaign/reassessment/").status_code == 404
    assert fengqi.get("/campaign/reassessment/day?day=2022-03-28&venue=雄壁镇卫生院").status_code == 404
    schedule_page = fengqi.get("/campaign/reassessment/").get_data(as_text=True)
    assert "县残联办公区" in schedule_page and "雄壁镇卫生院" not in schedule_page

    county = as_user("shizong").get("/campaign/reassessment/").get_data(as_text=True)
    assert "雄壁镇卫生院" in county and "县残联办公区" in county and "上门评定（雄壁镇）" in county
    assert "可以按期完成" in county

    tcm = login(app.test_client(), "tcm")
    assert tcm.get(NOTICES).status_code == 403
    day = tcm.get("/campaign/reassessment/day?day=2022-03-28&venue=雄壁镇卫生院").get_data(as_text=True)
    assert "李国强" in day and "周光辉" not in day  # 精神 is 康宁's
    assert "<th>肢体</th>" in tcm.get("/campaign/reassessment/").get_data(as_text=True)
    assert as_user("window").get("/campaign/reassessment/").status_code == 404  # another county's campaign
    accounts.create("experts", PASSWORD, display_name="专家委员会", roles=["expert_committee"], groups=[EXPERTS],
                    county=COUNTY.code)
    assert login(app.test_client(), "experts").get("/campaign/reassessment/").status_code == 403


def test_the_day_list_is_a_sign_in_sheet(app: Flask, holders: dict[str, str]) -> None:
    page = login(app.test_client(), "xiongbi").get("/campaign/reassessment/day?day=2022-03-28&venue=雄壁镇卫生院")
    sheet = lxml.html.fromstring(page.get_data(as_text=True))
    rows = sheet.cssselect("#day-list tbody tr")
    assert [r.get("data-case") for r in rows] == [holders["李国强"], holders["周光辉"]]
    assert "本人(监护人)签名" in text(sheet.cssselect("#day-list thead")[0])
    assert "530323********" in text(rows[0])


def test_receipts_returned_move_the_cases_on(app: Flask, runtime: Runtime, holders: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")
    page = lxml.html.fromstring(xiongbi.get(RECEIPTS).get_data(as_text=True))
    assert [s.text for s in page.cssselect("#counts strong")] == ["3", "0", "3"]
    chosen = {r.get("data-case"): r.cssselect("select option[selected]")[0].get("value")
              for r in page.cssselect("#receipts tbody tr")}
    assert chosen == {holders["李国强"]: "local", holders["赵春梅"]: "home_visit", holders["周光辉"]: "local"}

    response = post(xiongbi, RECEIPTS, {
        "case": [holders["李国强"], holders["赵春梅"]],
        f"served_on-{holders['李国强']}": "2022-03-16", f"attendance-{holders['李国强']}": "local",
        f"served_on-{holders['赵春梅']}": "2022-03-15", f"attendance-{holders['赵春梅']}": "home_visit",
        f"served_on-{holders['周光辉']}": "2022-03-16", f"attendance-{holders['周光辉']}": "local",
    }, page=RECEIPTS)
    assert response.status_code == 302
    after = xiongbi.get(RECEIPTS).get_data(as_text=True)
    assert "已登记回执 2 份" in after
    assert [s.text for s in lxml.html.fromstring(after).cssselect("#counts strong")] == ["3", "2", "1"]
    assert holders["李国强"] not in after and holders["周光辉"] in after

    assert [t["name"] for t in runtime.case(holders["李国强"])["open_tasks"]] == ["reassess"]
    assert [t["name"] for t in runtime.case(holders["赵春梅"])["open_tasks"]] == ["home_visit_assess"]
    [served] = runtime.tasks(case=holders["赵春梅"], status="completed")
    assert served["completed_by"] == "xiongbi"
    assert runtime.case(holders["赵春梅"])["data"]["served_on"] == "2022-03-15"


def test_a_row_that_fails_is_listed_and_the_others_go_through(app: Flask, runtime: Runtime,
                                                              holders: dict[str, str]) -> None:
    [taken] = runtime.tasks(case=holders["周光辉"])
    runtime.claim(taken["id"], actor="somebody-else")
    xiongbi = login(app.test_client(), "xiongbi")
    response = post(xiongbi, RECEIPTS, {
        "case": [holders["周光辉"], holders["李国强"], holders["赵春梅"]],
        f"served_on-{holders['周光辉']}": "2022-03-16", f"attendance-{holders['周光辉']}": "local",
        f"served_on-{holders['李国强']}": "2022-03-16", f"attendance-{holders['李国强']}": "local",
        f"served_on-{holders['赵春梅']}": "2022-03-17", f"attendance-{holders['赵春梅']}": "home_visit",
    }, page=RECEIPTS)
    assert response.status_code == 200
    failed = {li.get("data-case"): text(li) for li in lxml.html.fromstring(response.get_data(as_text=True))
              .cssselect("#failed li")}
    assert set(failed) == {holders["周光辉"], holders["赵春梅"]}
    assert "周光辉：已被他人认领或办理" in failed[holders["周光辉"]]
    assert "送达日期不能晚于今天" in failed[holders["赵春梅"]]
    assert "已登记回执 1 份" in response.get_data(as_text=True)
    assert [t["name"] for t in runtime.case(holders["李国强"])["open_tasks"]] == ["reassess"]
    assert [t["name"] for t in runtime.case(holders["周光辉"])["open_tasks"]] == ["serve_notice"]


def test_the_county_makes_the_schedule_on_the_page(app: Flask, runtime: Runtime, accounts: Accounts,
                                                   tmp_path: Path) -> None:
    rows = [roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测")]
    import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county", county=COUNTY)
    accounts.create("shizong", PASSWORD, display_name="县残联 经办", roles=["county"], groups=[COUNTY_GROUP],
                    county=COUNTY.code)
    accounts.create("xiongbi", PASSWORD, display_name="雄壁镇 经办", roles=["township"], groups=[TOWNSHIP],
                    county=COUNTY.code)
    county = login(app.test_client(), "shizong")
    assert "no-schedule" in county.get("/campaign/reassessment/").get_data(as_text=True)

    refused = post(county, "/campaign/reassessment/", {"start": "28/03/2022"}, page="/campaign/reassessment/")
    assert "YYYY-MM-DD" in county.get(refused.location).get_data(as_text=True)
    made = post(county, "/campaign/reassessment/", {"start": "2022-03-29"}, page="/campaign/reassessment/")
    html = county.get(made.location).get_data(as_text=True)
    assert "本次安排集中评定1人" in html and "2022年3月29日" in html

    xiongbi = login(app.test_client(), "xiongbi")
    assert 'id="make-schedule"' not in xiongbi.get("/campaign/reassessment/").get_data(as_text=True)
    assert post(xiongbi, "/campaign/reassessment/", {}, page="/campaign/reassessment/").status_code == 403
