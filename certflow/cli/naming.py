"""How the command line names what people know by name: a case's status, roles, groups and processes, never by
the keys certflow keeps (``--json`` keeps the keys, for programs)."""

from __future__ import annotations

from collections.abc import Callable

import click

from certflow.cli.runtime import runtime_of, services_of
from certflow.engine.roles import ROLES
from certflow.engine.views import TaskView

STATUSES = {"running": "办理中", "completed": "已办结", "cancelled": "已撤销", "error": "暂停（自动处理失败）"}
TASK_STATUSES = {"open": "待办", "completed": "已办", "cancelled": "已取消"}
INCIDENT_KINDS = {"timer": "定时处理", "message": "消息处理", "notification": "短信发送"}
RESOLUTIONS = {"retried": "重试成功", "cancelled": "案件已撤销"}


def role(key: str | None) -> str:
    return ROLES.get(key or "", key or "")


def offered_to(task: TaskView, group_name: Callable[[str | None], str]) -> str:
    """Whom a task is offered to: its role and group by their names."""
    return f"{role(task['role'])}：{group_name(task['group'])}"


def group_namer(ctx: click.Context) -> Callable[[str | None], str]:
    """A group's name as the directory has it (one query for a whole listing); an unknown id is shown as it is."""
    names = services_of(ctx).directory.names()
    return lambda group_id: names.get(group_id or "", group_id or "")


def process_namer(ctx: click.Context) -> Callable[[str], str]:
    """A process's name as its latest version has it, with its key (the key is what commands take)."""
    names = {p["key"]: p["name"] for p in runtime_of(ctx).processes()}
    return lambda key: f"{names[key]}（{key}）" if names.get(key) and names[key] != key else key
