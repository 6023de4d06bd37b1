"""泳道对照: administrators map the lane names of other tools' diagrams to a role and a group; a diagram with such a
lane deploys once it is mapped, and its tasks reach that group's inbox."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest
from twocounties import PASSWORD
from webkit import field, login, post

from certflow.engine.errors import DeploymentError
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.engine.specs import SourceFile

MANUAL_STEPS = Path(__file__).resolve().parent.parent / "engine" / "waits" / "manual_steps.bpmn"
# A diagram from another tool: its one lane is the analyst's own word for who does the steps.
RENAMED = MANUAL_STEPS.read_text(encoding="utf-8").replace('name="残联综合窗口"', 'name="审批人"')
REVIEWER = [SourceFile("processes/manual_steps.bpmn", RENAMED.encode())]
COUNTY = {"lane": "审批人", "role": "county", "group": "county"}
EDIT = f"/admin/lanes/edit?lane={quote('审批人')}"


def mappings(html: str) -> dict[str, str]:
    return {tr.get("data-lane"): " ".join(tr.text_content().split())
            for tr in lxml.html.fromstring(html).cssselect("#mappings tr[data-lane]")}


def group_queue(client, number: str) -> list[str]:  # type: ignore[no-untyped-def]
    html = client.get("/inbox?queue=group").get_data(as_text=True)
    return [tr.get("data-task") for tr in lxml.html.fromstring(html).cssselect(f'tr[data-case="{number}"]')]


def test_a_mapped_lane_deploys_into_its_groups_inbox_and_a_later_change_leaves_the_case_there(
    runtime: Runtime, as_user, app,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(DeploymentError) as refused:
        runtime.deploy(REVIEWER, author="analyst")
    assert "泳道“审批人”不是已知的角色" in str(refused.value) and "菜单“泳道对照”" in str(refused.value)

    admin = as_user("admin")
    assert admin.get("/admin/lanes").status_code == 200
    response = post(admin, "/admin/lanes", COUNTY, page="/admin/lanes")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/lanes")
    listed = mappings(admin.get("/admin/lanes").get_data(as_text=True))
    assert "县残联" in listed["审批人"] and "庐山市残联" in listed["审批人"]

    runtime.deploy(REVIEWER, author="analyst")
    number = runtime.start_case("manual_steps", {}, actor="applicant")
    [task] = runtime.tasks(case=number)
    county, window = as_user("county"), as_user("window")
    assert group_queue(county, number) == [task["id"]]
    assert group_queue(window, number) == []

    response = post(admin, EDIT, {"role": "window_clerk", "group": "window"}, page="/admin/lanes")
    assert response.status_code == 302
    assert "残联综合窗口" in mappings(admin.get("/admin/lanes").get_data(as_text=True))["审批人"]
    assert group_queue(county, number) == [task["id"]]  # deployed before the change: stays where it was
    assert runtime.verify(number).ok

    assert post(admin, "/admin/lanes/remove", {"lane": "审批人"}, page="/admin/lanes").status_code == 302
    assert mappings(admin.get("/admin/lanes").get_data(as_text=True)) == {}
    assert runtime.verify(number).ok

    logged = app.extensions["certflow"].accounts.security_events(kind="lane_mapping")
    assert [(e.username, e.target) for e in reversed(logged)] == [
        ("admin", "审批人 → 县残联（庐山市残联）"),
        ("admin", "审批人 → 残联综合窗口（庐山市残联综合窗口）"),
        ("admin", "审批人：删除对照（原为 残联综合窗口（庐山市残联综合窗口））"),
    ]
    security = admin.get("/admin/security?kind=lane_mapping").get_data(as_text=True)
    assert "泳道对照变更" in security and "审批人：删除对照" in security


def test_the_form_offers_roles_and_groups_by_their_names(as_user) -> None:  # type: ignore[no-untyped-def]
    html = as_user("admin").get("/admin/lanes").get_data(as_text=True)
    roles = [o.text_content() for o in field(html, "role").cssselect("option") if o.get("value")]
    assert roles == ["申请人", "残联综合窗口", "定点医院", "村(社区)", "评残专家委员会", "乡镇(街道)残联", "县残联"]
    groups = {o.get("value"): o.text_content() for o in field(html, "group").cssselect("option") if o.get("value")}
    assert groups["county"] == "庐山市残联（县残联）" and groups["hospital-renmin"] == "庐山市人民医院（定点医院）"
    assert lxml.html.fromstring(html).cssselect('header a[href="/admin/lanes"]')  # in the administrators' menu


def test_wrong_input_is_refused_beside_its_field_and_kept(app, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    response = post(admin, "/admin/lanes", {"lane": "县残联", "role": "", "group": "county"}, page="/admin/lanes")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "本身就是角色“县残联”的名称" in field(html, "lane").text_content()
    assert field(html, "lane").cssselect("input")[0].get("value") == "县残联"
    assert "必填" in field(html, "role").text_content()
    assert field(html, "group").cssselect('option[value="county"]')[0].get("selected") is not None

    response = post(admin, "/admin/lanes", {**COUNTY, "group": "hospital-renmin"}, page="/admin/lanes")
    assert response.status_code == 422
    assert "与所选角色“县残联”不符" in field(response.get_data(as_text=True), "group").text_content()
    assert app.extensions["certflow"].lanes.all() == []

    post(admin, "/admin/lanes", COUNTY, page="/admin/lanes")
    again = post(admin, "/admin/lanes", {**COUNTY, "role": "hospital", "group": ""}, page="/admin/lanes")
    assert again.status_code == 422 and "已有对照" in field(again.get_data(as_text=True), "lane").text_content()
    changed = post(admin, EDIT, {"role": "auditor"}, page="/admin/lanes")
    assert changed.status_code == 422
    assert "不能对照到“审计”" in field(changed.get_data(as_text=True), "role").text_content()
    [kept] = app.extensions["certflow"].lanes.all()
    assert (kept.role, kept.group) == ("county", "county")


def test_an_unknown_lane_cannot_be_changed_or_removed(as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    assert admin.get(EDIT).status_code == 404
    assert post(admin, EDIT, {"role": "county"}, page="/admin/lanes").status_code == 404
    assert post(admin, "/admin/lanes/remove", {"lane": "审批人"}, page="/admin/lanes").status_code == 404


@pytest.mark.parametrize("username", ["analyst", "county"])
def test_anyone_but_an_administrator_is_refused(app, as_user, username) -> None:  # type: ignore[no-untyped-def]
    services = app.extensions["certflow"]
    services.lanes.save("审批人", "county", "county", actor="admin")
    client = as_user(username)
    assert client.get("/admin/lanes").status_code == 403
    assert client.get(EDIT).status_code == 403
    assert post(client, "/admin/lanes", {**COUNTY, "lane": "Reviewer"}).status_code == 403
    assert post(client, EDIT, {"role": "hospital"}).status_code == 403
    assert post(client, "/admin/lanes/remove", {"lane": "审批人"}).status_code == 403
    [kept] = services.lanes.all()
    assert (kept.lane, kept.role) == ("审批人", "county")
    denied = [e for e in services.accounts.security_events(kind="access_denied") if e.username == username]
    assert len(denied) == 5


def test_a_post_without_the_csrf_token_is_refused(app, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user("admin").post("/admin/lanes", data=COUNTY)
    assert response.status_code == 400
    assert app.extensions["certflow"].lanes.all() == []


def test_a_countys_administrator_reads_the_mappings_and_changes_none(swept_app) -> None:  # type: ignore[no-untyped-def]
    """The mappings are every county's: before, Lushan's administrator added, changed and removed the lanes Shizong's
    next deployments use too, and read the names of Shizong's groups in the list."""
    services = swept_app.extensions["certflow"]
    with county_scope(PROVINCE_WIDE):  # as `certflow lanes set` writes them
        services.lanes.save("审批人", "township", "township-530323102", actor="admin")
        services.lanes.save("Reviewer", "county", "county", actor="admin")
    lushan = login(swept_app.test_client(), "ls-admin", PASSWORD)
    html = lushan.get("/admin/lanes").get_data(as_text=True)
    listed = mappings(html)
    assert "庐山市残联" in listed["Reviewer"]
    assert "其他县（市）的组织机构" in listed["审批人"] and "township-530323102" not in html
    assert "雄壁镇" not in html  # the Shizong township's group
    page = lxml.html.fromstring(html)
    assert page.cssselect("main form, main button, #mappings a") == []
    assert "由全省的系统管理员添加、修改和删除" in html

    edit = f"/admin/lanes/edit?lane={quote('Reviewer')}"
    refusals = [lushan.get(edit), post(lushan, "/admin/lanes", {**COUNTY, "lane": "Approver"}),
                post(lushan, edit, {"role": "window_clerk", "group": "window"}),
                post(lushan, "/admin/lanes/remove", {"lane": "审批人"})]
    assert [r.status_code for r in refusals] == [403] * 4
    assert all("泳道对照由全省的系统管理员修改" in r.get_data(as_text=True) for r in refusals)
    with county_scope(PROVINCE_WIDE):
        kept = [(m.lane, m.role, m.group) for m in services.lanes.all()]
    assert kept == [
        ("Reviewer", "county", "county"), ("审批人", "township", "township-530323102")]
    denied = [e for e in services.accounts.security_events(kind="access_denied") if e.username == "ls-admin"]
    assert len(denied) == 4 and all("泳道对照" in e.target for e in denied)

    province = login(swept_app.test_client(), "admin", PASSWORD)  # a province-wide administrator changes any
    assert post(province, "/admin/lanes", {"lane": "Approver", "role": "township", "group": "township-530323102"},
                page="/admin/lanes").status_code == 302
    assert post(province, "/admin/lanes/remove", {"lane": "审批人"}, page="/admin/lanes").status_code == 302
