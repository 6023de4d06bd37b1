"""Roles, and the lane labels that name them in diagrams.

Lanes carry the Chinese label a clerk recognises; the runtime works with the key.
"""

from __future__ import annotations

ROLES: dict[str, str] = {
    "applicant": "申请人",
    "window_clerk": "残联综合窗口",
    "hospital": "定点医院",
    "village": "村(社区)",
    "expert_committee": "评残专家委员会",
    "township": "乡镇(街道)残联",
    "county": "县残联",
    "auditor": "审计",
    "analyst": "流程分析员",
    "admin": "系统管理员",
}

# The group a task goes to when its user task names none.
DEFAULT_GROUPS: dict[str, str] = {
    "window_clerk": "window",
    "expert_committee": "expert-committee",
    "county": "county",
}

_BY_LABEL = {label: key for key, label in ROLES.items()}


def role_for_lane(lane: str | None) -> str | None:
    """The role key a lane stands for; a lane may also be named by the key itself."""
    if lane is None:
        return None
    if lane in ROLES:
        return lane
    return _BY_LABEL.get(lane)
