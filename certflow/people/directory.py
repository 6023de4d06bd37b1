"""The groups people and tasks belong to (which hospital, which village), kept in the database.

A federation lists its own window, hospitals and villages; certflow's code names none. The groups
file (``CERTFLOW_GROUPS``, ``groups.json``) seeds a new database with the deployment's county's groups, a county
file adds its county's; administrators keep the list after that. Each group carries its county (an area code).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.errors import FieldError, NotFound, ValidationFailed, unreadable
from certflow.engine.models import Task
from certflow.people.accounts import STAFF_ROLES
from certflow.people.models import Group

ID_PATTERN = re.compile(r"[a-z0-9-]{2,60}", re.ASCII)
VILLAGE_ID_PATTERN = re.compile(r"village-\d{12}", re.ASCII)  # village- and the 12-digit area code
NAME_MAX = 100
INVALID = "组织机构信息有误"


def check_group(group_id: str, role: str, name: str) -> list[FieldError]:
    """What is wrong with a group, beside its fields (none: it may be stored)."""
    errors = []
    if not group_id:
        errors.append(FieldError("id", "必填"))
    elif not ID_PATTERN.fullmatch(group_id):
        errors.append(FieldError("id", "只能使用小写字母、数字和 -，2至60位"))
    elif role == "village" and not VILLAGE_ID_PATTERN.fullmatch(group_id):
        errors.append(FieldError("id", "村(社区)的编号为 village- 加12位行政区划代码，如 village-360483101209"))
    if not role:
        errors.append(FieldError("role", "必填"))
    elif role not in STAFF_ROLES:
        errors.append(FieldError("role", f"未知的角色：{role}"))
    errors += _check_name(name)
    return errors


def _check_name(name: str) -> list[FieldError]:
    if not name.strip():
        return [FieldError("name", "必填")]
    if len(name.strip()) > NAME_MAX:
        return [FieldError("name", f"最多{NAME_MAX}个字")]
    return []


@dataclass(frozen=True)
class GroupsFile:
    """A groups file, checked: ``{"groups": [{"id", "role", "name"}, …]}``."""

    groups: tuple[tuple[str, str, str], ...]  # id, role, name

    @classmethod
    def load(cls, path: Path) -> GroupsFile:
        """The file's groups; SystemExit with the file and what is wrong when it cannot serve."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            groups = tuple((str(g["id"]), str(g["role"]), str(g["name"]).strip()) for g in raw["groups"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SystemExit(f"组织机构文件 {path} 有误：{unreadable(error)}") from error
        problems = [f"{group_id}：{e.message}" for group_id, role, name in groups
                    for e in check_group(group_id, role, name)]
        ids = [group_id for group_id, _, _ in groups]
        problems += [f"{group_id}：写了两次" for group_id in sorted({i for i in ids if ids.count(i) > 1})]
        if problems:
            raise SystemExit(f"组织机构文件 {path} 有误：{'；'.join(problems)}")
        return cls(groups)



def named_by(county: str | None, group: Group) -> bool:
    """Whether an administrator of ``county`` (None: a province-wide one, every group) may name ``group`` in what
    they set up: their county's groups and the province's, never another county's."""
    return county is None or group.county in (None, county)


def by_role(groups: Iterable[Group]) -> list[tuple[str, list[Group]]]:
    """Groups under the role they belong to, in the order of the roles; roles without a group are left out."""
    listed = list(groups)
    return [(role, found) for role in STAFF_ROLES if (found := [g for g in listed if g.role == role])]


