"""The counties of the installation (/admin/counties): listed, added and changed by a province administrator (an
administrator of no county); every other administrator is refused and recorded, like anyone else without the right.

``certflow.people.counties`` checks the fields (a county-level code of the divisions dataset, a prefix of capital
letters no other county uses, a short signature, dates); this module turns the forms into its arguments and the
reasons back beside their fields.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import MultiDict

from certflow.engine.errors import NotFound, ValidationFailed
from certflow.engine.models import County
from certflow.people.access import province_wide
from certflow.people.counties import FEDERATION_MAX, INVALID, NAME_MAX, SIGNATURE_MAX
from certflow.web import forms
from certflow.web.auth import login_manager
from certflow.web.context import account, deny, services

bp = Blueprint("counties", __name__, url_prefix="/admin/counties")

_DAYS = {"type": "array", "items": {"type": "string"}}
_FIELDS: dict[str, Any] = {
    "name": {"title": "名称", "type": "string", "maxLength": NAME_MAX,
             "description": "新建时不填则用行政区划数据中的名称，如 师宗县"},
    "federation": {"title": "残联名称", "type": "string", "maxLength": FEDERATION_MAX,
                   "description": "新建时不填则为名称加“残联”，如 师宗县残联"},
    "case_prefix": {"title": "案件编号前缀", "type": "string", "maxLength": 6,
                    "description": "1到6个大写英文字母，各县（市）不同；改后只影响新的案件"},
    "sms_signature": {"title": "短信签名", "type": "string", "maxLength": SIGNATURE_MAX,
                      "description": "短信开头【】中的字，须与短信服务商处登记的一致，如 师宗县残联"},
    "holidays": {**_DAYS, "title": "本县另放假的日子",
                 "description": "国家假期以外本县机关不上班的日子，每行一个，如 2026-10-09；计算办理期限时不算工作日"},
    "workdays": {**_DAYS, "title": "本县另上班的日子",
                 "description": "国家安排休息、本县却上班的日子，每行一个，如 2026-10-10"},
    "active": {"title": "启用", "type": "boolean", "description": "停用后不再供新用户和新单位选择；已有案件照常办理"},
}
NEW_COUNTY: dict[str, Any] = {
    "properties": {"code": {"title": "行政区划代码", "type": "string", "maxLength": 6,
                            "description": "县级的6位代码，如 530323（师宗县）；创建后不能修改"}, **_FIELDS},
    "required": ["code", "case_prefix", "sms_signature", "active"],
}
EDIT_COUNTY: dict[str, Any] = {
    "properties": _FIELDS,
    "required": ["name", "federation", "case_prefix", "sms_signature", "active"],
}


@bp.before_request
def province_administrators_only() -> ResponseReturnValue | None:
    """Sign in first; anyone but a province administrator is refused and recorded: a county's administrator keeps
    their own county's people and groups, never the counties themselves."""
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not province_wide(me):
        deny(403, "县（市）管理")
    return None


def _read(schema: dict[str, Any], form: MultiDict[str, str]) -> dict[str, Any]:
    data, errors = forms.read_submission(schema, form)
    if errors:
        raise ValidationFailed(errors, INVALID)
    return data


def _posted(schema: dict[str, Any], error: ValidationFailed) -> forms.PageForm:
    """The form as it was sent, with the errors beside their fields."""
    return forms.PageForm(forms.fields(schema), forms.posted_values(schema, request.form),
                          forms.errors_by_field(error.errors))


def _list_page(form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/counties.html", counties=services().counties.all(), form=form), status


def _county(code: str) -> County:
    found = services().counties.get(code)
    if found is None:
        abort(404)
    return found


def _county_page(county: County, form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/county.html", county=county, form=form), status


@bp.get("", endpoint="list")
def listing() -> ResponseReturnValue:
    return _list_page(forms.PageForm(forms.fields(NEW_COUNTY), forms.form_values(NEW_COUNTY, {"active": True}), {}))


@bp.post("")
def add() -> ResponseReturnValue:
    try:
        data = _read(NEW_COUNTY, request.form)
        added = services().counties.add(
            data.get("code", ""), case_prefix=data.get("case_prefix", ""),
            sms_signature=data.get("sms_signature", ""), name=data.get("name", ""),
            federation=data.get("federation", ""), holidays=data.get("holidays", []),
            workdays=data.get("workdays", []), active=data.get("active", True))
    except ValidationFailed as error:
        return _list_page(_posted(NEW_COUNTY, error), 422)
    flash(f"已添加 {added.name}")
    return redirect(url_for("counties.list"))


@bp.get("/<code>")
def county(code: str) -> ResponseReturnValue:
    found = _county(code)
    values = forms.form_values(EDIT_COUNTY, {
        "name": found.name, "federation": found.federation, "case_prefix": found.case_prefix,
        "sms_signature": found.sms_signature, "holidays": found.holidays, "workdays": found.workdays,
        "active": found.active})
    return _county_page(found, forms.PageForm(forms.fields(EDIT_COUNTY), values, {}))


@bp.post("/<code>")
def update(code: str) -> ResponseReturnValue:
    found = _county(code)
    try:
        data = _read(EDIT_COUNTY, request.form)
        saved = services().counties.update(
            code, name=data.get("name", ""), federation=data.get("federation", ""),
            case_prefix=data.get("case_prefix", ""), sms_signature=data.get("sms_signature", ""),
            holidays=data.get("holidays", []), workdays=data.get("workdays", []), active=data.get("active", True))
    except NotFound:
        abort(404)
    except ValidationFailed as error:
        return _county_page(found, _posted(EDIT_COUNTY, error), 422)
    flash(f"已保存 {saved.name}")
    return redirect(url_for("counties.list"))
