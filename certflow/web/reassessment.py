"""The re-assessment schedule's pages: the venue-days, a day's sign-in sheet (签到表), the notices to print
(告知书 with a tear-off 回执), and recording the receipts returned.

The campaign's rules of who sees what hold: township clerks their own township, the county and
administrators every township; hospital clerks see the schedule and day lists of their categories only.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from certflow.campaign.county import Township
from certflow.campaign.reassessment import scheduling
from certflow.campaign.reassessment.listings import CATEGORIES, ListQuery, Viewer, chinese_date, overview, sign_in_sheet
from certflow.campaign.reassessment.moves import MoveRefused, MoveRequest, move_appointments
from certflow.campaign.reassessment.notices import (
    ATTENDANCE,
    Receipt,
    notice_page,
    receipt_counts,
    receipt_page,
    record_receipts,
)
from certflow.web.auth import login_manager
from certflow.web.campaign import ROLES, county, of_campaign_county, townships_of
from certflow.web.context import account, deny, services, signed_in

bp = Blueprint("reassessment", __name__, url_prefix="/campaign/reassessment")
bp.add_app_template_filter(chinese_date, "chinese_date")


@bp.before_request
def campaign_staff_and_hospitals_only() -> ResponseReturnValue | None:
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not of_campaign_county(me):
        deny(404, "其他县的复评安排")
    if not me.has_role(*ROLES, "hospital"):
        deny(403, "复评安排")
    return None


def _viewer() -> Viewer:
    """A hospital's clerk sees the holders of the categories their institution assesses, in every township."""
    me = signed_in()
    if me.has_role(*ROLES):
        return Viewer(townships=townships_of(me))
    return Viewer(categories=frozenset(c for i in county().institutions if i.group in me.groups
                                       for c in i.categories))


def _township(group: str) -> Township:
    """The township whose notices and receipts the township's clerks, the county and administrators handle."""
    me, found = signed_in(), next((t for t in county().townships if t.group == group), None)
    if not me.has_role(*ROLES):
        deny(403, f"{group} 的复评通知")
    seen = townships_of(me)
    if found is None or (seen is not None and group not in seen):
        deny(404, f"{group} 的复评通知")
    return found


@bp.get("/")
def schedule() -> ResponseReturnValue:
    viewer, campaign, sessions = _viewer(), county().campaign, services().sessions
    found = overview(sessions, campaign, viewer, county().reassessment_deadline())
    townships = [t for t in county().townships if viewer.categories is None
                 and (viewer.townships is None or t.group in viewer.townships)]
    counts = receipt_counts(sessions, campaign, [t.group for t in townships])
    return render_template("campaign/reassessment_schedule.html", found=found, townships=townships, counts=counts,
                           categories=[c for c in CATEGORIES if viewer.categories is None
                                       or c in viewer.categories])


@bp.post("/")
def make_schedule() -> ResponseReturnValue:
    """The county places every holder still without an appointment, as ``certflow campaign schedule`` does."""
    me = signed_in()
    if not me.has_role("county", "admin"):
        deny(403, "编排复评日程")
    try:
        start = date.fromisoformat(request.form["start"]) if request.form.get("start") else None
    except ValueError:
        flash("开始日期应为 YYYY-MM-DD 格式的日期", "error")
        return redirect(url_for(".schedule"))
    report = scheduling.schedule(services().sessions, services().runtime, county(), actor=me.username, start=start)
    for line in report.lines():
        flash(line)
    return redirect(url_for(".schedule"))


@bp.get("/day")
def day_list() -> ResponseReturnValue:
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        deny(404, "没有指明日期的复评名单")
    return _day_page(day, request.args.get("venue", ""))


def _day_page(day: date, venue: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    lines = sign_in_sheet(services().sessions, county().campaign, _viewer(), day, venue)
    if not lines:
        deny(404, f"{day} {venue} 的复评名单")
    return render_template("campaign/reassessment_day.html", lines=lines, day=day, venue=venue,
                           label=lines[0]["label"], error=error, typed=request.form), status


@bp.post("/day")
def move() -> ResponseReturnValue:
    """The county moves the venue-day, or one holder of it, to another day (另行通知); the holders are texted."""
    me = signed_in()
    if not me.has_role("county", "admin"):
        deny(403, "改期复评预约")
    try:
        day = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        deny(404, "没有指明日期的复评名单")
    venue = request.args.get("venue", "")
    try:
        to = date.fromisoformat(request.form.get("to", ""))
    except ValueError:
        return _day_page(day, venue, "请选择新的评定日期", 422)
    one = request.form.get("case") or None
    wanted = MoveRequest(to, request.form.get("reason", ""), None if one else day, None if one else venue, one)
    try:
        report = move_appointments(services().sessions, services().runtime, county(), wanted, actor=me.username)
    except MoveRefused as refused:
        return _day_page(day, venue, str(refused), 422)
    for line in report.lines():
        flash(line)
    return redirect(url_for(".schedule"))


@bp.get("/notices/<township>")
def notices(township: str) -> ResponseReturnValue:
    found = _township(township)
    page = notice_page(services().sessions, county().campaign, ListQuery.from_args(found.group, request.args))
    return render_template("campaign/reassessment_notices.html", page=page, township=found, county=county(),
                           attendance=ATTENDANCE)


@bp.route("/receipts/<township>", methods=["GET", "POST"])
def receipts(township: str) -> ResponseReturnValue:
    found, sessions, runtime = _township(township), services().sessions, services().runtime
    query = ListQuery.from_args(found.group, request.args)
    failed: list[tuple[str, str, str]] = []
    if request.method == "POST":
        entries = [Receipt(n, request.form.get(f"served_on-{n}", ""), request.form.get(f"attendance-{n}", ""))
                   for n in request.form.getlist("case")]
        done, failed = record_receipts(sessions, runtime, signed_in(), county().campaign, found.group, entries)
        flash(f"已登记回执 {len(done)} 份" if entries else "请勾选已收回回执的持证人")
        if not failed:
            return redirect(url_for("reassessment.receipts", **query.args()))
    return render_template("campaign/reassessment_receipts.html", township=found, failed=failed,
                           page=receipt_page(sessions, county().campaign, query),
                           counts=receipt_counts(sessions, county().campaign, [found.group])[found.group],
                           attendance=ATTENDANCE, today=scheduling.today(runtime))


__all__ = ["bp"]
