"""The groups people and tasks belong to (which hospital, which village), read from ``groups.json``.

A federation lists its own window, hospitals and villages there; certflow's code names none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from certflow.engine.roles import ROLES


@dataclass(frozen=True)
class Group:
    id: str
    role: str
    name: str


@dataclass(frozen=True)
class Directory:
    groups: tuple[Group, ...]

    @classmethod
    def load(cls, path: Path) -> Directory:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            groups = tuple(Group(g["id"], g["role"], g["name"]) for g in raw["groups"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SystemExit(f"groups file {path}: {error}") from error
        unknown = sorted({g.role for g in groups} - set(ROLES))
        if unknown:
            raise SystemExit(f"groups file {path}: unknown roles {', '.join(unknown)}")
        return cls(groups)

    def name(self, group_id: str | None) -> str:
        """The group's name for people; an unknown id is shown as it is."""
        if group_id is None:
            return ""
        return next((g.name for g in self.groups if g.id == group_id), group_id)

    def of_role(self, role: str) -> list[Group]:
        return [g for g in self.groups if g.role == role]

    def unknown(self, group_ids: Iterable[str]) -> list[str]:
        """The ids this directory does not list (a typo would give a person an empty inbox)."""
        known = {g.id for g in self.groups}
        return [g for g in group_ids if g not in known]
