"""The analysts' pages: drafts, deploying them (refused with every problem, or a new version that new cases
take), comparing versions, rolling back, moving waiting cases, the form and decision table editors, test runs,
and the deployment API; and who may use them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from lushan import application
from webkit import conforms, csrf_token, post
from werkzeug.test import TestResponse

from certflow.cli import main
from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths
from certflow.modeling.decisiontables import read_table
from certflow.modeling.drafts import Drafts

ROOT = Path(__file__).resolve().parents[2]
ONLINE = (ROOT / "processes" / "application_online.bpmn").read_text(encoding="utf-8")
REVIEW_FORM = (ROOT / "forms" / "review.json").read_text(encoding="utf-8")
ROUTING = (ROOT / "processes" / "hospital_routing.dmn").read_text(encoding="utf-8")
FORM_OF_PRE_REVIEW = '<spiffworkflow:property name="formJsonSchemaFilename" value="review.json"/>'
RENAMED = ONLINE.replace('name="预审"', 'name="网上预审"')
PAGES = ["/modeling", "/modeling/drafts/application_online.bpmn", "/modeling/forms/review.json",
         "/modeling/decisions/hospital_routing.dmn", "/modeling/processes/application_online/compare",
         "/modeling/processes/application_online/versions/1/migration"]


def page(response: TestResponse, status: int = 200) -> lxml.html.HtmlElement:
    assert response.status_code == status, response.get_data(as_text=True)
    return lxml.html.fromstring(response.get_data(as_text=True))


def save_diagram(client: FlaskClient, name: str, xml: str) -> TestResponse:
    """What the modeler does: the XML as the body, the CSRF token in a header."""
    return client.post(f"/modeling/drafts/{name}", data=xml.encode("utf-8"), content_type="application/xml",
                       headers={"X-CSRFToken": csrf_token(client, "/modeling")})


def deploy(client: FlaskClient, draft: str, note: str = "") -> TestResponse:
    return post(client, "/modeling/deploy", {"draft": draft, "note": note}, page="/modeling")


def modeler_data(client: FlaskClient, name: str) -> dict[str, Any]:
    [script] = page(client.get(f"/modeling/drafts/{name}")).cssselect("#modeler-data")
    return json.loads(script.text)


def line_of(text: str, marker: str) -> int:
    return text[:text.index(marker)].count("\n") + 1


@pytest.fixture
def analyst(as_user) -> FlaskClient:  # type: ignore[no-untyped-def]
    return as_user("analyst")


# -- who may use the pages ------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["analyst", "admin"])
def test_analysts_and_administrators_open_every_page(as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    nav = page(client.get("/inbox")).cssselect("header nav a")
    assert "流程管理" in [a.text for a in nav]


def test_clerks_are_refused_and_recorded(as_user, accounts, client) -> None:  # type: ignore[no-untyped-def]
    window = as_user("window")
    for path in PAGES:
        assert window.get(path).status_code == 403, path
    assert post(window, "/modeling/deploy", {"draft": "application_online.bpmn"}).status_code == 403
    assert save_diagram(as_user("window"), "application_online.bpmn", RENAMED).status_code == 403
    assert "流程管理" not in window.get("/inbox").get_data(as_text=True)
    denied = [e.target for e in accounts.security_events("access_denied") if e.username == "window"]
    assert f"流程管理（打开 {PAGES[0]}）" in denied and "流程管理（提交 /modeling/deploy）" in denied

    response = client.get("/modeling")
    assert response.status_code == 302 and "/login" in response.location


# -- the list of processes and drafts ---------------------------------------------------------------

def test_the_index_lists_each_process_with_its_versions_and_the_files_deployed(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    runtime.start_case("application_online", application(), actor="applicant")
    html = page(analyst.get("/modeling"))
    [online] = html.cssselect('[data-process="application_online"] tr[data-version="1"]')
    cells = [td.text_content().strip() for td in online.cssselect("td")]
    version = runtime.versions("application_online")[0]
    assert cells[:5] == ["v1 当前", "全省", version["content_hash"][:12], "tests", cells[4]]
    assert cells[6].startswith("1")  # one running case
    files = {a.getparent().text_content().strip(): a.get("href") for a in html.cssselect("#files a")}
    assert {"application_online.bpmn", "hospital_routing.dmn"} <= set(files)
    # forms by their title, the file name beside it
    assert files["残疾人证申请表 forms/application.json"].endswith("/modeling/forms/application.json")


def test_a_copy_of_a_version_becomes_a_draft_once(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    response = post(analyst, "/modeling/processes/application_online/versions/1/copy", page="/modeling")
    assert response.status_code == 302 and response.location.endswith("/modeling/drafts/application_online.bpmn")
    [row] = page(analyst.get("/modeling")).cssselect('#drafts tr[data-draft="application_online.bpmn"]')
    assert "application_online v1" in row.text_content() and "analyst" in row.text_content()

    save_diagram(analyst, "application_online.bpmn", RENAMED)
    again = post(analyst, "/modeling/processes/application_online/versions/1/copy", page="/modeling",
                 follow_redirects=True)
    assert "已有草稿" in again.get_data(as_text=True)
    assert 'name="网上预审"' in modeler_data(analyst, "application_online.bpmn")["xml"]  # the work is kept

    post(analyst, "/modeling/discard", {"draft": "application_online.bpmn"}, page="/modeling")
    assert modeler_data(analyst, "application_online.bpmn")["xml"] == ONLINE  # the deployed file again


def test_discarding_with_no_draft_chosen_is_refused_and_deletes_nothing(analyst) -> None:  # type: ignore[no-untyped-def]
    save_diagram(analyst, "application_online.bpmn", RENAMED)
    for sent in ({}, {"draft": "  "}):
        refused = post(analyst, "/modeling/discard", sent, page="/modeling")
        assert refused.status_code == 400 and "没有选择要删除的草稿" in refused.get_data(as_text=True)
    listed = analyst.get("/modeling")
    assert "已删除草稿" not in listed.get_data(as_text=True)
    assert page(listed).cssselect('#drafts tr[data-draft="application_online.bpmn"]')
    assert 'name="网上预审"' in modeler_data(analyst, "application_online.bpmn")["xml"]


# -- the modeler ---------------------------------------------------------------------------------

def test_the_modeler_offers_what_each_element_may_choose(analyst) -> None:  # type: ignore[no-untyped-def]
    data = modeler_data(analyst, "application_online.bpmn")
    assert data["xml"] == ONLINE
    choices = data["choices"]
    forms = dict(choices["forms"])
    assert (forms["application.json"], forms["issue.json"]) == (
        "残疾人证申请表（application.json）", "发证（issue.json）")
    titles = [label.split("（")[0] for _, label in choices["forms"]]
    assert titles == sorted(titles) and len(titles) > 5  # in the order of their titles
    groups = dict(choices["groups"])
    assert (groups["window"], groups["hospital-renmin"]) == ("庐山市残联综合窗口", "庐山市人民医院")
    assert choices["operators"]["materials_check"] == ["channel", "parts", "minor", "materials"]
    assert "hospital_routing" in choices["decisions"]
    assert {"残联综合窗口", "定点医院", "村(社区)"} <= set(choices["lanes"]) and "审计" not in choices["lanes"]
    assert {"materials_supplied", "objection"} <= set(choices["messages"])


def test_a_saved_draft_is_what_the_modeler_opens(analyst) -> None:  # type: ignore[no-untyped-def]
    response = save_diagram(analyst, "application_online.bpmn", RENAMED)
    assert response.status_code == 200 and response.get_json()["saved_at"]
    assert modeler_data(analyst, "application_online.bpmn")["xml"] == RENAMED
    no_token = analyst.post("/modeling/drafts/application_online.bpmn", data=b"<x/>", content_type="application/xml")
    assert no_token.status_code == 400
    assert save_diagram(analyst, "notes.txt", "x").status_code == 404


def test_a_broken_draft_is_refused_with_each_problem_and_kept(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    broken = ONLINE.replace(FORM_OF_PRE_REVIEW, "")
    save_diagram(analyst, "application_online.bpmn", broken)
    html = page(deploy(analyst, "application_online.bpmn"), 422)
    rows = [[td.text_content().strip() for td in tr.cssselect("td")]
            for tr in html.cssselect("#deploy-result tr.problem")]
    assert rows == [["processes/application_online.bpmn", str(line_of(broken, '<bpmn:userTask id="pre_review"')),
                     "pre_review（预审）",
                     "用户任务没有指定表单；请加 spiffworkflow:property formJsonSchemaFilename，值为表单的文件名"]]
    [link] = html.cssselect("#deploy-result tr.problem a")
    assert link.get("href") == "/modeling/drafts/application_online.bpmn?element=pre_review"
    assert [v["version"] for v in runtime.versions("application_online")] == [1]
    assert modeler_data(analyst, "application_online.bpmn")["xml"] == broken


def test_a_fixed_draft_is_a_new_version_for_new_cases_while_older_cases_stay(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    older = runtime.start_case("application_online", application(), actor="applicant")
    save_diagram(analyst, "application_online.bpmn", ONLINE.replace(FORM_OF_PRE_REVIEW, ""))
    deploy(analyst, "application_online.bpmn")
    save_diagram(analyst, "application_online.bpmn", RENAMED)

    html = page(deploy(analyst, "application_online.bpmn", note="预审改名"))
    deployed = {li.get("data-process"): (li.get("data-version"), li.get("data-created"))
                for li in html.cssselect("#deploy-result li")}
    assert deployed["application_online"] == ("2", "true")
    assert {deployed[key] for key in ("application_offline", "assessment", "publicity")} == {("1", "false")}
    latest = runtime.versions("application_online")[0]
    assert (latest["version"], latest["author"], latest["note"]) == (2, "analyst", "预审改名")
    assert page(analyst.get("/modeling")).cssselect("#drafts tr") == []  # the draft is done

    newer = runtime.start_case("application_online", application(), actor="applicant")
    assert (runtime.case(newer)["version"], runtime.case(newer)["open_tasks"][0]["title"]) == (2, "网上预审")
    assert (runtime.case(older)["version"], runtime.case(older)["open_tasks"][0]["title"]) == (1, "预审")


def deploy_renamed(analyst: FlaskClient) -> None:
    save_diagram(analyst, "application_online.bpmn", RENAMED)
    assert deploy(analyst, "application_online.bpmn").status_code == 200


def test_compare_lists_the_renamed_task(analyst) -> None:  # type: ignore[no-untyped-def]
    deploy_renamed(analyst)
    html = page(analyst.get("/modeling/processes/application_online/compare?old=1&new=2"))
    [row] = html.cssselect("#changes tr[data-element]")
    assert [td.text_content().strip() for td in row.cssselect("td")] == ["修改", "网上预审", "pre_review", "用户任务",
                                                                         "名称"]
    [new] = html.cssselect("#compare-new")
    assert json.loads(new.text)["marks"] == {"pre_review": "changed"}


def test_a_rollback_is_a_new_version_with_the_old_content(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    deploy_renamed(analyst)
    response = post(analyst, "/modeling/processes/application_online/versions/1/rollback", {"note": "改名有误"},
                    page="/modeling", follow_redirects=True)
    assert "新版本 v3，内容与 v1 相同" in response.get_data(as_text=True)
    v3, v2, v1 = runtime.versions("application_online")
    assert (v3["version"], v3["content_hash"], v3["author"]) == (3, v1["content_hash"], "analyst")
    assert v3["note"] == "改名有误"
    assert v2["content_hash"] != v1["content_hash"]
    started = runtime.start_case("application_online", application(), actor="applicant")
    assert runtime.case(started)["open_tasks"][0]["title"] == "预审"


def test_a_waiting_case_is_checked_and_moved_to_the_new_version(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    waiting = runtime.start_case("application_online", application(), actor="applicant")
    other = runtime.start_case("application_online", application(applicant_name="王芳"), actor="applicant")
    deploy_renamed(analyst)
    path = "/modeling/processes/application_online/versions/1/migration"
    [row] = page(analyst.get(path)).cssselect(f'#migration tr[data-case="{waiting}"]')
    assert "可以从 v1 迁移到 v2" in row.text_content() and "网上预审" not in row.text_content()
    assert "预审（修改）" in row.text_content()

    response = post(analyst, path, {"case": waiting, "to": "2"}, page="/modeling", follow_redirects=True)
    assert f"已迁移到 v2：{waiting}" in response.get_data(as_text=True)
    assert (runtime.case(waiting)["version"], runtime.case(waiting)["open_tasks"][0]["title"]) == (2, "网上预审")
    assert runtime.case(other)["version"] == 1
    assert [e["kind"] for e in runtime.history(waiting)][-1] == "case_migrated"
    rows = page(analyst.get(path)).cssselect("#migration tr[data-case]")
    assert [r.get("data-case") for r in rows] == [other]


# -- forms -------------------------------------------------------------------------------------

def preview(client: FlaskClient, schema: str) -> lxml.html.HtmlElement:
    return page(post(client, "/modeling/form-preview", {"schema": schema}, page="/modeling"))


def test_the_form_preview_is_the_task_pages_form(analyst) -> None:  # type: ignore[no-untyped-def]
    html = preview(analyst, REVIEW_FORM)
    [decision] = html.cssselect('[data-field="decision"]')
    assert decision.cssselect("legend")[0].text_content().strip() == "审核结论*"
    assert [i.get("value") for i in decision.cssselect("input[type=radio]")] == ["pass", "missing", "reject"]
    assert "审核结论为“驳回”时必填" in html.cssselect('[data-field="reason"]')[0].text_content()


def test_the_form_preview_says_what_is_wrong_on_which_line(analyst) -> None:  # type: ignore[no-untyped-def]
    missing_comma = '{\n  "type": "object",\n  "title": "复核"\n  "properties": {}\n}'
    [problem] = preview(analyst, missing_comma).cssselect(".schema-problems li")
    assert problem.get("data-line") == "4" and problem.text_content().startswith("第 4 行：表单不是有效的 JSON")

    wrong_type = '{\n  "type": "object",\n  "properties": {\n    "age": {"type": "integr"}\n  }\n}'
    [problem] = preview(analyst, wrong_type).cssselect(".schema-problems li")
    assert problem.get("data-line") == "4" and "properties/age/type" in problem.text_content()


def test_a_form_draft_deploys_with_the_processes_that_use_it(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    schema = json.loads(REVIEW_FORM)
    schema["properties"]["note"] = {"title": "备注", "type": "string", "maxLength": 200}
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    post(analyst, "/modeling/forms/review.json", {"schema": text}, page="/modeling")
    html = page(analyst.get("/modeling/forms/review.json"))
    assert json.loads(html.cssselect("#schema")[0].text) == schema
    assert html.cssselect('#preview [data-field="note"] textarea')

    deployed = page(deploy(analyst, "forms/review.json")).cssselect("#deploy-result li")
    created = {li.get("data-process"): li.get("data-created") for li in deployed}
    assert (created["application_online"], created["application_offline"]) == ("true", "true")
    assert (created["assessment"], created["publicity"]) == ("false", "false")
    started = runtime.start_case("application_online", application(), actor="applicant")
    assert "note" in runtime.case_forms(started)["review.json"]["properties"]


def test_a_new_form_starts_empty(analyst) -> None:  # type: ignore[no-untyped-def]
    response = analyst.get("/modeling/new/form?name=double_check")
    assert response.location.endswith("/modeling/forms/double_check.json")
    html = page(analyst.get("/modeling/forms/double_check.json"))
    assert json.loads(html.cssselect("#schema")[0].text)["properties"] == {}
    assert "表单还没有字段" in html.cssselect("#preview")[0].text_content()
    refused = analyst.get("/modeling/new/form?name=../x", follow_redirects=True).get_data(as_text=True)
    assert "表单文件名只能使用" in refused


def test_a_new_diagram_opens_in_the_modeler_and_deploys_as_a_new_process(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    response = analyst.get("/modeling/new/bpmn?name=card_renewal")
    assert response.location.endswith("/modeling/drafts/card_renewal.bpmn")
    xml = modeler_data(analyst, "card_renewal.bpmn")["xml"]
    assert 'id="card_renewal"' in xml
    assert analyst.get("/modeling/drafts/application_online.bpmn").status_code == 200  # an existing one as it is

    save_diagram(analyst, "card_renewal.bpmn", xml.replace('name="新流程"', 'name="换领证件"'))
    deployed = page(deploy(analyst, "card_renewal.bpmn")).cssselect("#deploy-result li")
    assert {li.get("data-process"): li.get("data-created") for li in deployed}["card_renewal"] == "true"
    number = runtime.start_case("card_renewal", {}, actor="analyst")
    assert runtime.case(number)["status"] == "completed"
    refused = analyst.get("/modeling/new/bpmn?name=a b", follow_redirects=True).get_data(as_text=True)
    assert "流程图文件名只能使用" in refused
    assert analyst.get("/modeling/new/table?name=x").status_code == 404


# -- decision tables ---------------------------------------------------------------------------

def table_form(html: lxml.html.HtmlElement) -> dict[str, list[str]]:
    """The decision table's inputs as the browser would post them, by name, in order."""
    values: dict[str, list[str]] = {}
    for field in html.cssselect("#decision-form input"):
        values.setdefault(field.get("name"), []).append(field.get("value") or "")
    return values


