"""The administrators' group forms (add a group, rename or deactivate one) and the members of each group.

The directory checks a group's rules (the id's form, the role, the name); this module turns the
forms into its arguments and back.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.errors import FieldError, ValidationFailed
from certflow.people.accounts import STAFF_ROLES, Account
from certflow.people.directory import INVALID, NAME_MAX
from certflow.people.models import Group
from certflow.web import forms

_NAME = {"title": "名称", "type": "string", "maxLength": NAME_MAX, "description": "如 庐山市人民医院、白鹿镇玉京村"}

# Schemas only for the widgets and the stars: the directory, not the schema, validates.
NEW_GROUP: dict[str, Any] = {
    "properties": {
        "id": {"title": "编号", "type": "string", "maxLength": 60,
               "description": "小写字母、数字和 -，如 hospital-renmin；村(社区)为 village- 加12位行政区划代码，"
                              "如 village-360483101209。创建后不能修改"},
        "role": {"title": "角色", "type": "string",
                 "oneOf": [{"const": key, "title": label} for key, label in STAFF_ROLES.items()]},
        "name": _NAME,
    },
    "required": ["id", "role", "name"],
}
EDIT_GROUP: dict[str, Any] = {
    "properties": {
        "name": _NAME,
        "active": {"title": "启用", "type": "boolean",
                   "description": "停用后不再供新用户和在线申请选择；已有的待办照常办理"},
    },
    "required": ["name", "active"],
}


def new_group(counties: dict[str, str] | None) -> dict[str, Any]:
    """The new group's schema; with ``counties`` (code → name; a province administrator's form) the county to
    add it to as well, which a county's administrator is not asked: their groups are their county's."""
    if counties is None:
        return NEW_GROUP
    county = {"title": "所属县（市）", "type": "string",
              "oneOf": [{"const": code, "title": f"{name}（{code}）"} for code, name in counties.items()]}
    return {**NEW_GROUP, "properties": {**NEW_GROUP["properties"], "county": county},
            "required": [*NEW_GROUP["required"], "county"]}


def chosen_county(data: dict[str, Any], counties: dict[str, str]) -> str:
    """The county chosen on a province administrator's form, empty when none was (the directory says 必填);
    ValidationFailed for one not offered."""
    county = str(data.get("county") or "")
    if county and county not in counties:
        raise ValidationFailed([FieldError("county", "未知的县（市）")], INVALID)
    return county


def blank(schema: dict[str, Any], county: str) -> forms.PageForm:
    """The empty form; ``county`` chosen first where the form asks for one (the deployment's own)."""
    return forms.PageForm(forms.fields(schema), {"county": county} if "county" in schema["properties"] else {}, {})


def of_group(group: Group) -> forms.PageForm:
    values = forms.form_values(EDIT_GROUP, {"name": group.name, "active": group.active})
    return forms.PageForm(forms.fields(EDIT_GROUP), values, {})


def posted(schema: dict[str, Any], form: MultiDict[str, str], error: ValidationFailed) -> forms.PageForm:
    """The form as it was sent, with the errors beside their fields."""
    return forms.PageForm(forms.fields(schema), forms.posted_values(schema, form), forms.errors_by_field(error.errors))


def read(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    """The posted values, typed; ValidationFailed for a value that cannot be read (启用 neither 是 nor 否)."""
    data, errors = forms.read_submission(schema, form)
    if errors:
        raise ValidationFailed(errors, INVALID)
    return data


def members(people: list[Account]) -> dict[str, list[Account]]:
    """The people of each group, by group id."""
    found: dict[str, list[Account]] = {}
    for person in people:
        for group_id in person.groups:
            found.setdefault(group_id, []).append(person)
    return found
