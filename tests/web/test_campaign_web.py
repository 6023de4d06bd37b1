"""The exchange campaign's pages: a township clerk finds a holder and exchanges the card; the register; the counts."""

from __future__ import annotations

import io
from pathlib import Path

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, HOLDER_ID, TOWNSHIP, VILLAGE, roster_csv, roster_row, shizong_id
from flask import Flask
from openpyxl import load_workbook
from webkit import PASSWORD, login, post

from certflow.campaign.roster import import_roster
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

OTHER_TOWNSHIP = "township-530323001"  # 丹凤街道
OTHER_VILLAGE = "village-530323001001"  # 丹凤街道丹凤社区


@pytest.fixture
def roster(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> dict[str, str]:
    """Three holders, two of 雄壁镇 (one 非目测, one 目测) and one of 丹凤街道; name -> case number."""
    rows = [
        roster_row(),
        roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测"),
        roster_row(applicant_name="张美兰", id_number=shizong_id("19700101", "043"), township="丹凤街道",
                   village="丹凤社区", address="师宗县丹凤街道8号"),
    ]
    report = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county",
                           county=COUNTY)
    assert report.rejected == []
    accounts.create("xiongbi", PASSWORD, display_name="雄壁镇 经办", roles=["township"], groups=[TOWNSHIP],
                    county=COUNTY.code)
    accounts.create("shizong", PASSWORD, display_name="县残联 经办", roles=["county"], groups=[COUNTY_GROUP],
                    county=COUNTY.code)
    names = ["王秀英", "李国强", "张美兰"]
    return dict(zip(names, report.started, strict=True))


