"""Operations pages (incidents, stuck cases, overdue tasks), /readyz, request ids, and a failed step on a page."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lushan import MINOR_ID
from sqlalchemy import text
from webkit import post

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.engine.services import Handlers, Operator, ServiceContext
from certflow.logs import JsonFormatter
from certflow.web import operations


def unavailable(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    raise ConnectionError("外部服务不可用")


def handlers_fail(runtime: Runtime) -> Handlers:
    """Swap in handlers that all fail, as when the services behind them are down; returns the real ones."""
    real = runtime.handlers
    runtime.handlers = Handlers({name: Operator(name, op.params, unavailable, op.sends_notification)
                                 for name, op in real.operators.items()}, real.helpers)
    return real


@pytest.fixture
def paused(runtime: Runtime, start, clock: FixedClock) -> tuple[str, Handlers]:  # type: ignore[no-untyped-def]
    """A case whose publicity timer failed every try: paused by an incident; and the real handlers."""
    case = start()
    case.complete("pre_review", {"decision": "pass"})
    case.assess()
    case.post_publicity()
    real = handlers_fail(runtime)
    for moment in ("2026-09-18T00:01:00", "2026-09-18T00:02:30", "2026-09-18T00:05:00"):
        assert case.tick(moment + "+08:00") == []
    assert case.view["status"] == "error"
    return case.number, real


def rows(html: str, table: str) -> list[lxml.html.HtmlElement]:
    return lxml.html.fromstring(html).cssselect(f"#{table} tbody tr")


def test_only_administrators_see_the_operations_pages(as_user) -> None:  # type: ignore[no-untyped-def]
    for path in ("/admin/incidents", "/admin/stuck"):
        assert as_user("window").get(path).status_code == 403
        assert as_user("admin").get(path).status_code == 200
    assert 'href="/admin/incidents"' in as_user("admin").get("/inbox").get_data(as_text=True)
    assert 'href="/admin/incidents"' not in as_user("window").get("/inbox").get_data(as_text=True)


def test_an_incident_is_listed_then_fixed_and_retried(as_user, paused, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    number, real = paused
    admin = as_user("admin")
    [row] = rows(admin.get("/admin/incidents").get_data(as_text=True), "incidents")
    assert row.get("data-case") == number and "外部服务不可用" in row.text_content()

    page = lxml.html.fromstring(admin.get(f"/admin/incidents/{number}").get_data(as_text=True))
    [incident] = page.cssselect(".incident")
    assert "外部服务不可用" in incident.text_content() and "已尝试 3 次" in incident.text_content()
    refused = post(admin, f"/admin/incidents/{number}/fix", {"changes": "[1]"}, page="/admin/incidents",
                   follow_redirects=True)
    assert "没有更正" in refused.get_data(as_text=True)
    fixed = post(admin, f"/admin/incidents/{number}/fix", {"changes": '{"phone": "13900000002"}'},
                 page="/admin/incidents", follow_redirects=True)
    assert "数据已更正" in fixed.get_data(as_text=True)
    failed = post(admin, f"/admin/incidents/{number}/retry", page="/admin/incidents", follow_redirects=True)
    assert "重试后仍然失败：" in failed.get_data(as_text=True)

    runtime.handlers = real  # the SMS platform is back
    done = post(admin, f"/admin/incidents/{number}/retry", page="/admin/incidents", follow_redirects=True)
    assert "重试成功" in done.get_data(as_text=True)
    assert runtime.case(number)["status"] == "running"
    assert runtime.tasks(case=number)[0]["name"] == "issue_certificate"
    assert runtime.verify(number).ok
    assert rows(admin.get("/admin/incidents").get_data(as_text=True), "incidents") == []


def test_a_case_is_cancelled_with_a_reason(as_user, paused, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    number, _ = paused
    admin = as_user("admin")
    post(admin, f"/admin/incidents/{number}/cancel", {"reason": "申请人已撤回"}, page="/admin/incidents")
    assert runtime.case(number)["status"] == "cancelled"
    assert runtime.history(number)[-1]["kind"] == "case_cancelled"


def test_the_stuck_report_lists_cases_waiting_on_nothing_inside_and_overdue_tasks(
    as_user, start, runtime: Runtime, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    case = start(category="智力", id_number=MINOR_ID, materials=["photos"])
    case.complete("pre_review", {"decision": "missing"})  # the case waits for the applicant's materials
    overdue = start(applicant_name="王芳")
    clock.set(clock.now().replace(month=12))
    page = as_user("admin").get("/admin/stuck").get_data(as_text=True)

    [row] = rows(page, "stuck-cases")
    assert row.get("data-case") == case.number and "等待补齐材料" in row.text_content()
    assert {r.get("data-task") for r in rows(page, "overdue-tasks")} == {overdue.task("pre_review")["id"]}


def test_the_stuck_report_is_paged_and_links_to_each_case(
    as_user, start, monkeypatch, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setattr(operations, "STUCK_PAGE", 1)
    waiting = []
    for name in ("李明", "王芳"):
        case = start(applicant_name=name, category="智力", id_number=MINOR_ID, materials=["photos"])
        case.complete("pre_review", {"decision": "missing"})
        waiting.append(case.number)
        clock.advance(minutes=5)
    admin = as_user("admin")
    first = admin.get("/admin/stuck").get_data(as_text=True)
    [row] = rows(first, "stuck-cases")
    assert row.get("data-case") == waiting[0] and "共 2 件" in first
    assert row.cssselect("a")[0].get("href") == f"/cases/{waiting[0]}"
    assert admin.get(f"/cases/{waiting[0]}").status_code == 200
    [next_page] = lxml.html.fromstring(first).xpath('//a[text()="下一页"]')
    second = admin.get(next_page.get("href")).get_data(as_text=True)
    assert [r.get("data-case") for r in rows(second, "stuck-cases")] == [waiting[1]] and "第 2 / 2 页" in second
    refused = admin.get("/admin/stuck?overdue_page=0")
    assert refused.status_code == 400 and "页码" in refused.get_data(as_text=True)


def test_readyz_checks_the_database_and_its_migrations(client: FlaskClient, runtime: Runtime) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert (ready.status_code, ready.get_json()) == (200, {"database": "ok", "migrations": "current"})

    with runtime.sessions.begin() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    behind = client.get("/readyz")
    assert (behind.status_code, behind.get_json()["migrations"]) == (503, "not current")


def test_every_answer_carries_a_request_id_and_so_does_its_log_line(client: FlaskClient) -> None:
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    web_log = logging.getLogger("certflow.web")
    web_log.addHandler(handler)
    web_log.setLevel(logging.INFO)
    try:
        assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    finally:
        web_log.removeHandler(handler)
        web_log.setLevel(logging.NOTSET)
    logged = json.loads(lines.getvalue())
    assert {k: logged[k] for k in ("level", "message", "request_id", "method", "path", "status")} == {
        "level": "info", "message": "request", "request_id": "abc-123", "method": "GET", "path": "/healthz",
        "status": 200}
    made = client.get("/healthz", headers={"X-Request-ID": "bad id\"forged"}).headers["X-Request-ID"]
    assert len(made) == 32 and made != client.get("/healthz").headers["X-Request-ID"]


def test_a_step_that_fails_on_a_page_says_so(as_user, start, runtime: Runtime, app: Flask) -> None:  # type: ignore[no-untyped-def]
    case = start()
    task = case.task("pre_review")
    handlers_fail(runtime)
    window = as_user("window")
    answer = post(window, f"/tasks/{task['id']}", {"decision": "pass"}, page=f"/tasks/{task['id']}")
    assert answer.status_code == 500
    assert "外部服务不可用" in answer.get_data(as_text=True)
    assert "本次提交未保存" in answer.get_data(as_text=True)
    assert 'value="pass" checked' in answer.get_data(as_text=True)  # the form comes back as it was filled in
    assert case.task("pre_review")["status"] == "open"
