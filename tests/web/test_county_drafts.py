"""What per-county modeling left open, closed: a county gives up its own version (the page and the API), drafts
belong to a county, a county's migration page lists its cases only, and a province-wide administrator sees each
process by the name of its newest version."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from test_county_modeling import KEY, LUSHAN, SHIZONG, SHIZONG_NAME, on, rows, started, versions
from test_modeling import RENAMED, bearer, modeler_data, page, save_diagram
from webkit import PASSWORD, login, post

from certflow.engine.runtime import Runtime

pytestmark = pytest.mark.usefixtures("shizong_county")  # the second county the pages offer

GIVE_UP = f"/modeling/processes/{KEY}/give-up"


def shizong_analyst(app, accounts) -> FlaskClient:  # type: ignore[no-untyped-def]
    accounts.create("shizong", PASSWORD, display_name="师宗 分析", roles=["analyst"], county=SHIZONG)
    return login(app.test_client(), "shizong")


def xml(client: FlaskClient) -> str:
    """The online application's diagram as the modeler opens it for the person."""
    return str(modeler_data(client, "application_online.bpmn")["xml"])


def deploy_own(client: FlaskClient, xml: str = RENAMED) -> None:
    save_diagram(client, "application_online.bpmn", xml)
    post(client, "/modeling/deploy", {"draft": "application_online.bpmn"}, page="/modeling")


