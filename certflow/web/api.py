"""The REST API at /api/v1: processes and their deployment, cases (with their history, replay and
verification) and the inbox's tasks for programs, with a bearer token.

Same permission rules as the pages (``certflow.web.guard``); described by ``certflow.web.openapi``.
Every error answers ``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for
from werkzeug.exceptions import HTTPException, default_exceptions

from certflow.casework.inbox import InboxQuery, inbox
from certflow.casework.search import CaseQuery, search
from certflow.engine.errors import (
    CertflowError,
    Conflict,
    DeploymentError,
    InvalidState,
    NotFound,
    StepFailed,
    ValidationFailed,
)
from certflow.engine.privacy import mask_personal
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.engine.specs import SourceFile
from certflow.people.access import can_audit, can_model, can_model_for, can_start_case
from certflow.web import openapi
from certflow.web.applying import case_county
from certflow.web.context import act_as, deny, services, signed_in
from certflow.web.guard import auditable_case, readable_case, release_task, reveal, visible_task, workable_task
from certflow.web.handover import task_taken
from certflow.web.scoping import act_within

bp = Blueprint("api", __name__)
PREFIX = "/api/v1"

# What a person reads for each status; ``details`` carries the specifics.
MESSAGES = {
    400: "请求有误", 401: "需要有效的访问令牌", 403: "没有权限执行此操作", 404: "不存在或无权查看",
    405: "不支持此请求方法", 409: "任务或案件已被他人处理，请刷新后重试", 413: "提交的内容太大", 422: "提交的数据有误",
    429: "操作过于频繁", 500: "服务器未能完成此操作",
}
STATUS: dict[type[CertflowError], int] = {
    NotFound: 404, Conflict: 409, InvalidState: 409, ValidationFailed: 422, DeploymentError: 422, StepFailed: 500,
}


def _error(status: int, code: str, details: Any = None, message: str | None = None) -> Response:
    response = jsonify(error={"code": code, "message": message or MESSAGES.get(status, "请求未能完成"),
                              "details": details})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def http_error(error: HTTPException) -> Response:
    # Werkzeug's default descriptions are English boilerplate; only a reason given with abort() is a detail.
    given = error.description if error.description != type(error).description else None
    response = _error(error.code or 500, error.name.lower().replace(" ", "_"), given)
    response.headers.extend((name, value) for name, value in error.get_headers() if name != "Content-Type")  # Allow
    return response


# By status, so that these win over the app's HTML error pages (Flask looks up handlers by status first).
for _status in default_exceptions:
    bp.register_error_handler(_status, http_error)


@bp.errorhandler(CertflowError)
def _certflow_error(error: CertflowError) -> Response:
    status = next((s for kind, s in STATUS.items() if isinstance(error, kind)), 400)
    if isinstance(error, ValidationFailed):
        return _error(status, error.code, [{"field": e.field, "message": e.message} for e in error.errors])
    if isinstance(error, DeploymentError):  # the problems `certflow deploy` lists, one entry each
        return _error(status, error.code, [asdict(p) for p in error.problems])
    task_id = (request.view_args or {}).get("task_id")
    if isinstance(error, Conflict) and task_id:  # who was first, and when
        return _error(status, error.code, str(error), f"{task_taken(task_id)}，请刷新后查看")
    if isinstance(error, InvalidState):  # a paused or ended case: 409's usual words blame someone else
        return _error(status, error.code, str(error), str(error))
    return _error(status, error.code, str(error))


@bp.before_request
def _authenticate() -> None:
    """Every request but the API's description names its person with a bearer token; cookies don't count."""
    if request.endpoint == "api.document":
        return
    credentials = request.authorization
    token = credentials.token if credentials is not None and credentials.type == "bearer" else None
    with county_scope(PROVINCE_WIDE):  # the token's account, before its county is known
        found = services().accounts.by_token(token) if token else None
    if found is None:
        deny(401, "接口令牌")
    act_as(found)
    act_within(found)


@bp.before_request
def _check_query() -> None:
    """Query arguments the document does not allow are refused (400), not read as no filter."""
    if request.url_rule is None:
        return
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", request.url_rule.rule.removeprefix(PREFIX))
    errors = openapi.query_errors(path, request.method, request.args)
    if errors:
        abort(400, "；".join(f"参数 {e.field} {e.message}" for e in errors))


def _body() -> dict[str, Any]:
    body = request.get_json(silent=not request.is_json)  # JSON that cannot be read: 400 with the reason
    if not isinstance(body, dict):
        abort(400, "请求体应为 JSON 对象（Content-Type: application/json）")
    return body


def _form_data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data", {})
    if not isinstance(data, dict):
        abort(400, "data 应为 JSON 对象")
    return data


def _task_now(task_id: str) -> Response:
    return jsonify(task=services().runtime.task(task_id))


@bp.get("/openapi.json")
def document() -> Response:
    return jsonify(openapi.DOCUMENT)


@bp.get("/processes")
def processes() -> Response:
    return jsonify(processes=services().runtime.processes())


@bp.post("/deployments")
def deploy() -> tuple[Response, int]:
    """Check and deploy files as ``certflow deploy`` does, as the token's user (analysts and administrators)."""
    me = signed_in()
    if not can_model(me):
        deny(403, "部署流程")
    files, note, county = _deployment()
    county = me.county if county is None else county or None  # not named: the token's own; empty: the province
    if not can_model_for(me, county):
        deny(403, "为其他县（市）部署流程", "只能为本县（市）部署流程")
    results = services().runtime.deploy(files, author=me.username, note=note, county=county)
    return jsonify(versions=[{"process": r.process_key, "version": r.version, "created": r.created,
                              "county": r.county} for r in results]), 201


