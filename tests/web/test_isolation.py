"""One county does not read another's cases: Lushan's and Shizong's in one database, each county's staff
reaching only their own, through the pages and the API; a province-wide administrator reaching both."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, VILLAGE, roster_csv, roster_row, shizong_id
from flask import Flask
from flask.testing import FlaskClient
from webkit import CASE_PAGES, CASE_POSTS, PASSWORD, field, login, post

from certflow.campaign.roster import import_roster
from certflow.casework.reports import same_person
from certflow.config import Config
from certflow.demo.lushan import DEMO_PASSWORD, load_demo
from certflow.demo.shizong import load_campaign_demo
from certflow.engine.errors import ValidationFailed
from certflow.engine.runtime import Runtime, Settings
from certflow.people.accounts import Accounts
from certflow.web import create_app
from handlers.registry import REGISTRY

LUSHAN = Settings().county  # the deployment's own county, as the tests' runtime is configured
API = "/api/v1"
PASS = {"decision": "pass"}


@dataclass(frozen=True)
class Both:
    lushan: str  # a Lushan case whose pre-review was passed by the window
    lushan_task: str  # its open task (the hospital's registration)
    shizong: str  # a Shizong holder's case
    shizong_task: str  # its open task (the exchange at the township)
    all_lushan: tuple[str, ...]
    all_shizong: tuple[str, ...]


@pytest.fixture
def both(app: Flask, runtime: Runtime, accounts: Accounts, start, tmp_path: Path, every_case_replays) -> Both:  # type: ignore[no-untyped-def]
    lushan = [start(applicant_name=name) for name in ("张伟", "李明")]
    lushan[0].complete("pre_review", PASS, user="window")
    rows = [roster_row(), roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测")]
    shizong = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="shizong",
                            county=COUNTY).started
    for username, roles, groups in (("shizong", ["county"], [COUNTY_GROUP]), ("sz-auditor", ["auditor"], []),
                                    ("sz-admin", ["admin"], [])):
        accounts.create(username, PASSWORD, display_name=f"师宗 {username}", roles=roles, groups=groups,
                        county=COUNTY.code)
    return Both(lushan[0].number, lushan[0].task("register_appointment")["id"], shizong[0],
                runtime.tasks(case=shizong[0])[0]["id"], tuple(c.number for c in lushan), tuple(shizong))


def numbers_listed(client: FlaskClient, path: str = "/audit/cases") -> set[str]:
    page = lxml.html.fromstring(client.get(path).get_data(as_text=True))
    return {a.text_content().strip() for a in page.cssselect("#cases tbody tr td:first-child a")}


def csv_numbers(client: FlaskClient, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return [row[0] for row in list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]]


class Token:
    def __init__(self, app: Flask, accounts: Accounts, username: str) -> None:
        person = accounts.by_username(username)
        assert person is not None
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {accounts.issue_token(person.id, 't')}"}

    def get(self, path: str, **params: str):  # type: ignore[no-untyped-def]
        return self.client.get(API + path, query_string=params, headers=self.headers)

    def post(self, path: str, body: dict | None = None):  # type: ignore[no-untyped-def]
        return self.client.post(API + path, json=body or {}, headers=self.headers)


# -- who belongs where ------------------------------------------------------------------------------

def test_cases_and_tasks_belong_to_the_county_that_started_them(both: Both, runtime: Runtime) -> None:
    assert runtime.case(both.lushan)["county"] == LUSHAN
    assert runtime.case(both.shizong)["county"] == COUNTY.code
    assert {t["county"] for t in runtime.tasks(case=both.shizong)} == {COUNTY.code}
    assert runtime.task(both.lushan_task)["county"] == LUSHAN


def test_only_an_administrator_or_the_provinces_staff_may_belong_to_no_county(accounts: Accounts) -> None:
    with pytest.raises(ValidationFailed) as refused:
        accounts.create("wang", "a-long-password", display_name="王", roles=["auditor"], province_wide=True)
    assert [e.field for e in refused.value.errors] == ["county"]
    with pytest.raises(ValidationFailed):
        accounts.create("wang", "a-long-password", display_name="王", roles=["auditor"], county="师宗县")
    assert accounts.create("li", "a-long-password", display_name="李", roles=["auditor"]).county == LUSHAN
    assert accounts.create("zhao", "a-long-password", display_name="赵", roles=["admin"],
                           province_wide=True).county is None
    assert accounts.create("sun", "a-long-password", display_name="孙", roles=["province"],
                           province_wide=True).county is None
    with pytest.raises(ValidationFailed) as refused:  # the province's staff read every county or none
        accounts.create("qian", "a-long-password", display_name="钱", roles=["province"], county=COUNTY.code)
    assert [e.message for e in refused.value.errors] == ["省残联人员不属于某个县（市），请选“全省”"]


# -- lists, exports and reports count only one's own ----------------------------------------------

def test_each_county_searches_and_exports_only_its_own_cases(both: Both, as_user) -> None:  # type: ignore[no-untyped-def]
    for username, own in (("county", both.all_lushan), ("auditor", both.all_lushan),
                          ("shizong", both.all_shizong), ("sz-auditor", both.all_shizong)):
        client = as_user(username)
        assert numbers_listed(client) == set(own), username
        assert sorted(csv_numbers(client, "/audit/cases.csv")) == sorted(own), username
    assert numbers_listed(as_user("shizong"), f"/audit/cases?number={both.lushan}") == set()
    assert numbers_listed(as_user("admin")) == {*both.all_lushan, *both.all_shizong}  # the province's


def test_the_api_searches_and_lists_tasks_within_the_county(both: Both, app: Flask, accounts: Accounts) -> None:
    shizong, county = Token(app, accounts, "shizong"), Token(app, accounts, "county")
    assert {c["number"] for c in shizong.get("/cases").get_json()["cases"]} == set(both.all_shizong)
    assert shizong.get("/cases").get_json()["total"] == len(both.all_shizong)
    assert {c["number"] for c in county.get("/cases").get_json()["cases"]} == set(both.all_lushan)
    admin = Token(app, accounts, "sz-admin")  # an administrator of one county sees its tasks only
    listed = admin.get("/tasks", queue="group").get_json()
    assert {t["case"] for t in listed["tasks"]} == set(both.all_shizong)
    assert listed["total"] == listed["counts"]["group"] == len(both.all_shizong)
    assert admin.get("/tasks", queue="group", q=both.lushan).get_json()["tasks"] == []


def test_reports_count_only_the_countys_own_cases(both: Both, runtime: Runtime, accounts: Accounts,  # type: ignore[no-untyped-def]
                                                  as_user) -> None:
    # One doctor registers and at once assesses: too fast to be real, and one person doing both steps.
    runtime.complete_task(both.lushan_task, {"appointment_at": "2026-09-08T09:30:00+08:00",
                                             "appointment_place": "门诊楼", "bring_items": ["居民身份证"]},
                          actor="doctor")
    runtime.complete_task(runtime.tasks(case=both.lushan)[0]["id"], {"meets_standard": False,
                                                                     "conclusion": "未达标准"}, actor="doctor")
    assert csv_numbers(as_user("auditor"), "/audit/reports/durations.csv") == [both.lushan]
    assert csv_numbers(as_user("sz-auditor"), "/audit/reports/durations.csv") == []
    page = as_user("sz-auditor").get("/audit/reports").get_data(as_text=True)
    assert all(number not in page for number in both.all_lushan)
    pair = (("register_appointment", "assess"),)
    assert [r["number"] for r in same_person(runtime.sessions, accounts.by_username("auditor"), pair)] == [both.lushan]
    assert same_person(runtime.sessions, accounts.by_username("sz-auditor"), pair) == []


def test_operations_show_an_administrator_their_countys_cases(both: Both, app: Flask, clock, as_user) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=60)  # every open task is overdue
    province = as_user("admin").get("/admin/stuck").get_data(as_text=True)
    assert both.lushan in province and any(number in province for number in both.all_shizong)
    own = as_user("sz-admin").get("/admin/stuck").get_data(as_text=True)
    assert any(number in own for number in both.all_shizong) and all(number not in own for number in both.all_lushan)
    assert as_user("sz-admin").get(f"/admin/incidents/{both.lushan}").status_code == 404
    assert post(as_user("sz-admin"), f"/admin/incidents/{both.lushan}/cancel", {"reason": "x"}).status_code == 404


def test_the_campaign_is_its_countys_alone(both: Both, as_user) -> None:  # type: ignore[no-untyped-def]
    lushan = as_user("county")
    for path in ("/campaign/dashboard", "/campaign/desk", f"/campaign/desk/{both.shizong}", "/campaign/ledger",
                 "/campaign/register.xlsx", "/campaign/reassessment/"):
        assert lushan.get(path).status_code == 404, path
    assert "换证进度" not in lushan.get("/inbox").get_data(as_text=True)
    shizong = as_user("shizong")
    assert 'id="total">2<' in shizong.get("/campaign/dashboard").get_data(as_text=True)
    assert "换证进度" in shizong.get("/inbox").get_data(as_text=True)


# -- another county's case, task, history or export answers 404 ----------------------------------

API_CASE = ["/cases/{n}", "/cases/{n}/messages", "/cases/{n}/history", "/cases/{n}/history/export",
            "/cases/{n}/replay/1", "/cases/{n}/verify"]


@pytest.mark.parametrize("username", ["county", "sz-admin", "sz-auditor"])
def test_another_countys_case_answers_404_on_every_page(both: Both, as_user, runtime: Runtime,  # type: ignore[no-untyped-def]
                                                        username: str) -> None:
    other = both.shizong if username == "county" else both.lushan
    client = as_user(username)
    for path in CASE_PAGES:
        assert client.get(path.format(n=other)).status_code == 404, path
    for path in CASE_POSTS:
        assert post(client, path.format(n=other), {"comment": "看看"}).status_code == 404, path
    kinds = [e["kind"] for e in runtime.history(other)]
    assert "personal_data_viewed" not in kinds and "comment_added" not in kinds  # nothing was recorded
    own = both.lushan if username == "county" else both.shizong
    assert client.get(f"/cases/{own}").status_code == 200


def test_another_countys_task_answers_404(both: Both, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("sz-admin")
    assert admin.get(f"/tasks/{both.lushan_task}").status_code == 404
    assert post(admin, f"/tasks/{both.lushan_task}/claim").status_code == 404
    assert admin.get(f"/tasks/{both.shizong_task}").status_code == 200
    assert as_user("admin").get(f"/tasks/{both.lushan_task}").status_code == 200  # the province's


def test_the_api_answers_404_for_another_countys_case_and_task(both: Both, app: Flask, accounts: Accounts) -> None:
    shizong, admin = Token(app, accounts, "shizong"), Token(app, accounts, "sz-admin")
    for path in API_CASE:
        assert shizong.get(path.format(n=both.lushan)).status_code == 404, path
        assert shizong.get(path.format(n=both.shizong)).status_code == 200, path
    assert admin.get(f"/tasks/{both.lushan_task}").status_code == 404
    for action in ("claim", "unclaim", "complete"):
        answer = admin.post(f"/tasks/{both.lushan_task}/{action}", {"data": {}})
        assert answer.status_code == 404 and answer.get_json()["error"]["message"] == "不存在或无权查看", action


def test_a_case_started_through_the_api_belongs_to_its_starters_county(both: Both, app: Flask,
                                                                        accounts: Accounts, runtime: Runtime) -> None:
    from lushan import application

    admin = Token(app, accounts, "sz-admin")
    refused = admin.post("/cases", {"process": "application_online", "data": application()})  # a Lushan village
    assert refused.status_code == 422, refused.get_json()
    answer = admin.post("/cases", {"process": "application_online", "data": application(village=VILLAGE)})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["case"]["county"] == COUNTY.code
    assert Token(app, accounts, "county").get(f"/cases/{answer.get_json()['number']}").status_code == 404


def test_with_both_demos_in_one_database_each_county_counts_its_own(runtime: Runtime, accounts: Accounts,
                                                                    tmp_path: Path) -> None:
    lushan = load_demo(runtime.sessions, runtime, accounts, REGISTRY.materials)
    assert lushan is not None
    shizong = load_campaign_demo(runtime.sessions, runtime, accounts, COUNTY)
    app = create_app(replace(Config.from_env({}), upload_dir=tmp_path / "uploads"), runtime=runtime, accounts=accounts)
    app.config.update(TESTING=True)
    for username, own, other in (("county", lushan, shizong), ("shizong", shizong, lushan)):
        client = login(app.test_client(), username, DEMO_PASSWORD)
        assert f"共 {len(own)} 件" in client.get("/audit/cases").get_data(as_text=True), username
        assert len(csv_numbers(client, "/audit/cases.csv")) == len(own), username
        assert client.get(f"/cases/{other[0]}").status_code == 404, username
        token = Token(app, accounts, username)
        assert token.get("/cases").get_json()["total"] == len(own), username
        assert token.get(f"/cases/{other[-1]}/history").status_code == 404, username
    admin = login(app.test_client(), "admin", DEMO_PASSWORD)  # the demo's administrator is the province's
    assert f"共 {len(lushan) + len(shizong)} 件" in admin.get("/audit/cases").get_data(as_text=True)


# -- administrators give each person their county ---------------------------------------------------

def test_an_administrator_sets_a_persons_county_on_the_user_form(app: Flask, accounts: Accounts, as_user) -> None:  # type: ignore[no-untyped-def]
    app.extensions["certflow"].counties.add(COUNTY.code, case_prefix="SZ", sms_signature=COUNTY.federation)
    admin = as_user("admin")
    options = field(admin.get("/admin/users").get_data(as_text=True), "county").cssselect("option")
    assert {o.get("value"): o.text_content() for o in options} == {
        LUSHAN: f"庐山市（{LUSHAN}）", COUNTY.code: f"{COUNTY.name}（{COUNTY.code}）",
        "province": "全省（系统管理员、省残联人员）"}
    new = {"username": "sz-audit", "display_name": "师宗 审计", "password": "long-enough-1", "roles": ["auditor"]}
    assert post(admin, "/admin/users", {**new, "county": COUNTY.code}, page="/admin/users").status_code == 302
    assert accounts.by_username("sz-audit").county == COUNTY.code

    refused = post(admin, "/admin/users", {**new, "username": "wide", "county": "province"}, page="/admin/users")
    assert refused.status_code == 422
    wrapper = field(refused.get_data(as_text=True), "county")
    assert "只有系统管理员和省残联人员可以不属于某个县（市）" in wrapper.text_content()
    assert wrapper.cssselect("option[selected]")[0].get("value") == "province"  # the choice is kept
    unknown = post(admin, "/admin/users", {**new, "username": "odd", "county": "999999"}, page="/admin/users")
    assert unknown.status_code == 422 and "未知的县（市）" in unknown.get_data(as_text=True)
    assert accounts.by_username("wide") is None and accounts.by_username("odd") is None

    edit = {"display_name": "窗口", "active": "true", "roles": ["window_clerk"], "groups": ["window"]}
    assert post(admin, "/admin/users/window", {**edit, "county": COUNTY.code}, page="/admin/users").status_code == 302
    assert accounts.by_username("window").county == COUNTY.code
    assert post(admin, "/admin/users/window", edit, page="/admin/users").status_code == 302  # no choice: kept
    assert accounts.by_username("window").county == COUNTY.code


def test_an_analyst_moves_only_their_countys_cases_to_another_version(both: Both, as_user) -> None:  # type: ignore[no-untyped-def]
    analyst = as_user("analyst")  # of Lushan
    path = "/modeling/processes/card_exchange/versions/1/migration"
    assert both.shizong not in analyst.get(path).get_data(as_text=True)  # not listed among the cases to move
    page = post(analyst, path, {"case": both.shizong, "to": "1"}, follow_redirects=True).get_data(as_text=True)
    assert f"案件 {both.shizong} 不存在" in page
    every = post(analyst, path, {"to": "1"}, follow_redirects=True).get_data(as_text=True)  # "move every case"
    assert "没有案件迁移到 v1" in every and all(number not in every for number in both.all_shizong)  # none tried
