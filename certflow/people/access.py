"""Who may see and work what: lanes name roles, tasks name groups.

A clerk works a task when the task's role is one of theirs and its group (their hospital, their
village, the window) is one of their groups. Administrators see every task; auditors and the
federation's own staff read every case. All of it within the person's county: a case belongs to one
county, and nobody but a province-wide administrator reaches another county's cases.

The province's federation (the role ``province``, belonging to no county) reads the counties' figures, never
their cases: no process escalates a case to the province today (``province_reads_case``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, select, true
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.models import Case, Task
from certflow.engine.privacy import MEDICAL_MATERIALS
from certflow.engine.scope import NOBODY, PROVINCE_WIDE
from certflow.engine.views import CaseView, TaskView
from certflow.people.accounts import Account

# Roles that read every case (auditors read, never act).
CASE_READERS = frozenset({"admin", "auditor", "window_clerk", "county"})
# Roles that start a case on an applicant's behalf.
CASE_STARTERS = frozenset({"admin", "window_clerk"})
# Roles that search all cases, export them and read the separation-of-duties reports.
AUDITORS = frozenset({"admin", "auditor", "county"})
# Roles that may ask to see personal data in full (an ID number, medical files, the complete history); each such
# view is an event in the case's history.
PERSONAL_DATA_READERS = frozenset({"admin", "auditor", "county", "window_clerk"})
# Roles that read medical files for their work: the window checks them, hospitals and experts assess with them.
MEDICAL_WORKERS = frozenset({"expert_committee", "hospital", "window_clerk"})
# Roles that only read: an account with no other role changes no case.
READ_ONLY_ROLES = frozenset({"analyst", "auditor", "province"})
# Roles that edit and deploy the processes, roll them back and move running cases to a newer version.
MODELERS = frozenset({"admin", "analyst"})


def province_wide(account: Account) -> bool:
    """An administrator who belongs to no county reaches every county's cases."""
    return account.county is None and account.is_admin


def reads_province(account: Account) -> bool:
    """The province's own staff and province-wide administrators read the figures of every county."""
    return account.county is None and account.has_role("province", "admin")


def province_staff(account: Account) -> bool:
    """Of the province's federation: the role ``province`` and no county (not an administrator)."""
    return account.county is None and account.has_role("province") and not account.is_admin


def province_reads_case(case: CaseView) -> bool:
    """Whether the province's staff read a county's case: never yet, as no process in processes/ escalates a case
    to the province. An appeal to the province is to be granted here (by the case's step, once a process has
    one), the one place that decides it."""
    return False


def in_county(account: Account, county: str) -> bool:
    return province_wide(account) or account.county == county


def county_of(account: Account) -> str | None:
    """The county whose cases the account reaches, for the queries that take one; None: every county."""
    return None if province_wide(account) else account.county or ""


def scope_of(account: Account | None) -> str:
    """The database scope (``certflow.engine.scope``) of the account's work: the same rule as ``county_of``, for
    PostgreSQL's row-level security; nobody signed in reaches no county's rows. The province's staff read every
    county's figures, so the database gives them every county's rows: which cases they read is the application's
    rule alone (``province_reads_case``)."""
    if account is None:
        return NOBODY
    return PROVINCE_WIDE if reads_province(account) else account.county or NOBODY


def within_county(account: Account, column: Any) -> ColumnElement[bool]:
    """The SQL condition that ``column`` (a county) is one the account reaches."""
    if province_wide(account):
        return true()
    return column == account.county if account.county else false()


def can_manage_person(account: Account, person: Account) -> bool:
    """An administrator keeps the accounts of their own county; only a province-wide one keeps the province's
    accounts (which reach every county) and other counties'."""
    return province_wide(account) or (person.county is not None and person.county == account.county)


def sees_group(account: Account, county: str | None) -> bool:
    """A county's own groups and the province's (its tasks may name them), not another county's."""
    return province_wide(account) or county is None or county == account.county


def can_change_group(account: Account, county: str | None) -> bool:
    """A county's administrator changes their county's groups; the province's and every other are the province's."""
    return province_wide(account) or (county is not None and county == account.county)


def can_work(account: Account, task: TaskView) -> bool:
    if not in_county(account, task["county"]):
        return False
    if account.is_admin:
        return True
    return task["role"] in account.roles and task["group"] in account.groups


def can_see_task(account: Account, task: TaskView) -> bool:
    """Whoever may work it, and whoever completed it: a clerk looks back at what they did."""
    return can_work(account, task) or (task["status"] != "open" and task["completed_by"] == account.username)


def can_release(account: Account, task: TaskView) -> bool:
    """Its holder gives a claimed task back; an administrator frees anyone's."""
    return task["assignee"] == account.username or account.is_admin


def can_register_request(account: Account, message: str, case_data: dict[str, Any]) -> bool:
    """Who enters a request received on paper or in person: the window any; the applicant's village an objection."""
    if account.is_admin or "window_clerk" in account.roles:
        return True
    return message == "objection" and "village" in account.roles and case_data.get("village") in account.groups


def can_start_case(account: Account) -> bool:
    return bool(account.roles & CASE_STARTERS)


def can_audit(account: Account) -> bool:
    return bool(account.roles & AUDITORS)


def can_model(account: Account) -> bool:
    return bool(account.roles & MODELERS)


def can_model_for(account: Account, county: str | None) -> bool:
    """Who deploys, rolls back and moves cases for ``county`` (None: the province): its own analysts and
    administrators; a province-wide administrator for the province and for every county."""
    return can_model(account) and (province_wide(account) or (county is not None and account.county == county))


def can_change_cases(account: Account) -> bool:
    """Anyone with a role that acts; auditors and analysts read only."""
    return bool(account.roles - READ_ONLY_ROLES)


def can_request_personal_data(account: Account) -> bool:
    return bool(account.roles & PERSONAL_DATA_READERS)


def file_access(account: Account, material: str) -> str:
    """How a case's reader sees one of its files: ``inline``; ``on_request``, each view recorded; or ``none``.

    Medical files are inline for those who work with them, on request for those who check the work.
    """
    if material not in MEDICAL_MATERIALS or account.roles & MEDICAL_WORKERS:
        return "inline"
    return "on_request" if can_request_personal_data(account) else "none"


def visible_tasks(account: Account) -> ColumnElement[bool]:
    """The SQL condition for tasks the account may see; it uses the inbox's queue index."""
    county = within_county(account, Task.county)
    if account.is_admin:
        return county
    return and_(Task.role.in_(sorted(account.roles)), Task.candidate_group.in_(sorted(account.groups)), county)


def visible_cases(account: Account) -> ColumnElement[bool]:
    """The SQL condition for the cases that "every case" means to the account: those of its county."""
    return within_county(account, Case.county)


def can_view_case(sessions: sessionmaker[Session], account: Account, case: CaseView) -> bool:
    """Within their county: staff who read every case, and anyone who has or had a task in it; the province's staff
    only the cases the province is to read (``province_reads_case``)."""
    if province_staff(account):
        return province_reads_case(case)
    if not in_county(account, case["county"]):
        return False
    if account.roles & CASE_READERS:
        return True
    with sessions() as session:
        return bool(session.scalar(select(exists().where(Task.case_number == case["number"],
                                                         visible_tasks(account)))))
