"""Who may see and work what: lanes name roles, tasks name groups.

A clerk works a task when the task's role is one of theirs and its group (their hospital, their
village, the window) is one of their groups. Administrators see every task; auditors and the
federation's own staff read every case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select, true
from sqlalchemy.orm import Session, sessionmaker

from certflow.accounts import Account
from certflow.engine.models import Task

# Roles that read every case (auditors read, never act).
CASE_READERS = frozenset({"admin", "auditor", "window_clerk", "county"})
# Roles that start a case on an applicant's behalf.
CASE_STARTERS = frozenset({"admin", "window_clerk"})


def can_work(account: Account, task: dict[str, Any]) -> bool:
    if account.is_admin:
        return True
    return task["role"] in account.roles and task["group"] in account.groups


def can_see_task(account: Account, task: dict[str, Any]) -> bool:
    """Whoever may work it, and whoever completed it: a clerk looks back at what they did."""
    return can_work(account, task) or (task["status"] != "open" and task["completed_by"] == account.username)


def can_release(account: Account, task: dict[str, Any]) -> bool:
    """Its holder gives a claimed task back; an administrator frees anyone's."""
    return task["assignee"] == account.username or account.is_admin


def can_start_case(account: Account) -> bool:
    return bool(account.roles & CASE_STARTERS)


def visible_tasks(account: Account) -> ColumnElement[bool]:
    """The SQL condition for tasks the account may see; it uses the inbox's queue index."""
    if account.is_admin:
        return true()
    return and_(Task.role.in_(sorted(account.roles)), Task.candidate_group.in_(sorted(account.groups)))


def can_view_case(sessions: sessionmaker[Session], account: Account, case_number: str) -> bool:
    """Staff who read every case, and anyone who has or had a task in it."""
    if account.roles & CASE_READERS:
        return True
    with sessions() as session:
        return bool(session.scalar(select(exists().where(Task.case_number == case_number, visible_tasks(account)))))