def test_a_decision_table_edit_is_saved_into_the_dmn_and_deployed(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    html = page(analyst.get("/modeling/decisions/hospital_routing.dmn"))
    values = table_form(html)
    assert values["rule_id"] == ["rule_limb", "rule_hearing", "rule_vision", "rule_speech", "rule_intellectual",
                                 "rule_mental", ""]  # and an empty row to add one
    vision = values["rule_id"].index("rule_vision")
    values["out_0"][vision], values["out_1"][vision] = '"庐山安定医院"', '"hospital-anding"'
    speech = values["rule_id"].index("rule_speech")
    for cells in (values[name] for name in ("rule_id", "in_0", "out_0", "out_1", "out_2", "description")):
        del cells[speech]  # speech is no longer routed: a removed row
    values["in_0"][-1], values["out_0"][-1] = '"言语" in ?', '"庐山安定医院"'  # added in the empty row
    values["out_1"][-1], values["out_2"][-1] = '"hospital-anding"', '"言语"'
    values["description"][-1] = "言语残疾改由安定医院"
    response = post(analyst, "/modeling/decisions/hospital_routing.dmn", values, page="/modeling")
    assert response.status_code == 302

    drafts = Drafts(runtime.sessions, runtime.clock, "360483")  # the analyst's county's
    saved = read_table(drafts.get("hospital_routing.dmn").content, "hospital_routing")
    assert [r.id for r in saved.rows][:5] == ["rule_limb", "rule_hearing", "rule_vision", "rule_intellectual",
                                              "rule_mental"]
    assert saved.rows[2].outputs == ('"庐山安定医院"', '"hospital-anding"', '"视力"')
    assert saved.rows[-1].id.startswith("rule_") and saved.rows[-1].inputs == ('"言语" in ?',)
    assert saved.rows[-1].description == "言语残疾改由安定医院"

    deployed = page(deploy(analyst, "hospital_routing.dmn")).cssselect("#deploy-result li[data-created=true]")
    assert {li.get("data-process") for li in deployed} >= {"application_online", "application_offline", "assessment"}
    assert "publicity" not in {li.get("data-process") for li in deployed}
    number = runtime.start_case("application_online", application(category="视力"), actor="applicant")
    runtime.complete_task(runtime.tasks(case=number)[0]["id"], {"decision": "pass"}, actor="window")
    assert [t["group"] for t in runtime.tasks(case=number)] == ["hospital-anding"]


# -- test runs ---------------------------------------------------------------------------------

def test_a_test_run_steps_through_the_draft(analyst, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    save_diagram(analyst, "application_online.bpmn", RENAMED)
    html = page(analyst.get("/modeling/drafts/application_online.bpmn"))
    form = {"draft": "application_online.bpmn", "process": "application_online",
            "start_data": html.cssselect("#trial-start")[0].text, "steps": html.cssselect("#trial-steps")[0].text}
    answer = page(post(analyst, "/modeling/test-run", form, page="/modeling"))
    trace = answer.cssselect("#test-run-result ol.trace > li")
    assert len(trace) == 2 and not trace[0].get("class") and not trace[1].get("class")
    assert "网上预审" in trace[0].text_content() and "登记并预约鉴定" in trace[1].text_content()
    assert runtime.case_numbers() == []  # nothing real was touched

    refused = post(analyst, "/modeling/test-run", {**form, "steps": '[\n  {"task": "pre_review"},\n  oops\n]'},
                   page="/modeling")
    assert "第 3 行：步骤不是有效的 JSON" in page(refused, 422).cssselect("#test-run-result")[0].text_content()


# -- the deployment API ------------------------------------------------------------------------

API = "/api/v1/deployments"


def bearer(accounts, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {accounts.issue_token(accounts.by_username(username).id, 't')}"}


def project_files(**changed: str) -> list[dict[str, str]]:
    files = read_paths([ROOT / "processes", ROOT / "forms"])
    return [{"name": f.name, "content": changed.get(f.name, f.content.decode("utf-8"))} for f in files]


def test_the_api_deploys_files_as_json_or_uploads(client, accounts, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(accounts, "analyst")
    files = project_files(**{"processes/application_online.bpmn": RENAMED})
    response = client.post(API, json={"files": files, "note": "改名"}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    versions = response.get_json()["versions"]
    for version in versions:
        conforms(version, "DeployedVersion")
    assert {v["process"]: (v["version"], v["created"]) for v in versions}["application_online"] == (2, True)
    assert runtime.versions("application_online")[0]["author"] == "analyst"

    uploads = {"files": [(io.BytesIO(f["content"].encode("utf-8")), f["name"]) for f in files], "note": "同上"}
    again = client.post(API, data=uploads, headers=headers, content_type="multipart/form-data")
    assert again.status_code == 201
    assert all(not v["created"] for v in again.get_json()["versions"])


def test_a_refused_deployment_lists_the_problems_certflow_deploy_lists(client, accounts, runtime, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = ONLINE.replace(FORM_OF_PRE_REVIEW, "").replace('id="identity_check"', 'id="no_such_handler"')
    files = project_files(**{"processes/application_online.bpmn": broken})
    response = client.post(API, json={"files": files}, headers=bearer(accounts, "admin"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    conforms(response.get_json(), "Error")
    assert error["code"] == "deployment_refused"
    assert {(d["element"], d["name"], d["message"].split("；")[0]) for d in error["details"]} == {
        ("pre_review", "预审", "用户任务没有指定表单"),
        ("check_identity", "核验身份信息", "服务任务操作 no_such_handler 没有登记"),
    }

    for f in files:
        (tmp_path / f["name"]).parent.mkdir(exist_ok=True)
        (tmp_path / f["name"]).write_text(f["content"], encoding="utf-8")
    cli = CliRunner().invoke(main, ["deploy", str(tmp_path / "processes"), str(tmp_path / "forms")], obj=runtime)
    listed = [line.strip() for line in cli.stderr.splitlines()[1:]]
    assert sorted(listed) == sorted(
        f"{d['file']} 第 {d['line']} 行，元素 {d['element']}（{d['name']}）：{d['message']}" for d in error["details"])
    assert [v["version"] for v in runtime.versions("application_online")] == [1]


def test_the_api_refuses_clerks_and_bad_bodies(client, accounts) -> None:  # type: ignore[no-untyped-def]
    response = client.post(API, json={"files": project_files()}, headers=bearer(accounts, "window"))
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")
    for body in ({"files": []}, {"files": [{"name": "x.bpmn"}]}, {"files": project_files(), "note": 3}):
        response = client.post(API, json=body, headers=bearer(accounts, "analyst"))
        assert (response.status_code, response.get_json()["error"]["code"]) == (400, "bad_request"), body
