"""``certflow lanes``: the lane mappings (泳道对照) for scripted installs, changed as the administrators' page does."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from certflow.cli.runtime import services_of
from certflow.engine.errors import NotFound, ValidationFailed
from certflow.engine.roles import LANE_ROLES, ROLES, role_for_lane
from certflow.people.lanes import MappedLane

_FIELDS = {"lane": "泳道名称", "role": "角色", "group": "组织机构"}
_ROLE_NAMES = "、".join(ROLES[key] for key in LANE_ROLES)


@click.group(help="泳道对照：把其他工具画的流程图中的泳道名称（如 审批人、Reviewer）对照到角色和组织机构，"
                  "不必在每个文件里改名。对照只作用于以后的部署，已部署的版本不变。")
def lanes() -> None:
    pass


@lanes.command("list", help="列出所有泳道对照。")
@click.pass_context
def list_mappings(ctx: click.Context) -> None:
    mappings = services_of(ctx).lanes.all()
    if not mappings:
        click.echo("还没有泳道对照。")
    for mapping in mappings:
        click.echo(f"{_shown(mapping)}    （{mapping.changed_by} 修改）")


@lanes.command("set", help="把泳道 LANE 对照到角色 ROLE；已有对照的改为新的。ROLE 写角色名称或代号，"
                           f"可选：{_ROLE_NAMES}。")
@click.argument("lane")
@click.argument("role")
@click.option("--group", help="办理的组织机构，写编号或名称，如 county 或 庐山市残联；不写时由该角色的默认组织机构办理")
@click.option("--user", default="cli", show_default=True, help="记入安全日志的操作人")
@click.pass_context
def set_mapping(ctx: click.Context, lane: str, role: str, group: str | None, user: str) -> None:
    services = services_of(ctx)
    by_name = {name: group_id for group_id, name in services.directory.names().items()}
    try:
        saved = services.lanes.save(lane, role_for_lane(role) or role, by_name.get(group or "", group), actor=user)
    except ValidationFailed as error:
        _refused("泳道对照有误：", *(f"{_FIELDS.get(e.field, e.field)}：{e.message}" for e in error.errors))
    click.echo(f"已对照：{_shown(saved)}")


@lanes.command("remove", help="删除泳道 LANE 的对照。用它部署的版本不受影响；再部署用到它的流程会被拒绝，"
                              "直到泳道改名或重新对照。")
@click.argument("lane")
@click.option("--user", default="cli", show_default=True, help="记入安全日志的操作人")
@click.pass_context
def remove_mapping(ctx: click.Context, lane: str, user: str) -> None:
    try:
        services_of(ctx).lanes.remove(lane, actor=user)
    except NotFound as error:
        _refused(str(error))
    click.echo(f"已删除泳道“{lane}”的对照")


def _shown(mapping: MappedLane) -> str:
    group = mapping.group_name or "按角色默认的组织机构"
    return f"{mapping.lane} → {mapping.role_name}（{group}）"


def _refused(*lines: str) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


COMMANDS = (lanes,)
