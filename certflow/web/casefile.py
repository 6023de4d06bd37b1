"""A case's file for those who check it: the full history (filtered, exported), the case replayed at any step,
the verification of its history, and personal data in full on a request that is itself recorded.

Everything here reads; the only writes are the records of who saw personal data in full.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from certflow.engine.errors import NotFound
from certflow.engine.privacy import mask_personal
from certflow.engine.views import ReplayView
from certflow.people.access import can_request_personal_data, file_access
from certflow.web import timeline
from certflow.web.context import group_name, services, signed_in
from certflow.web.csvfile import csv_download
from certflow.web.guard import auditable_case, readable_case, reveal
from certflow.web.present import all_fields, describe
from certflow.web.tasks import case_context, case_file, case_timeline, file_response

bp = Blueprint("casefile", __name__)


def _chosen() -> tuple[list[str], str]:
    """The history's filters from the query string: kinds of event (any number), and a person."""
    return request.args.getlist("kind"), request.args.get("person", "").strip()


@bp.get("/cases/<number>/history")
@login_required
def history(number: str) -> ResponseReturnValue:
    case = readable_case(number)
    found, (kinds, person) = case_timeline(case), _chosen()
    return render_template(
        "casefile/history.html", case=case, rows=timeline.select(found, kinds, person), chosen=kinds, person=person,
        kinds={r.kind: r.label for r in found}, people=sorted({r.actor: r.actor_name for r in found}.items()),
        can_export=can_request_personal_data(signed_in()),
    )


@bp.get("/cases/<number>/history.csv")
@login_required
def history_csv(number: str) -> ResponseReturnValue:
    case = readable_case(number)
    rows = timeline.select(case_timeline(case), *_chosen())
    return csv_download(f"{case['number']}-history.csv", timeline.CSV_HEADER, timeline.csv_lines(rows))


@bp.post("/cases/<number>/history.json")
@login_required
def history_json(number: str) -> ResponseReturnValue:
    # The whole chain, never filtered: a filtered chain cannot be checked. It holds personal data in full.
    case = reveal(number, "导出完整历史")
    export = services().runtime.history_export(case["number"])
    return Response(json.dumps(export, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition": f"attachment; filename={case['number']}-history.json"})


@bp.get("/cases/<number>/replay")
@login_required
def replay(number: str) -> ResponseReturnValue:
    case, runtime = readable_case(number), services().runtime
    try:
        view: ReplayView = mask_personal(runtime.replay_at(case["number"], request.args.get("seq", 1, type=int)))
    except NotFound:
        abort(404)
    place = timeline.place_of(view["steps"], view["step"])
    last = view["steps"][place.index]["last_seq"]
    found = case_timeline(case)
    return render_template(
        "casefile/replay.html", case=case, view=view, place=place,
        rows=[r for r in found if view["step"] <= r.seq <= last],
        names={**{s["actor"]: s["actor"] for s in view["steps"]}, **{r.actor: r.actor_name for r in found}},
        data=describe(all_fields(runtime.case_forms(case["number"])), view["data"], rename=group_name,
                      glossary=services().registry.glossary.fields),
        diagram={"xml": view["xml"], "passed": view["passed"], "current": view["current"]},
    )


@bp.post("/cases/<number>/verify")
@login_required
def verify(number: str) -> ResponseReturnValue:
    case = auditable_case(number)
    return render_template("tasks/case.html", **case_context(case),
                           verification=services().runtime.verify(case["number"]))


@bp.post("/cases/<number>/id-number")
@login_required
def id_number(number: str) -> ResponseReturnValue:
    case = reveal(number, "身份证号码")
    return render_template("tasks/case.html", **case_context(case), full_id=_started_with(case["number"]))


@bp.post("/cases/<number>/files/<int:attachment_id>/view")
@login_required
def file_on_request(number: str, attachment_id: int) -> ResponseReturnValue:
    meta, content = case_file(number, attachment_id)
    if file_access(signed_in(), meta["material"]) != "inline":
        names = services().registry.materials.names
        reveal(number, f"{names.get(meta['material'], meta['material'])} {meta['filename']}")
    return file_response(meta, content)


def _started_with(number: str) -> str:
    """The ID number the case was started with, as given: the case itself keeps only the masked one."""
    started = next(e for e in services().runtime.history(number) if e["kind"] == "case_started")
    return str(started["data"]["data"].get("id_number") or "")
