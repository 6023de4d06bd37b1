"""The REST API: bearer tokens, a whole online case driven by the people in it, every refusal, and
the OpenAPI document checked against the routes and against real answers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from lushan import application
from sqlalchemy import Engine, event, text, update
from sqlalchemy.exc import DBAPIError
from webkit import PASSWORD, conforms
from werkzeug.test import TestResponse

from certflow.cli import main
from certflow.engine import db
from certflow.engine.clock import FixedClock
from certflow.engine.models import Case
from certflow.engine.runtime import Runtime
from certflow.web import openapi

API = "/api/v1"
PASS = {"decision": "pass"}
APPOINTMENT = {
    "appointment_at": "2026-09-08T09:30:00+08:00",
    "appointment_place": "庐山市人民医院门诊楼三楼",
    "bring_items": ["居民身份证", "两寸照片"],
}
ASSESSED = {"meets_standard": True, "grade": 3, "conclusion": "经评定，符合肢体残疾三级标准"}
POSTED = {"posted_on": "2026-09-01", "posting_place": "村委会公示栏"}
ISSUED = {"delivery": "post", "tracking_no": "EMS1234567890", "issued_on": "2026-09-20"}


def refused(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The error answer, checked for its status, code and shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    conforms(body, "Error")
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


class Person:
    """A program acting for one person with their API token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(API + path, query_string=params, headers=self.headers)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.client.post(API + path, json=body, headers=self.headers, **kwargs)

    def start(self, **changes: Any) -> str:
        response = self.post("/cases", {"process": "application_online", "data": application(**changes)})
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["number"]

    def find(self, number: str, step: str) -> str:
        """The id of the step's task waiting in this person's group queue, as the inbox shows it."""
        page = self.get("/tasks", queue="group", q=number, step=step).get_json()
        assert [t["name"] for t in page["tasks"]] == [step], page
        return page["tasks"][0]["id"]

    def complete(self, task_id: str, data: dict[str, Any]) -> dict[str, Any]:
        response = self.post(f"/tasks/{task_id}/complete", {"data": data})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["task"]

    def do(self, number: str, step: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.complete(self.find(number, step), data)


@pytest.fixture
def person(app: Flask, accounts) -> Callable[[str], Person]:  # type: ignore[no-untyped-def]
    """``person("renmin")``: a client sending that person's token."""
    def with_token(username: str) -> Person:
        return Person(app.test_client(), accounts.issue_token(accounts.by_username(username).id, "t"))
    return with_token


def at_publicity(person: Callable[[str], Person]) -> str:
    """A case assessed as meeting the standard, waiting for its village to post the publicity."""
    number = person("window").start()
    person("window").do(number, "pre_review", PASS)
    renmin = person("renmin")
    renmin.do(number, "register_appointment", APPOINTMENT)
    renmin.do(number, "assess", ASSESSED)
    return number


# -- signing in ------------------------------------------------------------------------------

def test_no_valid_token_is_unauthorized(client: FlaskClient, accounts, person) -> None:  # type: ignore[no-untyped-def]
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "},
                    {"Authorization": "Basic d2luZG93OmNvcnJlY3QtaG9yc2UtMQ=="}):
        response = client.get(API + "/processes", headers=headers)
        refused(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"

    window = accounts.by_username("window")
    token = accounts.issue_token(window.id, "revoked")
    accounts.revoke_token(window.id, accounts.tokens(window.id)[-1].id)
    refused(client.get(API + "/tasks", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized")
    assert person("window").get("/tasks").status_code == 200


def test_a_web_session_does_not_open_the_api(as_user) -> None:  # type: ignore[no-untyped-def]
    # The API takes no CSRF token, so a browser's cookie must not be enough.
    refused(as_user("window").get(API + "/processes"), 401, "unauthorized")


def test_a_token_issued_on_the_command_line_opens_the_api(client: FlaskClient, runtime: Runtime, accounts) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["token", "issue", "county", "--label", "统计报表"], obj=runtime)
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert client.get(API + "/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert [t.label for t in accounts.tokens(accounts.by_username("county").id)] == ["统计报表"]

    result = CliRunner().invoke(main, ["token", "issue", "nobody"], obj=runtime)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "nobody" in result.stderr


# -- processes and cases ---------------------------------------------------------------------

def test_processes_list_the_deployed_ones_with_their_start_forms(person) -> None:  # type: ignore[no-untyped-def]
    response = person("renmin").get("/processes")
    assert response.status_code == 200
    found = {p["key"]: p for p in response.get_json()["processes"]}
    assert {"application_online", "application_offline"} <= set(found)
    online = found["application_online"]
    assert online["start_form"] == "application.json"
    assert "id_number" in online["start_schema"]["properties"]
    for process in found.values():
        conforms(process, "Process")


def test_the_window_starts_a_case_and_others_may_not(person) -> None:  # type: ignore[no-untyped-def]
    window = person("window")
    response = window.post("/cases", {"process": "application_online", "data": application()})
    assert response.status_code == 201
    body = response.get_json()
    conforms(body["case"], "Case")
    assert body["case"]["number"] == body["number"]
    assert [t["name"] for t in body["case"]["open_tasks"]] == ["pre_review"]
    assert response.headers["Location"].endswith(f"{API}/cases/{body['number']}")
    located = window.client.get(response.headers["Location"], headers=window.headers)
    assert located.get_json()["number"] == body["number"]

    refused(person("renmin").post("/cases", {"process": "application_online", "data": application()}),
            403, "forbidden")
    assert window.get("/tasks", queue="group").get_json()["total"] == 1  # renmin's attempt started nothing


def test_invalid_start_data_lists_each_field(person) -> None:  # type: ignore[no-untyped-def]
    response = person("window").post("/cases", {"process": "application_online",
                                                "data": application(phone="12345", category="其他")})
    error = refused(response, 422, "validation_failed")
    assert sorted(d["field"] for d in error["details"]) == ["category", "phone"]
    refused(person("window").post("/cases", {"process": "no_such_process", "data": application()}),
            404, "not_found")


def test_an_invalid_id_number_is_refused_with_its_reason(person) -> None:  # type: ignore[no-untyped-def]
    response = person("window").post("/cases", {"process": "application_online",
                                                "data": application(id_number="360483198001011233")})
    error = refused(response, 422, "validation_failed")
    assert [(d["field"], d["message"]) for d in error["details"]] == [("id_number", "身份证号码校验位错误，请逐位核对")]
    assert person("window").get("/tasks", queue="group").get_json()["total"] == 0


# -- a whole case ----------------------------------------------------------------------------

def test_a_whole_online_case_driven_through_the_api(person, runtime: Runtime, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    window, renmin, yujing = person("window"), person("renmin"), person("yujing")
    number = window.start()

    pre_review = window.find(number, "pre_review")
    shown = window.get(f"/tasks/{pre_review}").get_json()
    conforms(shown["task"], "Task")
    assert shown["schema"]["title"] == "申请审核"
    assert window.complete(pre_review, PASS)["completed_by"] == "window"

    renmin.do(number, "register_appointment", APPOINTMENT)
    assessed = renmin.do(number, "assess", ASSESSED)
    done = renmin.get("/tasks", queue="done").get_json()
    conforms(done, "TaskPage")
    assert sorted(t["name"] for t in done["tasks"]) == ["assess", "register_appointment"]
    assert renmin.get(f"/tasks/{assessed['id']}").status_code == 200  # a clerk looks back at what they did

    yujing.do(number, "post_publicity", POSTED)
    clock.set(datetime.fromisoformat("2026-09-18T00:01:00+08:00"))  # the 5 working days of publicity are over
    assert runtime.tick() == [number]
    window.do(number, "issue_certificate", ISSUED)

    case = window.get(f"/cases/{number}").get_json()
    conforms(case, "Case")
    assert (case["status"], case["outcome"], case["open_tasks"]) == ("completed", "issued", [])
    assert case["data"]["certificate_no"].endswith("43")
    messages = window.get(f"/cases/{number}/messages").get_json()["messages"]
    for message in messages:
        conforms(message, "Message")
    templates = [m["template"] for m in messages]
    assert {"arrival", "routed", "appointment", "passed", "publicity_request", "issued"} <= set(templates)
    assert "邮寄" in messages[templates.index("issued")]["text"]
    assert renmin.get(f"/cases/{number}").status_code == 200  # it had a task in the case


def test_the_task_list_filters_like_the_inbox(person) -> None:  # type: ignore[no-untyped-def]
    window = person("window")
    first, second = window.start(), window.start(applicant_name="王芳")
    page = window.get("/tasks", queue="group").get_json()
    conforms(page, "TaskPage")
    assert (page["total"], page["page"], page["pages"]) == (2, 1, 1)
    assert page["counts"] == {"mine": 0, "group": 2, "done": 0}
    assert [t["case"] for t in window.get("/tasks", queue="group", q="王芳").get_json()["tasks"]] == [second]

    task_id = window.find(first, "pre_review")
    assert window.post(f"/tasks/{task_id}/claim").get_json()["task"]["assignee"] == "window"
    mine = window.get("/tasks").get_json()  # the default queue is "mine", as in the inbox
    assert [t["id"] for t in mine["tasks"]] == [task_id]
    assert mine["counts"] == {"mine": 1, "group": 1, "done": 0}
    assert window.post(f"/tasks/{task_id}/unclaim").get_json()["task"]["assignee"] is None
    assert window.get("/tasks").get_json()["total"] == 0


# -- refusals --------------------------------------------------------------------------------

def test_another_hospital_cannot_see_or_work_the_task(person, accounts) -> None:  # type: ignore[no-untyped-def]
    number = person("window").start()
    person("window").do(number, "pre_review", PASS)
    task_id = person("renmin").find(number, "register_appointment")
    anding = person("anding")
    refused(anding.get(f"/tasks/{task_id}"), 404, "not_found")
    for action in ("claim", "unclaim", "complete"):
        refused(anding.post(f"/tasks/{task_id}/{action}", {"data": APPOINTMENT}), 403, "forbidden")
    refused(anding.get(f"/cases/{number}"), 404, "not_found")
    refused(anding.get(f"/cases/{number}/messages"), 404, "not_found")
    assert anding.get("/tasks", queue="group").get_json()["total"] == 0

    denied = [e.target for e in accounts.security_events("access_denied") if e.username == "anding"]
    assert len(denied) == 6
    assert f"任务 {task_id}（提交 {API}/tasks/{task_id}/complete）" in denied
    assert person("renmin").get(f"/tasks/{task_id}").get_json()["task"]["status"] == "open"


def test_another_village_cannot_post_the_publicity(person) -> None:  # type: ignore[no-untyped-def]
    number = at_publicity(person)
    task_id = person("yujing").find(number, "post_publicity")
    xiufeng = person("xiufeng")
    refused(xiufeng.get(f"/tasks/{task_id}"), 404, "not_found")
    refused(xiufeng.post(f"/tasks/{task_id}/claim"), 403, "forbidden")
    refused(xiufeng.post(f"/tasks/{task_id}/complete", {"data": POSTED}), 403, "forbidden")
    assert person("yujing").complete(task_id, POSTED)["status"] == "completed"


@pytest.mark.parametrize("reader", ["auditor", "analyst"])
def test_auditors_and_analysts_act_on_nothing(person, reader: str) -> None:  # type: ignore[no-untyped-def]
    number = person("window").start()
    task_id = person("window").find(number, "pre_review")
    someone = person(reader)
    refused(someone.get(f"/tasks/{task_id}"), 404, "not_found")
    for action in ("claim", "complete"):
        refused(someone.post(f"/tasks/{task_id}/{action}", {"data": PASS}), 403, "forbidden")
    refused(someone.post("/cases", {"process": "application_online", "data": application()}), 403, "forbidden")
    # auditors read every case; analysts, who have no task in it, do not
    assert someone.get(f"/cases/{number}").status_code == (200 if reader == "auditor" else 404)


def test_unknown_tasks_and_cases_are_not_found(person) -> None:  # type: ignore[no-untyped-def]
    window = person("window")
    refused(window.get("/tasks/no-such-task"), 404, "not_found")
    refused(window.post("/tasks/no-such-task/complete", {"data": PASS}), 404, "not_found")
    refused(window.get("/cases/LS-2026-999999"), 404, "not_found")


def test_a_task_taken_or_done_by_someone_else_is_a_conflict(person, accounts) -> None:  # type: ignore[no-untyped-def]
    accounts.create("window2", PASSWORD, display_name="窗口二", roles=["window_clerk"], groups=["window"])
    first, second = person("window"), person("window2")
    task_id = first.find(first.start(), "pre_review")

    assert first.post(f"/tasks/{task_id}/claim").status_code == 200
    assert "window" in refused(second.post(f"/tasks/{task_id}/claim"), 409, "conflict")["details"]
    refused(second.post(f"/tasks/{task_id}/complete", {"data": PASS}), 409, "conflict")
    refused(second.post(f"/tasks/{task_id}/unclaim"), 403, "forbidden")  # only its holder gives it back

    first.complete(task_id, PASS)
    refused(second.post(f"/tasks/{task_id}/complete", {"data": PASS}), 409, "conflict")
    refused(second.post(f"/tasks/{task_id}/claim"), 409, "conflict")
    refused(first.post(f"/tasks/{task_id}/complete", {"data": PASS}), 409, "conflict")


def test_the_common_refusals_read_chinese_on_the_command_line_and_in_the_api(person, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    window, renmin = person("window"), person("renmin")
    number = window.start()
    done = window.find(number, "pre_review")
    window.complete(done, PASS)
    waiting = renmin.find(number, "register_appointment")

    def said(*args: str) -> str:
        result = CliRunner().invoke(main, list(args), obj=runtime)
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        return result.stderr.strip()

    assert said("show", "LS-2026-999999") == "错误：案件 LS-2026-999999 不存在"
    assert said("complete", "no-such-task", "--user", "window") == "错误：任务 no-such-task 不存在"
    assert said("complete", done, "--user", "window") == f"错误：任务“预审”（{done}）已由 window 办理"
    assert said("start", "nosuch", "--data", "{}") == "错误：没有部署流程 nosuch"
    answer = refused(window.post(f"/tasks/{done}/complete", {"data": PASS}), 409, "conflict")
    assert answer["details"] == f"任务“预审”（{done}）已由 window 办理"
    for unknown in (window.post("/cases", {"process": "nosuch", "data": application()}),
                    window.get("/cases/LS-2026-999999"), window.get("/tasks/no-such-task")):
        assert refused(unknown, 404, "not_found")["message"] == "不存在或无权查看"

    with runtime.sessions.begin() as session:  # a failed step paused the case (its incident is not needed here)
        session.execute(update(Case).where(Case.number == number).values(status="error"))
    paused = f"案件 {number} 因故障暂停，须等管理员重试或取消后才能继续办理"
    assert said("complete", waiting, "--user", "renmin", "--data", json.dumps(APPOINTMENT)) == f"错误：{paused}"
    assert refused(renmin.post(f"/tasks/{waiting}/complete", {"data": APPOINTMENT}), 409, "invalid_state")[
        "message"] == paused


def test_invalid_form_data_lists_one_entry_per_field(person) -> None:  # type: ignore[no-untyped-def]
    number = person("window").start()
    person("window").do(number, "pre_review", PASS)
    renmin = person("renmin")
    renmin.do(number, "register_appointment", APPOINTMENT)
    task_id = renmin.find(number, "assess")
    error = refused(renmin.post(f"/tasks/{task_id}/complete", {"data": {"meets_standard": True, "conclusion": 5}}),
                    422, "validation_failed")
    assert {d["field"]: d["message"] for d in error["details"]} == {"grade": "必填", "conclusion": "应为文本"}
    assert len(error["details"]) == 2
    assert renmin.get(f"/tasks/{task_id}").get_json()["task"]["status"] == "open"


@pytest.mark.parametrize("body", [
    {"data": "[1, 2]", "content_type": "application/json"},
    {"data": "not json", "content_type": "application/json"},
    {"data": '{"data": {"decision": "pass"}}', "content_type": "text/plain"},
    {"json": {"data": ["pass"]}},
])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(person, body: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    window = person("window")
    task_id = window.find(window.start(), "pre_review")
    refused(window.client.post(f"{API}/tasks/{task_id}/complete", headers=window.headers, **body), 400, "bad_request")
    assert window.get(f"/tasks/{task_id}").get_json()["task"]["status"] == "open"


def test_starting_a_case_needs_a_process_key(person) -> None:  # type: ignore[no-untyped-def]
    error = refused(person("window").post("/cases", {"data": application()}), 400, "bad_request")
    assert "process" in error["details"]


# -- the OpenAPI document --------------------------------------------------------------------

def _routes(app: Flask) -> set[tuple[str, str]]:
    """(path in OpenAPI's spelling, method) of every route of the API blueprint."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            assert rule.rule.startswith(API + "/")
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(API))
            found |= {(path, method.lower()) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_openapi_document_describes_exactly_the_routes(app: Flask, client: FlaskClient) -> None:
    response = client.get(API + "/openapi.json")  # no token needed
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    assert documented == _routes(app)
    for path, item in document["paths"].items():
        for operation in item.values():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), path
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_the_openapi_document_is_valid_openapi() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi.DOCUMENT)


def test_unknown_api_paths_and_methods_answer_in_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/openapi.json")
    assert wrong.status_code == 405 and "error" in wrong.json


# -- a completion in one request, and the token's account kept a few seconds ----------------------

def test_a_completion_needs_no_claim_and_answers_the_task_as_stored(person, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    window = person("window")
    unclaimed, claimed = (window.find(window.start(), "pre_review") for _ in range(2))
    answered = window.complete(unclaimed, PASS)  # straight from the queue, as the task's page does
    conforms(answered, "Task")
    assert (answered["status"], answered["assignee"], answered["completed_by"]) == ("completed", None, "window")
    assert answered == runtime.task(unclaimed)  # the step's own view is what a read gives afterwards

    assert window.post(f"/tasks/{claimed}/claim").status_code == 200
    assert window.complete(claimed, PASS) == runtime.task(claimed)


def test_a_revoked_token_or_a_changed_person_counts_at_once(person, accounts) -> None:  # type: ignore[no-untyped-def]
    number = person("window").start()
    person("window").do(number, "pre_review", PASS)
    renmin, who = person("renmin"), accounts.by_username("renmin")
    task_id = renmin.find(number, "register_appointment")  # the token's account is now kept in memory

    # Moved to another hospital: this task is no longer theirs, from the next request on.
    accounts.update(who.id, display_name=who.display_name, roles=["hospital"], groups=["hospital-anding"], active=True)
    refused(renmin.post(f"/tasks/{task_id}/complete", {"data": APPOINTMENT}), 403, "forbidden")
    accounts.update(who.id, display_name=who.display_name, roles=["hospital"], groups=["hospital-renmin"], active=False)
    refused(renmin.get("/tasks"), 401, "unauthorized")  # stopped

    window = person("window")
    assert window.get("/tasks").status_code == 200
    mine = accounts.by_username("window")
    accounts.revoke_token(mine.id, accounts.tokens(mine.id)[-1].id)
    refused(window.get("/tasks"), 401, "unauthorized")
    refused(window.post(f"/tasks/{person('window').find(person('window').start(), 'pre_review')}/complete",
                        {"data": PASS}), 401, "unauthorized")


def _close_server_connections(engine: Engine) -> int:
    """What a server restart or an administrator does to the pool: its connections closed from the server's side."""
    with psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as admin:
        killed = admin.execute("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                               " WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchone()
    assert killed is not None
    return int(killed[0])


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_requests_go_on_after_the_server_closed_the_pooled_connections(person, runtime: Runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    engine = runtime.sessions.kw["bind"]
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", pings.append)  # no round trip per checkout to pay for it
    window = person("window")
    task_id = window.find(window.start(), "pre_review")

    assert _close_server_connections(engine) >= 1
    assert window.complete(task_id, PASS)["status"] == "completed"
    assert _close_server_connections(engine) >= 1
    assert window.get("/tasks", queue="done").get_json()["total"] == 1
    assert pings == []

    fresh = db.make_engine(engine.url.render_as_string(hide_password=False))
    backends = []
    for _ in range(3):
        with fresh.connect() as connection:
            backends.append(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
    fresh.dispose()
    assert len(set(backends)) == 1  # a live connection is kept: the check refuses only closed ones


@pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_read_on_a_connection_that_broke_after_its_checkout_is_done_again(person, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    """What the checkout cannot tell (the server gone between the checkout and the first statement): the request's
    reads are done once more, on a new connection. Without the check, every pooled connection is such a one."""
    engine = runtime.sessions.kw["bind"]
    event.remove(engine, "checkout", db._check_alive)
    window = person("window")
    task_id = window.find(window.start(), "pre_review")
    with runtime.sessions() as session:  # a read outside the retry fails: the connections were dead indeed
        session.execute(text("SELECT 1"))
    assert _close_server_connections(engine) >= 1
    with pytest.raises(DBAPIError), runtime.sessions() as session:
        session.execute(text("SELECT 1"))
    assert window.get(f"/tasks/{task_id}").status_code == 200  # the pool has live connections again

    assert _close_server_connections(engine) >= 1
    assert window.get("/tasks", queue="group").get_json()["total"] == 1  # the inbox's read
    assert _close_server_connections(engine) >= 1
    assert window.complete(task_id, PASS)["status"] == "completed"  # the guard's read, then the step
