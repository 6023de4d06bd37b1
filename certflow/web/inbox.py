"""The clerks' inbox: queues with counts, filters, sorting, paging; claim, unclaim and reassign."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from certflow.casework.inbox import DUE_FILTERS, QUEUES, SORTS, InboxQuery, inbox
from certflow.engine.errors import Conflict
from certflow.engine.views import TaskView
from certflow.people.access import can_work
from certflow.web.context import account, deny, services, signed_in
from certflow.web.guard import release_task, workable_task

bp = Blueprint("inbox", __name__)

SORT_NAMES = {"due": "办结时限", "received": "接收时间(早→晚)", "-received": "接收时间(晚→早)", "case": "案件编号"}
assert set(SORT_NAMES) == set(SORTS)


@bp.get("/")
def home() -> ResponseReturnValue:
    return redirect(url_for("inbox.index") if account() else url_for("portal.apply"))


@bp.get("/inbox")
@login_required
def index() -> ResponseReturnValue:
    query = InboxQuery.from_args(request.args)
    runtime = services().runtime
    me = signed_in()
    page = inbox(services().sessions, me, query, runtime.clock.now())
    steps = [t for t in runtime.user_tasks() if me.is_admin or t["role"] in me.roles]
    return render_template(
        "inbox/index.html", page=page, query=query, queues=QUEUES, due_filters=DUE_FILTERS, sorts=SORT_NAMES,
        steps=steps, processes=[p for p in runtime.processes() if p["start_form"]],
        process_names={p["key"]: p["name"] for p in runtime.processes()},
    )


def _back(task_id: str) -> Response:
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("inbox.index"))


def _change(task: TaskView, change: Callable[[], None], done: str) -> None:
    """Apply a change to a task and say how it went; someone else may have got there first."""
    try:
        change()
        flash(f"{done}：{task['case']} {task['title']}")
    except Conflict:
        flash(f"{task['case']} {task['title']} 已被他人认领或办理", "error")


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> ResponseReturnValue:
    task, me = workable_task(task_id), signed_in()
    _change(task, lambda: services().runtime.claim(task_id, actor=me.username), "已认领")
    return _back(task_id)


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> ResponseReturnValue:
    task = workable_task(task_id)
    _change(task, lambda: release_task(task), "已退回待认领")
    return _back(task_id)


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id: str) -> ResponseReturnValue:
    me = signed_in()
    if not me.is_admin:
        deny(403, f"reassign task {task_id}")
    task = workable_task(task_id)
    target = services().accounts.by_username(request.form.get("assignee", "").strip())
    if target is None or not target.active:
        flash("没有这个用户", "error")
    elif not can_work(target, task):
        flash(f"{target.display_name} 不能办理此任务（角色或单位不符）", "error")
    else:
        _change(task, lambda: services().runtime.reassign(task_id, target.username, actor=me.username),
                f"已改派给 {target.display_name}")
    return _back(task_id)
