"""The counties page (/admin/counties): a province administrator adds and changes counties; a county's
administrator is refused it, and keeps only their own county's people and groups."""

from __future__ import annotations

import lxml.html
import pytest
from flask import Flask
from webkit import PASSWORD, field, login, post

from certflow.people.accounts import Accounts

LUSHAN, SHIZONG, LUOPING = "360483", "530323", "530324"  # 庐山市, 师宗县, 罗平县
NEW = {"code": LUOPING, "case_prefix": "LP", "sms_signature": "罗平县残联", "active": "true"}


def page(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(html)


@pytest.fixture
def county_admin(app: Flask, accounts: Accounts):  # type: ignore[no-untyped-def]
    """Lushan's own administrator, signed in."""
    accounts.create("ls-admin", PASSWORD, display_name="庐山 管理员", roles=["admin"], county=LUSHAN)
    return login(app.test_client(), "ls-admin")


def counties(app: Flask):  # type: ignore[no-untyped-def]
    return app.extensions["certflow"].counties


def test_a_province_administrator_adds_a_real_county_named_from_the_dataset(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    listed = page(admin.get("/admin/counties").get_data(as_text=True))
    assert [tr.get("data-county") for tr in listed.cssselect("#counties tr[data-county]")] == [LUSHAN]  # configured
    assert listed.cssselect('nav.tabs a[href="/admin/counties"]')[0].get("class") == "active"
    assert len(listed.cssselect('a[href="/admin/counties"]')) == 2  # the menu's link and the tab

    added = post(admin, "/admin/counties", {**NEW, "holidays": "2026-10-09\n2026-10-12"}, page="/admin/counties")
    assert added.status_code == 302
    listed = page(admin.get("/admin/counties").get_data(as_text=True))
    [row] = listed.cssselect(f'tr[data-county="{LUOPING}"]')
    assert "罗平县" in row.text_content() and "罗平县残联" in row.text_content()
    assert row.cssselect(".prefix")[0].text_content() == "LP"
    assert "2026-10-09、2026-10-12" in row.text_content()
    assert counties(app).get(LUOPING).holidays == ["2026-10-09", "2026-10-12"]

    edit = page(admin.get(f"/admin/counties/{LUOPING}").get_data(as_text=True))
    assert edit.cssselect('[data-field="case_prefix"] input')[0].get("value") == "LP"
    changed = post(admin, f"/admin/counties/{LUOPING}", {"name": "罗平县", "federation": "罗平县残疾人联合会",
                                                          "case_prefix": "LPX", "sms_signature": "罗平残联",
                                                          "holidays": "", "workdays": "2026-10-10",
                                                          "active": "false"}, page="/admin/counties")
    assert changed.status_code == 302
    saved = counties(app).get(LUOPING)
    assert (saved.federation, saved.case_prefix, saved.sms_signature, saved.holidays, saved.workdays,
            saved.active) == ("罗平县残疾人联合会", "LPX", "罗平残联", [], ["2026-10-10"], False)


@pytest.mark.parametrize(("posted", "name", "says"), [
    ({"case_prefix": "lp"}, "case_prefix", "案件编号前缀应为1到6个大写英文字母"),
    ({"case_prefix": "LS"}, "case_prefix", "前缀 LS 已由庐山市使用"),
    ({"code": "530300"}, "code", "530300 不是行政区划数据中的县级代码"),  # 曲靖市, no county
    ({"holidays": "国庆后一天"}, "holidays", "不是日期"),
])
def test_a_wrong_field_is_refused_beside_it_and_the_input_kept(app: Flask, as_user, posted, name, says) -> None:  # type: ignore[no-untyped-def]
    refused = post(as_user("admin"), "/admin/counties", {**NEW, **posted}, page="/admin/counties")
    assert refused.status_code == 422
    wrapper = field(refused.get_data(as_text=True), name)
    assert says in wrapper.cssselect(".field-error")[0].text_content()
    assert field(refused.get_data(as_text=True), "sms_signature").cssselect("input")[0].get("value") == "罗平县残联"
    assert counties(app).get(LUOPING) is None


def test_a_wrong_change_is_refused_beside_its_field(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    refused = post(admin, f"/admin/counties/{LUSHAN}", {"name": "庐山市", "federation": "庐山市残联",
                                                        "case_prefix": "LS", "sms_signature": "【庐山】",
                                                        "active": "true"}, page="/admin/counties")
    assert refused.status_code == 422
    assert "不带【】" in field(refused.get_data(as_text=True), "sms_signature").text_content()
    assert counties(app).get(LUSHAN).sms_signature == "庐山市残联"
    assert admin.get("/admin/counties/999999").status_code == 404


def test_a_county_administrator_is_refused_the_counties_and_not_shown_the_tab(app: Flask, accounts: Accounts,
                                                                              county_admin) -> None:  # type: ignore[no-untyped-def]
    assert county_admin.get("/admin/counties").status_code == 403
    assert county_admin.get(f"/admin/counties/{LUSHAN}").status_code == 403
    assert post(county_admin, "/admin/counties", NEW, page="/admin/users").status_code == 403
    assert counties(app).get(LUOPING) is None
    users = page(county_admin.get("/admin/users").get_data(as_text=True))
    assert not users.cssselect('a[href="/admin/counties"]')  # neither in the menu nor among the tabs
    denied = [e.target or "" for e in accounts.security_events(kind="access_denied") if e.username == "ls-admin"]
    assert any("县（市）管理" in target for target in denied)


def test_a_county_administrator_sees_and_keeps_only_their_countys_people_and_groups(
        app: Flask, accounts: Accounts, county_admin, as_user) -> None:  # type: ignore[no-untyped-def]
    counties(app).add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联")
    app.extensions["certflow"].directory.add("township-530323102", "township", "雄壁镇残联", SHIZONG)
    accounts.create("xiongbi", PASSWORD, display_name="杨丽", roles=["township"], groups=["township-530323102"],
                    county=SHIZONG)

    html = county_admin.get("/admin/users").get_data(as_text=True)
    listed = {tr.get("data-user") for tr in page(html).cssselect("#users tr[data-user]")}
    assert "window" in listed and "xiongbi" not in listed and "admin" not in listed  # nor the province's
    assert [o.get("value") for o in field(html, "county").cssselect("option")] == [LUSHAN]
    assert county_admin.get("/admin/users/xiongbi").status_code == 404
    groups = page(county_admin.get("/admin/groups").get_data(as_text=True))
    assert [s.get("data-county") for s in groups.cssselect("[data-county]")] == [LUSHAN]
    assert not groups.cssselect('[data-group="township-530323102"]')
    assert county_admin.get("/admin/groups/township-530323102").status_code == 404

    # A group a county's administrator adds is their county's; they are asked no county, and choose none.
    assert not groups.cssselect('#new-group [data-field="county"]')
    made = post(county_admin, "/admin/groups", {"id": "hospital-new", "role": "hospital", "name": "庐山市新医院",
                                                "county": SHIZONG}, page="/admin/groups")
    assert made.status_code == 302
    assert app.extensions["certflow"].directory.get("hospital-new").county == LUSHAN
    # Nor can they give another county's group, or make someone province-wide.
    person = {"username": "sneaky", "display_name": "某人", "password": "long-enough-1", "roles": ["township"]}
    for extra in ({"groups": ["township-530323102"]}, {"county": "province", "roles": ["admin"]},
                  {"county": SHIZONG}):
        assert post(county_admin, "/admin/users", {**person, **extra}, page="/admin/users").status_code == 422
    assert accounts.by_username("sneaky") is None

    # The province's administrator sees both, and chooses the county of a new group.
    everyone = page(as_user("admin").get("/admin/users").get_data(as_text=True))
    assert {"window", "xiongbi", "ls-admin"} <= {tr.get("data-user") for tr in everyone.cssselect("tr[data-user]")}
    assert post(as_user("admin"), "/admin/groups", {"id": "hospital-sz-new", "role": "hospital", "name": "师宗县新医院",
                                                    "county": SHIZONG}, page="/admin/groups").status_code == 302
    assert app.extensions["certflow"].directory.get("hospital-sz-new").county == SHIZONG