class Directory:
    """The groups in the database. Rows come back detached: read them, change them through here."""

    # `certflow user add` checks the groups it is given against the file this way.

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def seed(self, path: Path, county: str) -> int:
        """Store the file's groups, as ``county``'s, if there are none yet; returns how many were stored.

        The file is read only for an empty table: afterwards the database holds the groups.
        """
        with self.sessions() as session:
            if session.scalar(select(func.count()).select_from(Group)):
                return 0
        listed = GroupsFile.load(path).groups
        try:
            with self.sessions.begin() as session:
                session.add_all(Group(id=group_id, role=role, name=name, active=True, county=county)
                                for group_id, role, name in listed)
        except IntegrityError:
            return 0  # another process starting at the same moment stored them first
        return len(listed)

    def add_missing(self, listed: Iterable[tuple[str, str, str]], county: str) -> int:
        """Store the groups (id, role, name) whose id is not in the database yet, as ``county``'s; returns how many.

        For a deployment added beside the first (a county's campaign): groups already there are left
        as the administrators keep them, renamed or deactivated.
        """
        listed = list(listed)
        problems = [f"{group_id}：{e.message}" for group_id, role, name in listed
                    for e in check_group(group_id, role, name)]
        if problems:
            raise ValidationFailed([FieldError("id", "; ".join(problems))], INVALID)
        with self.sessions.begin() as session:
            known = set(session.scalars(select(Group.id)))
            new = [Group(id=group_id, role=role, name=name.strip(), active=True, county=county)
                   for group_id, role, name in listed if group_id not in known]
            session.add_all(new)
        return len(new)

    def all(self, county: str | None = None) -> list[Group]:
        """Every group, active or not, by id (for villages the order of their area codes); of ``county`` only when
        one is given (a county's administrator sees their county's)."""
        query = select(Group) if county is None else select(Group).where(Group.county == county)
        with self.sessions() as session:
            # Sorted here: the databases' collations differ on "-".
            return sorted(session.scalars(query), key=lambda g: g.id)

    def of_role(self, role: str, county: str | None = None) -> list[Group]:
        """The active groups of a role: those offered for people and applications; of ``county`` only when one is
        given."""
        query = select(Group).where(Group.role == role, Group.active.is_(True))
        if county is not None:
            query = query.where(Group.county == county)
        with self.sessions() as session:
            return sorted(session.scalars(query), key=lambda g: g.id)

    def get(self, group_id: str) -> Group | None:
        with self.sessions() as session:
            return session.get(Group, group_id)

    def name(self, group_id: str | None) -> str:
        """The group's name for people; an unknown id is shown as it is. Pages showing many use ``names``."""
        group = self.get(group_id) if group_id else None
        return group.name if group else group_id or ""

    def names(self) -> dict[str, str]:
        with self.sessions() as session:
            return {group_id: name for group_id, name in session.execute(select(Group.id, Group.name))}

    def open_tasks(self) -> dict[str, int]:
        """Open tasks waiting in each group (one query, answered by the inbox's queue index)."""
        with self.sessions() as session:
            counted = session.execute(select(Task.candidate_group, func.count())
                                      .where(Task.status == "open").group_by(Task.candidate_group))
            return {group_id: count for group_id, count in counted if group_id is not None}

    def add(self, group_id: str, role: str, name: str, county: str) -> Group:
        """A new group of ``county`` (an area code)."""
        errors = check_group(group_id, role, name) + ([] if county else [FieldError("county", "必填")])
        if errors:
            raise ValidationFailed(errors, INVALID)
        group = Group(id=group_id, role=role, name=name.strip(), active=True, county=county)
        try:
            with self.sessions.begin() as session:
                session.add(group)
        except IntegrityError:
            raise ValidationFailed([FieldError("id", f"编号 {group_id} 已存在")], INVALID) from None
        return group

    def update(self, group_id: str, *, name: str, active: bool) -> Group:
        """A new name or state; the id and role stay, so tasks and people keep their group."""
        errors = _check_name(name)
        if errors:
            raise ValidationFailed(errors, INVALID)
        with self.sessions.begin() as session:
            group = session.get(Group, group_id)
            if group is None:
                raise NotFound(f"用户组 {group_id} 不存在")
            group.name, group.active = name.strip(), active
        return group
