"""The province's dashboard: two counties' campaigns (Shizong's, and one of Lushan's from a county file made of the
divisions dataset) counted as imported, against each county's deadlines; read by the province, not by a county, and
opening no case."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, TOWNSHIP, ExchangeDriver, roster_csv, roster_row, shizong_id
from flask import Flask
from flask.testing import FlaskClient
from stdnum.cn import ric
from webkit import CASE_PAGES, CASE_POSTS, PASSWORD, login, post

from certflow import divisions
from certflow.campaign.county import County
from certflow.campaign.roster import import_roster
from certflow.config import Config
from certflow.engine.clock import FixedClock
from certflow.engine.models import County as CountyRow
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.web import create_app

ROOT = Path(__file__).resolve().parents[2]
LUSHAN = "360483"
# The test's Lushan campaign: on the clock of the tests (2026-09-01) its 非目测 deadline has passed, its 目测 not.
LUSHAN_DEADLINES = [{"name": "非目测持证人换证完成", "date": "2026-08-31", "holders": "非目测"},
                    {"name": "目测持证人重新评定及换证完成", "date": "2026-12-31", "holders": "目测"}]


def lushan_county_file(path: Path) -> Path:
    """A county file for an exchange campaign in 庐山市: its townships and villages from the dataset, its two
    hospitals (groups.json) re-assessing the categories as Lushan's plan routes them."""
    county = {"name": "庐山市", "code": LUSHAN, "federation": "庐山市残联", "process": "card_exchange",
              "campaign": "lushan-card-exchange", "county_group": {"id": "county", "name": "庐山市残联"},
              "expert_group": {"id": "expert-committee", "name": "庐山市评残专家委员会"},
              "deadlines": LUSHAN_DEADLINES}
    institutions = [
        {"id": "hospital-renmin", "name": "庐山市人民医院", "categories": ["视力", "听力", "言语", "肢体", "多重"]},
        {"id": "hospital-anding", "name": "庐山安定医院", "categories": ["智力", "精神"]}]
    path.write_text(json.dumps({"county": county, "institutions": institutions,
                                "townships": divisions.county_townships(LUSHAN, {})}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def lushan_id(birth: str, sequence: str) -> str:
    body = f"{LUSHAN}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class Campaigns:
    shizong: list[str]  # case numbers: 王秀英 (exchanged), 李国强 (目测), 张美兰 (丹凤街道)
    lushan: list[str]
    lushan_county: County


@pytest.fixture
def campaigns(app: Flask, runtime: Runtime, accounts: Accounts, clock: FixedClock, tmp_path: Path) -> Campaigns:
    rows = [roster_row(),
            roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测"),
            roster_row(applicant_name="张美兰", id_number=shizong_id("19700101", "043"), township="丹凤街道",
                       village="丹凤社区", address="师宗县丹凤街道8号")]
    shizong = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "shizong.csv", rows), actor="shizong",
                            county=COUNTY).started
    ExchangeDriver(runtime, clock, shizong[0], TOWNSHIP).exchange()

    lushan_county = County.load(lushan_county_file(tmp_path / "lushan.json"))
    town = lushan_county.townships[0]
    lushan_rows = [roster_row(applicant_name="周建华", id_number=lushan_id("19650203", "015"), phone="13800000031",
                              address=f"庐山市{town.name}{town.villages[0].name}1号", township=town.name,
                              village=town.villages[0].name),
                   roster_row(applicant_name="吴秀兰", id_number=lushan_id("19700405", "026"), phone="13800000032",
                              address=f"庐山市{town.name}{town.villages[0].name}2号", township=town.name,
                              village=town.villages[0].name, basis="目测")]
    lushan = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "lushan.csv", lushan_rows),
                           actor="county", county=lushan_county)
    assert shizong and lushan.rejected == []
    app.config["CERTFLOW_CAMPAIGN_FILES"] = (ROOT / "shizong.json", tmp_path / "lushan.json")
    with runtime.sessions.begin() as session:  # two more counties of the installation, one of them no more
        for code, name, active in (("530324", "罗平县", True), ("530302", "麒麟区", False)):
            session.add(CountyRow(code=code, name=name, federation=f"{name}残联", case_prefix=code[-2:],
                                  sms_signature=f"{name}残联", holidays=[], workdays=[], active=active,
                                  created_at=clock.now()))
    accounts.create("sheng", PASSWORD, display_name="省残联 统计", roles=["province"], province_wide=True)
    accounts.create("shizong", PASSWORD, display_name="师宗 县残联", roles=["county"], groups=[COUNTY_GROUP],
                    county=COUNTY.code)
    accounts.create("sz-admin", PASSWORD, display_name="师宗 管理员", roles=["admin"], county=COUNTY.code)
    return Campaigns(shizong, lushan.started, lushan_county)


