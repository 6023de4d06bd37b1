"""Where each person starts, what an empty queue says, and what a click on a task does: 认领并办理, 取消认领,
where the case went after a step, and who was first when someone else got there."""

from __future__ import annotations

import re

import lxml.html
import pytest
from exchange import COUNTY, COUNTY_GROUP, TOWNSHIP
from flask import Flask
from flask.testing import FlaskClient
from webkit import PASSWORD, csrf_token, field, login, post

from certflow.people.accounts import Accounts

PASS = {"decision": "pass"}


def lands(client: FlaskClient) -> str:
    """Where the front page sends a signed-in person."""
    response = client.get("/")
    assert response.status_code == 302
    return response.location


def signs_in_to(client: FlaskClient, username: str, next_: str | None = None) -> str:
    path = "/login" + (f"?next={next_}" if next_ else "")
    response = client.post(path, data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return response.location


def flashes(html: str) -> list[str]:
    return [p.text_content() for p in lxml.html.fromstring(html).cssselect(".flash")]


def english_words(response, where: str = "main") -> list[str]:  # type: ignore[no-untyped-def]
    """Words in Latin letters on the page (or its part ``where``): people read Chinese."""
    return re.findall(r"[A-Za-z]{3,}", lxml.html.fromstring(response.get_data(as_text=True)).cssselect(
        where)[0].text_content())


# -- landing -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("username", "place"), [
    ("auditor", "/audit/cases"), ("analyst", "/modeling"), ("admin", "/admin/users"),
    ("county", "/audit/cases"),  # Lushan's county has no task of its own and no exchange campaign
    ("renmin", "/inbox"),  # nothing anywhere: its own (empty) queue
])
def test_each_role_starts_on_the_page_of_its_work(as_user, username, place):
    assert lands(as_user(username)) == place


def test_signing_in_leads_to_the_front_page_which_sends_each_person_on(client, start):
    start()
    assert signs_in_to(client, "window") == "/"
    assert lands(client) == "/inbox?queue=group"


def test_a_clerk_with_work_in_hand_starts_on_it_and_with_none_on_what_waits_to_be_claimed(start, as_user):
    case = start()
    window = as_user("window")
    assert lands(window) == "/inbox?queue=group"
    post(window, f"/tasks/{case.task('pre_review')['id']}/claim")
    assert lands(window) == "/inbox"


def test_a_next_page_wins_and_never_leads_off_the_site(client):
    assert signs_in_to(client, "auditor", "/inbox%3Fqueue%3Ddone") == "/inbox?queue=done"
    for elsewhere in ("//evil.example/x", "/%5Cevil.example/x", "https://evil.example/x"):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/audit/cases")})
        assert signs_in_to(client, "auditor", elsewhere) == "/", elsewhere


@pytest.fixture
def campaign_staff(accounts: Accounts) -> None:
    accounts.create("xiongbi", PASSWORD, display_name="雄壁镇 经办", roles=["township"], groups=[TOWNSHIP],
                    county=COUNTY.code)
    accounts.create("shizong", PASSWORD, display_name="县残联 经办", roles=["county"], groups=[COUNTY_GROUP],
                    county=COUNTY.code)


def test_the_campaigns_township_starts_on_its_desk_and_its_county_on_the_progress(app: Flask, campaign_staff):
    assert lands(login(app.test_client(), "xiongbi")) == "/campaign/desk"
    assert lands(login(app.test_client(), "shizong")) == "/campaign/dashboard"


def test_anonymous_visitors_go_to_the_portal(client):
    assert lands(client) == "/apply"


# -- empty queues say where the work is ----------------------------------------------------------

def pointer(html: str) -> tuple[str, str]:
    [found] = lxml.html.fromstring(html).cssselect("#where-the-work-is")
    return found.text_content(), found.cssselect("a")[0].get("href")


def test_an_empty_queue_points_to_the_other_one(start, as_user):
    for _ in range(2):
        start()
    window = as_user("window")
    text, href = pointer(window.get("/inbox").get_data(as_text=True))
    assert "您没有已认领的任务；待认领中有 2 件" in text and href == "/inbox?queue=group"


def test_an_empty_queue_points_to_where_the_persons_work_is(as_user):
    text, href = pointer(as_user("auditor").get("/inbox").get_data(as_text=True))
    assert "这里没有您的任务，您的工作在" in text and "案件查询" in text and href == "/audit/cases"
    html = as_user("renmin").get("/inbox").get_data(as_text=True)
    assert "此队列中没有任务" in html and not lxml.html.fromstring(html).cssselect("#where-the-work-is")


# -- 认领并办理, 认领, 取消认领 ------------------------------------------------------------------------

