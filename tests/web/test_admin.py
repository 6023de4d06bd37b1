"""User administration and the security log: administrators only."""

from __future__ import annotations

import lxml.html
import pytest
from webkit import PASSWORD, csrf_token, field, login, post

NEW_USER = {"username": "doctor2", "display_name": "王医生", "password": "long-enough-1",
            "roles": ["hospital"], "groups": ["hospital-anding"]}
EDIT_YUJING = {"display_name": "玉京村 胡主任", "active": "true", "roles": ["village"],
               "groups": ["village-360483101209", "village-360483101207"]}


def accounts(app):  # type: ignore[no-untyped-def]
    return app.extensions["certflow"].accounts


def rows(html: str, selector: str) -> list[lxml.html.HtmlElement]:
    return lxml.html.fromstring(html).cssselect(selector)


def test_the_list_shows_roles_and_groups_by_their_names(as_user):
    html = as_user("admin").get("/admin/users").get_data(as_text=True)
    [renmin] = rows(html, 'tr[data-user="renmin"]')
    text = renmin.text_content()
    assert "定点医院" in text and "庐山市人民医院" in text and "启用" in text and "从未登录" in text
    [admin] = rows(html, 'tr[data-user="admin"]')
    assert "系统管理员" in admin.text_content() and "从未登录" not in admin.text_content()
    assert len(rows(html, "tr[data-user]")) == 10
    assert html.count('name="csrf_token"') >= 2  # the create form and the sign-out form


def test_people_are_found_by_name_user_name_group_and_role(as_user):
    admin = as_user("admin")

    def found(query: str) -> set[str]:
        html = admin.get(f"/admin/users?{query}").get_data(as_text=True)
        return {tr.get("data-user") for tr in rows(html, "#users tr[data-user]")}

    assert found("q=renmin") == {"renmin"}
    assert found("q=人民医院") == {"renmin"}  # by the name of their group
    assert found("q=玉京") == {"yujing"}
    assert found("role=hospital") == {"renmin", "anding"}
    assert found("q=anding&role=village") == set()
    html = admin.get("/admin/users?q=没有这个人").get_data(as_text=True)
    assert "没有符合条件的用户" in html and "找到 0 人（共 10 人）" in html


def test_the_form_offers_staff_roles_and_groups_under_their_role(as_user):
    html = as_user("admin").get("/admin/users").get_data(as_text=True)
    roles = [i.get("value") for i in field(html, "roles").cssselect("input")]
    assert "applicant" not in roles and {"window_clerk", "hospital", "admin"} <= set(roles)
    [hospitals] = field(html, "groups").cssselect('[data-role="hospital"]')
    assert [i.get("value") for i in hospitals.cssselect("input")] == ["hospital-anding", "hospital-renmin"]  # by id
    assert field(html, "password").cssselect('input[type="password"]')


def test_an_administrator_creates_a_user_who_can_then_sign_in(app, as_user):
    response = post(as_user("admin"), "/admin/users", NEW_USER, page="/admin/users")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users/doctor2")
    created = accounts(app).by_username("doctor2")
    assert (created.display_name, created.roles, created.groups) == (
        "王医生", {"hospital"}, {"hospital-anding"})
    login(app.test_client(), "doctor2", "long-enough-1")


def test_editing_saves_roles_groups_and_a_new_password(app, as_user):
    admin = as_user("admin")
    response = post(admin, "/admin/users/yujing", {**EDIT_YUJING, "password": "new-password-9"}, page="/admin/users")
    assert response.status_code == 302
    saved = accounts(app).by_username("yujing")
    assert saved.display_name == "玉京村 胡主任"
    assert saved.groups == {"village-360483101209", "village-360483101207"}
    login(app.test_client(), "yujing", "new-password-9")
    assert accounts(app).authenticate("yujing", PASSWORD) is None

    html = admin.get("/admin/users/yujing").get_data(as_text=True)
    checked = {i.get("value") for i in field(html, "groups").cssselect("input[checked]")}
    assert checked == {"village-360483101209", "village-360483101207"}


def test_an_empty_new_password_keeps_the_old_one_and_a_stopped_user_cannot_sign_in(app, as_user):
    admin = as_user("admin")
    assert post(admin, "/admin/users/yujing", {**EDIT_YUJING, "password": ""}, page="/admin/users").status_code == 302
    login(app.test_client(), "yujing")
    post(admin, "/admin/users/yujing", {**EDIT_YUJING, "active": "false"}, page="/admin/users")
    assert accounts(app).authenticate("yujing", PASSWORD) is None
    assert "停用" in rows(admin.get("/admin/users").get_data(as_text=True), 'tr[data-user="yujing"]')[0].text_content()


def test_errors_appear_beside_their_fields_and_the_input_is_kept(as_user):
    response = post(as_user("admin"), "/admin/users", {
        "username": "bad name!", "display_name": " ", "password": "short", "groups": ["hospital-renmin"],
    }, page="/admin/users")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "只能使用字母" in field(html, "username").text_content()
    assert field(html, "username").cssselect("input")[0].get("value") == "bad name!"
    assert "必填" in field(html, "display_name").text_content()
    assert "至少8位" in field(html, "password").text_content()
    assert field(html, "password").cssselect("input")[0].get("value") is None  # never sent back
    assert "至少选择一个角色" in field(html, "roles").text_content()
    assert field(html, "groups").cssselect('input[value="hospital-renmin"]')[0].get("checked") is not None


