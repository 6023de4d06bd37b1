"""A task's page (case summary, materials, earlier steps, diagram, the form) and the case pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import login_required

from certflow.access import can_view_case, can_work
from certflow.engine.errors import Conflict, InvalidState, NotFound, ValidationFailed
from certflow.web import forms
from certflow.web.context import account, deny, services
from certflow.web.guard import readable_case, visible_task, workable_task
from certflow.web.present import describe, option_titles, system_checks

bp = Blueprint("tasks", __name__)

# History events a clerk reads on the case page, with their names.
TIMELINE = {
    "case_started": "受理", "task_completed": "办理", "task_claimed": "认领", "task_unclaimed": "退回",
    "task_reassigned": "改派", "message_received": "收到消息", "timer_fired": "到期", "comment_added": "备注",
    "files_attached": "上传材料", "case_ended": "办结",
}


def _case_context(case: dict[str, Any]) -> dict[str, Any]:
    runtime = services().runtime
    case_forms = runtime.case_forms(case["number"])
    rename = services().directory.name
    labels = {"properties": {k: v for schema in case_forms.values() for k, v in schema.get("properties", {}).items()}}
    timeline = []
    for event in runtime.history(case["number"]):
        if event["kind"] not in TIMELINE:
            continue
        data = event["data"].get("data") if event["kind"] in ("case_started", "task_completed") else None
        details = describe(labels, data or {}, rename=rename)
        timeline.append({**event, "label": TIMELINE[event["kind"]], "details": details})
    start_schema = case_forms.get(case["start_form"] or "")
    materials = option_titles(start_schema, "materials")
    return {
        "case": case,
        "summary": describe(start_schema, case["data"], only_schema=True, rename=rename),
        "checks": system_checks(case["data"], materials),
        "attachments": [{**a, "material_name": materials.get(a["material"], a["material"])}
                        for a in runtime.attachments(case["number"])],
        "timeline": timeline,
        "texts": runtime.outbox(case["number"]),
    }


@bp.get("/cases/<number>")
@login_required
def case(number: str):  # type: ignore[no-untyped-def]
    return render_template("tasks/case.html", **_case_context(readable_case(number)))


@bp.get("/cases/<number>/diagram.json")
@login_required
def diagram(number: str):  # type: ignore[no-untyped-def]
    return jsonify(services().runtime.diagram(readable_case(number)["number"]))


@bp.get("/cases/<number>/files/<int:attachment_id>")
@login_required
def attachment(number: str, attachment_id: int):  # type: ignore[no-untyped-def]
    readable_case(number)
    try:
        meta, content = services().runtime.attachment_content(number, attachment_id)
    except NotFound:
        abort(404)
    response = Response(content, mimetype=meta["content_type"])
    response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


@bp.post("/cases/<number>/comments")
@login_required
def comment(number: str):  # type: ignore[no-untyped-def]
    runtime = services().runtime
    if not can_view_case(runtime.sessions, account(), number):
        deny(403, f"comment on case {number}")
    try:
        runtime.add_comment(number, request.form.get("comment", ""), actor=account().username)
        flash("备注已添加")
    except ValidationFailed as error:
        flash("备注" + "；".join(e.message for e in error.errors), "error")
    except NotFound:
        abort(404)
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("tasks.case", number=number))


def _task_page(task: dict[str, Any], values: dict[str, Any], errors: list[Any], status: int = 200):  # type: ignore[no-untyped-def]
    me = account()
    schema = services().runtime.case_forms(task["case"]).get(task["form"] or "", {})
    can_act = task["status"] == "open" and can_work(me, task) and task["assignee"] in (None, me.username)
    context = _case_context(services().runtime.case(task["case"]))
    return render_template(
        "tasks/task.html", task=task, fields=forms.fields(schema), schema_title=schema.get("title", task["title"]),
        values=values, errors=forms.errors_by_field(errors), can_act=can_act, **context,
    ), status


@bp.get("/tasks/<task_id>")
@login_required
def show(task_id: str):  # type: ignore[no-untyped-def]
    task = visible_task(task_id)
    schema = services().runtime.case_forms(task["case"]).get(task["form"] or "", {})
    draft = services().runtime.draft(task_id, actor=account().username) or {}
    return _task_page(task, forms.form_values(schema, draft), [])


@bp.post("/tasks/<task_id>")
@login_required
def submit(task_id: str):  # type: ignore[no-untyped-def]
    runtime, me = services().runtime, account()
    task = workable_task(task_id)
    schema = runtime.case_forms(task["case"]).get(task["form"] or "", {})
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
        return _task_page(task, forms.posted_values(schema, request.form), failed.errors, 422)
    except (Conflict, InvalidState, NotFound) as error:
        abort(409, description=str(error))
    flash(f"已办理：{task['case']} {task['title']}")
    return redirect(url_for("inbox.index"))
