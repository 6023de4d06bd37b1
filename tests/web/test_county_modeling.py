"""The analysts' pages and the deployment API per county: a county's analyst deploys, rolls back and moves cases
for their own county only; a province-wide administrator for the province or any county."""

from __future__ import annotations

import lxml.html
import pytest
from flask.testing import FlaskClient
from lushan import application
from test_modeling import API, ONLINE, RENAMED, bearer, page, project_files, save_diagram
from webkit import PASSWORD, conforms, login, post

from certflow.engine.errors import InvalidState
from certflow.engine.runtime import Runtime

pytestmark = pytest.mark.usefixtures("shizong_county")  # the second county the pages offer

KEY = "application_online"
LUSHAN, SHIZONG = "360483", "530323"  # 庐山市 (the test deployment's own county), 师宗县
SHIZONG_NAME = ONLINE.replace('name="预审"', 'name="师宗预审"')
REFUSED = "只能为本县（市）部署、回滚和迁移流程"


def started(runtime: Runtime, county: str, name: str = "李明") -> str:
    return runtime.start_case(KEY, application(applicant_name=name), actor="applicant", county=county)


def on(runtime: Runtime, number: str) -> tuple[int, str]:
    case = runtime.case(number)
    return case["version"], case["open_tasks"][0]["title"]


def versions(runtime: Runtime) -> list[tuple[int, str | None]]:
    return [(v["version"], v["county"]) for v in runtime.versions(KEY)]


def rows(html: lxml.html.HtmlElement) -> dict[str, tuple[str, str]]:
    """Version → (owner, whether current) in the process's list."""
    return {tr.get("data-version"): (tr.cssselect("td.owner")[0].text_content().strip(), tr.get("class") or "")
            for tr in html.cssselect(f'[data-process="{KEY}"] tr[data-version]')}


def deploy_for(client: FlaskClient, county: str | None, xml: str = SHIZONG_NAME):  # type: ignore[no-untyped-def]
    save_diagram(client, "application_online.bpmn", xml)
    form = {"draft": "application_online.bpmn"} | ({} if county is None else {"county": county})
    return post(client, "/modeling/deploy", form, page="/modeling")