def test_a_new_user_needs_a_password(as_user):
    response = post(as_user("admin"), "/admin/users", {**NEW_USER, "password": ""}, page="/admin/users")
    assert response.status_code == 422
    assert "必填" in field(response.get_data(as_text=True), "password").text_content()


def test_a_taken_user_name_is_refused_beside_the_name(app, as_user):
    response = post(as_user("admin"), "/admin/users", {**NEW_USER, "username": "renmin"}, page="/admin/users")
    assert response.status_code == 422
    assert "已存在" in field(response.get_data(as_text=True), "username").text_content()
    assert accounts(app).by_username("renmin").groups == {"hospital-renmin"}
    assert len(accounts(app).all()) == 10


def test_an_unknown_group_is_refused(app, as_user):
    response = post(as_user("admin"), "/admin/users", {**NEW_USER, "groups": ["hospital-nowhere"]},
                    page="/admin/users")
    assert response.status_code == 422
    assert "hospital-nowhere" in field(response.get_data(as_text=True), "groups").text_content()
    assert accounts(app).by_username("doctor2") is None


def test_administrators_cannot_lock_themselves_out(app, as_user):
    response = post(as_user("admin"), "/admin/users/admin", {
        "display_name": "管理员", "active": "false", "roles": ["window_clerk"]}, page="/admin/users")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "系统管理员" in field(html, "roles").text_content() and "停用" in field(html, "active").text_content()
    assert accounts(app).by_username("admin").roles == {"admin"}


def test_a_token_is_shown_once_and_stops_working_when_revoked(app, as_user):
    admin = as_user("admin")
    response = post(admin, "/admin/users/analyst/tokens", {"label": "报表系统"}, page="/admin/users")
    assert response.status_code == 200
    [shown] = rows(response.get_data(as_text=True), "#new-token code")
    token = shown.text_content()
    assert accounts(app).by_token(token).username == "analyst"

    page = admin.get("/admin/users/analyst").get_data(as_text=True)
    assert token not in page
    [row] = rows(page, "tr[data-token]")
    assert "报表系统" in row.text_content() and "有效" in row.text_content()

    revoke = f"/admin/users/analyst/tokens/{row.get('data-token')}/revoke"
    assert post(admin, revoke, page="/admin/users").status_code == 302
    assert accounts(app).by_token(token) is None
    [row] = rows(admin.get("/admin/users/analyst").get_data(as_text=True), "tr[data-token]")
    assert "已吊销" in row.text_content()
    elsewhere = f"/admin/users/window/tokens/{row.get('data-token')}/revoke"
    assert post(admin, elsewhere, page="/admin/users").status_code == 404  # another person's token


def test_the_security_log_lists_newest_first_and_filters_by_kind(app, client, as_user):
    assert client.post("/login", data={"username": "window", "password": "wrong",
                                       "csrf_token": csrf_token(client)}).status_code == 401
    as_user("auditor").get("/admin/security")
    html = as_user("admin").get("/admin/security").get_data(as_text=True)
    kinds = [tr.get("data-kind") for tr in rows(html, "#events tr[data-kind]")]
    assert kinds[:2] == ["login_ok", "access_denied"]  # the admin's login, then the auditor's attempt
    assert "login_failed" in kinds

    filtered = as_user("admin").get("/admin/security?kind=login_failed").get_data(as_text=True)
    events = rows(filtered, "#events tr[data-kind]")
    assert [tr.get("data-kind") for tr in events] == ["login_failed"]
    # the kind in words, and the person by name beside the login name that was typed
    cells = [td.text_content().strip() for td in events[0].cssselect("td")]
    assert cells[1:3] == ["登录失败", "window 测试 window"]
    assert events[0].cssselect("td code")[0].text == "window"

    client.post("/status", data={"number": "LS-2026-999999", "id_number": "36048319800101123X",
                                 "csrf_token": csrf_token(client, "/status")})
    lookups = rows(as_user("admin").get("/admin/security?kind=status_lookup_failed").get_data(as_text=True),
                   "#events tr[data-kind]")
    assert [tr.cssselect("td")[1].text_content() for tr in lookups] == ["进度查询失败"]
    assert "查询进度 LS-2026-999999" in lookups[0].text_content()


ADMIN_PAGES = ["/admin/users", "/admin/users/admin", "/admin/security"]
ADMIN_ACTIONS = ["/admin/users", "/admin/users/admin", "/admin/users/admin/tokens",
                 "/admin/users/admin/tokens/1/revoke"]


@pytest.mark.parametrize("username", ["window", "auditor"])
def test_anyone_but_an_administrator_is_refused_and_recorded(app, as_user, username):
    client = as_user(username)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    for path in ADMIN_ACTIONS:
        assert post(client, path, NEW_USER).status_code == 403, path
    denied = [e for e in accounts(app).security_events(kind="access_denied") if e.username == username]
    assert len(denied) == len(ADMIN_PAGES) + len(ADMIN_ACTIONS)
    assert accounts(app).by_username("doctor2") is None
    assert accounts(app).tokens(accounts(app).by_username("admin").id) == []


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_post_without_the_csrf_token_is_refused(app, as_user):
    response = as_user("admin").post("/admin/users", data=NEW_USER)
    assert response.status_code == 400
    assert accounts(app).by_username("doctor2") is None
