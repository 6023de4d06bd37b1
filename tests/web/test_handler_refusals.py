"""A handler's refusal where people read it: the clerk's task page, the API's error, the administrator's incidents.

The handlers are the deployment's own; where a diagram would pass them a value they refuse, the operator is
wrapped to pass it, as such a diagram would.
"""

from __future__ import annotations

import json
import re
from typing import Any

import lxml.html
from flask import Flask
from test_operations import handlers_fail, rows
from webkit import post

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.engine.services import Handlers, Operator, ServiceContext

API = "/api/v1"
KIND_REFUSED = "办理类型“复核”不对，应为首次申请（first_application）、异议复核（objection_review）"
GRADE_REFUSED = "残疾等级“9”不对，应为一级（1）、二级（2）、三级（3）、四级（4）"


def english(text: str) -> list[str]:
    """The English words in ``text``, leaving out a case's number and the values set beside their labels."""
    text = re.sub(r"[A-Z]{2}-\d{4}-\d{6}", "", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff）)])（[a-z_]+）", "", text)
    return re.findall(r"[A-Za-z]{2,}", text)


def fees_by_label(runtime: Runtime) -> None:
    """The fees of a diagram that writes the kind of case in words (复核) instead of the value the handler takes."""
    real = runtime.handlers
    fees = real.operators["fees"]

    def call(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> Any:
        return fees.call({**params, "kind": "复核"}, data, ctx)

    runtime.handlers = Handlers({**real.operators, "fees": Operator("fees", fees.params, call)}, real.helpers)


def test_the_clerk_reads_the_refusal_in_chinese_on_the_task_page(as_user, start, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    case = start()
    task = case.task("pre_review")
    fees_by_label(runtime)
    answer = post(as_user("window"), f"/tasks/{task['id']}", {"decision": "pass"}, page=f"/tasks/{task['id']}")

    assert answer.status_code == 500
    [said] = lxml.html.fromstring(answer.get_data(as_text=True)).cssselect("#form-errors li")
    text = said.text_content()
    assert f"案件 {case.number}：环节“核定费用”的服务出错：{KIND_REFUSED}" in text
    assert "本次提交未保存" in text
    assert english(text) == []
    assert case.task("pre_review")["status"] == "open"


def test_the_api_answers_the_refusal_in_chinese(app: Flask, accounts, start, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    case = start()
    task = case.task("pre_review")
    fees_by_label(runtime)
    token = accounts.issue_token(accounts.by_username("window").id, "t")
    answer = app.test_client().post(f"{API}/tasks/{task['id']}/complete", json={"data": {"decision": "pass"}},
                                    headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 500
    error = answer.get_json()["error"]
    assert error["details"] == f"案件 {case.number}：环节“核定费用”的服务出错：{KIND_REFUSED}"
    assert english(error["message"] + error["details"]) == []


def test_the_administrator_reads_the_refusal_in_chinese_among_the_incidents(
    as_user, start, runtime: Runtime, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    case = start()
    case.complete("pre_review", {"decision": "pass"})
    case.assess()
    case.post_publicity()
    real = handlers_fail(runtime)
    for moment in ("2026-09-18T00:01:00", "2026-09-18T00:02:30", "2026-09-18T00:05:00"):
        assert case.tick(moment + "+08:00") == []
    runtime.handlers = real
    admin = as_user("admin")
    [incident] = runtime.incidents()
    result = {**incident["data"]["assessment_result"], "grade": 9}  # a grade no certificate number can carry
    typo = post(admin, f"/admin/incidents/{case.number}/fix", {"changes": '{"phone": "13900000002",}'},
                page="/admin/incidents", follow_redirects=True)
    said = "没有更正：不是有效的 JSON（第 1 行第 25 列：键名应写在双引号里（最后一项后面不能有逗号））"
    assert said in typo.get_data(as_text=True)
    fixed = post(admin, f"/admin/incidents/{case.number}/fix", {"changes": json.dumps({"assessment_result": result})},
                 page="/admin/incidents", follow_redirects=True)
    assert "数据已更正" in fixed.get_data(as_text=True)

    failed = post(admin, f"/admin/incidents/{case.number}/retry", page="/admin/incidents", follow_redirects=True)
    told = f"案件 {case.number}：环节“生成残疾人证号”的服务出错：{GRADE_REFUSED}"
    assert f"重试后仍然失败：{told}" in failed.get_data(as_text=True)
    [row] = rows(admin.get("/admin/incidents").get_data(as_text=True), "incidents")
    [message] = row.cssselect('td[data-label="错误"]')
    assert message.text_content() == told
    page = lxml.html.fromstring(admin.get(f"/admin/incidents/{case.number}").get_data(as_text=True))
    [shown] = page.cssselect(".incident")
    assert told in shown.text_content()
    assert english(message.text_content()) == []