def test_a_county_analyst_deploys_for_their_county_and_is_refused_another(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    analyst = as_user("analyst")  # 庐山市's
    assert "新案件使用 v1（全省的版本）" in page(analyst.get("/modeling")).text_content()
    assert page(analyst.get("/modeling/drafts/application_online.bpmn")).cssselect('select[name="county"]') == []

    html = page(deploy_for(analyst, None, RENAMED))
    assert "部署成功：庐山市" in html.text_content()
    assert versions(runtime) == [(2, LUSHAN), (1, None)]
    assert on(runtime, started(runtime, LUSHAN)) == (2, "网上预审")
    assert on(runtime, started(runtime, SHIZONG)) == (1, "预审")  # the other county keeps the province's
    index = page(analyst.get("/modeling"))
    assert "新案件使用 v2（本县（市）自有的版本）" in index.text_content()
    assert rows(index) == {"2": ("庐山市自有", "current"), "1": ("全省", "")}

    for county in (SHIZONG, ""):  # another county, or the province
        refused = deploy_for(analyst, county)
        assert refused.status_code == 403 and REFUSED in refused.get_data(as_text=True)
        rolled = post(analyst, f"/modeling/processes/{KEY}/versions/1/rollback", {"county": county}, page="/modeling")
        assert rolled.status_code == 403 and REFUSED in rolled.get_data(as_text=True)
        assert analyst.get(f"/modeling?county={county}").status_code == 403
    assert versions(runtime) == [(2, LUSHAN), (1, None)]


def test_a_province_administrator_deploys_and_rolls_back_for_one_county(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    editor = page(admin.get("/modeling/drafts/application_online.bpmn"))
    [choice] = editor.cssselect('#deploy-form select[name="county"]')
    assert [(o.get("value"), o.text) for o in choice.cssselect("option")] == [
        ("", "全省的版本"), (LUSHAN, "庐山市自有的版本"), (SHIZONG, "师宗县自有的版本")]
    lushan_case = started(runtime, LUSHAN)
    assert "部署成功：师宗县" in page(deploy_for(admin, SHIZONG)).text_content()
    assert versions(runtime) == [(2, SHIZONG), (1, None)]
    assert on(runtime, started(runtime, SHIZONG)) == (2, "师宗预审")
    assert on(runtime, started(runtime, LUSHAN, "王芳")) == (1, "预审")

    assert rows(page(admin.get(f"/modeling?county={SHIZONG}"))) == {"2": ("师宗县自有", "current"), "1": ("全省", "")}
    assert rows(page(admin.get("/modeling"))) == {"2": ("师宗县自有", "current"), "1": ("全省", "current")}
    assert admin.get("/modeling?county=110101").status_code == 400  # not a county the installation serves

    rolled = post(admin, f"/modeling/processes/{KEY}/versions/1/rollback", {"county": SHIZONG}, page="/modeling",
                  follow_redirects=True)
    assert "已回滚：application_online 师宗县的新版本 v3，内容与 v1 相同" in rolled.get_data(as_text=True)
    assert versions(runtime) == [(3, SHIZONG), (2, SHIZONG), (1, None)]
    assert on(runtime, started(runtime, SHIZONG, "赵敏")) == (3, "预审")
    assert on(runtime, lushan_case) == (1, "预审")

    # Any two versions a county may run compare, the province's with the county's own.
    compared = page(admin.get(f"/modeling/processes/{KEY}/compare?old=1&new=2&county={SHIZONG}"))
    assert [tr.get("data-element") for tr in compared.cssselect("#changes tr[data-element]")] == ["pre_review"]
    assert admin.get(f"/modeling/processes/{KEY}/compare?old=1&new=2&county={LUSHAN}").status_code == 404


def test_moving_cases_on_a_countys_page_moves_only_its_cases(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    admin, analyst = as_user("admin"), as_user("analyst")
    lushan_case, shizong_case = started(runtime, LUSHAN), started(runtime, SHIZONG)
    deploy_for(admin, SHIZONG)

    # Lushan's analyst has no newer version to move to: Shizong's is not theirs.
    assert "v1 是最新版本" in page(analyst.get(f"/modeling/processes/{KEY}/versions/1/migration")).text_content()
    path = f"/modeling/processes/{KEY}/versions/1/migration"
    moved = post(admin, path, {"to": "2", "county": SHIZONG}, page="/modeling", follow_redirects=True)
    assert f"已迁移到 v2：{shizong_case}" in moved.get_data(as_text=True)
    assert on(runtime, shizong_case) == (2, "师宗预审")
    assert on(runtime, lushan_case) == (1, "预审")
    # A case of another county asked for by number is not on Shizong's page, nor moved to its version.
    one = post(admin, path, {"to": "2", "case": lushan_case, "county": SHIZONG}, page="/modeling",
               follow_redirects=True)
    assert f"{lushan_case} 未迁移：案件 {lushan_case} 不存在" in one.get_data(as_text=True)
    with pytest.raises(InvalidState, match="另一个县（市）自有的版本"):
        runtime.migrate(lushan_case, 2, actor="admin")
    assert on(runtime, lushan_case) == (1, "预审")


def test_the_api_deploys_for_the_tokens_county_or_the_one_a_province_administrator_names(  # type: ignore[no-untyped-def]
        client, accounts, runtime: Runtime) -> None:
    files = project_files(**{"processes/application_online.bpmn": RENAMED})
    own = client.post(API, json={"files": files}, headers=bearer(accounts, "analyst"))
    assert own.status_code == 201
    [online] = [v for v in own.get_json()["versions"] if v["process"] == KEY]
    conforms(online, "DeployedVersion")
    assert online == {"process": KEY, "version": 2, "created": True, "county": LUSHAN}

    other = client.post(API, json={"files": files, "county": SHIZONG}, headers=bearer(accounts, "analyst"))
    assert other.status_code == 403 and other.get_json()["error"]["details"] == "只能为本县（市）部署流程"
    province = client.post(API, json={"files": files, "county": ""}, headers=bearer(accounts, "analyst"))
    assert province.status_code == 403

    named = client.post(API, json={"files": files, "county": SHIZONG}, headers=bearer(accounts, "admin"))
    assert named.status_code == 201
    assert {v["process"]: (v["version"], v["county"]) for v in named.get_json()["versions"]}[KEY] == (3, SHIZONG)
    wrong = client.post(API, json={"files": files, "county": "师宗县"}, headers=bearer(accounts, "admin"))
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (400, "bad_request")
    assert versions(runtime) == [(3, SHIZONG), (2, LUSHAN), (1, None)]


def test_a_shizong_analyst_sees_shizongs_versions_only(app, accounts, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    accounts.create("shizong", PASSWORD, display_name="师宗 分析", roles=["analyst"], county=SHIZONG)
    shizong = login(app.test_client(), "shizong")
    lushan = login(app.test_client(), "analyst")
    deploy_for(lushan, None, RENAMED)  # 庐山市's own v2

    assert rows(page(shizong.get("/modeling"))) == {"1": ("全省", "current")}
    assert shizong.get(f"/modeling/processes/{KEY}/compare?old=1&new=2").status_code == 404
    assert "部署成功：师宗县" in page(deploy_for(shizong, None)).text_content()
    assert versions(runtime) == [(3, SHIZONG), (2, LUSHAN), (1, None)]
