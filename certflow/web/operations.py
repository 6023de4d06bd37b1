"""Operations, for administrators: incidents (fix the data, retry, cancel the case) and cases that cannot move;
an administrator of a county sees and acts on that county's cases only.

A step that fails while someone works a page answers with what failed; nothing of it was saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from certflow.casework.inbox import page_count, page_number
from certflow.engine.errors import CertflowError, StepFailed, ValidationFailed, json_mistake
from certflow.people.access import county_of
from certflow.web.admin import administrators_only
from certflow.web.context import services, signed_in
from certflow.web.guard import readable_case

bp = Blueprint("operations", __name__, url_prefix="/admin")
bp.before_request(administrators_only)

INCIDENT_KINDS = {"timer": "定时处理", "message": "消息处理", "notification": "短信发送"}
RESOLUTIONS = {"retried": "已重试成功", "cancelled": "案件已撤销"}
STUCK_PAGE = 50  # rows of each list on one page of the stuck report


@bp.app_errorhandler(StepFailed)
def step_failed(error: StepFailed) -> ResponseReturnValue:
    # The API answers its own errors; a page says what failed and that the input was not taken.
    detail = f"{error}。填写的内容没有保存，请返回上一页重试；仍然失败请联系系统管理员。"
    return render_template("errors/error.html", status=500, message="系统处理失败", detail=detail), 500


@bp.get("/incidents")
def incidents() -> ResponseReturnValue:
    status = request.args.get("status", "open")
    found = services().runtime.incidents(status=None if status == "all" else status, county=county_of(signed_in()))
    return render_template("operations/incidents.html", incidents=found, status=status, kinds=INCIDENT_KINDS,
                           resolutions=RESOLUTIONS)


@bp.get("/incidents/<number>")
def case_incidents(number: str) -> ResponseReturnValue:
    runtime, case = services().runtime, readable_case(number)
    found = runtime.incidents(status=None, case_ref=number)
    return render_template("operations/case.html", case=case, incidents=found, kinds=INCIDENT_KINDS,
                           resolutions=RESOLUTIONS, open=[i for i in found if i["status"] == "open"],
                           changes=request.args.get("changes", ""))


@bp.post("/incidents/<number>/fix")
def fix(number: str) -> ResponseReturnValue:
    readable_case(number)
    text = request.form.get("changes", "")
    try:
        changes = json.loads(text or "{}")
        if not isinstance(changes, dict):
            raise ValueError("不是 JSON 对象")
        services().runtime.fix_incident(number, changes, actor=signed_in().username)
    except (ValueError, CertflowError) as error:
        flash(f"没有更正：{_reason(error)}", "error")
        return redirect(url_for("operations.case_incidents", number=number, changes=text))
    flash("数据已更正，并记入办理历史；请重试")
    return redirect(url_for("operations.case_incidents", number=number))


@bp.post("/incidents/<number>/retry")
def retry(number: str) -> ResponseReturnValue:
    readable_case(number)
    try:
        services().runtime.retry_incident(number, actor=signed_in().username)
    except CertflowError as error:
        flash(str(error), "error")  # it says what failed: the retry again, or a case with nothing to retry
    else:
        flash("重试成功，案件继续办理")
    return redirect(url_for("operations.case_incidents", number=number))


@bp.post("/incidents/<number>/cancel")
def cancel(number: str) -> ResponseReturnValue:
    readable_case(number)
    try:
        services().runtime.cancel_case(number, request.form.get("reason", ""), actor=signed_in().username)
    except CertflowError as error:
        flash(f"没有撤销：{_reason(error)}", "error")
    else:
        flash(f"案件 {number} 已撤销")
    return redirect(url_for("operations.case_incidents", number=number))


@dataclass(frozen=True)
class _Paging:
    """One of the stuck page's two lists as the pager sees it: its page, and links that keep the other's."""

    name: str  # the list's page argument
    page: int
    other: dict[str, int]

    def args(self, page: int) -> dict[str, Any]:
        return {k: v for k, v in {**self.other, self.name: page}.items() if v != 1}  # page 1: no argument


@bp.get("/stuck")
def stuck() -> ResponseReturnValue:
    cases_page, tasks_page = page_number(request.args), page_number({"page": request.args.get("overdue_page")})
    report = services().runtime.stuck(county=county_of(signed_in()), page_size=STUCK_PAGE, cases_page=cases_page,
                                      tasks_page=tasks_page)
    pages = {"cases": (_Paging("page", cases_page, {"overdue_page": tasks_page}),
                       page_count(report["cases_total"], STUCK_PAGE)),
             "tasks": (_Paging("overdue_page", tasks_page, {"page": cases_page}),
                       page_count(report["overdue_total"], STUCK_PAGE))}
    return render_template("operations/stuck.html", report=report, pages=pages)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationFailed):
        return "；".join(f"{e.field or '数据'}：{e.message}" for e in error.errors)
    if isinstance(error, json.JSONDecodeError):  # Python says where and what in English
        return f"不是有效的 JSON（第 {error.lineno} 行第 {error.colno} 列：{json_mistake(error)}）"
    return str(error)