def test_a_township_clerk_exchanges_a_card_and_the_register_lists_it(app: Flask, roster: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")
    found = xiongbi.get("/campaign/desk?q=王秀英").get_data(as_text=True)
    assert roster["王秀英"] in found and "530323********" in found and HOLDER_ID not in found
    assert roster["张美兰"] not in xiongbi.get("/campaign/desk?q=张美兰").get_data(as_text=True)
    assert xiongbi.get(f"/campaign/desk/{roster['张美兰']}").status_code == 404
    assert xiongbi.get(f"/campaign/register?township={OTHER_TOWNSHIP}").status_code == 403

    page = xiongbi.get(f"/campaign/desk/{roster['王秀英']}").get_data(as_text=True)
    task_path = page.split('href="/tasks/')[1].split('"')[0]
    assert "核验并换证" in page
    task_page = xiongbi.get(f"/tasks/{task_path}").get_data(as_text=True)
    assert "残疾人证号" in task_page and "530323********" in task_page and HOLDER_ID not in task_page
    response = post(xiongbi, f"/tasks/{task_path}", {"action": "complete", "verification": "match",
                                                    "old_certificate": "collected", "issued_on": "2022-03-25"})
    assert response.status_code == 302, response.get_data(as_text=True)

    register = xiongbi.get("/campaign/register").get_data(as_text=True)
    assert roster["王秀英"] in register and "已收回" in register and "2022-03-25" in register
    assert roster["李国强"] not in register

    workbook = load_workbook(io.BytesIO(xiongbi.get("/campaign/register.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号" and len(rows) == 2
    assert rows[1][0] == roster["王秀英"] and rows[1][1] == "王秀英" and rows[1][-1] == "xiongbi"
    assert rows[1][3] == "雄壁镇残联"


def test_the_dashboard_counts_the_roster(app: Flask, as_user, roster: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    page = as_user("shizong").get("/campaign/dashboard").get_data(as_text=True)
    assert 'id="total">3<' in page
    for key, count in (("非目测", 2), ("目测", 1)):
        assert f"<td>{count}</td>" in page.split(f'data-key="{key}"><th>')[1].split("</tr>")[0], key
    assert "2022-03-31" in page and "2022-06-30" in page


def chart_titles(page: str, chart_id: str) -> list[str]:
    [figure] = lxml.html.fromstring(page).cssselect(f"figure#{chart_id}")
    [svg] = figure.cssselect("svg")
    return [title.text_content() for title in svg.iter("title")]


def test_the_dashboard_draws_its_figures_as_svg_charts(app: Flask, as_user, roster: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    xiongbi = login(app.test_client(), "xiongbi")
    task_path = xiongbi.get(f"/campaign/desk/{roster['王秀英']}").get_data(as_text=True).split('href="/tasks/')[1]
    post(xiongbi, f"/tasks/{task_path.split(chr(34))[0]}", {"action": "complete", "verification": "match",
                                                          "old_certificate": "collected", "issued_on": "2022-03-25"})
    page = as_user("shizong").get("/campaign/dashboard").get_data(as_text=True)

    progress = chart_titles(page, "progress-chart")
    assert {"非目测目标 2 人", "目测目标 1 人", "非目测 2022-03-25 累计 1 人", "非目测累计 1 人", "目测累计 0 人",
            "非目测持证人换证完成：2022-03-31", "目测持证人重新评定及换证完成：2022-06-30"} <= set(progress)
    townships = chart_titles(page, "township-chart")
    assert {"雄壁镇 已换证：1 人", "雄壁镇 重新评定中：1 人", "丹凤街道 待换证：1 人"} <= set(townships)
    assert not any(title.startswith("葵山镇 ") for title in townships)  # no holder there: no bar
    assert "持证人残疾类别" in chart_titles(page, "category-chart")
    assert "肢体：3 人" in chart_titles(page, "category-chart")
    [table] = lxml.html.fromstring(page).cssselect("figure#township-chart .chart-data table")
    rows = {row[0].text_content(): [cell.text_content() for cell in row[1:]] for row in table.cssselect("tbody tr")}
    assert rows["雄壁镇"] == ["1", "0", "1", "0", "0", "0", "2"]
    assert rows["合计"] == ["1", "1", "1", "0", "0", "0", "3"]


def test_a_village_ledger_for_its_township_printable_and_exported(  # type: ignore[no-untyped-def]
        app: Flask, as_user, roster: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")
    choose = xiongbi.get("/campaign/ledger").get_data(as_text=True)
    assert "天生桥村（2人）" in choose
    [row] = lxml.html.fromstring(choose).cssselect(f'#villages tr[data-village="{VILLAGE}"]')
    progress = {cell.get("data-label"): cell.text_content().strip() for cell in row.cssselect("td")}
    assert progress == {"村(社区)": "天生桥村", "持证人": "2", "已换证": "0", "待换证": "1", "换证进度": "0%",
                        "新评定": "0"}
    assert "丹凤社区" not in choose  # the other township's villages are not offered
    assert xiongbi.get(f"/campaign/ledger?township={OTHER_TOWNSHIP}").status_code == 403
    assert xiongbi.get(f"/campaign/ledger?village={OTHER_VILLAGE}").status_code == 404
    assert xiongbi.get(f"/campaign/ledger.xlsx?township={OTHER_TOWNSHIP}&village={OTHER_VILLAGE}").status_code == 403
    assert xiongbi.get("/campaign/ledger.xlsx").status_code == 404

    page = xiongbi.get(f"/campaign/ledger?village={VILLAGE}").get_data(as_text=True)
    assert HOLDER_ID not in page and HOLDER_ID[:6] + "********" + HOLDER_ID[-4:] in page
    table = lxml.html.fromstring(page).cssselect("#ledger tbody tr")
    lines = [[cell.text_content() for cell in row[1:]] for row in table]
    assert [line[:2] for line in lines] == [[roster["王秀英"], "王秀英"], [roster["李国强"], "李国强"]]
    assert [line[3:9] for line in lines] == [["肢体", "三级", "非目测", "否", "待换证", ""],
                                             ["肢体", "三级", "目测", "否", "重新评定中", ""]]
    summary = {row[0].text_content(): [c.text_content() for c in row[1:]]
               for row in lxml.html.fromstring(page).cssselect("#summary tbody tr")}
    assert summary["肢体"] == ["1", "1", "2", "0", "0", "0"] and summary["合计"] == ["1", "1", "2", "0", "0", "0"]
    assert summary["视力"] == ["0", "0", "0", "0", "0", "0"]
    assert "@media print" in xiongbi.get("/static/app.css").get_data(as_text=True)

    workbook = load_workbook(io.BytesIO(xiongbi.get(f"/campaign/ledger.xlsx?village={VILLAGE}").data))
    assert workbook.sheetnames == ["台账", "分类汇总"]
    sheet = [list(row) for row in workbook["台账"].iter_rows(values_only=True)]
    assert sheet[0][:3] == ["案件编号", "姓名", "身份证号码（已脱敏）"]
    assert [[cell or "" for cell in row] for row in sheet[1:]] == lines
    totals = [list(row) for row in workbook["分类汇总"].iter_rows(values_only=True)]
    assert totals[0] == ["残疾类别", "非目测", "目测", "合计", "已换证", "康复脱残", "新评定"]
    assert totals[4] == ["肢体", 1, 1, 2, 0, 0, 0] and totals[-1] == ["合计", 1, 1, 2, 0, 0, 0]

    county = as_user("shizong").get(f"/campaign/ledger?township={OTHER_TOWNSHIP}&village={OTHER_VILLAGE}")
    assert roster["张美兰"] in county.get_data(as_text=True)


def test_the_desk_search_is_paged(app: Flask, runtime: Runtime, roster: dict[str, str], tmp_path: Path) -> None:
    # 27 namesakes: a name is found whole (names are kept encrypted, searched by a digest of the whole name).
    rows = [roster_row(applicant_name="王测试", id_number=shizong_id("19800101", f"{n:02d}5")) for n in range(27)]
    started = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "more.csv", rows), actor="county",
                            county=COUNTY)
    assert started.rejected == []
    xiongbi = login(app.test_client(), "xiongbi")
    first = lxml.html.fromstring(xiongbi.get("/campaign/desk?q=王测试").get_data(as_text=True))
    assert len(first.cssselect("#holders tbody tr[data-case]")) == 25 and "找到 27 人" in first.text_content()
    [next_page] = [a.get("href") for a in first.cssselect("nav.pager a") if a.text_content() == "下一页"]
    second = lxml.html.fromstring(xiongbi.get(next_page).get_data(as_text=True))
    found = [(row.get("data-case"), row.cssselect("td")[1].text_content()[:3])
             for row in second.cssselect("#holders tbody tr[data-case]")]
    assert found == [(number, "王测试") for number in started.started[25:]]  # the masked ID number follows
    assert "第 2 / 2 页" in second.text_content()


def test_others_are_refused(app: Flask, as_user, accounts: Accounts, roster: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    accounts.create("tcm", PASSWORD, display_name="中医医院 经办", roles=["hospital"], groups=["hospital-sz-tcm"],
                    county=COUNTY.code)
    assert login(app.test_client(), "tcm").get("/campaign/desk").status_code == 403
    assert as_user("window").get("/campaign/desk").status_code == 404  # another county's campaign
    assert login(app.test_client(), "xiongbi").get("/campaign/dashboard").status_code == 403


def test_the_desk_lists_those_waiting_village_by_village_with_the_exchange_to_open(
        app: Flask, runtime: Runtime, roster: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")
    desk = lxml.html.fromstring(xiongbi.get("/campaign/desk").get_data(as_text=True))
    waiting = {row.get("data-case"): row for row in desk.cssselect("#holders tr[data-case]")}
    assert list(waiting) == [roster["王秀英"]]  # 李国强 is re-assessed first; 张美兰 is of another township
    assert "待换证 1 人" in desk.text_content()
    assert [th.text_content() for th in desk.cssselect("#holders tr.group th")] == ["雄壁镇天生桥村"]
    [action] = waiting[roster["王秀英"]].cssselect("a.button")
    assert action.text_content() == "核验并换证"
    task_page = xiongbi.get(action.get("href")).get_data(as_text=True)
    [summary] = lxml.html.fromstring(task_page).cssselect("#case-summary")
    assert "残疾人证号" in task_page and "持证人姓名" in summary.text_content()
    for internal in ("用户组", "短信签名", "批次"):  # the form's settings, not the holder's
        assert internal not in summary.text_content()
    [issued_on] = lxml.html.fromstring(task_page).cssselect('input[name="issued_on"]')
    assert issued_on.get("value") == runtime.clock.now().astimezone(CHINA_TZ).date().isoformat()  # 发放日期

    post(xiongbi, action.get("href"), {"action": "complete", "verification": "match",
                                       "old_certificate": "collected", "issued_on": "2022-03-25"})
    assert "目前没有待换证的持证人" in xiongbi.get("/campaign/desk").get_data(as_text=True)
    done = lxml.html.fromstring(xiongbi.get("/campaign/desk?q=王秀英").get_data(as_text=True))
    assert [td.text_content() for td in done.cssselect("td[data-label=办理情况]")] == ["已换证"]


def test_the_county_sees_every_township_waiting_but_no_task_it_cannot_open(
        app: Flask, roster: dict[str, str]) -> None:
    county = login(app.test_client(), "shizong")
    desk = lxml.html.fromstring(county.get("/campaign/desk").get_data(as_text=True))
    assert {row.get("data-case") for row in desk.cssselect("#holders tr[data-case]")} == {roster["王秀英"],
                                                                                          roster["张美兰"]}
    assert desk.cssselect("#holders a.button") == []
    holder = lxml.html.fromstring(county.get(f"/campaign/desk/{roster['王秀英']}").get_data(as_text=True))
    assert "核验并换证" in holder.get_element_by_id("open-tasks").text_content()
    assert holder.cssselect("#open-tasks a") == []


def test_a_holder_is_found_by_the_whole_id_number_or_part_of_the_case_number(
        app: Flask, roster: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")

    def found(text: str) -> list[str]:
        page = lxml.html.fromstring(xiongbi.get("/campaign/desk", query_string={"q": text}).get_data(as_text=True))
        return [row.get("data-case") for row in page.cssselect("#holders tr[data-case]")]

    assert found(HOLDER_ID) == [roster["王秀英"]]
    assert found(HOLDER_ID[:12]) == []  # part of an ID number finds nobody: only its digest is kept
    assert found(roster["李国强"][-4:]) == [roster["李国强"]]
    assert found(shizong_id("19700101", "043")) == []  # 张美兰, of another township


def test_a_refused_exchange_lists_each_field_to_change_linked_to_it(app: Flask, runtime: Runtime,
                                                                   roster: dict[str, str]) -> None:
    xiongbi = login(app.test_client(), "xiongbi")
    desk = lxml.html.fromstring(xiongbi.get("/campaign/desk").get_data(as_text=True))
    task_path = desk.cssselect("#holders a.button")[0].get("href")
    response = post(xiongbi, task_path, {"action": "complete", "old_certificate": "collected"})
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [summary] = page.cssselect("#form-errors")
    links = {a.get("href"): a.text_content() for a in summary.cssselect("a")}
    assert list(links) == ["#f-verification"] and links["#f-verification"].startswith("核验结果：")
    assert page.get_element_by_id("f-verification") is not None
    today = runtime.clock.now().astimezone(CHINA_TZ).date().isoformat()
    assert page.get_element_by_id("f-issued_on").get("value") == today  # not posted (hidden): starts at today
    blanked = post(xiongbi, task_path, {"action": "complete", "old_certificate": "collected", "issued_on": ""})
    assert lxml.html.fromstring(blanked.get_data(as_text=True)).get_element_by_id("f-issued_on").get("value") == ""
