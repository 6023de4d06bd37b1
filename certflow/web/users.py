"""The administrators' user form: its fields, the values it shows, and posted values read back.

The accounts check a user's own rules (user name, roles, password length); this module turns the
form into their arguments and adds the checks that need the page: groups from the directory, and
administrators keeping their own access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.accounts import MIN_PASSWORD, STAFF_ROLES, Account
from certflow.directory import Directory, Group
from certflow.engine.errors import Conflict, FieldError, ValidationFailed
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


@dataclass(frozen=True)
class UserForm:
    """What a user form shows: its fields, the values in them, and the errors beside them."""

    fields: list[forms.Field]
    values: dict[str, Any]
    errors: dict[str, list[str]]


@dataclass(frozen=True)
class Submission:
    username: str
    display_name: str
    password: str
    roles: list[str]
    groups: list[str]
    active: bool


def blank() -> UserForm:
    return UserForm(forms.fields(NEW_USER), {"groups": []}, {})


def of_account(person: Account) -> UserForm:
    data = {"display_name": person.display_name, "active": person.active, "roles": sorted(person.roles)}
    values = {**forms.form_values(EDIT_USER, data), "groups": sorted(person.groups)}
    return UserForm(forms.fields(EDIT_USER), values, {})


def posted(schema: dict[str, Any], form: MultiDict[str, str], error: ValidationFailed | Conflict) -> UserForm:
    """The form as it was sent, with the errors beside their fields; a taken user name is the name's error."""
    errors = error.errors if isinstance(error, ValidationFailed) else [FieldError("username", str(error))]
    values = {**forms.posted_values(schema, form), "groups": form.getlist("groups")}
    return UserForm(forms.fields(schema), values, forms.errors_by_field(errors))


def read(schema: dict[str, Any], form: MultiDict[str, str], directory: Directory) -> Submission:
    """The posted form as the accounts' arguments; ValidationFailed for what only the page can check."""
    data, errors = forms.read_submission(schema, form)
    groups = form.getlist("groups")
    unknown = directory.unknown(groups)
    if unknown:
        errors.append(FieldError("groups", f"未知的单位：{'、'.join(unknown)}"))
    if errors:
        raise ValidationFailed(errors, "用户信息有误")
    return Submission(
        username=data.get("username", ""), display_name=data.get("display_name", ""),
        password=data.get("password", ""), roles=data.get("roles", []), groups=groups,
        active=data.get("active", True),
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


def groups_by_role(directory: Directory) -> list[tuple[str, list[Group]]]:
    """The directory's groups under the role they belong to, in the order of the roles."""
    return [(role, directory.of_role(role)) for role in STAFF_ROLES if directory.of_role(role)]
