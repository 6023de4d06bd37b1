"""``certflow county``: the installation's counties, as a province administrator keeps them on /admin/counties."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from certflow.cli.runtime import services_of

# The option a person typed, for each field a refusal names.
_OPTIONS = {"code": "CODE", "name": "--name", "federation": "--federation", "case_prefix": "--prefix",
            "sms_signature": "--signature", "holidays": "--holidays", "workdays": "--workdays"}
_DAYS_HELP = "，写成 年-月-日，多个以逗号分隔，如 2026-10-09,2026-10-12"


def _days(text: str | None) -> list[str] | None:
    return None if text is None else [day for day in text.replace("，", ",").split(",") if day.strip()]


def _as_options(change: Callable[[], Any]) -> Any:
    """``change()``, its refusals naming the options typed rather than the fields."""
    from certflow.engine.errors import FieldError, ValidationFailed

    try:
        return change()
    except ValidationFailed as error:
        raise ValidationFailed([FieldError(_OPTIONS.get(e.field, e.field), e.message) for e in error.errors],
                               error.header) from error


@click.group(help="全省各县（市）：行政区划代码、名称、残联、案件编号前缀、短信签名和本县另放假或另上班的日子。"
                  "各县（市）的案件、人员和组织机构分开管理。")
def county() -> None:
    pass


@county.command("list", help="列出各县（市）。")
@click.pass_context
def list_counties(ctx: click.Context) -> None:
    for found in services_of(ctx).counties.all():
        days = (f"；另放假 {'、'.join(found.holidays)}" if found.holidays else "") + (
            f"；另上班 {'、'.join(found.workdays)}" if found.workdays else "")
        click.echo(f"{found.code}  {found.name}  {found.federation}  前缀 {found.case_prefix}  "
                   f"签名【{found.sms_signature}】{days}{'' if found.active else '（停用）'}")


@county.command("add", help="添加县（市）CODE（县级的6位行政区划代码，如 530323），须是行政区划数据中有的县级代码。")
@click.argument("code")
@click.option("--prefix", required=True, help="案件编号前缀：1到6个大写英文字母，各县（市）不同")
@click.option("--signature", required=True, help="短信签名：2到12个字，须与短信服务商处登记的一致，如 师宗县残联")
@click.option("--name", default="", help="名称，不写时用行政区划数据中的名称，如 师宗县")
@click.option("--federation", default="", help="残联名称，不写时为名称加“残联”")
@click.option("--holidays", help="国家假期以外本县机关不上班的日子" + _DAYS_HELP)
@click.option("--workdays", help="国家安排休息、本县却上班的日子" + _DAYS_HELP)
@click.pass_context
def add_county(ctx: click.Context, code: str, prefix: str, signature: str, name: str, federation: str,
               holidays: str | None, workdays: str | None) -> None:
    counties = services_of(ctx).counties
    added = _as_options(lambda: counties.add(code, case_prefix=prefix, sms_signature=signature, name=name,
                                             federation=federation, holidays=_days(holidays) or [],
                                             workdays=_days(workdays) or []))
    click.echo(f"已添加 {added.name}（{added.code}），案件编号前缀 {added.case_prefix}")


@county.command("update", help="修改县（市）CODE：只改写了的几项，其余不变。行政区划代码不能改。")
@click.argument("code")
@click.option("--prefix", help="新的案件编号前缀；只影响以后新建的案件")
@click.option("--signature", help="新的短信签名")
@click.option("--name", help="新的名称")
@click.option("--federation", help="新的残联名称")
@click.option("--holidays", help="本县另放假的日子，替换原有的" + _DAYS_HELP + "；写空（\"\"）则清空")
@click.option("--workdays", help="本县另上班的日子，替换原有的" + _DAYS_HELP + "；写空（\"\"）则清空")
@click.option("--active/--inactive", default=None, help="启用或停用；停用后不再供新用户和新单位选择，已有案件照常办理")
@click.pass_context
def update_county(ctx: click.Context, code: str, prefix: str | None, signature: str | None, name: str | None,
                  federation: str | None, holidays: str | None, workdays: str | None, active: bool | None) -> None:
    counties = services_of(ctx).counties
    saved = _as_options(lambda: counties.update(code, name=name, federation=federation, case_prefix=prefix,
                                                sms_signature=signature, holidays=_days(holidays),
                                                workdays=_days(workdays), active=active))
    click.echo(f"已保存 {saved.name}（{saved.code}）")


COMMANDS = (county,)
