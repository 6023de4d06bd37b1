"""Groups (the window, hospitals, villages) kept by administrators; groups.json seeds a new database."""

from __future__ import annotations

from dataclasses import replace

import lxml.html
import pytest
from webkit import field, post

from certflow.config import Config
from certflow.web import create_app

LUSHAN, SHIZONG = "360483", "530323"  # 庐山市, 师宗县
NEW_VILLAGE = {"id": "village-360483104001", "role": "village", "name": "海会镇海会村"}
YUJING = "village-360483101209"


def directory(app):  # type: ignore[no-untyped-def]
    return app.extensions["certflow"].directory


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


def portal_villages(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    html = page(client.get("/apply").get_data(as_text=True))
    return {o.get("value"): o.text_content() for o in html.cssselect('select[name="village"] option') if o.get("value")}


def offered_groups(client, path: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {i.get("value") for i in field(client.get(path).get_data(as_text=True), "groups").cssselect("input")}


def deactivate(admin, group_id: str, name: str) -> None:  # type: ignore[no-untyped-def]
    response = post(admin, f"/admin/groups/{group_id}", {"name": name, "active": "false"}, page="/admin/groups")
    assert response.status_code == 302


def test_the_list_shows_groups_with_their_members_and_open_tasks(as_user, start):
    start()  # waits for the window's pre-review
    admin = as_user("admin")
    html = page(admin.get("/admin/groups").get_data(as_text=True))
    [window] = html.cssselect('tr[data-group="window"]')
    assert "庐山市残联综合窗口" in window.text_content() and "启用" in window.text_content()
    assert [a.get("data-user") for a in window.cssselect(".members a")] == ["window"]
    assert window.cssselect(".open-tasks")[0].text_content() == "1"
    [anding] = html.cssselect('tr[data-group="hospital-anding"]')
    assert anding.cssselect(".open-tasks")[0].text_content() == "0" and "定点医院" in anding.text_content()
    assert html.cssselect('header a[href="/admin/groups"]')  # in the administrators' navigation


def test_the_groups_form_a_tree_of_county_townships_and_villages(as_user):
    html = page(as_user("admin").get("/admin/groups").get_data(as_text=True))
    [lushan] = html.cssselect('[data-county="360483"]')
    assert "庐山市残联" in lushan.cssselect("h2")[0].text_content()
    county_units = [tr.get("data-group") for tr in lushan.xpath("./table//tr[@data-group]")]
    assert {"window", "county", "hospital-renmin", "hospital-anding", "expert-committee"} == set(county_units)
    [bailu] = lushan.cssselect('[data-township="360483101"]')
    assert "白鹿镇" in bailu.cssselect("summary")[0].text_content()
    assert [tr.get("data-group") for tr in bailu.cssselect("tr[data-group]")] == [
        "village-360483101207", "village-360483101209"]
    [wenquan] = lushan.cssselect('[data-township="360483102"]')
    assert "温泉镇" in wenquan.cssselect("summary")[0].text_content()


def test_a_hospital_sits_under_the_county_it_was_added_to(app, as_user):
    app.extensions["certflow"].counties.add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联")
    directory(app).add("hospital-sz-renmin", "hospital", "师宗县人民医院", SHIZONG)  # its id names no place
    directory(app).add("village-530323001001", "village", "丹凤街道丹凤社区", SHIZONG)
    html = page(as_user("admin").get("/admin/groups").get_data(as_text=True))
    [shizong] = html.cssselect('[data-county="530323"]')
    assert "师宗县残联" in shizong.cssselect("h2")[0].text_content()
    assert [tr.get("data-group") for tr in shizong.xpath("./table//tr[@data-group]")] == ["hospital-sz-renmin"]
    [danfeng] = shizong.cssselect('[data-township="530323001"]')
    assert "丹凤街道" in danfeng.cssselect("summary")[0].text_content()
    assert not html.cssselect('[data-county="360483"] tr[data-group="hospital-sz-renmin"]')


def test_searching_keeps_the_matching_groups_under_their_township(as_user):
    admin = as_user("admin")
    html = page(admin.get("/admin/groups?q=玉京").get_data(as_text=True))
    assert [tr.get("data-group") for tr in html.cssselect("tr[data-group]")] == [YUJING]
    assert html.cssselect('[data-township="360483101"] tr[data-group]')  # still under 白鹿镇
    by_township = page(admin.get("/admin/groups?q=白鹿镇").get_data(as_text=True))
    assert {tr.get("data-group") for tr in by_township.cssselect("tr[data-group]")} == {
        "village-360483101207", YUJING}
    by_code = page(admin.get("/admin/groups?q=hospital").get_data(as_text=True))
    assert {tr.get("data-group") for tr in by_code.cssselect("tr[data-group]")} == {
        "hospital-renmin", "hospital-anding"}
    none = page(admin.get("/admin/groups?q=不存在的单位").get_data(as_text=True))
    assert not none.cssselect("tr[data-group]") and "不存在的单位" in none.cssselect("#no-groups")[0].text_content()


def test_a_new_village_is_offered_by_the_portal_and_the_user_form(app, client, as_user):
    admin = as_user("admin")
    response = post(admin, "/admin/groups", {**NEW_VILLAGE, "county": LUSHAN}, page="/admin/groups")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/groups")
    added = directory(app).get(NEW_VILLAGE["id"])
    assert (added.role, added.name, added.active) == ("village", "海会镇海会村", True)

    assert portal_villages(client)[NEW_VILLAGE["id"]] == "海会镇海会村"
    assert NEW_VILLAGE["id"] in offered_groups(admin, "/admin/users/yujing")
    assert NEW_VILLAGE["id"] in offered_groups(admin, "/admin/users")
    listed = page(admin.get("/admin/groups").get_data(as_text=True))
    [row] = listed.cssselect(f'[data-township="360483104"] tr[data-group="{NEW_VILLAGE["id"]}"]')
    assert "海会镇海会村" in row.text_content()


@pytest.mark.parametrize(("posted", "errors"), [
    ({"id": "Hospital One", "role": "hospital", "name": ""}, {"id": "小写字母", "name": "必填"}),
    ({"id": "village-3604", "role": "village", "name": "某村"}, {"id": "12位行政区划代码"}),
    ({"id": "hospital-new", "role": "applicant", "name": "某医院"}, {"role": "未知的角色"}),
    ({"id": "", "role": "", "name": "某医院", "county": ""}, {"id": "必填", "role": "必填", "county": "必填"}),
    ({"id": "hospital-renmin", "role": "hospital", "name": "又一个人民医院"}, {"id": "已存在"}),
], ids=["bad id and no name", "village id", "applicant role", "nothing chosen", "taken id"])
def test_errors_appear_beside_their_fields_and_the_input_is_kept(app, as_user, posted, errors):
    response = post(as_user("admin"), "/admin/groups", {"county": LUSHAN, **posted}, page="/admin/groups")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name, message in errors.items():
        assert message in field(html, name).cssselect(".field-error")[0].text_content(), name
    assert field(html, "id").cssselect("input")[0].get("value") == posted["id"]
    assert len(directory(app).all()) == 10
    assert directory(app).name("hospital-renmin") == "庐山市人民医院"


def test_a_deactivated_village_is_no_longer_offered_but_its_people_and_tasks_keep_working(app, client, as_user, start):
    case = start()  # a case from 玉京村: its first task is the window's
    admin = as_user("admin")
    deactivate(admin, YUJING, "白鹿镇玉京村")
    assert YUJING not in portal_villages(client)
    assert YUJING not in offered_groups(admin, "/admin/users")
    refused = post(admin, "/admin/users", {"username": "newclerk", "display_name": "新村干部", "password":
                                           "long-enough-1", "roles": ["village"], "groups": [YUJING]},
                   page="/admin/users")
    assert refused.status_code == 422 and "已停用" in field(refused.get_data(as_text=True), "groups").text_content()

    # Its people keep it: the edit form still shows it, marked, and saving keeps it.
    edit = admin.get("/admin/users/yujing").get_data(as_text=True)
    [kept] = field(edit, "groups").cssselect(f'input[value="{YUJING}"]')
    assert kept.get("checked") is not None and "已停用" in kept.getparent().text_content()
    saved = post(admin, "/admin/users/yujing", {"display_name": "胡主任", "active": "true", "roles": ["village"],
                                                "groups": [YUJING]}, page="/admin/users")
    assert saved.status_code == 302
    assert app.extensions["certflow"].accounts.by_username("yujing").groups == {YUJING}

    listed = page(admin.get("/admin/groups").get_data(as_text=True))
    [row] = listed.cssselect(f'tr[data-group="{YUJING}"]')
    assert "停用" in row.text_content() and "inactive" in row.get("class")
    assert case.number in as_user("window").get("/inbox?queue=group").get_data(as_text=True)
    assert "白鹿镇玉京村" in as_user("window").get(f"/cases/{case.number}").get_data(as_text=True)


def test_a_group_is_renamed_and_its_edit_form_checks_the_name(app, as_user):
    admin = as_user("admin")
    form = admin.get("/admin/groups/hospital-renmin").get_data(as_text=True)
    assert field(form, "name").cssselect("input")[0].get("value") == "庐山市人民医院"
    blank = post(admin, "/admin/groups/hospital-renmin", {"name": " ", "active": "true"}, page="/admin/groups")
    assert blank.status_code == 422 and "必填" in field(blank.get_data(as_text=True), "name").text_content()
    renamed = post(admin, "/admin/groups/hospital-renmin", {"name": "庐山市第一人民医院", "active": "true"},
                   page="/admin/groups")
    assert renamed.status_code == 302
    users = admin.get("/admin/users").get_data(as_text=True)
    assert "庐山市第一人民医院" in page(users).cssselect('tr[data-user="renmin"]')[0].text_content()
    assert admin.get("/admin/groups/hospital-nowhere").status_code == 404


GROUP_PAGES = ["/admin/groups", "/admin/groups/window"]


@pytest.mark.parametrize("username", ["window", "auditor"])
def test_anyone_but_an_administrator_is_refused_and_recorded(app, as_user, username):
    client = as_user(username)
    for path in GROUP_PAGES:
        assert client.get(path).status_code == 403, path
        assert post(client, path, {**NEW_VILLAGE, "active": "false"}).status_code == 403, path
    accounts = app.extensions["certflow"].accounts
    denied = [e for e in accounts.security_events(kind="access_denied") if e.username == username]
    assert len(denied) == 2 * len(GROUP_PAGES)
    assert directory(app).get(NEW_VILLAGE["id"]) is None and directory(app).get("window").active


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in GROUP_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_the_file_seeds_a_new_database_once(app, runtime, accounts, tmp_path):
    assert len(directory(app).all()) == 10  # groups.json, by the first start
    directory(app).update("county", name="庐山市残疾人联合会", active=True)
    config = replace(Config.from_env({}), upload_dir=tmp_path / "uploads")
    restarted = create_app(config, runtime=runtime, accounts=accounts)
    assert len(directory(restarted).all()) == 10
    assert directory(restarted).name("county") == "庐山市残疾人联合会"