def test_a_county_gives_up_its_own_version_on_the_page_and_follows_the_province(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    analyst = as_user("analyst")  # 庐山市's
    deploy_own(analyst)  # 庐山市's own v2
    running = started(runtime, LUSHAN)
    [form] = page(analyst.get("/modeling")).cssselect(f'[data-process="{KEY}"] form.give-up')
    assert form.cssselect('input[name="confirm"][required]')

    unconfirmed = post(analyst, GIVE_UP, {"county": LUSHAN}, page="/modeling", follow_redirects=True)
    assert "请勾选确认后再放弃本县（市）自有的版本" in unconfirmed.get_data(as_text=True)
    assert on(runtime, started(runtime, LUSHAN, "王芳")) == (2, "网上预审")

    given = post(analyst, GIVE_UP, {"county": LUSHAN, "confirm": "yes", "note": "试点结束"}, page="/modeling",
                 follow_redirects=True)
    assert "庐山市已放弃 application_online 自有的版本，新案件改用全省的 v1" in given.get_data(as_text=True)
    index = page(analyst.get("/modeling"))
    assert "新案件使用 v1（全省的版本）" in index.text_content()
    assert rows(index) == {"2": ("庐山市自有", ""), "1": ("全省", "current")}
    [record] = index.cssselect(f'[data-process="{KEY}"] .release')
    assert "放弃了 v2 及以前的自有版本：试点结束" in record.text_content()
    assert not index.cssselect("form.give-up")  # nothing of its own left to give up
    assert on(runtime, started(runtime, LUSHAN, "赵强")) == (1, "预审")
    assert on(runtime, running) == (2, "网上预审")  # a running case keeps its version


def test_a_county_analyst_cannot_give_up_another_countys_version(app, accounts, as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    deploy_own(shizong_analyst(app, accounts), SHIZONG_NAME)  # 师宗县's own v2
    analyst = as_user("analyst")  # 庐山市's

    refused = post(analyst, GIVE_UP, {"county": SHIZONG, "confirm": "yes"}, page="/modeling")
    assert refused.status_code == 403 and "只能为本县（市）部署、回滚和迁移流程" in refused.get_data(as_text=True)
    api = app.test_client().post(f"/api/v1/processes/{KEY}/give-up", json={"county": SHIZONG},
                                 headers=bearer(accounts, "analyst"))
    assert api.status_code == 403 and api.get_json()["error"]["details"] == "只能放弃本县（市）自有的版本"
    assert on(runtime, started(runtime, SHIZONG)) == (2, "师宗预审")
    assert runtime.releases() == []


def test_the_api_gives_up_the_tokens_county_version_or_the_one_an_administrator_names(  # type: ignore[no-untyped-def]
        app, accounts, client, runtime: Runtime) -> None:
    deploy_own(login(app.test_client(), "analyst"))  # 庐山市's own v2
    deploy_own(shizong_analyst(app, accounts), SHIZONG_NAME)  # 师宗县's own v3
    path = f"/api/v1/processes/{KEY}/give-up"

    own = client.post(path, json={"note": "回到全省"}, headers=bearer(accounts, "analyst"))
    assert (own.status_code, own.get_json()) == (200, {"process": KEY, "county": LUSHAN, "version": 1})
    again = client.post(path, json={}, headers=bearer(accounts, "analyst"))
    assert again.status_code == 409 and "已在用全省的版本" in again.get_json()["error"]["details"]
    province = client.post(path, json={"county": ""}, headers=bearer(accounts, "admin"))
    assert province.status_code == 400
    unnamed = client.post(path, json={}, headers=bearer(accounts, "admin"))  # a province-wide token names one
    assert unnamed.status_code == 422
    assert unnamed.get_json()["error"]["details"] == "请用 county 指明放弃自有版本的县（市）"
    named = client.post(path, json={"county": SHIZONG}, headers=bearer(accounts, "admin"))
    assert (named.status_code, named.get_json()["version"]) == (200, 1)
    assert on(runtime, started(runtime, SHIZONG)) == (1, "预审")
    assert [(r["county"], r["author"]) for r in runtime.releases(KEY)] == [(SHIZONG, "admin"), (LUSHAN, "analyst")]


def test_drafts_belong_to_their_county_and_the_provinces_are_starting_points(  # type: ignore[no-untyped-def]
        app, accounts, as_user, runtime: Runtime) -> None:
    shizong, lushan, admin = shizong_analyst(app, accounts), as_user("analyst"), as_user("admin")
    save_diagram(lushan, "application_online.bpmn", RENAMED)

    # Shizong's analyst neither sees nor opens, deletes or deploys Lushan's draft.
    assert page(shizong.get("/modeling")).cssselect("#drafts tr[data-draft]") == []
    assert 'name="网上预审"' not in xml(shizong)
    post(shizong, "/modeling/discard", {"draft": "application_online.bpmn"}, page="/modeling")
    post(shizong, "/modeling/deploy", {"draft": "application_online.bpmn"}, page="/modeling")
    assert versions(runtime) == [(1, None)]
    assert 'name="网上预审"' in xml(lushan)  # Lushan's draft is as it was
    copied = post(shizong, "/modeling/drafts-from-province", {"draft": "application_online.bpmn"}, page="/modeling")
    assert copied.status_code == 404  # Lushan's is no province draft

    # The province's draft: Shizong sees it read-only and copies it; its own deployment leaves the province's.
    save_diagram(admin, "application_online.bpmn", SHIZONG_NAME)
    index = page(shizong.get("/modeling"))
    assert [tr.get("data-draft") for tr in index.cssselect("#province-drafts tr[data-draft]")] == [
        "application_online.bpmn"]
    assert not index.cssselect("#province-drafts a")  # no editor link: read-only
    post(shizong, "/modeling/drafts-from-province", {"draft": "application_online.bpmn"}, page="/modeling")
    assert 'name="师宗预审"' in xml(shizong)
    post(shizong, "/modeling/deploy", {"draft": "application_online.bpmn"}, page="/modeling")
    assert versions(runtime) == [(2, SHIZONG), (1, None)]
    assert on(runtime, started(runtime, SHIZONG)) == (2, "师宗预审")
    admin_drafts = page(admin.get("/modeling")).cssselect("#drafts tr[data-draft]")
    assert [tr.get("data-draft") for tr in admin_drafts] == ["application_online.bpmn"]
    assert page(admin.get("/modeling")).cssselect("#province-drafts") == []


def test_a_countys_migration_page_lists_that_countys_cases_only(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    lushan_case, shizong_case = started(runtime, LUSHAN), started(runtime, SHIZONG)
    save_diagram(admin, "application_online.bpmn", RENAMED)
    post(admin, "/modeling/deploy", {"draft": "application_online.bpmn"}, page="/modeling")  # the province's v2

    path = f"/modeling/processes/{KEY}/versions/1/migration"
    listed = page(admin.get(f"{path}?county={SHIZONG}"))
    assert [tr.get("data-case") for tr in listed.cssselect("#migration tr[data-case]")] == [shizong_case]
    assert "共 1 件" in listed.text_content()
    province = page(admin.get(path))
    assert sorted(tr.get("data-case") for tr in province.cssselect("#migration tr[data-case]")) == sorted(
        [lushan_case, shizong_case])


def test_a_province_administrator_sees_a_process_by_its_newest_versions_name(  # type: ignore[no-untyped-def]
        app, accounts, as_user, runtime: Runtime) -> None:
    renamed = SHIZONG_NAME.replace('name="网上申请办理残疾人证"', 'name="师宗网上申请办理残疾人证"')
    deploy_own(shizong_analyst(app, accounts), renamed)  # 师宗县's own v2
    number = started(runtime, SHIZONG)

    assert "师宗网上申请办理残疾人证（第 2 版）" in as_user("admin").get(f"/cases/{number}").get_data(as_text=True)
    lushan_case = started(runtime, LUSHAN, "王芳")
    lushan_page = as_user("window").get(f"/cases/{lushan_case}").get_data(as_text=True)
    assert "网上申请办理残疾人证（第 1 版）" in lushan_page and "师宗" not in lushan_page
