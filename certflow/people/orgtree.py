"""The groups as an organisation tree: county → township → village, with the county's own units (the window, the
hospitals, the expert committee) beside its townships; and the tree cut down to what a search finds.

Where a group sits is read from its id: villages, townships and a campaign's county units carry their area code
(``village-360483101209``, ``township-530323001``, ``county-530323``); a group without one is placed by the
caller when it knows where (a campaign's hospitals, from its county file), else it is the deployment's own
county's (``window``, ``hospital-renmin``). Township names come from the divisions dataset, and from
the township's own group when the dataset is not installed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from certflow import divisions
from certflow.people.accounts import STAFF_ROLES
from certflow.people.models import Group

_AREA_CODE = re.compile(r"-(\d{6}|\d{9}|\d{12})$", re.ASCII)
_ROLE_ORDER = {role: n for n, role in enumerate(STAFF_ROLES)}


@dataclass
class Township:
    code: str  # 9-digit area code
    name: str
    groups: list[Group] = field(default_factory=list)  # its own group first, then its villages by code


@dataclass
class County:
    code: str  # 6-digit area code
    name: str
    groups: list[Group] = field(default_factory=list)  # the county's own units, by role and id
    townships: list[Township] = field(default_factory=list)

    def size(self) -> int:
        return len(self.groups) + sum(len(t.groups) for t in self.townships)


def area_code(group: Group, home: str, placed: Mapping[str, str]) -> str:
    """The group's area code: the one in its id, else the one it is ``placed`` in, else the deployment's county."""
    found = _AREA_CODE.search(group.id)
    return found.group(1) if found else placed.get(group.id, home)


def tree(groups: Iterable[Group], home: str, county_names: Mapping[str, str], query: str = "",
         placed: Mapping[str, str] | None = None) -> list[County]:
    """The groups under their county and township; the deployment's county ``home`` first, then by code.
    ``placed``: the county code of groups whose id carries none, where known.

    ``query``: only the groups whose name or id holds it, or whose township or county is named by it (all of
    that township's or county's groups then); empty: every group.
    """
    counties: dict[str, County] = {}
    townships: dict[str, Township] = {}
    for group in groups:
        code = area_code(group, home, placed or {})
        county = counties.get(code[:6]) or counties.setdefault(
            code[:6], County(code[:6], county_names.get(code[:6], code[:6])))
        if len(code) == 6:
            county.groups.append(group)
            continue
        township = townships.get(code[:9])
        if township is None:
            township = townships[code[:9]] = Township(code[:9], _township_name(code[:9]))
            county.townships.append(township)
        township.groups.append(group)
    ordered = sorted(counties.values(), key=lambda c: (c.code != home, c.code))
    found = [_search(c, query.strip().lower()) for c in ordered]
    return [c for c in found if c.size()]


def _search(county: County, query: str) -> County:
    county.groups.sort(key=lambda g: (_ROLE_ORDER.get(g.role, len(_ROLE_ORDER)), g.id))
    county.townships.sort(key=lambda t: t.code)
    for township in county.townships:
        township.groups.sort(key=lambda g: (g.role != "township", g.id))
        if township.name == township.code:  # no dataset: the township's own group names it
            own = [g.name for g in township.groups if g.role == "township"]
            township.name = own[0] if own else township.code
    if not query or query in county.name.lower() or query == county.code:
        return county
    townships = [t if query in t.name.lower() or query == t.code
                 else Township(t.code, t.name, _matching(t.groups, query)) for t in county.townships]
    return County(county.code, county.name, _matching(county.groups, query), [t for t in townships if t.groups])


def _matching(groups: list[Group], query: str) -> list[Group]:
    return [g for g in groups if query in g.name.lower() or query in g.id]


def _township_name(code: str) -> str:
    """The township's name in the dataset; its code when the dataset is not installed or does not know it."""
    try:
        known = {t.code: t.name for t in divisions.townships(code[:6])}
    except divisions.DatasetMissing:
        return code
    return known.get(code, code)
