"""Administration: people (their roles and groups, API tokens), the groups themselves, the lane mappings
(泳道对照), the security log, and a person's data exported by their ID number; administrators only.

A county's administrator keeps their county's people and groups and sees no other county's; a province
administrator (of no county) keeps every county's, and chooses the county of a group they add."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from certflow import personal
from certflow.engine import residentid
from certflow.engine.errors import Conflict, NotFound, ValidationFailed
from certflow.people.access import can_change_group, can_manage_person, county_of, sees_group
from certflow.people.accounts import Account
from certflow.people.lanes import SECURITY_KIND as LANE_MAPPING
from certflow.people.lanes import MappedLane
from certflow.people.models import Group
from certflow.people.orgtree import tree
from certflow.web import forms, groups, lanes, users
from certflow.web.auth import keep_signed_in, login_manager
from certflow.web.context import account, deny, services, signed_in

bp = Blueprint("admin", __name__, url_prefix="/admin")

SECURITY_KINDS = {"access_denied": "拒绝访问", "login_failed": "登录失败", "login_ok": "登录成功",
                  "status_lookup_failed": "进度查询失败", "application_received": "在线申请",
                  LANE_MAPPING: "泳道对照变更", personal.SECURITY_KIND: "个人信息导出"}
# The ID number is checked as every form checks one (GB 11643-1999, by python-stdnum), the reason beside the field.
PERSONAL_DATA: dict[str, Any] = {
    "properties": {"id_number": {"title": "身份证号码", "type": "string", "format": "resident-id", "maxLength": 18,
                                 "description": "要查询的人的18位居民身份证号码"}},
    "required": ["id_number"],
}


@bp.before_request
def administrators_only() -> ResponseReturnValue | None:
    """Every page and action here: sign in first; anyone but an administrator is refused and recorded."""
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not me.is_admin:
        deny(403, "系统管理")
    return None


def _scope() -> str | None:
    """The county whose people and groups the administrator keeps; None: a province administrator's, every one."""
    return county_of(signed_in())


def _person(username: str) -> Account:
    """The person, if the administrator keeps their county's people; another county's is not found."""
    person = services().accounts.by_username(username)
    if person is None:
        abort(404)
    if not can_manage_person(signed_in(), person):
        deny(404, "其他县（市）的用户")
    return person


def _people() -> list[Account]:
    """The accounts the administrator keeps: their county's, or every one."""
    me = signed_in()
    return [person for person in services().accounts.all() if can_manage_person(me, person)]


def _counties(*held: str | None) -> dict[str, str]:
    """Area code → name of the counties a person or a group may be given: a province administrator any active
    county, a county's administrator their own; and any a person already ``held``."""
    scope, names = _scope(), services().counties.names()
    found = {c.code: c.name for c in services().counties.all(active_only=True) if scope in (None, c.code)}
    return {**{code: names.get(code, code) for code in held if code}, **found}


