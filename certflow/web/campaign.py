"""The exchange campaign's pages: the township desk, a village's ledger (台账), the register of exchanges
(发放登记表), the county's dashboard.

Township clerks see their own township's holders; the county and administrators see every township.
The campaign is its county's: staff of another county find no page here (404).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from certflow.campaign import ledgers
from certflow.campaign.county import County, Township, Village
from certflow.people.access import in_county, visible_tasks
from certflow.people.accounts import Account
from certflow.web import charts
from certflow.web.auth import login_manager
from certflow.web.context import account, deny, group_name, services, signed_in
from certflow.web.xlsxfile import Sheet, xlsx_download

bp = Blueprint("campaign", __name__, url_prefix="/campaign")

ROLES = ("township", "county", "admin")
REGISTER_HEADER = ["案件编号", "持证人", "身份证号码（已脱敏）", "乡镇(街道)", "新证号码", "第二代残疾人证", "发放日期",
                   "经办人"]
REGISTER_KEYS = ["number", "name", "id_masked", "township", "card_no", "old_certificate", "issued_on", "clerk"]
LEDGER_HEADER = ["案件编号", "姓名", "身份证号码（已脱敏）", "残疾类别", "残疾等级", "评定方式", "上门服务", "办理状态",
                 "换证日期", "第二代残疾人证"]
LEDGER_KEYS = ["number", "name", "id_masked", "category", "grade", "basis", "home_visit", "status", "issued_on",
               "old_certificate"]
SUMMARY_KEYS = ["category", *ledgers.SUMMARY_COLUMNS]
SUMMARY_HEADER = ["残疾类别", *SUMMARY_KEYS[1:]]


@cache
def load_county(path: Path) -> County:
    return County.load(path)


def county() -> County:
    return load_county(Path(current_app.config["CERTFLOW_COUNTY"]))


def of_campaign_county(me: Account) -> bool:
    return in_county(me, county().code)


@bp.before_request
def campaign_staff_only() -> ResponseReturnValue | None:
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not of_campaign_county(me):
        deny(404, "其他县的换证工作")
    if not me.has_role(*ROLES):
        deny(403, "换证工作")
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"campaign_roles": ROLES, "of_campaign_county": of_campaign_county}


def townships_of(me: Account) -> frozenset[str] | None:
    """The townships whose holders ``me`` sees; None for all of them."""
    return None if me.has_role("county", "admin") else frozenset(g for g in me.groups if g.startswith("township-"))


@bp.get("/desk")
def desk() -> ResponseReturnValue:
    query = ledgers.DeskQuery.from_args(request.args)
    me = signed_in()
    page = ledgers.find_holders(services().sessions, services().runtime.settings.data_keys, townships_of(me),
                                query, visible_tasks(me))
    return render_template("campaign/desk.html", query=query, page=page)


@bp.get("/desk/<number>")
def holder(number: str) -> ResponseReturnValue:
    found = ledgers.holder(services().sessions, number, visible_tasks(signed_in()))
    townships = townships_of(signed_in())
    if found is None or (townships is not None and found["township"] not in townships):
        deny(404, f"换证对象 {number}")
    return render_template("campaign/holder.html", holder=found)


def _chosen_township() -> str | None:
    """The township asked for; a township clerk gets their own and is refused another."""
    asked, townships = request.args.get("township") or None, townships_of(signed_in())
    if townships is None:
        return asked
    if asked is None and len(townships) == 1:
        return next(iter(townships))
    if asked not in townships:
        deny(403, f"换证乡镇 {asked}")
    return asked


def _chosen_village() -> tuple[Township | None, Village | None]:
    """The township (as ``_chosen_township``) and the village of it asked for; 404 for one the county lacks."""
    group, asked = _chosen_township(), request.args.get("village") or None
    township = next((t for t in county().townships if t.group == group), None)
    if group is not None and township is None:
        deny(404, f"换证乡镇 {group}")
    village = next((v for v in township.villages if v.group == asked), None) if township else None
    if asked is not None and village is None:
        deny(404, f"换证村（社区） {asked}")
    return township, village


@bp.get("/register")
def register() -> ResponseReturnValue:
    township = _chosen_township()
    lines = ledgers.register(services().sessions, township)
    return render_template("campaign/register.html", lines=lines, township=township,
                           townships=county().townships)


@bp.get("/register.xlsx")
def register_xlsx() -> ResponseReturnValue:
    lines = ledgers.register(services().sessions, _chosen_township())
    rows = (_cells({**line, "township": group_name(line["township"])}, REGISTER_KEYS) for line in lines)
    return xlsx_download("register.xlsx", [Sheet("发放登记表", REGISTER_HEADER, rows)])


@bp.get("/ledger")
def ledger() -> ResponseReturnValue:
    township, village = _chosen_village()
    sessions = services().sessions
    lines = ledgers.ledger(sessions, village.group) if village else []
    mine = townships_of(signed_in())
    return render_template(
        "campaign/ledger.html", township=township, village=village, lines=lines,
        summary=ledgers.ledger_summary(lines), summary_columns=ledgers.SUMMARY_COLUMNS,
        villages=ledgers.village_progress(sessions, township.group) if township else {},
        none=ledgers.VillageProgress(), townships=[t for t in county().townships if mine is None or t.group in mine])


@bp.get("/ledger.xlsx")
def ledger_xlsx() -> ResponseReturnValue:
    _, village = _chosen_village()
    if village is None:
        deny(404, "没有指明村（社区）的换证台账")
    lines = ledgers.ledger(services().sessions, village.group)
    summary = ledgers.ledger_summary(lines)
    return xlsx_download(f"ledger-{village.code}.xlsx", [
        Sheet("台账", LEDGER_HEADER, (_cells(line, LEDGER_KEYS) for line in lines)),
        Sheet("分类汇总", SUMMARY_HEADER, (_cells(row, SUMMARY_KEYS) for row in summary)),
    ])


@bp.get("/dashboard")
def dashboard() -> ResponseReturnValue:
    if not signed_in().has_role("county", "admin"):
        deny(403, "换证进度")
    found = ledgers.counts(services().sessions, county=county().code)
    total = sum(found.status.values())
    today = services().runtime.clock.now().date()
    deadlines = deadlines_left(county().deadlines, today)
    return render_template("campaign/dashboard.html", found=found, total=total, deadlines=deadlines,
                           bases=ledgers.HOLDER_BASES, first_order=ledgers.FIRST_STATUS_ORDER,
                           today=today, percent=_percent,
                           charts=_charts(found, today))


def deadlines_left(deadlines: Sequence[tuple[str, date]], today: date) -> list[dict[str, Any]]:
    """A campaign's deadlines as its dashboards list them: name, day, and the days left (negative: overdue)."""
    return [{"name": name, "date": by, "days_left": (by - today).days} for name, by in deadlines]


def _charts(found: ledgers.Counts, today: date) -> dict[str, Markup]:
    """The dashboard's charts: exchanges over time against the deadlines, townships by status, categories."""
    targets = {basis: found.basis[basis] for basis in ledgers.HOLDER_BASES}
    townships = [(t.name, found.township_status.get(t.group, Counter[str]())) for t in county().townships]
    return {
        "progress": charts.progress_line("progress-chart", "累计换证人数（按发放日期）", found.exchanged_on, targets,
                                         county().deadlines, today),
        "townships": charts.stacked_bars("township-chart", "各乡镇(街道)持证人办理状态", townships,
                                         ledgers.STATUS_ORDER, "乡镇(街道)"),
        "categories": charts.bars("category-chart", "持证人残疾类别",
                                  [(name, found.category[name]) for name in ledgers.CATEGORIES], "残疾类别"),
    }


def _cells(line: Mapping[str, Any], keys: Sequence[str]) -> list[Any]:
    """A line's values for a sheet's columns, in their order."""
    return [line[key] for key in keys]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


__all__ = ["bp"]
