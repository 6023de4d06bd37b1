"""The administrators' user form: its fields, the values it shows, and posted values read back.

The accounts check a user's own rules (user name, roles, password length, who may be province-wide);
this module turns the form into their arguments and adds the checks that need the page: groups from
the directory, the counties the administrator may give, and administrators keeping their own access.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.errors import Conflict, FieldError, ValidationFailed
from certflow.people.accounts import MIN_PASSWORD, STAFF_ROLES, Account
from certflow.people.directory import Directory, by_role
from certflow.people.models import Group
from certflow.web import forms

_PASSWORD = {"title": "密码", "type": "string", "format": "password", "description": f"至少{MIN_PASSWORD}位"}
_ROLES = {"title": "角色", "type": "array",
          "items": {"type": "string", "oneOf": [{"const": key, "title": label} for key, label in STAFF_ROLES.items()]}}

# Schemas only for the widgets and the stars: the accounts, not the schema, validate.
NEW_USER: dict[str, Any] = {
    "properties": {
        "username": {"title": "用户名", "type": "string", "description": "字母、数字、-、_ 和 .，创建后不能修改"},
        "display_name": {"title": "姓名", "type": "string"},
        "password": _PASSWORD,
        "roles": _ROLES,
    },
    "required": ["username", "display_name", "password", "roles"],
}
EDIT_USER: dict[str, Any] = {
    "properties": {
        "display_name": NEW_USER["properties"]["display_name"],
        "active": {"title": "启用", "type": "boolean", "description": "停用后不能登录，API 令牌也随之失效"},
        "password": {**_PASSWORD, "title": "新密码", "description": f"留空则不修改；至少{MIN_PASSWORD}位"},
        "roles": _ROLES,
    },
    "required": ["display_name", "active", "roles"],
}


PROVINCE = "province"  # the county field's value for a province-wide administrator


@dataclass(frozen=True)
class Submission:
    username: str
    display_name: str
    password: str
    roles: list[str]
    groups: list[str]
    active: bool
    county: str | None  # None: not chosen (the deployment's own for a new person, unchanged for another)
    province_wide: bool


def blank(county: str) -> forms.PageForm:
    return forms.PageForm(forms.fields(NEW_USER), {"groups": [], "county": county}, {})


def of_account(person: Account) -> forms.PageForm:
    data = {"display_name": person.display_name, "active": person.active, "roles": sorted(person.roles)}
    values = {**forms.form_values(EDIT_USER, data), "groups": sorted(person.groups),
              "county": person.county or PROVINCE}
    return forms.PageForm(forms.fields(EDIT_USER), values, {})


def posted(schema: dict[str, Any], form: MultiDict[str, str], error: ValidationFailed | Conflict) -> forms.PageForm:
    """The form as it was sent, with the errors beside their fields; a taken user name is the name's error."""
    errors = error.errors if isinstance(error, ValidationFailed) else [FieldError("username", str(error))]
    values = {**forms.posted_values(schema, form), "groups": form.getlist("groups"), "county": form.get("county", "")}
    return forms.PageForm(forms.fields(schema), values, forms.errors_by_field(errors))


def read(schema: dict[str, Any], form: MultiDict[str, str], directory: Directory, counties: Iterable[str],
         held: Iterable[str] = (), *, scope: str | None = None) -> Submission:
    """The posted form as the accounts' arguments; ValidationFailed for what only the page can check.

    ``counties``: the area codes a person may be given. ``held``: the person's groups before the change, which
    they keep even if the group was deactivated since. ``scope``: the county of a county's administrator, who
    keeps their county's people: gives only its groups, makes nobody province-wide, and a person whose county is
    not chosen is of theirs; None for a province administrator.
    """
    data, errors = forms.read_submission(schema, form)
    county = form.get("county", "")
    if county not in (*counties, "", *((PROVINCE,) if scope is None else ())):
        errors.append(FieldError("county", "未知的县（市）"))
    groups = form.getlist("groups")
    known = {g.id: g for g in directory.all(scope)}
    unknown = [g for g in groups if g not in known]
    if unknown:
        errors.append(FieldError("groups", f"未知的单位：{'、'.join(unknown)}"))
    stopped = [g for g in groups if g in known and not known[g].active and g not in held]
    if stopped:
        errors.append(FieldError("groups", f"已停用的单位：{'、'.join(known[g].name for g in stopped)}"))
    if errors:
        raise ValidationFailed(errors, "用户信息有误")
    return Submission(
        username=data.get("username", ""), display_name=data.get("display_name", ""),
        password=data.get("password", ""), roles=data.get("roles", []), groups=groups,
        active=data.get("active", True), county=None if county == PROVINCE else county or scope,
        province_wide=county == PROVINCE,
    )


def check_own_access(me: Account, person: Account, change: Submission) -> None:
    """An administrator cannot lock themselves out: someone must be left to undo it."""
    if me.id != person.id:
        return
    errors = []
    if "admin" not in change.roles:
        errors.append(FieldError("roles", "不能取消自己的系统管理员角色"))
    if not change.active:
        errors.append(FieldError("active", "不能停用自己的账号"))
    if errors:
        raise ValidationFailed(errors, "用户信息有误")


def matching(people: list[Account], query: str, role: str, group_names: dict[str, str]) -> list[Account]:
    """The people whose user name, name or one of whose groups (by id or name) holds ``query``, having ``role``
    when one is given; ``query`` and ``role`` empty: everyone."""
    needle = query.lower()

    def found(person: Account) -> bool:
        texts = [person.username, person.display_name, *person.groups, *(group_names.get(g, "") for g in person.groups)]
        return any(needle in text.lower() for text in texts)

    return [p for p in people if (not role or role in p.roles) and (not needle or found(p))]


def groups_by_role(directory: Directory, held: Iterable[str] = (), scope: str | None = None,
                   ) -> list[tuple[str, list[Group]]]:
    """The groups a person may be given, under their roles: the active ones and those ``held`` already; of the
    county ``scope`` only when one is given."""
    kept = set(held)
    return by_role(g for g in directory.all(scope) if g.active or g.id in kept)
