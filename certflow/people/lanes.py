"""Lane mappings (泳道对照): a lane name other tools write ("Reviewer", "审批人"), mapped by an administrator to a
role and, optionally, a group of the directory, instead of renaming the lane in every file.

The administrators' page and ``certflow lanes`` change them through ``LaneMappings`` alone: it checks a mapping
against the roles and the directory and writes each change to the security log. Deployments read the table
(``engine.deployments``) and keep, with each version, the mappings its lanes used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.clock import Clock, SystemClock
from certflow.engine.errors import FieldError, NotFound, ValidationFailed
from certflow.engine.models import LaneMapping
from certflow.engine.roles import LANE_ROLES, ROLES, role_for_lane
from certflow.people.directory import Directory, named_by
from certflow.people.models import SecurityEvent

LANE_MAX = 100  # a single-line input: the forms draw a longer text as a text area
INVALID = "泳道对照有误"
SECURITY_KIND = "lane_mapping"  # a change of a mapping, in the security log
OTHER_COUNTY = "其他县（市）的组织机构"  # a group a county's administrator does not see, in the list of mappings


@dataclass(frozen=True)
class MappedLane:
    """A mapping as people read it: the lane, its role and group by key and by name, who changed it last and when."""

    lane: str
    role: str
    role_name: str
    group: str | None
    group_name: str  # "" without a group: the role's default group takes the tasks
    changed_by: str
    changed_at: datetime


class LaneMappings:
    """The lane mappings in the database."""

    def __init__(self, sessions: sessionmaker[Session], directory: Directory, clock: Clock | None = None) -> None:
        self.sessions = sessions
        self.directory = directory
        self.clock = clock or SystemClock()

    def all(self, county: str | None = None) -> list[MappedLane]:
        """Every mapping, by lane name. For an administrator of ``county`` (None: a province-wide one) a group of
        another county is not named: its name is that county's, as on PostgreSQL, where its row is hidden."""
        # The directory first, here and below: on SQLite each session holds the database until it ends.
        names = self.directory.names() if county is None else {
            g.id: g.name for g in self.directory.all() if named_by(county, g)}
        with self.sessions() as session:
            rows = session.scalars(select(LaneMapping).order_by(LaneMapping.lane))
            return [_mapping(row, names, OTHER_COUNTY if county is not None else None) for row in rows]

    def get(self, lane: str) -> MappedLane | None:
        names = self.directory.names()
        with self.sessions() as session:
            row = session.get(LaneMapping, lane)
            return _mapping(row, names) if row is not None else None

    def save(self, lane: str, role: str, group: str | None, *, actor: str, remote_addr: str | None = None,
             replace: bool = True) -> MappedLane:
        """Map ``lane`` to ``role`` and ``group`` (None or "": the role's default group); ValidationFailed, each
        error beside its field (lane, role, group), when it cannot be. ``replace``: an existing mapping of the lane
        is changed; otherwise it is refused (adding what is already there). The mappings are every county's: only a
        province-wide administrator changes them (``certflow.web.admin``)."""
        lane, group = lane.strip(), (group or "").strip() or None
        errors, names = self._check(lane, role, group), self.directory.names()
        with self.sessions.begin() as session:
            row = session.get(LaneMapping, lane) if lane else None
            if row is not None and not replace:
                errors.append(FieldError("lane", f"“{lane}”已有对照，请在列表中修改"))
            if errors:
                raise ValidationFailed(errors, INVALID)
            if row is None:
                row = LaneMapping(lane=lane)
                session.add(row)
            row.role, row.group_id = role, group
            row.changed_by, row.changed_at = actor, self.clock.now()
            mapping = _mapping(row, names)
            self._log(session, actor, remote_addr, f"{lane} → {_target(mapping)}")
        return mapping

    def remove(self, lane: str, *, actor: str, remote_addr: str | None = None) -> None:
        """Remove the mapping of ``lane``; versions deployed with it keep it. NotFound when there is none."""
        names = self.directory.names()
        with self.sessions.begin() as session:
            row = session.get(LaneMapping, lane)
            if row is None:
                raise NotFound(f"泳道“{lane}”没有对照")
            was = _target(_mapping(row, names))
            session.delete(row)
            self._log(session, actor, remote_addr, f"{lane}：删除对照（原为 {was}）")

    def _check(self, lane: str, role: str, group: str | None) -> list[FieldError]:
        errors = []
        if not lane:
            errors.append(FieldError("lane", "必填"))
        elif len(lane) > LANE_MAX:
            errors.append(FieldError("lane", f"最多{LANE_MAX}个字"))
        elif not lane.isprintable():
            errors.append(FieldError("lane", "不能含换行等控制字符"))
        elif (own := role_for_lane(lane)) is not None:
            errors.append(FieldError("lane", f"“{lane}”本身就是角色“{ROLES[own]}”的名称，不需要对照"))
        if not role:
            errors.append(FieldError("role", "必填"))
        elif role not in LANE_ROLES:
            errors.append(FieldError("role", f"泳道不能对照到“{ROLES.get(role, role)}”，"
                                             f"请选择：{'、'.join(ROLES[key] for key in LANE_ROLES)}"))
        if group is not None:
            found = self.directory.get(group)
            if found is None:
                errors.append(FieldError("group", f"没有编号为 {group} 的组织机构"))
            elif not found.active:
                errors.append(FieldError("group", f"“{found.name}”已停用"))
            elif role in LANE_ROLES and found.role != role:
                errors.append(FieldError("group", f"“{found.name}”属于“{ROLES.get(found.role, found.role)}”，"
                                                  f"与所选角色“{ROLES[role]}”不符"))
        return errors

    def _log(self, session: Session, actor: str, remote_addr: str | None, target: str) -> None:
        session.add(SecurityEvent(kind=SECURITY_KIND, at=self.clock.now(), username=actor[:60],
                                  remote_addr=remote_addr, target=target[:300]))


def _mapping(row: LaneMapping, names: dict[str, str], unnamed: str | None = None) -> MappedLane:
    """``unnamed``: shown for a group not in ``names``; None: its id, as it is."""
    return MappedLane(lane=row.lane, role=row.role, role_name=ROLES.get(row.role, row.role), group=row.group_id,
                   group_name=names.get(row.group_id, unnamed or row.group_id) if row.group_id else "",
                   changed_by=row.changed_by, changed_at=row.changed_at)


def _target(mapping: MappedLane) -> str:
    """县残联（庐山市残联）, or the role alone when its default group takes the tasks."""
    return f"{mapping.role_name}（{mapping.group_name}）" if mapping.group else mapping.role_name
