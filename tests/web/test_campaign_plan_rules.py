"""The plan's rules on the campaign's pages: a doctor records that no standard is met, the township posts the
publicity and takes the certificate back (康复脱残), the ledger and dashboard count it and the new applicants apart
from the holders, and the county moves a venue-day (另行通知)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, TCM, TOWNSHIP, VILLAGE, ExchangeDriver, roster_csv, roster_row, shizong_id
from flask import Flask
from webkit import PASSWORD, login, post

from certflow.campaign.reassessment.scheduling import schedule
from certflow.campaign.roster import import_roster
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

DAY = "/campaign/reassessment/day?day=2022-03-28&venue=雄壁镇卫生院"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.fromisoformat("2022-03-16T09:00:00+08:00"))


@pytest.fixture
def people(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> dict[str, str]:
    """Two 目测 holders of 雄壁镇天生桥村 and a new applicant there, scheduled; name -> case number."""
    rows = [
        roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测"),
        roster_row(applicant_name="赵春梅", id_number=shizong_id("19700101", "043"), basis="目测"),
        roster_row(applicant_name="吴建国", id_number=shizong_id("19700101", "093"), basis="新评定", grade="",
                   home_visit="是"),
    ]
    report = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county",
                           county=COUNTY)
    assert report.rejected == []
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    for username, name, role, group in (("xiongbi", "雄壁镇 经办", "township", TOWNSHIP),
                                        ("tcm", "中医医院 经办", "hospital", TCM),
                                        ("shizong", "县残联 经办", "county", COUNTY_GROUP)):
        accounts.create(username, PASSWORD, display_name=name, roles=[role], groups=[group], county=COUNTY.code)
    return dict(zip([r["applicant_name"] for r in rows], report.started, strict=True))


def task_path(client, runtime: Runtime, number: str, name: str) -> str:  # type: ignore[no-untyped-def]
    [task] = [t for t in runtime.case(number)["open_tasks"] if t["name"] == name]
    return f"/tasks/{task['id']}"


def test_the_doctor_records_no_standard_met_and_the_township_takes_the_certificate_back(
        app: Flask, runtime: Runtime, clock: FixedClock, people: dict[str, str]) -> None:
    case = ExchangeDriver(runtime, clock, people["李国强"])
    case.serve_notice()
    tcm = login(app.test_client(), "tcm")
    path = task_path(tcm, runtime, case.number, "reassess")
    refused = post(tcm, path, {"action": "complete", "meets_standard": "true", "doctor": "评残医生甲",
                               "conclusion": "肢体残疾", "assessed_on": "2022-03-16"})
    assert refused.status_code == 422 and "评残医生甲" in refused.get_data(as_text=True)  # kept as typed
    done = post(tcm, path, {"action": "complete", "meets_standard": "false", "doctor": "评残医生甲",
                            "conclusion": "肢体功能已恢复，不符合残疾标准", "assessed_on": "2022-03-16"})
    assert done.status_code == 302, done.get_data(as_text=True)
    case.close_objection_window()

    xiongbi = login(app.test_client(), "xiongbi")
    ledger_page = f"/campaign/ledger?township={TOWNSHIP}&village={VILLAGE}"
    waiting = lxml.html.fromstring(xiongbi.get(ledger_page).get_data(as_text=True))
    assert waiting.cssselect(f"#ledger tr[data-case='{case.number}'] td")[8].text_content() == "重新评定中"
    inbox = xiongbi.get("/inbox").get_data(as_text=True)
    assert "乡镇(街道)张贴公示" in inbox
    posted = post(xiongbi, task_path(xiongbi, runtime, case.number, "post_publicity_township"),  # posted today
                  {"action": "complete", "posted_on": "2022-03-31", "posting_place": "雄壁镇人民政府公示栏"})
    assert posted.status_code == 302, posted.get_data(as_text=True)
    assert case.tick("2022-04-12T00:05:00+08:00") == [case.number]
    back = post(xiongbi, task_path(xiongbi, runtime, case.number, "withdraw_certificate"),
                {"action": "complete", "old_certificate": "collected", "withdrawn_on": "2022-04-15"})
    assert back.status_code == 302, back.get_data(as_text=True)
    assert case.view["outcome"] == "withdrawn"

    ledger = xiongbi.get(ledger_page).get_data(as_text=True)
    rows = {r.get("data-case"): [c.text_content() for c in r] for r in
            lxml.html.fromstring(ledger).cssselect("#ledger tbody tr")}
    assert rows[case.number][8] == "康复脱残" and rows[people["吴建国"]][6] == "新评定"
    summary = {r.get("data-key"): [c.text_content() for c in r[1:]] for r in
               lxml.html.fromstring(ledger).cssselect("#summary tbody tr")}
    # 非目测, 目测, 合计 (holders), 已换证, 康复脱残, 新评定
    assert summary["合计"] == ["0", "2", "2", "0", "1", "1"]

    board = lxml.html.fromstring(login(app.test_client(), "shizong").get("/campaign/dashboard").get_data(as_text=True))
    assert board.cssselect("#total")[0].text_content() == "2"  # holders: the new applicant is not one
    assert "康复脱残" in board.cssselect("#withdrawn")[0].text_content()
    assert board.cssselect("#withdrawn strong")[0].text_content() == "1"
    assert board.cssselect('#first td[data-key="评定中"]')[0].text_content() == "1"
    holder = xiongbi.get(f"/campaign/desk/{people['吴建国']}").get_data(as_text=True)
    assert "肢体 （新评定对象，尚无等级）" in holder and "None" not in holder


def test_the_county_moves_a_venue_day_and_the_notices_name_the_new_day(
        app: Flask, runtime: Runtime, clock: FixedClock, people: dict[str, str]) -> None:
    county = login(app.test_client(), "shizong")
    page = county.get(DAY).get_data(as_text=True)
    assert 'id="move"' in page
    assert 'id="move"' not in login(app.test_client(), "xiongbi").get(DAY).get_data(as_text=True)
    assert post(login(app.test_client(), "xiongbi"), DAY, {"to": "2022-04-20", "reason": "疫情防控需要"},
                page=DAY).status_code == 403

    refused = post(county, DAY, {"to": "2022-04-23", "reason": "疫情防控需要"}, page=DAY)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "须是今天以后的工作日" in html and 'value="疫情防控需要"' in html  # what was typed stays
    assert post(county, DAY, {"to": "不是日期", "reason": "疫情防控需要"}, page=DAY).status_code == 422

    moved = post(county, DAY, {"to": "2022-04-20", "reason": "疫情防控需要"}, page=DAY)
    assert moved.status_code == 302
    notices = login(app.test_client(), "xiongbi").get(f"/campaign/reassessment/notices/{TOWNSHIP}")
    body = " ".join(lxml.html.fromstring(notices.get_data(as_text=True)).text_content().split())
    assert "评定时间：2022年4月20日（星期三） 评定地点：雄壁镇卫生院" in body
    assert "吴建国" not in body  # a new applicant gets no re-assessment notice
    texts = ExchangeDriver(runtime, clock, people["赵春梅"]).texts
    assert [t["template"] for t in texts] == ["appointment_moved"]
