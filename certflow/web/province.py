"""The province's dashboard (全省换证进度): every county's exchange campaign, and one county's townships.

Read by the province's federation (role ``province``, no county) and province-wide administrators; a county's staff
get 403. It shows figures only: no case of any county opens from here (``access.province_reads_case``). Each chart
(ECharts, static/barchart.js) has its figures beside it as a table, the overview's also as CSV.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from certflow.campaign import ledgers
from certflow.campaign.county import County
from certflow.campaign.province import CountyProgress, province_progress
from certflow.divisions import installed_names
from certflow.engine.calendar import china_today
from certflow.people.access import reads_province
from certflow.web.auth import login_manager
from certflow.web.campaign import deadlines_left, load_county
from certflow.web.charts import PALETTE
from certflow.web.context import account, deny, group_name, services
from certflow.web.csvfile import csv_download

bp = Blueprint("province", __name__)

HEADER = ["县（市）", "持证人", "已换证", "康复脱残", "其他办结", "办理中", "其中逾期", "换证进度", "期限"]
# The overview's bars, each a part of a county's holders, and its colour (charts.PALETTE's, red for the late).
PARTS = (("已换证", PALETTE[0]), ("康复脱残", PALETTE[3]), ("其他办结", PALETTE[4]), ("办理中（未逾期）", PALETTE[1]),
         ("逾期", PALETTE[7]))
NO_DEADLINES = "未配置期限"


@bp.before_request
def province_readers_only() -> ResponseReturnValue | None:
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not reads_province(me):
        deny(403, "全省换证进度")
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"reads_province": reads_province}


def county_files() -> dict[str, County]:
    """The county files the installation is given, by county code (the first given for a code)."""
    files: dict[str, County] = {}
    for path in current_app.config["CERTFLOW_CAMPAIGN_FILES"]:
        county = load_county(Path(path))
        files.setdefault(county.code, county)
    return files


def _progress() -> tuple[list[CountyProgress], CountyProgress, date]:
    today = china_today(services().runtime.clock)
    names = {code: places[code] for code, places in installed_names().items()}
    found = province_progress(services().sessions, services().counties.names(active_only=True), county_files(),
                              names, today)
    return found.counties, found.total, today


def _cells(county: CountyProgress) -> list[Any]:
    """A county's line of the table, as shown and as exported."""
    deadlines = "；".join(f"{name} {by.isoformat()}" for name, by in county.deadlines) or NO_DEADLINES
    overdue = county.overdue if county.deadlines or not county.code else "—"
    return [county.name, county.holders, county.exchanged, county.withdrawn, county.ended_otherwise, county.open,
            overdue, f"{county.percent}%", deadlines if county.code else ""]


def _bars(categories: Sequence[str], parts: Sequence[tuple[str, str, Sequence[int]]]) -> dict[str, Any]:
    """What static/barchart.js draws: a stacked bar per category, a part per (name, colour, figure per category)."""
    return {"categories": list(categories), "unit": "人",
            "series": [{"name": name, "color": color, "data": list(figures)} for name, color, figures in parts]}


@bp.get("/province")
def overview() -> ResponseReturnValue:
    counties, total, today = _progress()
    figures = [(c.exchanged, c.withdrawn, c.ended_otherwise, c.on_time, c.overdue) for c in counties]
    chart = _bars([c.name for c in counties],
                  [(name, color, [f[i] for f in figures]) for i, (name, color) in enumerate(PARTS)])
    return render_template("province/overview.html", rows=[(c.code, _cells(c)) for c in counties],
                           total=total, total_cells=_cells(total), header=HEADER, chart=chart, today=today)


@bp.get("/province.csv")
def overview_csv() -> ResponseReturnValue:
    counties, total, _ = _progress()
    return csv_download("province.csv", HEADER, [*map(_cells, counties), _cells(total)])


@bp.get("/province/<code>")
def county(code: str) -> ResponseReturnValue:
    counties, _, today = _progress()
    progress = next((c for c in counties if c.code == code), None)
    if progress is None:
        deny(404, f"县（市）{code}")
    found = ledgers.counts(services().sessions, county=code)
    file = county_files().get(code)
    named = {t.group: t.name for t in file.townships} if file else {}  # the county file's order, else by code
    named |= {group: group_name(group) for group in sorted(found.township_status) if group not in named}
    rows = [(name, [found.township_status.get(group, Counter[str]())[s] for s in ledgers.STATUS_ORDER])
            for group, name in named.items()]
    totals = [sum(row[i] for _, row in rows) for i in range(len(ledgers.STATUS_ORDER))]
    chart = _bars([name for name, _ in rows],
                  [(status, PALETTE[i], [row[i] for _, row in rows]) for i, status in enumerate(ledgers.STATUS_ORDER)])
    return render_template("province/county.html", county=progress, cells=_cells(progress), header=HEADER,
                           statuses=ledgers.STATUS_ORDER, rows=rows, totals=totals, chart=chart, today=today,
                           deadlines=deadlines_left(progress.deadlines, today))


__all__ = ["bp"]