@bp.post("/processes/<key>/give-up")
def give_up(key: str) -> Response:
    """The county stops using its own versions of ``key`` and follows the province's newest again, as
    ``certflow follow-province`` does (the county's analysts and administrators, or a province-wide one)."""
    me, body = signed_in(), _body()
    county, note = body.get("county", me.county), body.get("note", "")
    if not (isinstance(county, str | None) and county != "" and isinstance(note, str)):
        abort(400, "county 应为县（市）的6位行政区划代码（全省的版本不能放弃）；note 为字符串")
    if county is None:  # a province-wide token names the county
        abort(422, "请用 county 指明放弃自有版本的县（市）")
    if not can_model_for(me, county):
        deny(403, "放弃其他县（市）自有的流程版本", "只能放弃本县（市）自有的版本")
    result = services().runtime.give_up(key, county=county, author=me.username, note=note)
    return jsonify(process=key, county=county, version=result.version)


def _deployment() -> tuple[list[SourceFile], str, str | None]:
    """The files, note and county (None when not named) of a deployment: uploaded (multipart, any field name
    but ``note`` and ``county``) or as JSON."""
    if request.files:
        uploads = [f for name in request.files for f in request.files.getlist(name)]
        return ([SourceFile(f.filename or f.name or "", f.read()) for f in uploads], request.form.get("note", ""),
                request.form.get("county"))
    body = _body()
    given, note, county = body.get("files"), body.get("note", ""), body.get("county")
    if not (isinstance(given, list) and given and isinstance(note, str) and all(map(_is_file, given))):
        abort(400, "files 应为非空列表，每项为 {\"name\", \"content\"}（字符串）；note 为字符串")
    if not isinstance(county, str | None):
        abort(400, "county 应为县（市）的6位行政区划代码（字符串），空字符串表示全省")
    return [SourceFile(f["name"], f["content"].encode("utf-8")) for f in given], note, county


def _is_file(given: Any) -> bool:
    return isinstance(given, dict) and isinstance(given.get("name"), str) and isinstance(given.get("content"), str)


@bp.get("/cases")
def search_cases() -> Response:
    if not can_audit(signed_in()):
        deny(403, "案件查询")
    query = CaseQuery.from_args(request.args)
    page = search(services().sessions, query, signed_in())
    return jsonify(cases=page.rows, total=page.total, page=query.page, pages=page.pages)


@bp.post("/cases")
def start_case() -> tuple[Response, int, dict[str, str]]:
    if not can_start_case(signed_in()):
        deny(403, "发起案件")
    body = _body()
    if not isinstance(body.get("process"), str):
        abort(400, "process 应为流程标识（字符串）")
    runtime, me, data = services().runtime, signed_in(), _form_data(body)
    county = case_county(services().directory, data.get("village"), me.county)
    number = runtime.start_case(body["process"], data, actor=me.username, county=county)
    return jsonify(number=number, case=runtime.case(number)), 201, {"Location": url_for(".case", number=number)}


@bp.get("/cases/<number>")
def case(number: str) -> Response:
    return jsonify(readable_case(number))


@bp.get("/cases/<number>/messages")
def messages(number: str) -> Response:
    return jsonify(messages=services().runtime.outbox(readable_case(number)["number"]))


@bp.get("/cases/<number>/history")
def history(number: str) -> Response:
    case = readable_case(number)
    return jsonify(case=case["number"], events=mask_personal(services().runtime.history(case["number"])))


@bp.get("/cases/<number>/history/export")
def history_export(number: str) -> Response:
    case = reveal(number, "导出完整历史")
    return jsonify(services().runtime.history_export(case["number"]))


@bp.get("/cases/<number>/replay/<int:seq>")
def replay(number: str, seq: int) -> Response:
    return jsonify(mask_personal(services().runtime.replay_at(readable_case(number)["number"], seq)))


@bp.get("/cases/<number>/verify")
def verify(number: str) -> Response:
    return jsonify(services().runtime.verify(auditable_case(number)["number"]).as_dict())


@bp.get("/tasks")
def tasks() -> Response:
    query, runtime = InboxQuery.from_args(request.args), services().runtime
    page = inbox(services().sessions, signed_in(), query, runtime.clock.now())
    return jsonify(tasks=page.tasks, total=page.total, page=query.page, pages=page.pages, counts=page.counts)


@bp.get("/tasks/<task_id>")
def task(task_id: str) -> Response:
    found = visible_task(task_id)
    form = services().runtime.task_form(task_id)
    return jsonify(task=found, schema=form["schema"] if found["form"] else None, ui=form["ui"],
                   instructions=form["instructions"])


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    workable_task(task_id)
    services().runtime.claim(task_id, actor=signed_in().username)
    return _task_now(task_id)


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Response:
    release_task(workable_task(task_id))
    return _task_now(task_id)


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Response:
    """No claim needed: whoever may work the task completes it, unless someone else holds it (409)."""
    workable_task(task_id)
    completed = services().runtime.complete_task_view(task_id, _form_data(_body()), actor=signed_in().username)
    return jsonify(task=completed)  # the task as the step left it: no second read
