"""The administrators' group forms (add a group, rename or deactivate one) and the members of each group.

The directory checks a group's rules (the id's form, the role, the name); this module turns the
forms into its arguments and back.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.errors import ValidationFailed
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


def blank() -> forms.PageForm:
    return forms.PageForm(forms.fields(NEW_GROUP), {}, {})


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
