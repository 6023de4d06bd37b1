"""Roles, and the lane labels that name them in diagrams.

Lanes carry the Chinese label a clerk recognises; the runtime works with the key. A diagram from another tool
names its lanes its own way ("Reviewer", "审批人"): an administrator maps such a name to a role and a group
(泳道对照), and each deployment keeps the mappings it used (``Lanes``), so that a later change of the mapping
leaves the versions already deployed, and their cases, as they were.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

ROLES: dict[str, str] = {
    "applicant": "申请人",
    "window_clerk": "残联综合窗口",
    "hospital": "定点医院",
    "village": "村(社区)",
    "expert_committee": "评残专家委员会",
    "township": "乡镇(街道)残联",
    "county": "县残联",
    "province": "省残联",
    "auditor": "审计",
    "analyst": "流程分析员",
    "admin": "系统管理员",
}

# The roles a lane may stand for: those whose people do the steps. Auditors, analysts and the province only read,
# and administrators work every task without a lane of their own.
LANE_ROLES: tuple[str, ...] = ("applicant", "window_clerk", "hospital", "village", "expert_committee", "township",
                               "county")

# The group a task goes to when its user task names none.
DEFAULT_GROUPS: dict[str, str] = {
    "window_clerk": "window",
    "expert_committee": "expert-committee",
    "county": "county",
}

# The administrators' page where a lane is mapped, as their menu names it.
MAPPING_PAGE = "泳道对照"

_BY_LABEL = {label: key for key, label in ROLES.items()}


def role_for_lane(lane: str | None) -> str | None:
    """The role key a lane stands for by its own name; a lane may also be named by the key itself."""
    if lane is None:
        return None
    if lane in ROLES:
        return lane
    return _BY_LABEL.get(lane)


@dataclass(frozen=True)
class LaneTarget:
    """What a mapped lane stands for: a role, and the group its tasks go to (None: the role's default group)."""

    role: str
    group: str | None = None


class Lanes:
    """How the lanes of one process version name roles: by a role's key or label, or through the mappings its
    deployment resolved (``mapped``, lane name → target)."""

    def __init__(self, mapped: Mapping[str, LaneTarget] | None = None) -> None:
        self.mapped = dict(mapped or {})

    def role(self, lane: str | None) -> str | None:
        if lane is None:
            return None
        target = self.mapped.get(lane)
        return role_for_lane(lane) or (target.role if target else None)

    def group(self, lane: str | None) -> str | None:
        """The group a task of the lane goes to unless the task names one: the mapping's, else the role's."""
        target = self.mapped.get(lane) if lane is not None else None
        if target is not None and target.group:
            return target.group
        return DEFAULT_GROUPS.get(self.role(lane) or "")

    def problem(self, lane: str) -> str | None:
        """Why a deployment cannot take the lane, in the analyst's words; None when it names a role or is mapped."""
        if self.role(lane) is not None:
            return None
        known = "、".join(ROLES[key] for key in LANE_ROLES)
        return (f"泳道“{lane}”不是已知的角色。已知的角色：{known}。请把泳道改名为其中之一，"
                f"或请系统管理员在菜单“{MAPPING_PAGE}”中把“{lane}”对照到一个角色（和组织机构）")

    def resolved(self, used: Iterable[str]) -> Lanes:
        """The mappings of the ``used`` lanes that name no role themselves: what a version keeps."""
        return Lanes({lane: self.mapped[lane] for lane in sorted(set(used))
                      if role_for_lane(lane) is None and lane in self.mapped})

    def stored(self) -> dict[str, dict[str, str | None]]:
        """As a version keeps them, in JSON."""
        return {lane: {"role": t.role, "group": t.group} for lane, t in sorted(self.mapped.items())}

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Lanes:
        return cls({lane: LaneTarget(t["role"], t.get("group")) for lane, t in (stored or {}).items()})
