"""The administrators' lane mapping forms (泳道对照: add one, change or remove one).

``LaneMappings`` checks a mapping (the lane, the role, the group); this module turns the forms into its arguments
and back.
"""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.errors import ValidationFailed
from certflow.engine.roles import LANE_ROLES, ROLES
from certflow.people.directory import Directory
from certflow.people.lanes import INVALID, LANE_MAX, MappedLane
from certflow.web import forms

_LANE = {"title": "泳道名称", "type": "string", "maxLength": LANE_MAX,
         "description": "流程图中泳道的名字，照图中写法填写，如 审批人、Reviewer、Finance Team"}
_ROLE = {"title": "角色", "type": "string", "description": "这条泳道的任务由哪个角色办理",
         "oneOf": [{"const": key, "title": ROLES[key]} for key in LANE_ROLES]}
_GROUP_HELP = ("可不选：不选时由该角色的默认组织机构办理（残联综合窗口、评残专家委员会、县残联有默认）；"
               "流程图中任务自己指定了组织机构的，以任务为准")


def schemas(directory: Directory) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form to add a mapping and the form to change one, offering every county's active groups: the mappings
    are every county's, changed by a province-wide administrator only."""
    group = {"title": "组织机构", "type": "string", "description": _GROUP_HELP,
             "oneOf": [{"const": g.id, "title": f"{g.name}（{ROLES.get(g.role, g.role)}）"}
                       for g in directory.all() if g.active]}
    new = {"properties": {"lane": _LANE, "role": _ROLE, "group": group}, "required": ["lane", "role"]}
    edit = {"properties": {"role": _ROLE, "group": group}, "required": ["role"]}
    return new, edit


def blank(schema: dict[str, Any]) -> forms.PageForm:
    return forms.PageForm(forms.fields(schema), {}, {})


def of_mapping(schema: dict[str, Any], mapping: MappedLane) -> forms.PageForm:
    values = forms.form_values(schema, {"role": mapping.role, "group": mapping.group})
    return forms.PageForm(forms.fields(schema), values, {})


def posted(schema: dict[str, Any], form: MultiDict[str, str], error: ValidationFailed) -> forms.PageForm:
    """The form as it was sent, with the errors beside their fields."""
    return forms.PageForm(forms.fields(schema), forms.posted_values(schema, form), forms.errors_by_field(error.errors))


def read(schema: dict[str, Any], form: MultiDict[str, str]) -> tuple[str, str, str | None]:
    """Lane, role and group as posted; ``LaneMappings.save`` checks them."""
    data, errors = forms.read_submission(schema, form)
    if errors:
        raise ValidationFailed(errors, INVALID)
    return str(data.get("lane", "")), str(data.get("role", "")), data.get("group")
