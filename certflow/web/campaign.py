"""The exchange campaign's pages: the township desk, the register of exchanges (发放登记表), the county's dashboard.

Township clerks see their own township's holders; the county and administrators see every township.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from certflow import campaignviews
from certflow.accounts import Account
from certflow.county import County
from certflow.web.auth import login_manager
from certflow.web.context import account, deny, group_name, services
from certflow.web.csvfile import FORMULA_START

bp = Blueprint("campaign", __name__, url_prefix="/campaign")

ROLES = ("township", "county", "admin")
REGISTER_HEADER = ["案件编号", "持证人", "身份证号码（已脱敏）", "乡镇(街道)", "新证号码", "第二代残疾人证", "发放日期",
                   "经办人"]
REGISTER_KEYS = ["number", "name", "id_masked", "township", "card_no", "old_certificate", "issued_on", "clerk"]


@cache
def _county(path: Path) -> County:
    return County.load(path)


def county() -> County:
    return _county(Path(current_app.config["CERTFLOW_COUNTY"]))


@bp.before_request
def campaign_staff_only():  # type: ignore[no-untyped-def]
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not me.has_role(*ROLES):
        deny(403, "campaign")
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"campaign_roles": ROLES}


def _townships(me: Account) -> frozenset[str] | None:
    """The townships whose holders ``me`` sees; None for all of them."""
    return None if me.has_role("county", "admin") else frozenset(g for g in me.groups if g.startswith("township-"))


@bp.get("/desk")
def desk():  # type: ignore[no-untyped-def]
    text = request.args.get("q", "")
    found = campaignviews.find_holders(services().runtime.sessions, _townships(account()), text)
    return render_template("campaign/desk.html", text=text, found=found)


@bp.get("/desk/<number>")
def holder(number: str):  # type: ignore[no-untyped-def]
    found = campaignviews.holder(services().runtime.sessions, number)
    townships = _townships(account())
    if found is None or (townships is not None and found["township"] not in townships):
        deny(404, f"campaign holder {number}")
    return render_template("campaign/holder.html", holder=found)


def _register_township() -> str | None:
    """The township asked for; a township clerk gets their own and is refused another."""
    asked, townships = request.args.get("township") or None, _townships(account())
    if townships is None:
        return asked
    if asked is None and len(townships) == 1:
        return next(iter(townships))
    if asked not in townships:
        deny(403, f"campaign register {asked}")
    return asked


@bp.get("/register")
def register():  # type: ignore[no-untyped-def]
    township = _register_township()
    lines = campaignviews.register(services().runtime, township)
    return render_template("campaign/register.html", lines=lines, township=township,
                           townships=county().townships)


@bp.get("/register.xlsx")
def register_xlsx():  # type: ignore[no-untyped-def]
    from openpyxl import Workbook

    township = _register_township()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "发放登记表"
    sheet.append(REGISTER_HEADER)
    for line in campaignviews.register(services().runtime, township):
        line = {**line, "township": group_name(line["township"])}
        sheet.append([_cell(line[key]) for key in REGISTER_KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Response(buffer.getvalue(),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": "attachment; filename=register.xlsx"})


def _cell(value: Any) -> Any:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@bp.get("/dashboard")
def dashboard():  # type: ignore[no-untyped-def]
    if not account().has_role("county", "admin"):
        deny(403, "campaign dashboard")
    found = campaignviews.counts(services().runtime.sessions)
    total = sum(found["status"].values())
    today = services().runtime.clock.now().date()
    deadlines = [{"name": name, "date": by, "days_left": (by - today).days} for name, by in county().deadlines]
    return render_template("campaign/dashboard.html", found=found, total=total, deadlines=deadlines,
                           statuses=campaignviews.STATUS_ORDER, townships=county().townships, today=today,
                           percent=_percent)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


__all__ = ["bp"]
