"""The clerks' inbox: queues with counts, filters, sorting, paging; claim, unclaim and reassign."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from certflow.casework.inbox import (
    DUE_FILTERS,
    QUEUES,
    SORTS,
    InboxQuery,
    inbox,
    own_processes,
    own_steps,
    queue_counts,
    sorts_of,
)
from certflow.casework.landing import PLACES, landing, where_the_work_is
from certflow.engine.errors import Conflict
from certflow.engine.views import TaskView
from certflow.people.access import can_work
from certflow.people.accounts import Account
from certflow.web.campaign import of_campaign_county
from certflow.web.context import account, deny, services, signed_in
from certflow.web.guard import release_task, workable_task
from certflow.web.handover import task_taken

bp = Blueprint("inbox", __name__)

SORT_NAMES = {"due": "办结时限", "received": "接收时间(早→晚)", "-received": "接收时间(晚→早)", "case": "案件编号",
              "-completed": "办结时间(晚→早)"}
assert set(SORT_NAMES) == set(SORTS)
# Each place a person may start on (casework.landing.PLACES), as a page of the app: endpoint and arguments.
PLACE_PAGES: dict[str, tuple[str, dict[str, Any]]] = {
    "mine": ("inbox.index", {}), "group": ("inbox.index", {"queue": "group"}), "cases": ("audit.cases", {}),
    "modeling": ("modeling.index", {}), "desk": ("campaign.desk", {}), "dashboard": ("campaign.dashboard", {}),
    "province": ("province.overview", {}), "admin": ("admin.users", {}),
}
assert set(PLACE_PAGES) == set(PLACES)


def place_url(place: str) -> str:
    endpoint, args = PLACE_PAGES[place]
    return url_for(endpoint, **args)


def place_of(me: Account, counts: dict[str, int]) -> str:
    return landing(me, counts, of_campaign_county(me))


@bp.get("/")
def home() -> ResponseReturnValue:
    """The front page: applicants apply; staff go to the page of their work (also where signing in leads)."""
    me = account()
    if me is None:
        return redirect(url_for("portal.apply"))
    return redirect(place_url(place_of(me, queue_counts(services().sessions, me))))


@bp.get("/inbox")
@login_required
def index() -> ResponseReturnValue:
    query = InboxQuery.from_args(request.args)
    runtime = services().runtime
    me = signed_in()
    page = inbox(services().sessions, me, query, runtime.clock.now())
    steps = own_steps(me, runtime.user_tasks(me.county))
    processes = runtime.processes(me.county)
    pointer = None if page.tasks else where_the_work_is(query.queue, page.counts, place_of(me, page.counts))
    return render_template(
        "inbox/index.html", page=page, query=query, queues=QUEUES, due_filters=DUE_FILTERS, sorts=SORT_NAMES,
        sort_keys=sorts_of(query.queue), steps=steps, processes=own_processes(me, steps, processes),
        process_names={p["key"]: p["name"] for p in processes},
        pointer=pointer, pointer_url=place_url(pointer.place) if pointer else None,
    )


def _back(task_id: str) -> Response:
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("inbox.index"))


def _change(task: TaskView, change: Callable[[], None], done: str) -> bool:
    """Apply a change to a task and say how it went; someone else may have got there first (False)."""
    try:
        change()
    except Conflict:
        flash(f"{task['case']} {task['title']}：{task_taken(task['id'])}", "error")
        return False
    flash(f"{done}：{task['case']} {task['title']}")
    return True


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str) -> ResponseReturnValue:
    """认领 keeps the clerk on the list (to take several at once); 认领并办理 (``open``) goes on to the task."""
    task, me = workable_task(task_id), signed_in()
    opening = request.form.get("then") == "open"
    claimed = _change(task, lambda: services().runtime.claim(task_id, actor=me.username),
                      "已认领" if opening else "已认领，移入我的待办")
    return redirect(url_for("tasks.show", task_id=task_id)) if claimed and opening else _back(task_id)


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str) -> ResponseReturnValue:
    task = workable_task(task_id)
    _change(task, lambda: release_task(task), "已取消认领，任务回到待认领")
    return _back(task_id)


@bp.post("/tasks/<task_id>/reassign")
@login_required
def reassign(task_id: str) -> ResponseReturnValue:
    me = signed_in()
    if not me.is_admin:
        deny(403, f"改派任务 {task_id}")
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
