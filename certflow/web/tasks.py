"""A task's page (case summary, materials, earlier steps, diagram, the form) and the case pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from certflow.engine.calendar import china_today
from certflow.engine.errors import Conflict, FieldError, InvalidState, NotFound, StepFailed, ValidationFailed
from certflow.engine.views import AttachmentView, CaseView, TaskForm, TaskView
from certflow.people.access import (
    can_audit,
    can_change_cases,
    can_register_request,
    can_request_personal_data,
    can_work,
    file_access,
)
from certflow.web import forms, timeline
from certflow.web.context import deny, group_name, process_name, services, signed_in
from certflow.web.guard import readable_case, visible_task, workable_task
from certflow.web.handover import case_now, task_taken
from certflow.web.present import describe, option_titles, system_checks

bp = Blueprint("tasks", __name__)

# Requests a clerk enters for someone, by the message the case waits for: its heading on the case page.
REQUESTS: dict[str, str] = {"objection": "登记公示期间收到的异议", "review_request": "登记复核申请"}
REASON_MAX = 500


def case_timeline(case: CaseView) -> list[timeline.Row]:
    """Every event of the case in words, with the roles of the people who acted."""
    runtime, accounts, number = services().runtime, services().accounts, case["number"]
    events = runtime.history(number)
    found = {name: accounts.by_username(name) for name in timeline.people(events)}
    glossary = services().registry.glossary
    sources = timeline.Sources(
        forms=runtime.case_forms(number), start_form=case["start_form"],
        task_forms={t["id"]: t["form"] for t in runtime.tasks(case=number, status="completed")},
        outbox=runtime.outbox(number),
        roles={name: person.roles if person else None for name, person in found.items()},
        rename=group_name, names={name: person.display_name for name, person in found.items() if person},
        glossary=glossary.fields, operators=glossary.operators, messages=glossary.messages,
        process_name=process_name(case["process"]),
    )
    return timeline.rows(events, sources)


def case_context(case: CaseView) -> dict[str, Any]:
    """What the case page and a task page show of the case, and what the signed-in person may do with it."""
    runtime, me = services().runtime, signed_in()
    start_schema = runtime.case_forms(case["number"]).get(case["start_form"] or "")
    materials = option_titles(start_schema, "materials")
    return {
        "case": case,
        "summary": describe(start_schema, case["data"], only_schema=True, rename=group_name,
                            glossary=services().registry.glossary.fields),
        "checks": system_checks(case["data"], materials),
        "attachments": [{**a, "material_name": materials.get(a["material"], a["material"]),
                         "access": file_access(me, a["material"])}
                        for a in runtime.attachments(case["number"])],
        # handlers' calls are on the history page; their texts are listed below the timeline
        "timeline": (rows := [r for r in case_timeline(case) if r.kind != "service_called"]),
        "steps_taken": [r for r in rows if r.kind == "task_completed"],  # a phone's list instead of the diagram
        "texts": runtime.outbox(case["number"]),
        "requests": [w["name"] for w in case["waiting"]
                     if w["name"] in REQUESTS and can_register_request(me, w["name"], case["data"])],
        "request_titles": REQUESTS,
        "today": china_today(runtime.clock).isoformat(),
        "can_comment": can_change_cases(me),
        "can_verify": can_audit(me),
        "can_reveal": can_request_personal_data(me),
    }


@bp.get("/cases/<number>")
@login_required
def case(number: str) -> ResponseReturnValue:
    return render_template("tasks/case.html", **case_context(readable_case(number)))


@bp.post("/cases/<number>/requests/<name>")
@login_required
def register_request(number: str, name: str) -> ResponseReturnValue:
    """An objection or a request for re-examination the clerk received, with the day it was received: that day
    decides whether it is within its period, not the day it is entered."""
    case, me = readable_case(number), signed_in()
    if name not in REQUESTS or not can_register_request(me, name, case["data"]):
        deny(403, f"为案件 {number} 登记 {name}")
    values = {key: request.form.get(key, "").strip() for key in ("reason", "by", "received_on")}
    errors = [] if 2 <= len(values["reason"]) <= REASON_MAX else [FieldError("reason", f"请填写2至{REASON_MAX}字")]
    if not values["received_on"]:
        errors.append(FieldError("received_on", "必填"))
    payload = {key: value for key, value in values.items() if value and (key != "by" or name == "objection")}
    try:
        if errors:
            raise ValidationFailed(errors)
        services().runtime.send_message(number, name, payload, actor=me.username)
    except ValidationFailed as failed:
        return render_template("tasks/case.html", **case_context(case), request_name=name, request_values=values,
                               request_errors=forms.errors_by_field(failed.errors)), 422
    except InvalidState:
        flash("案件当前不接受此项登记，请刷新后查看", "error")
        return redirect(url_for("tasks.case", number=number))
    flash(f"已{REQUESTS[name][:2]}：{case['number']}")
    return redirect(url_for("tasks.case", number=number))


@bp.get("/cases/<number>/diagram.json")
@login_required
def diagram(number: str) -> ResponseReturnValue:
    return jsonify(services().runtime.diagram(readable_case(number)["number"]))


def case_file(number: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
    """A file of a case the signed-in person may read, with its content."""
    readable_case(number)
    try:
        meta, content = services().runtime.attachment_content(number, attachment_id)
    except NotFound:
        abort(404)
    except InvalidState as changed:  # a stored file that no longer matches its checksum
        abort(409, str(changed))
    return meta, content


def file_response(meta: AttachmentView, content: bytes) -> Response:
    """A stored file shown in the browser as its sniffed type, and as nothing else."""
    response = Response(content, mimetype=meta["content_type"])
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@bp.get("/cases/<number>/files/<int:attachment_id>")
@login_required
def attachment(number: str, attachment_id: int) -> ResponseReturnValue:
    meta, content = case_file(number, attachment_id)
    if file_access(signed_in(), meta["material"]) != "inline":  # shown on a recorded request only (casefile.py)
        deny(403, f"无申请查看案件 {number} 的文件 {attachment_id}")
    return file_response(meta, content)


@bp.post("/cases/<number>/comments")
@login_required
def comment(number: str) -> ResponseReturnValue:
    runtime, me = services().runtime, signed_in()
    number = readable_case(number)["number"]
    if not can_change_cases(me):
        deny(403, f"在案件 {number} 上写意见")
    try:
        runtime.add_comment(number, request.form.get("comment", ""), actor=me.username)
        flash("备注已添加")
    except ValidationFailed as error:
        flash("备注" + "；".join(e.message for e in error.errors), "error")
    except NotFound:
        abort(404)
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("tasks.case", number=number))


def _task_page(task: TaskView, form: TaskForm, values: dict[str, Any], errors: list[FieldError],
               status: int = 200, *, kept: bool = False) -> tuple[str, int]:
    me = signed_in()
    schema = form["schema"]
    can_act = task["status"] == "open" and can_work(me, task) and task["assignee"] in (None, me.username)
    case = services().runtime.case(task["case"])
    context = case_context(case)
    return render_template(
        "tasks/task.html", task=task, fields=forms.fields(schema, form["ui"], values),
        schema_title=schema.get("title", task["title"]), values=values,
        errors=forms.errors_by_field(errors, schema), can_act=can_act, kept=kept,
        instructions=form["instructions"], **context,
    ), status


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id: str) -> ResponseReturnValue:
    task = visible_task(task_id)
    form = services().runtime.task_form(task_id)
    draft = services().runtime.draft(task_id, actor=signed_in().username) or {}
    return _task_page(task, form, forms.form_values(form["schema"], draft, _today()), [])


def _today() -> date:
    """Today in China, the day a date field marked so starts at (certflow.web.forms.data.TODAY)."""
    return china_today(services().runtime.clock)


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str) -> ResponseReturnValue:
    runtime, me = services().runtime, signed_in()
    task = workable_task(task_id)
    form = runtime.task_form(task_id)
    schema = form["schema"]
    # A row added or removed without the page's script: the same form again, with everything typed kept.
    typed = forms.posted_values(schema, request.form, _today())
    edited = forms.edit_rows(typed, request.form.get("row_action", ""))
    if edited is not None:
        return _task_page(task, form, edited, [])
    try:
        if request.form.get("action") == "draft":
            runtime.save_draft(task_id, forms.read_submission(schema, request.form)[0], actor=me.username)
            flash("草稿已保存")
            return redirect(url_for("tasks.show", task_id=task_id))
        data, errors = forms.check_submission(schema, request.form)
        if errors:
            raise ValidationFailed(errors)
        runtime.complete_task(task_id, data, actor=me.username)
    except ValidationFailed as failed:
        return _task_page(task, form, typed, failed.errors, 422)
    except StepFailed as failed:  # the process failed after the input: nothing was saved, so keep what was typed
        problem = FieldError("", f"流程处理失败，本次提交未保存，请稍后重试或联系管理员：{failed}")
        return _task_page(task, form, typed, [problem], 500)
    except Conflict:  # someone else was first: say who and when, and keep what this person typed
        problem = FieldError("", f"{task_taken(task_id)}，您这次填写的内容没有提交，保留在下面供核对。")
        return _task_page(task, form, typed, [problem], 409, kept=True)
    except (InvalidState, NotFound):
        abort(409, description="案件已暂停、已结束或已取消，此任务不能再办理；请刷新后查看案件。")
    flash(f"已提交。{case_now(task['case'])}")
    return redirect(url_for("inbox.index"))
