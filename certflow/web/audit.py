"""The auditors' pages: find cases and export them, and the separation-of-duties reports.

Auditors, the county and administrators, each over the cases of their county; everything here reads,
nothing changes a case.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from certflow.casework.reports import RULE, same_person, unusual_durations
from certflow.casework.search import CaseQuery, CaseRow, rows_for_export, search, version_numbers
from certflow.engine.outcomes import OUTCOMES
from certflow.people.access import can_audit
from certflow.web.auth import login_manager
from certflow.web.context import account, deny, services, signed_in
from certflow.web.csvfile import csv_download
from certflow.web.present import china_time
from certflow.web.progress import STATUSES

bp = Blueprint("audit", __name__, url_prefix="/audit")

SORT_NAMES = {"-started": "受理时间(晚→早)", "started": "受理时间(早→晚)", "number": "案件编号"}
LEVELS = {"case": "整个案件", "task": "环节"}
DIRECTIONS = {"fast": "偏快", "slow": "偏慢"}


@bp.before_request
def auditors_only() -> ResponseReturnValue | None:
    """Sign in first; anyone who does not audit is refused and recorded."""
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not can_audit(me):
        deny(403, "审计")
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"can_audit": can_audit}  # the menu shows these pages to whoever may open them


def _handled(row: CaseRow) -> str:
    """Who completed which step, e.g. 预审：window；发证：window."""
    return "；".join(f"{step['title']}：{step['by']}" for step in row["handled"])


@bp.get("/cases")
def cases() -> ResponseReturnValue:
    query, sessions = CaseQuery.from_args(request.args), services().sessions
    return render_template(
        "audit/cases.html", page=search(sessions, query, signed_in()), query=query, sorts=SORT_NAMES,
        processes=[p for p in services().runtime.processes() if p["start_form"]],
        versions=version_numbers(sessions),
    )


@bp.get("/cases.csv")
def cases_csv() -> ResponseReturnValue:
    rows = rows_for_export(services().sessions, CaseQuery.from_args(request.args), signed_in())
    header = ["案件编号", "申请人", "身份证号码（已脱敏）", "流程", "版本", "状态", "办理结果", "当前环节",
              "受理时间", "办结时间", "经办人"]
    return csv_download("cases.csv", header, (
        [r["number"], r["applicant_name"], r["id_masked"], r["process_name"], r["version"],
         STATUSES.get(r["status"], r["status"]), OUTCOMES.get(r["outcome"] or "", r["outcome"]), r["current_step"],
         china_time(r["started_at"]), china_time(r["ended_at"]), _handled(r)]
        for r in rows
    ))


@bp.get("/reports")
def reports() -> ResponseReturnValue:
    sessions, me = services().sessions, signed_in()
    return render_template("audit/reports.html", same=same_person(sessions, me),
                           unusual=unusual_durations(sessions, me), rule=RULE, levels=LEVELS, directions=DIRECTIONS)


@bp.get("/reports/same-person.csv")
def same_person_csv() -> ResponseReturnValue:
    rows = same_person(services().sessions, signed_in())
    return csv_download("same-person.csv", ["案件编号", "申请人", "办理人", "环节一", "环节二"],
                        ([r["number"], r["applicant_name"], r["user"], r["first"], r["second"]] for r in rows))


@bp.get("/reports/durations.csv")
def durations_csv() -> ResponseReturnValue:
    rows = unusual_durations(services().sessions, signed_in())
    header = ["案件编号", "申请人", "对象", "名称", "办理人", "开始", "结束", "快慢", "说明"]
    return csv_download("durations.csv", header, (
        [r["number"], r["applicant_name"], LEVELS[r["level"]], r["what"], r["by"], china_time(r["began"]),
         china_time(r["ended"]), DIRECTIONS[r["direction"]], r["reason"]]
        for r in rows
    ))
