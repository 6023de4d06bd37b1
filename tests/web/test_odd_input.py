"""Odd input answers 4xx with a reason in Chinese, never a 500: JSON 1,000 levels deep, page numbers past any
integer, ids like ``²``, lone surrogates and NUL characters (which PostgreSQL cannot store), at the sign-in, the
portal (apply, status), the case search, the inbox and the API's start and search. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lushan import application
from sqlalchemy import func, select
from test_portal import form_data
from webkit import csrf_token
from werkzeug.test import TestResponse

from certflow.engine.models import Case
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.people.models import SecurityEvent
from certflow.web.inputs import load_json

NUL = "李\x00明"
BAD_TEXT = "请求中含有无法保存的字符"
BAD_PAGE = "页码应为 1 到 100000 之间的整数"
API_PAGE = "参数 page 应为 1 到 100000 之间的整数"  # the API checks its query by its document first
HUGE = "99999999999999999999"
DEEP = '{"process": "application_online", "data": ' + '{"a": ' * 1000 + "1" + "}" * 1000 + "}"


def stored(runtime: Runtime) -> tuple[int, int]:
    with runtime.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(SecurityEvent)))


def page_says(response: TestResponse, status: int, reason: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert reason in lxml.html.fromstring(response.get_data(as_text=True)).text_content()


def api_says(response: TestResponse, status: int, reason: str | None) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["message"]
    if reason:
        assert reason in error["details"]


@pytest.mark.parametrize(("path", "form"), [
    ("/login", {"username": "window", "password": "x\x00"}),
    ("/login", {"username": NUL, "password": "wrong-horse-1"}),
    ("/status", {"number": "LS-2026-000001\x00", "id_number": "11010519491231002X"}),
    ("/apply", form_data(applicant_name=NUL)),
])
def test_a_nul_character_in_a_form_is_refused_and_nothing_is_stored(
        client: FlaskClient, runtime: Runtime, path: str, form: dict[str, Any]) -> None:
    before = stored(runtime)
    page_says(client.post(path, data={**form, "csrf_token": csrf_token(client, path)}), 400, BAD_TEXT)
    assert stored(runtime) == before


@pytest.mark.parametrize(("who", "path", "status", "reason"), [
    ("window", f"/inbox?page={HUGE}", 400, BAD_PAGE),
    ("window", "/inbox?page=0", 400, BAD_PAGE),
    ("window", "/inbox?page=%C2%B2", 400, BAD_PAGE),
    ("window", "/inbox?q=%00", 400, BAD_TEXT),
    ("auditor", f"/audit/cases?page={HUGE}", 400, BAD_PAGE),
    ("auditor", "/audit/cases?applicant=%00", 400, BAD_TEXT),
    ("auditor", "/cases/%C2%B2", 404, "页面不存在"),
    ("window", "/tasks/%00", 400, BAD_TEXT),
    (None, "/status?number=%00", 400, BAD_TEXT),
])
def test_odd_pages_ids_and_queries_get_a_reason(
        client: FlaskClient, as_user, who: str | None, path: str, status: int, reason: str) -> None:  # type: ignore[no-untyped-def]
    page_says((as_user(who) if who else client).get(path), status, reason)


@pytest.fixture
def api(app: Flask, accounts: Accounts) -> dict[str, str]:
    """The headers of the window clerk's API token (who may start cases), with a JSON body."""
    token = accounts.issue_token(accounts.by_username("window").id, "test")
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


@pytest.mark.parametrize(("body", "reason"), [
    (DEEP, "提交的 JSON 嵌套超过 32 层"),
    ("[" * 1000 + "]" * 1000, "提交的 JSON 嵌套超过 32 层"),
    ('{"process": "application_online\\ud800", "data": {}}', BAD_TEXT),
    (json.dumps({"process": "application_online", "data": application(applicant_name="李\ud800明")}), BAD_TEXT),
    (json.dumps({"process": "application_online", "data": application(applicant_name=NUL)}), BAD_TEXT),
    (json.dumps({"process": "application_online\x00", "data": {}}), BAD_TEXT),
    (json.dumps({"process": "application_online", "data": {"\x00": 1}}), BAD_TEXT),
    ('{"process": ', "提交的内容不是有效的 JSON"),
])
def test_the_api_refuses_json_it_could_not_keep(
        client: FlaskClient, runtime: Runtime, api: dict[str, str], body: str, reason: str) -> None:
    before = stored(runtime)
    api_says(client.post("/api/v1/cases", data=body, headers=api), 400, reason)
    assert stored(runtime) == before


@pytest.mark.parametrize(("path", "status", "reason"), [
    (f"/api/v1/cases?page={HUGE}", 400, API_PAGE),
    (f"/api/v1/tasks?page={HUGE}", 400, API_PAGE),
    ("/api/v1/tasks?page=x", 400, API_PAGE),
    ("/api/v1/tasks?page=1&page=2", 400, "参数 page 只能给一个值"),
    ("/api/v1/tasks?queue=everyone", 400, "参数 queue 应为以下之一：mine、group、done"),
    ("/api/v1/cases?started_from=2026-13-01", 400, "参数 started_from 应为日期"),
    ("/api/v1/cases?owner=me", 400, "参数 owner 不是此接口的参数"),
    ("/api/v1/cases?applicant=%00", 400, BAD_TEXT),
    ("/api/v1/cases/%C2%B2", 404, None),
    ("/api/v1/cases/LS-2026-000001%00", 400, BAD_TEXT),
    ("/api/v1/tasks/%00", 400, BAD_TEXT),
    (f"/api/v1/cases/{HUGE}", 404, None),
])
def test_the_api_answers_odd_queries_and_ids_with_a_reason(
        client: FlaskClient, accounts: Accounts, api: dict[str, str], path: str, status: int,
        reason: str | None) -> None:
    token = accounts.issue_token(accounts.by_username("admin").id, "test")  # admins may search cases
    api_says(client.get(path, headers={"Authorization": f"Bearer {token}"}), status, reason)


def test_json_up_to_32_levels_is_read_one_more_is_refused() -> None:
    nested = 31 * "[" + '{"姓名": "李明"}' + 31 * "]"
    assert load_json(nested) == json.loads(nested)
    with pytest.raises(ValueError, match="嵌套超过 32 层"):
        load_json(f"[{nested}]")