def test_claim_and_open_takes_the_task_and_opens_it(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    window = as_user("window")
    buttons = lxml.html.fromstring(window.get("/inbox?queue=group").get_data(as_text=True)).cssselect(
        f'tr[data-task="{task_id}"] button')
    assert [b.text_content() for b in buttons] == ["认领并办理", "认领"]
    response = post(window, f"/tasks/{task_id}/claim", {"then": "open"})
    assert response.status_code == 302 and response.location == f"/tasks/{task_id}"
    assert case.task("pre_review")["assignee"] == "window"
    page = window.get(response.location).get_data(as_text=True)
    assert lxml.html.fromstring(page).cssselect('button[value="complete"]') and "办理人 window 测试" in page


def test_claim_alone_stays_on_the_list_and_says_where_the_task_went(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    window = as_user("window")
    response = post(window, f"/tasks/{task_id}/claim", {"next": "/inbox?queue=group"}, follow_redirects=True)
    assert any("已认领，移入我的待办" in f for f in flashes(response.get_data(as_text=True)))


def test_unclaiming_is_called_so_and_gives_the_task_back(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    window = as_user("window")
    post(window, f"/tasks/{task_id}/claim")
    html = window.get("/inbox").get_data(as_text=True)
    [button] = lxml.html.fromstring(html).cssselect(f'tr[data-task="{task_id}"] button')
    assert button.text_content() == "取消认领" and "退回" not in html
    response = post(window, f"/tasks/{task_id}/unclaim", follow_redirects=True)
    assert any("已取消认领，任务回到待认领" in f for f in flashes(response.get_data(as_text=True)))
    assert case.task("pre_review")["assignee"] is None


def test_claiming_a_task_someone_holds_says_who_and_since_when(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    case.runtime.claim(task_id, actor="admin")
    response = post(as_user("window"), f"/tasks/{task_id}/claim", {"then": "open"}, follow_redirects=True)
    [said] = [f for f in flashes(response.get_data(as_text=True)) if "认领" in f]
    assert "此任务已由 admin 测试 于 2026年9月1日 09:00 认领" in said
    assert case.task("pre_review")["assignee"] == "admin"


# -- after a step: where the case went -----------------------------------------------------------

def test_completing_says_where_the_case_went_and_who_has_it(start, as_user):
    case = start()
    window = as_user("window")
    response = post(window, f"/tasks/{case.task('pre_review')['id']}", {"action": "complete", **PASS},
                    follow_redirects=True)
    [said] = [f for f in flashes(response.get_data(as_text=True)) if "已提交" in f]
    assert said == f"已提交。案件 {case.number} 现在在“网上申请办理残疾人证 · 登记并预约鉴定”，由 庐山市人民医院 办理"


def test_completing_the_last_step_says_the_case_is_closed_with_its_outcome(start, as_user):
    case = start()
    window = as_user("window")
    response = post(window, f"/tasks/{case.task('pre_review')['id']}",
                    {"action": "complete", "decision": "reject", "reason": "不符合申请条件"}, follow_redirects=True)
    [said] = [f for f in flashes(response.get_data(as_text=True)) if "已提交" in f]
    assert said == f"已提交。案件 {case.number} 已办结（结果：申请未通过审核）"


# -- 409: someone else was first ------------------------------------------------------------------

def test_a_step_done_meanwhile_says_who_and_when_and_keeps_what_was_typed(start, as_user, clock, accounts):
    accounts.create("zhangli", PASSWORD, display_name="张丽", roles=["window_clerk"], groups=["window"])
    case = start()
    task_id = case.task("pre_review")["id"]
    window = as_user("window")
    window.get(f"/tasks/{task_id}")
    clock.advance(minutes=5)
    case.runtime.complete_task(task_id, PASS, actor="zhangli")
    response = post(window, f"/tasks/{task_id}", {"action": "complete", "decision": "reject",
                                                  "reason": "材料照片看不清"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "此任务已由 张丽 于 2026年9月1日 09:05 办理完毕" in html
    assert "材料照片看不清" in field(html, "reason").text_content()
    assert english_words(response, "#task-form") == []


def test_the_api_says_in_chinese_who_was_first(start, app, accounts):
    case = start()
    task_id = case.task("pre_review")["id"]
    case.runtime.complete_task(task_id, PASS, actor="admin")
    user = accounts.by_username("window")
    assert user is not None
    token = accounts.issue_token(user.id, "测试")
    answer = app.test_client().post(f"/api/v1/tasks/{task_id}/complete", json={"data": PASS},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 409
    assert answer.get_json()["error"]["message"].startswith("此任务已由 admin 测试 于 2026年9月1日 09:00 办理完毕")


def test_error_pages_say_nothing_in_english(as_user, start):
    window = as_user("window")
    refused = window.post("/logout", data={"csrf_token": "stale"})
    assert refused.status_code == 400
    assert "页面已过期" in refused.get_data(as_text=True) and english_words(refused) == []
    case = start()
    task_id = case.task("pre_review")["id"]
    case.runtime.cancel_case(case.number, "申请人撤回申请", actor="admin")
    ended = post(window, f"/tasks/{task_id}", {"action": "complete", **PASS})
    assert ended.status_code == 409
    assert "案件已暂停、已结束或已取消" in ended.get_data(as_text=True) and english_words(ended) == []
