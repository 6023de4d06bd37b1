"""Signing in, and the inbox: queues, counts, filters, search, sorting, paging, claim and reassign."""

from __future__ import annotations

from datetime import datetime, timedelta

import lxml.html
from webkit import PASSWORD, csrf_token, login, post

PASS = {"decision": "pass"}


def rows(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return [{"case": tr.get("data-case"), "task": tr.get("data-task"), "class": tr.get("class") or "",
             "text": tr.text_content()} for tr in page.cssselect("#tasks tbody tr")]


def counts(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return {a.get("data-queue"): int(a.cssselect(".count")[0].text) for a in page.cssselect(".tabs a")}


# -- signing in -------------------------------------------------------------------------------

def test_pages_need_a_login_and_come_back_after_it(client):
    response = client.get("/inbox?queue=group")
    assert response.status_code == 302 and "/login" in response.location
    token = csrf_token(client)
    response = client.post("/login?next=/inbox%3Fqueue%3Dgroup",
                           data={"username": "window", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/inbox?queue=group"


def test_a_login_never_sends_people_to_another_site(client):
    token = csrf_token(client)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "window", "password": PASSWORD, "csrf_token": token})
    assert response.location == "/"  # the front page, which sends the person on to their work


def test_a_wrong_password_is_refused_in_chinese(client):
    response = client.post("/login", data={"username": "window", "password": "nope", "csrf_token": csrf_token(client)})
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_login_attempts_are_limited(client, app):
    for _ in range(5):
        client.post("/login", data={"username": "renmin", "password": "x", "csrf_token": csrf_token(client)})
    response = client.post("/login", data={"username": "renmin", "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(client):
    assert client.post("/login", data={"username": "window", "password": PASSWORD}).status_code == 400


def test_sessions_expire(app, client):
    login(client, "window")
    assert app.permanent_session_lifetime == timedelta(hours=8)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None


def test_logout_ends_the_session(client):
    login(client, "window")
    assert post(client, "/logout").status_code == 302
    assert client.get("/inbox").status_code == 302


# -- queues -----------------------------------------------------------------------------------

def test_each_hospital_sees_only_its_own_tasks(start, as_user):
    physical = start()
    physical.complete("pre_review", PASS)
    mental = start(category="精神", materials=["photos", "guardian_proof", "medical_records"])
    mental.complete("pre_review", PASS)

    renmin = as_user("renmin").get("/inbox?queue=group")
    anding = as_user("anding").get("/inbox?queue=group")
    assert [r["case"] for r in rows(renmin)] == [physical.number]
    assert [r["case"] for r in rows(anding)] == [mental.number]
    assert "登记并预约鉴定" in rows(renmin)[0]["text"]
    assert counts(renmin) == {"mine": 0, "group": 1, "done": 0}


def test_a_row_shows_the_case_the_applicant_masked_and_the_time_limit(start, as_user):
    case = start()
    [row] = rows(as_user("window").get("/inbox?queue=group"))
    assert case.number in row["text"] and "李明" in row["text"]
    assert "360483********1233"[:6] in row["text"] and "********" in row["text"]
    assert "19800101" not in row["text"]


def test_claim_moves_a_task_to_my_queue_and_cancelling_the_claim_back(start, as_user):
    case = start()
    window = as_user("window")
    task = case.task("pre_review")
    post(window, f"/tasks/{task['id']}/claim")
    [mine] = rows(window.get("/inbox?queue=mine"))
    assert mine["case"] == case.number and "window 测试" in mine["text"]  # the holder's name, not their user name
    assert counts(window.get("/inbox")) == {"mine": 1, "group": 0, "done": 0}
    post(window, f"/tasks/{task['id']}/unclaim")
    assert counts(window.get("/inbox")) == {"mine": 0, "group": 1, "done": 0}


def test_completed_tasks_are_listed_as_done_with_what_became_of_their_cases(start, as_user):
    passed, rejected = start(), start()
    window = as_user("window")
    post(window, f"/tasks/{passed.task('pre_review')['id']}", {"action": "complete", "decision": "pass"})
    post(window, f"/tasks/{rejected.task('pre_review')['id']}",
         {"action": "complete", "decision": "reject", "reason": "不符合申请条件"})
    done = {r["case"]: r["text"] for r in rows(window.get("/inbox?queue=done"))}
    assert set(done) == {passed.number, rejected.number}
    assert "办理中" in done[passed.number] and "已办结：申请未通过审核" in done[rejected.number]
    assert all("办结 2026-09-01" in text for text in done.values())


def test_overdue_and_due_soon_are_marked_and_filtered(start, as_user, clock):
    late = start()
    clock.advance(days=10)
    fresh = start(applicant_name="王芳")
    window = as_user("window")
    marked = {r["case"]: r["class"] for r in rows(window.get("/inbox?queue=group"))}
    assert marked[late.number] == "overdue"
    assert marked[fresh.number] == ""
    overdue = rows(window.get("/inbox?queue=group&due=overdue"))
    assert [r["case"] for r in overdue] == [late.number]
    fresh_due = fresh.task("pre_review")["due_at"]
    clock.set(datetime.fromisoformat(fresh_due) - timedelta(days=1))
    soon = {r["case"]: r["class"] for r in rows(window.get("/inbox?queue=group&due=soon"))}
    assert soon == {fresh.number: "soon"}


def test_search_by_name_or_case_number_and_filter_by_step(start, as_user):
    first = start(applicant_name="张三丰")
    second = start(applicant_name="李四")
    second.complete("pre_review", PASS)
    window = as_user("window")
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&q=张三丰"))] == [first.number]
    # Names are kept encrypted and found by a digest of the whole name: a beginning finds nothing.
    assert rows(window.get("/inbox?queue=group&q=张三")) == []
    assert [r["case"] for r in rows(window.get(f"/inbox?queue=group&q={first.number}"))] == [first.number]
    assert rows(window.get("/inbox?queue=group&q=李四")) == []  # the hospital has it now
    tail = first.number[-4:]  # as a clerk reads it off a paper file
    assert [r["case"] for r in rows(window.get(f"/inbox?queue=group&q={tail}"))] == [first.number]
    assert [r["case"] for r in rows(window.get(f"/inbox?queue=group&q={first.number.lower()}"))] == [first.number]
    assert rows(window.get("/inbox?queue=group&q=%25")) == []  # a wildcard is a character like any other
    admin = as_user("admin")
    at_hospital = rows(admin.get("/inbox?queue=group&step=register_appointment"))
    assert [r["case"] for r in at_hospital] == [second.number]


def test_pages_and_sorting(start, as_user):
    numbers = [start(applicant_name=f"申请人{i:02d}").number for i in range(27)]
    window = as_user("window")
    first = rows(window.get("/inbox?queue=group&sort=received"))
    second = rows(window.get("/inbox?queue=group&sort=received&page=2"))
    assert len(first) == 25 and len(second) == 2
    assert [r["case"] for r in first + second] == numbers
    newest_first = rows(window.get("/inbox?queue=group&sort=-received"))
    assert newest_first[0]["case"] == numbers[-1]
    assert "第 2 / 2 页" in window.get("/inbox?queue=group&page=2").get_data(as_text=True)


def test_filter_by_process(start, as_user):
    online = start()
    offline = start("application_offline", materials=["id_card", "household_register", "photos", "application_form"])
    window = as_user("window")
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&process=application_offline"))] == [offline.number]
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&process=application_online"))] == [online.number]

def options(response, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return {o.get("value"): o.text_content() for o in page.cssselect(f'select[name="{name}"] option') if o.get("value")}


def test_the_filters_offer_the_persons_own_processes_and_steps_named_with_their_process(as_user):
    village = options(as_user("yujing").get("/inbox"), "process")  # the processes that call its publicity
    assert set(village) == {"application_online", "application_offline", "card_exchange"}
    assert village["application_online"] == "网上申请办理残疾人证"
    assert options(as_user("auditor").get("/inbox"), "process") == {}  # no step of any
    renmin = as_user("renmin").get("/inbox")
    steps = options(renmin, "step")
    assert steps["application_online:assess"] == "网上申请办理残疾人证 · 鉴定并审核"
    assert steps["application_offline:assess"] == "窗口申请办理残疾人证 · 鉴定并审核"
    assert all("window" not in key and "pre_review" not in key for key in steps)


def test_a_step_filter_names_the_process_too(start, as_user):
    online = start()
    offline = start("application_offline", materials=["id_card", "household_register", "photos", "application_form"])
    window = as_user("window")
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&step=application_online:pre_review"))] == [
        online.number]
    assert rows(window.get("/inbox?queue=group&step=application_offline:pre_review")) == []
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&step=application_offline:window_review"))] == [
        offline.number]
    assert [r["case"] for r in rows(window.get("/inbox?queue=group&step=pre_review"))] == [online.number]


def test_done_tasks_follow_the_chosen_order_newest_first_by_default(start, as_user, clock):
    cases = [start(applicant_name=name) for name in ("张甲", "李乙", "王丙")]
    window = as_user("window")
    for case in (cases[1], cases[0], cases[2]):  # completed in this order, a minute apart
        clock.advance(minutes=1)
        post(window, f"/tasks/{case.task('pre_review')['id']}", {"action": "complete", "decision": "pass"})
    numbers = [c.number for c in cases]
    assert [r["case"] for r in rows(window.get("/inbox?queue=done"))] == [numbers[2], numbers[0], numbers[1]]
    assert [r["case"] for r in rows(window.get("/inbox?queue=done&sort=case"))] == numbers
    assert [r["case"] for r in rows(window.get("/inbox?queue=done&sort=-received"))] == numbers[::-1]
    sorts = options(window.get("/inbox?queue=done"), "sort")
    assert sorts["-completed"] == "办结时间(晚→早)" and "-completed" not in options(window.get("/inbox"), "sort")


def test_unknown_filter_values_fall_back_to_defaults(start, as_user):
    start()
    response = as_user("window").get("/inbox?queue=bogus&sort=evil&due=never")
    assert response.status_code == 200


# -- who may act --------------------------------------------------------------------------------

def test_claiming_another_groups_task_is_forbidden_and_logged(start, as_user, app):
    case = start()
    case.complete("pre_review", PASS)
    task = case.task("register_appointment")
    anding = as_user("anding")
    assert post(anding, f"/tasks/{task['id']}/claim").status_code == 403
    assert post(as_user("yujing"), f"/tasks/{task['id']}/claim").status_code == 403
    denied = app.extensions["certflow"].accounts.security_events(kind="access_denied")
    assert {e.username for e in denied} >= {"anding", "yujing"}
    assert case.task("register_appointment")["assignee"] is None


def test_claiming_a_task_someone_holds_says_so(start, as_user):
    case = start()
    task = case.task("pre_review")
    case.runtime.claim(task["id"], actor="other-clerk")  # no account: named as recorded
    response = post(as_user("window"), f"/tasks/{task['id']}/claim", follow_redirects=True)
    assert "此任务已由 other-clerk 于 2026年9月1日 09:00 认领" in response.get_data(as_text=True)
    assert case.task("pre_review")["assignee"] == "other-clerk"


def test_only_admins_reassign_and_only_to_someone_who_may_work_the_task(start, as_user):
    case = start()
    case.complete("pre_review", PASS)
    task = case.task("register_appointment")
    assert post(as_user("renmin"), f"/tasks/{task['id']}/reassign", {"assignee": "renmin"}).status_code == 403
    admin = as_user("admin")
    refused = post(admin, f"/tasks/{task['id']}/reassign", {"assignee": "anding"}, follow_redirects=True)
    assert "不能办理此任务" in refused.get_data(as_text=True)
    post(admin, f"/tasks/{task['id']}/reassign", {"assignee": "renmin"})
    assert case.task("register_appointment")["assignee"] == "renmin"
    assert [e["kind"] for e in case.runtime.history(case.number)][-1] == "task_reassigned"
    assert counts(as_user("renmin").get("/inbox"))["mine"] == 1
