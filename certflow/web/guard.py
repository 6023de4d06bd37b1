"""The tasks and cases a request names, handed out only to people allowed to see or work them.

Shared by the pages and the API so that both refuse alike; every refusal is recorded (``deny``).
A task or case someone may not see answers 404, as if it did not exist.
"""

from __future__ import annotations

from certflow.engine.errors import NotFound
from certflow.engine.views import CaseView, TaskView
from certflow.people.access import (
    can_audit,
    can_release,
    can_request_personal_data,
    can_see_task,
    can_view_case,
    can_work,
    in_county,
)
from certflow.web.context import deny, services, signed_in


def _task(task_id: str) -> TaskView:
    try:
        return services().runtime.task(task_id)
    except NotFound:
        deny(404, f"任务 {task_id}")


def visible_task(task_id: str) -> TaskView:
    """The task, if the signed-in person may work it or completed it; 404 otherwise."""
    task = _task(task_id)
    if not can_see_task(signed_in(), task):
        deny(404, f"任务 {task_id}")
    return task


def workable_task(task_id: str) -> TaskView:
    """The task, if the signed-in person may act on it; 404 when unknown or another county's, 403 when not theirs."""
    task = _task(task_id)
    if not in_county(signed_in(), task["county"]):
        deny(404, f"任务 {task_id}")
    if not can_work(signed_in(), task):
        deny(403, f"任务 {task_id}")
    return task


def readable_case(number: str) -> CaseView:
    """The case view, if the signed-in person may read it; 404 otherwise."""
    runtime = services().runtime
    try:
        case = runtime.case(number)
    except NotFound:
        deny(404, f"案件 {number}")
    if not can_view_case(services().sessions, signed_in(), case):
        deny(404, f"案件 {number}")
    return case


def auditable_case(number: str) -> CaseView:
    """The case, for someone who reads it and checks cases (verification); 403 for other readers."""
    case = readable_case(number)
    if not can_audit(signed_in()):
        deny(403, f"核验案件 {number} 的历史")
    return case


def reveal(number: str, what: str) -> CaseView:
    """The case, once the signed-in person's view of ``what`` in full is recorded in its history.

    404 for a case they may not read; 403 for someone whose work does not call for personal data in full.
    """
    case, me = readable_case(number), signed_in()
    if not can_request_personal_data(me):
        deny(403, f"案件 {number} 的个人信息")
    services().runtime.record_view(case["number"], what, actor=me.username)
    return case


def release_task(task: TaskView) -> None:
    """Give a claimed task back to its group: its holder unclaims it, an administrator frees anyone's."""
    me, runtime = signed_in(), services().runtime
    if not can_release(me, task):
        deny(403, f"他人已认领的任务 {task['id']}")
    if task["assignee"] == me.username:
        runtime.unclaim(task["id"], actor=me.username)
    else:
        runtime.reassign(task["id"], None, actor=me.username)
