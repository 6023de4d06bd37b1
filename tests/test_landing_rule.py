"""The one rule of where a person starts, for the combinations of roles and queues the web tests do not reach."""

from __future__ import annotations

import pytest

from certflow.casework.landing import landing, where_the_work_is
from certflow.people.accounts import Account

NONE = {"mine": 0, "group": 0}


def person(*roles: str) -> Account:
    return Account(1, "someone", "某人", frozenset(roles), frozenset(), "530323")


@pytest.mark.parametrize(("roles", "counts", "campaign", "place"), [
    (("admin",), {"mine": 3, "group": 9}, False, "admin"),
    (("auditor", "analyst"), NONE, False, "cases"),
    (("analyst",), NONE, True, "modeling"),
    (("township",), {"mine": 0, "group": 15}, True, "desk"),  # the desk lists the township's holders and tasks
    (("township",), {"mine": 2, "group": 15}, True, "mine"),  # work in hand first
    (("township",), {"mine": 0, "group": 15}, False, "group"),  # no campaign here: its tasks are in the inbox
    (("county",), NONE, True, "dashboard"),
    (("county",), {"mine": 0, "group": 1}, False, "group"),
    (("county",), NONE, False, "cases"),
    (("window_clerk", "analyst"), NONE, False, "modeling"),
    (("hospital",), NONE, False, "mine"),
])
def test_where_each_person_starts(roles, counts, campaign, place):  # type: ignore[no-untyped-def]
    assert landing(person(*roles), counts, campaign) == place


def test_the_provinces_staff_start_on_its_dashboard() -> None:
    province = Account(1, "sheng", "省残联", frozenset({"province"}), frozenset(), None)
    assert landing(province, NONE, False) == "province"
    assert landing(Account(2, "admin", "管理员", frozenset({"admin"}), frozenset(), None), NONE, False) == "admin"


def test_an_empty_queue_says_where_the_work_is() -> None:
    pointer = where_the_work_is("mine", {"mine": 0, "group": 15}, "group")
    assert pointer is not None and pointer.label == "待认领"
    assert pointer.text == "您没有已认领的任务；待认领中有 15 件。"
    pointer = where_the_work_is("group", NONE, "desk")
    assert pointer is not None and pointer.label == "换证服务台"
    assert where_the_work_is("mine", NONE, "mine") is None
    assert where_the_work_is("done", NONE, "desk") is None  # 已办 is a record, not a place of work