def table(page: str, table_id: str) -> list[list[str]]:
    """A table's lines (header, body, foot) as the cells' text."""
    [found] = lxml.html.fromstring(page).cssselect(f"table#{table_id}")
    return [[cell.text_content().strip() for cell in row.cssselect("th, td")] for row in found.cssselect("tr")]


def chart_data(page: str, chart_id: str) -> dict:  # type: ignore[type-arg]
    [script] = lxml.html.fromstring(page).cssselect(f"script#{chart_id}-data")
    assert script.get("type") == "application/json"
    return json.loads(script.text_content())  # type: ignore[no-any-return]


def test_the_province_sees_every_countys_figures_against_its_deadlines(  # type: ignore[no-untyped-def]
        campaigns: Campaigns, as_user) -> None:
    page = as_user("sheng").get("/province").get_data(as_text=True)
    lines = {line[0]: line[1:] for line in table(page, "counties")}
    assert lines["县（市）"] == ["持证人", "已换证", "康复脱残", "其他办结", "办理中", "其中逾期", "换证进度", "期限"]
    # Shizong's deadlines (2022) have passed: both holders still open are late.
    assert lines["师宗县"] == ["3", "1", "0", "0", "2", "2", "33%",
                            "非目测持证人换证完成 2022-03-31；目测持证人重新评定及换证完成 2022-06-30"]
    # Lushan's 非目测 deadline has passed, its 目测 one not: one of two open holders is late.
    assert lines["庐山市"] == ["2", "0", "0", "0", "2", "1", "0%",
                            "非目测持证人换证完成 2026-08-31；目测持证人重新评定及换证完成 2026-12-31"]
    assert lines["罗平县"] == ["0", "0", "0", "0", "0", "—", "0%", "未配置期限"]  # no campaign, no file: no deadline
    assert "麒麟区" not in lines  # inactive
    assert lines["合计"] == ["5", "1", "0", "0", "4", "3", "20%", ""]
    assert 'id="overdue">3<' in page

    chart = chart_data(page, "county-chart")
    assert chart["categories"] == ["庐山市", "师宗县", "罗平县"]  # in code order, as the table
    parts = {series["name"]: series["data"] for series in chart["series"]}
    assert parts == {"已换证": [0, 1, 0], "康复脱残": [0, 0, 0], "其他办结": [0, 0, 0], "办理中（未逾期）": [1, 0, 0],
                     "逾期": [1, 2, 0]}
    assert "/vendor/echarts/echarts.min.js" in page and "<script>" not in page  # no inline script


