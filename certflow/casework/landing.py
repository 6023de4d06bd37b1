"""Where a person starts: the page of their work, from their roles and how many tasks wait for them.

One rule for the sign-in, the site's front page and the empty queues that point elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from certflow.people.access import READ_ONLY_ROLES, can_audit, can_model, province_staff
from certflow.people.accounts import Account

# The pages a person may start on, by the name the menu gives them.
PLACES = {
    "mine": "我的待办", "group": "待认领", "cases": "案件查询", "modeling": "流程管理", "desk": "换证服务台",
    "dashboard": "换证进度", "province": "全省换证进度", "admin": "用户管理",
}
QUEUE_PLACES = ("mine", "group")


def landing(account: Account, counts: Mapping[str, int], campaign: bool) -> str:
    """The place (a key of ``PLACES``) where ``account`` starts.

    ``counts``: their open tasks per queue (``mine``, ``group``); ``campaign``: they belong to the county whose
    certificate exchange this deployment runs, where a township's work is its desk and the county's its progress.
    Work in hand comes first; a role's own page before tasks waiting to be claimed, which that page lists too.
    """
    if account.is_admin:
        return "admin"
    if province_staff(account):
        return "province"
    if account.roles and account.roles <= READ_ONLY_ROLES:
        return "cases" if can_audit(account) else "modeling"
    if counts.get("mine"):
        return "mine"
    if campaign and account.has_role("township"):
        return "desk"
    if campaign and account.has_role("county"):
        return "dashboard"
    if counts.get("group"):
        return "group"
    if can_audit(account):
        return "cases"
    return "modeling" if can_model(account) else "mine"


@dataclass(frozen=True)
class Pointer:
    """What an empty queue says, and the place it links to."""

    text: str
    place: str

    @property
    def label(self) -> str:
        return PLACES[self.place]


def where_the_work_is(queue: str, counts: Mapping[str, int], place: str) -> Pointer | None:
    """For an empty queue: where this person's work is instead (the other queue, else their place); None when
    there is nowhere else to send them."""
    if queue == "mine" and counts.get("group"):
        return Pointer(f"您没有已认领的任务；待认领中有 {counts['group']} 件。", "group")
    if queue == "group" and counts.get("mine"):
        return Pointer(f"这里没有待认领的任务；您已认领 {counts['mine']} 件。", "mine")
    if queue in QUEUE_PLACES and place not in QUEUE_PLACES:
        return Pointer("这里没有您的任务，您的工作在：", place)
    return None