def _users_page(form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    everyone, query, role = _people(), request.args.get("q", "").strip(), request.args.get("role", "")
    people = users.matching(everyone, query, role, services().directory.names())
    return render_template("admin/users.html", people=people, total=len(everyone), query=query, role=role,
                           form=form, counties=_counties(*(p.county for p in everyone)),
                           groups=users.groups_by_role(services().directory, scope=_scope())), status


def _user_page(person: Account, form: forms.PageForm, status: int = 200, *,
               new_token: str | None = None) -> tuple[str, int]:
    return render_template("admin/user.html", person=person, form=form, new_token=new_token,
                           tokens=services().accounts.tokens(person.id), counties=_counties(person.county),
                           groups=users.groups_by_role(services().directory, person.groups, _scope())), status


@bp.get("/users", endpoint="users")
def users_list() -> ResponseReturnValue:
    return _users_page(users.blank(_scope() or services().accounts.county))


@bp.post("/users")
def create() -> ResponseReturnValue:
    try:
        new = users.read(users.NEW_USER, request.form, services().directory, _counties(), scope=_scope())
        created = services().accounts.create(new.username, new.password, display_name=new.display_name,
                                             roles=new.roles, groups=new.groups, county=new.county,
                                             province_wide=new.province_wide)
    except (ValidationFailed, Conflict) as error:
        return _users_page(users.posted(users.NEW_USER, request.form, error), 422)
    flash(f"已创建用户 {created.username}")
    return redirect(url_for("admin.user", username=created.username))


@bp.get("/users/<username>")
def user(username: str) -> ResponseReturnValue:
    person = _person(username)
    return _user_page(person, users.of_account(person))


@bp.post("/users/<username>")
def update(username: str) -> ResponseReturnValue:
    person = _person(username)
    try:
        change = users.read(users.EDIT_USER, request.form, services().directory, _counties(person.county),
                            person.groups, scope=_scope())
        users.check_own_access(signed_in(), person, change)
        keep_signed_in(services().accounts.update(
            person.id, display_name=change.display_name, roles=change.roles, groups=change.groups,
            active=change.active, password=change.password or None, county=change.county,
            province_wide=change.province_wide))
    except ValidationFailed as error:
        return _user_page(person, users.posted(users.EDIT_USER, request.form, error), 422)
    flash(f"已保存用户 {username}")
    return redirect(url_for("admin.user", username=username))


@bp.post("/users/<username>/tokens")
def issue_token(username: str) -> ResponseReturnValue:
    person = _person(username)
    token = services().accounts.issue_token(person.id, request.form.get("label", "").strip()[:100])
    # Rendered, not redirected: the token is shown this once and must not travel in the session cookie.
    return _user_page(person, users.of_account(person), new_token=token)


@bp.post("/users/<username>/tokens/<int:token_id>/revoke")
def revoke_token(username: str, token_id: int) -> ResponseReturnValue:
    person = _person(username)
    try:
        services().accounts.revoke_token(person.id, token_id)
    except NotFound:
        abort(404)
    flash("令牌已吊销")
    return redirect(url_for("admin.user", username=username))


def _group(group_id: str) -> Group:
    """The group, if the administrator keeps its county's groups; another county's is not found."""
    group = services().directory.get(group_id)
    if group is None:
        abort(404)
    if not sees_group(signed_in(), group.county):
        deny(404, "其他县（市）的用户组")
    return group


def _groups_page(form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    directory, query = services().directory, request.args.get("q", "").strip()
    listed = [g for g in directory.all() if sees_group(signed_in(), g.county)]
    # Where each group is: its county, which a hospital's id (hospital-sz-tcm) does not say.
    federations = {c.code: c.federation for c in services().counties.all()}
    found = tree(listed, _scope() or services().runtime.settings.county, federations, query,
                 {g.id: g.county for g in listed if g.county})
    return render_template("admin/groups.html", form=form, tree=found, query=query,
                           members=groups.members(_people()), open_tasks=directory.open_tasks()), status


def _group_page(group: Group, form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/group.html", group=group, form=form), status


def _new_group() -> dict[str, Any]:
    """The new group's form: a province administrator chooses its county, a county's adds to their own."""
    return groups.new_group(_counties() if _scope() is None else None)


@bp.get("/groups", endpoint="groups")
def groups_list() -> ResponseReturnValue:
    return _groups_page(groups.blank(_new_group(), services().runtime.settings.county))


@bp.post("/groups")
def create_group() -> ResponseReturnValue:
    schema = _new_group()
    try:
        data = groups.read(schema, request.form)
        county = _scope() or groups.chosen_county(data, _counties())
        created = services().directory.add(data.get("id", ""), data.get("role", ""), data.get("name", ""), county)
    except ValidationFailed as error:
        return _groups_page(groups.posted(schema, request.form, error), 422)
    flash(f"已添加 {created.name}")
    return redirect(url_for("admin.groups"))


@bp.get("/groups/<group_id>")
def group(group_id: str) -> ResponseReturnValue:
    found = _group(group_id)
    return _group_page(found, groups.of_group(found))


@bp.post("/groups/<group_id>")
def update_group(group_id: str) -> ResponseReturnValue:
    found = _group(group_id)
    if not can_change_group(signed_in(), found.county):
        deny(403, "全省的用户组")
    try:
        data = groups.read(groups.EDIT_GROUP, request.form)
        saved = services().directory.update(found.id, name=data.get("name", ""), active=data.get("active", True))
    except ValidationFailed as error:
        return _group_page(found, groups.posted(groups.EDIT_GROUP, request.form, error), 422)
    flash(f"已保存 {saved.name}")
    return redirect(url_for("admin.groups"))


def _mapping(lane: str) -> MappedLane:
    found = services().lanes.get(lane)
    if found is None:
        abort(404)
    return found


def _province_changes_lanes() -> None:
    """The mappings are every county's next deployments': a county's administrator changing one would reroute
    another county's tasks, so only a province-wide administrator changes them (refused and recorded)."""
    if _scope() is not None:
        deny(403, "泳道对照", "泳道对照由全省的系统管理员修改：它作用于每个县（市）以后部署的流程")


def _lanes_page(form: forms.PageForm | None, status: int = 200) -> tuple[str, int]:
    """The list; ``form``, to add a mapping, for a province-wide administrator (None: the list read-only)."""
    return render_template("admin/lanes.html", form=form, mappings=services().lanes.all(_scope())), status


def _lane_page(mapping: MappedLane, form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/lane.html", mapping=mapping, form=form), status


@bp.get("/lanes", endpoint="lanes")
def lanes_list() -> ResponseReturnValue:
    if _scope() is not None:
        return _lanes_page(None)
    new, _ = lanes.schemas(services().directory)
    return _lanes_page(lanes.blank(new))


@bp.post("/lanes")
def create_lane() -> ResponseReturnValue:
    _province_changes_lanes()
    new, _ = lanes.schemas(services().directory)
    try:
        lane, role, group = lanes.read(new, request.form)
        saved = services().lanes.save(lane, role, group, actor=signed_in().username,
                                      remote_addr=request.remote_addr, replace=False)
    except ValidationFailed as error:
        return _lanes_page(lanes.posted(new, request.form, error), 422)
    flash(f"已添加泳道对照：{saved.lane}")
    return redirect(url_for("admin.lanes"))


@bp.get("/lanes/edit")
def lane() -> ResponseReturnValue:
    _province_changes_lanes()
    found = _mapping(request.args.get("lane", ""))
    _, edit = lanes.schemas(services().directory)
    return _lane_page(found, lanes.of_mapping(edit, found))


@bp.post("/lanes/edit")
def update_lane() -> ResponseReturnValue:
    _province_changes_lanes()
    found = _mapping(request.args.get("lane", ""))
    _, edit = lanes.schemas(services().directory)
    try:
        _, role, group = lanes.read(edit, request.form)
        services().lanes.save(found.lane, role, group, actor=signed_in().username, remote_addr=request.remote_addr)
    except ValidationFailed as error:
        return _lane_page(found, lanes.posted(edit, request.form, error), 422)
    flash(f"已保存泳道对照：{found.lane}")
    return redirect(url_for("admin.lanes"))


@bp.post("/lanes/remove")
def remove_lane() -> ResponseReturnValue:
    _province_changes_lanes()
    lane = request.form.get("lane", "")
    try:
        services().lanes.remove(lane, actor=signed_in().username, remote_addr=request.remote_addr)
    except NotFound:
        abort(404)
    flash(f"已删除泳道对照：{lane}")
    return redirect(url_for("admin.lanes"))


@bp.get("/security")
def security() -> ResponseReturnValue:
    kind = request.args.get("kind") if request.args.get("kind") in SECURITY_KINDS else None
    events = services().accounts.security_events(kind, county=county_of(signed_in()))
    return render_template("admin/security.html", events=events, kind=kind,
                           kinds=SECURITY_KINDS)


def _personal_data_page(form: forms.PageForm, status: int = 200) -> tuple[str, int]:
    return render_template("admin/personal_data.html", form=form), status


@bp.get("/personal-data")
def personal_data() -> ResponseReturnValue:
    return _personal_data_page(forms.PageForm(forms.fields(PERSONAL_DATA), {}, {}))


@bp.post("/personal-data")
def export_personal_data() -> ResponseReturnValue:
    data, errors = forms.check_submission(PERSONAL_DATA, request.form)
    if errors:
        return _personal_data_page(forms.PageForm(forms.fields(PERSONAL_DATA), forms.posted_values(
            PERSONAL_DATA, request.form), forms.errors_by_field(errors, PERSONAL_DATA)), 422)
    me = signed_in()
    exported = personal.export(services(), residentid.validated(data["id_number"]), actor=me.username,
                               remote_addr=request.remote_addr, county=county_of(me))
    # The whole of a person's data: kept by no cache on the way, saved only where the administrator chooses.
    return Response(personal.as_zip(exported), mimetype="application/zip", headers={
        "Content-Disposition": "attachment; filename=personal-data.zip", "Cache-Control": "private, no-store"})