def test_the_csv_is_the_table(campaigns: Campaigns, as_user) -> None:  # type: ignore[no-untyped-def]
    sheng = as_user("sheng")
    shown = table(sheng.get("/province").get_data(as_text=True), "counties")
    answer = sheng.get("/province.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    exported = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert exported == shown


def test_a_countys_townships_are_those_of_its_own_dashboard(campaigns: Campaigns, as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user("sheng").get(f"/province/{COUNTY.code}").get_data(as_text=True)
    townships = {line[0]: line[1:] for line in table(page, "townships")}
    assert townships["乡镇(街道)"] == ["已换证", "待换证", "重新评定中", "补制新卡", "康复脱残", "其他", "合计"]
    dashboard = as_user("shizong").get("/campaign/dashboard").get_data(as_text=True)
    assert 'id="total">3<' in dashboard  # its own holders, not Lushan's beside them
    own = lxml.html.fromstring(dashboard)
    [figures] = own.cssselect("figure#township-chart .chart-data table")
    county_sees = {row[0].text_content(): [cell.text_content() for cell in row[1:]]
                   for row in figures.cssselect("tbody tr")}
    assert townships == {"乡镇(街道)": townships["乡镇(街道)"], **county_sees}
    assert townships["雄壁镇"] == ["1", "0", "1", "0", "0", "0", "2"]
    assert "2022-06-30" in page
    chart = chart_data(page, "township-chart")
    assert chart["categories"] == [t.name for t in COUNTY.townships]

    lushan = as_user("sheng").get(f"/province/{LUSHAN}").get_data(as_text=True)
    first = campaigns.lushan_county.townships[0].name
    assert {line[0]: line[1:] for line in table(lushan, "townships")}[first] == ["0", "1", "1", "0", "0", "0", "2"]
    assert as_user("sheng").get("/province/999999").status_code == 404


def test_the_province_lands_on_its_dashboard_and_opens_no_case(  # type: ignore[no-untyped-def]
        campaigns: Campaigns, app: Flask, start, as_user) -> None:
    sheng = login(app.test_client(), "sheng")
    assert sheng.get("/").headers["Location"].endswith("/province")
    assert "全省换证进度" in sheng.get("/inbox").get_data(as_text=True)
    application = start(applicant_name="张伟").number
    for number in (*campaigns.shizong, *campaigns.lushan, application):
        for path in CASE_PAGES:
            assert sheng.get(path.format(n=number)).status_code == 404, path
        for path in CASE_POSTS:
            assert post(sheng, path.format(n=number), {"comment": "看看"}).status_code == 404, path
    assert sheng.get("/audit/cases").status_code == 403
    assert sheng.get("/campaign/dashboard").status_code == 404


@pytest.mark.parametrize("username", ["shizong", "sz-admin", "county", "auditor"])
def test_a_countys_staff_are_refused_the_province(campaigns: Campaigns, as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client: FlaskClient = as_user(username)
    for path in ("/province", "/province.csv", f"/province/{COUNTY.code}"):
        assert client.get(path).status_code == 403, path
    assert "全省换证进度" not in client.get("/inbox").get_data(as_text=True)


def test_a_province_wide_administrator_reads_it(campaigns: Campaigns, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    assert admin.get("/province").status_code == 200
    assert "全省换证进度" in admin.get("/inbox").get_data(as_text=True)


def test_a_deadline_binds_the_holders_it_names_and_a_wrong_name_is_refused(tmp_path: Path) -> None:
    raw = json.loads((ROOT / "shizong.json").read_text(encoding="utf-8"))
    assert (COUNTY.deadline_for("非目测"), COUNTY.deadline_for("目测")) == (date(2022, 3, 31), date(2022, 6, 30))
    raw["county"]["deadlines"].append({"name": "全部持证人信息核对", "date": "2022-02-28"})  # binds every holder
    (tmp_path / "every.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    every = County.load(tmp_path / "every.json")
    assert (every.deadline_for("非目测"), every.deadline_for("目测")) == (date(2022, 2, 28), date(2022, 2, 28))
    raw["county"]["deadlines"][0]["holders"] = "全部"
    (tmp_path / "wrong.json").write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit, match="期限“非目测持证人换证完成”的 holders 应为“非目测”或“目测”，现为 '全部'"):
        County.load(tmp_path / "wrong.json")


def test_a_county_file_that_cannot_serve_stops_the_start(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> None:
    missing = tmp_path / "罗平县.json"
    config = replace(Config.from_env({"CERTFLOW_CAMPAIGN_FILES": f"{ROOT / 'shizong.json'}, {missing}"}),
                     upload_dir=tmp_path / "uploads")
    assert config.campaign_files == (ROOT / "shizong.json", missing)
    with pytest.raises(SystemExit, match=f"^县配置文件 {missing} 有误：找不到这个文件$"):
        create_app(config, runtime=runtime, accounts=accounts)
    (tmp_path / "typo.json").write_text('{"code": "530323",}', encoding="utf-8")
    with pytest.raises(SystemExit, match="有误：不是有效的 JSON：第 1 行第 19 列有误$"):
        County.load(tmp_path / "typo.json")
