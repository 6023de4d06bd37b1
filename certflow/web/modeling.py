"""The analysts' pages: the deployed processes and their versions (compare, roll back, move waiting cases),
the drafts, the modeler, decision tables and forms, deploying a draft and test-running it.

Analysts and administrators only; the work is done by ``certflow.modeling`` and the runtime. Each page shows and
acts for one county, the person's own (``county`` in the query or form names it); a province-wide administrator
chooses the province (none named) or any county the installation serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from certflow.casework.search import CaseQuery, search
from certflow.engine.compare import ASPECTS, ELEMENTS
from certflow.engine.errors import CertflowError, DeploymentError, InvalidState, NotFound, ValidationFailed
from certflow.engine.views import MigrationResult
from certflow.modeling.decisiontables import decisions, posted_table, read_table, write_table
from certflow.modeling.drafts import FORMS, DraftFile, Drafts, check_name, draft_name, kind_of
from certflow.modeling.jsontext import NEW_FORM, read_json, read_schema
from certflow.modeling.workspace import (
    choices,
    current_files,
    deploy_draft,
    form_titles,
    laid_over,
    trial_form,
    trial_run,
    version_diagram,
)
from certflow.modeling.xmlfiles import new_diagram
from certflow.people.access import can_model, can_model_for, county_of, in_county
from certflow.web import forms
from certflow.web.auth import login_manager
from certflow.web.context import account, deny, services, signed_in
from certflow.web.present import china_time

bp = Blueprint("modeling", __name__, url_prefix="/modeling")

EDITORS = {"bpmn": "modeling.diagram", "dmn": "modeling.decision", "form": "modeling.form"}
KINDS = {"bpmn": "流程图", "dmn": "决策表", "form": "表单"}
NEW_FILES = {"form": (FORMS, ".json"), "bpmn": ("", ".bpmn")}  # kind -> how a typed name becomes a draft name
MIGRATION_PAGE = 50  # running cases checked on one page; "migrate all" moves every one


@bp.before_request
def analysts_only() -> ResponseReturnValue | None:
    """Sign in first; anyone who does not model processes is refused and recorded."""
    me = account()
    if me is None:
        return login_manager.unauthorized()
    if not can_model(me):
        deny(403, "流程管理")
    return None


@bp.app_context_processor
def _nav() -> dict[str, Any]:
    return {"can_model": can_model, "editor_url": editor_url, "draft_name": draft_name, "county_names": county_names,
            "chooses_county": lambda: can_model_for(signed_in(), None)}


def county_names() -> dict[str, str]:
    """Area code → name of the installation's counties (the counties a province administrator keeps)."""
    return services().counties.names()


def _county() -> str | None:
    """The county the page shows and acts for (None: the province): ``county`` of the query or form if given
    (empty: the province), else the person's own. Nobody but a province-wide administrator names another."""
    me, asked = signed_in(), request.values.get("county")
    county = me.county if asked is None else asked or None
    if not can_model_for(me, county):
        deny(403, "管理其他县（市）的流程", "只能为本县（市）部署、回滚和迁移流程")
    if asked and asked not in county_names():
        abort(400, "未知的县（市）")
    return county


def _numbers(key: str, county: str | None) -> list[int]:
    """The versions of ``key`` the page may show for ``county``, newest first; 404 when there are none."""
    numbers = [v["version"] for v in services().runtime.versions(key, county)]
    if not numbers:
        abort(404)
    return numbers


@bp.app_template_filter("pretty_json")
def _pretty_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound) -> ResponseReturnValue:
    return render_template("errors/error.html", status=404, message="页面不存在或无权查看", detail=None), 404


def editor_url(name: str, element: str | None = None) -> str:
    """The page that edits a file, by its draft name (or a deployment's file name), optionally at an element."""
    endpoint = EDITORS.get(kind_of(name))
    if endpoint is None:
        return ""
    drafted = draft_name(name)
    return url_for(endpoint, name=drafted.removeprefix(FORMS), element=element)


def _drafts() -> Drafts:
    """The drafts of the person's county (a province-wide person's: the province's), whichever county the page
    shows: nobody reads or changes another county's."""
    return Drafts(services().sessions, services().runtime.clock, signed_in().county)


def _me() -> str:
    return signed_in().username


@dataclass(frozen=True)
class _Opened:
    name: str
    draft: DraftFile | None
    content: str
    files: dict[str, str]  # every file a deployment of it would hold: the deployed ones with all drafts over them
    new: bool  # neither drafted nor deployed yet


def _open(name: str, kind: str, new: str | None = None) -> _Opened:
    """A file to edit: its draft if there is one, else the deployed file, else ``new``; 404 when none."""
    try:
        check_name(name)
    except ValidationFailed:
        abort(404)
    if kind_of(name) != kind:
        abort(404)
    all_drafts = _drafts().all()
    files = laid_over(current_files(services().runtime, _county()), all_drafts)
    draft = next((d for d in all_drafts if d.name == name), None)
    content = files.get(name, new)
    if content is None:
        abort(404)
    return _Opened(name, draft, content, files, name not in files)


# -- deployed processes and their versions -------------------------------------------------------

@bp.get("")
def index() -> ResponseReturnValue:
    runtime, drafts, county = services().runtime, _drafts().all(), _county()
    files = current_files(runtime, county)
    by_kind = [(label, sorted(n for n in files if kind_of(n) == kind)) for kind, label in KINDS.items()]
    titles = form_titles(files)
    by_kind = [(label, sorted(names, key=lambda n: (titles.get(n, n), n))) for label, names in by_kind]
    return render_template("modeling/index.html", versions=runtime.versions(county=county), drafts=drafts,
                           province_drafts=_drafts().province(), files=by_kind, drafted={d.name for d in drafts},
                           titles=titles, county=county, releases=runtime.releases(county=county))


@bp.post("/processes/<key>/versions/<int:version>/copy")
def copy(key: str, version: int) -> ResponseReturnValue:
    if version not in _numbers(key, _county()):
        abort(404)
    name, content = version_diagram(services().runtime, key, version)
    drafts = _drafts()
    existing = drafts.get(name)
    if existing:  # never overwrite someone's work: they delete the draft first
        flash(f"{name} 已有草稿（{existing.author}，{china_time(existing.updated_at)}），已打开该草稿；"
              f"要从 v{version} 重新开始，请先在草稿列表中删除它", "error")
    else:
        drafts.save(name, content, author=_me(), based_on=(key, version))
        flash(f"已从 {key} v{version} 复制出草稿 {name}")
    return redirect(editor_url(name))


@bp.get("/processes/<key>/compare")
def compare(key: str) -> ResponseReturnValue:
    """Any two versions the county may run, the province's and its own alike."""
    runtime, county = services().runtime, _county()
    numbers = _numbers(key, county)
    new = request.args.get("new", numbers[0], type=int)
    old = request.args.get("old", numbers[min(1, len(numbers) - 1)], type=int)
    if not {old, new} <= set(numbers):
        abort(404)
    found = runtime.compare(key, old, new)
    changed = {e["id"]: "changed" for e in found["changed"]}
    diagrams = {
        "old": {"xml": found["old_xml"], "marks": {**changed, **{e["id"]: "removed" for e in found["removed"]}}},
        "new": {"xml": found["new_xml"], "marks": {**changed, **{e["id"]: "added" for e in found["added"]}}},
    }
    return render_template("modeling/compare.html", key=key, found=found, numbers=numbers, aspects=ASPECTS,
                           element_names=ELEMENTS, diagrams=diagrams, county=county)


@bp.post("/processes/<key>/versions/<int:version>/rollback")
def rollback(key: str, version: int) -> ResponseReturnValue:
    """The county's (or the province's) current version gets ``version``'s content, for it alone."""
    county = _county()
    back = redirect(url_for(".index", county=request.form.get("county")))
    try:
        result = services().runtime.rollback(key, version, author=_me(), note=request.form.get("note", "").strip(),
                                             county=county)
    except DeploymentError as error:
        flash(f"v{version} 无法再次部署：" + "；".join(map(str, error.problems)), "error")
        return back
    except InvalidState as error:
        flash(str(error), "error")
        return back
    whose = "全省" if county is None else county_names().get(county, county)
    if result.created:
        flash(f"已回滚：{key} {whose}的新版本 v{result.version}，内容与 v{version} 相同")
    else:
        flash(f"{key} {whose}当前版本 v{result.version} 的内容已与 v{version} 相同，没有新版本")
    return back


@bp.post("/processes/<key>/give-up")
def give_up(key: str) -> ResponseReturnValue:
    """The page's county stops using its own versions of ``key`` and follows the province's newest again."""
    county = _county()
    back = redirect(url_for(".index", county=request.form.get("county")))
    if county is None:
        abort(400, "请选择县（市）：全省的版本不能放弃")
    _numbers(key, county)
    if request.form.get("confirm") != "yes":
        flash("请勾选确认后再放弃本县（市）自有的版本", "error")
        return back
    try:
        result = services().runtime.give_up(key, county=county, author=_me(),
                                            note=request.form.get("note", "").strip())
    except InvalidState as error:
        flash(str(error), "error")
        return back
    flash(f"{county_names().get(county, county)}已放弃 {key} 自有的版本，新案件改用全省的 v{result.version}")
    return back


@bp.route("/processes/<key>/versions/<int:version>/migration", methods=["GET", "POST"])
def migration(key: str, version: int) -> ResponseReturnValue:
    """The county's running cases of ``version`` moved to a newer version it may run (the province's or its own)."""
    runtime, county = services().runtime, _county()
    if version not in _numbers(key, county):
        abort(404)
    # The province's page moves cases to the province's versions; a county's to its own or the province's.
    targets = [v["version"] for v in runtime.versions(key, county)
               if v["version"] > version and v["county"] in (None, county)]
    to = request.values.get("to", targets[0] if targets else version, type=int)
    if request.method == "POST":
        return _migrate(key, version, to, county)
    query = CaseQuery(process=key, version=version, status="running", county=county, sort="started",
                      page_size=MIGRATION_PAGE)
    page = search(services().sessions, query, signed_in())
    checks = [(row, runtime.migration_check(row["number"], to)) for row in page.rows]
    return render_template("modeling/migration.html", key=key, version=version, to=to, total=page.total,
                           targets=targets, checks=checks, county=county)


def _migrate(key: str, version: int, to: int, county: str | None) -> ResponseReturnValue:
    """Move one case (``case``) or every running case of the version, of the page's county (every county's for
    the province); each result flashed. A case moves only to a version of the province or of its own county."""
    runtime, number, me = services().runtime, request.form.get("case", "").strip(), signed_in()
    if number:
        try:
            of = runtime.case(number)["county"]
            if not in_county(me, of) or county not in (None, of):  # the page's county's cases only
                raise NotFound(f"案件 {number} 不存在")
            runtime.migrate(number, to, actor=me.username)
            results = [MigrationResult(case=number, migrated=True, reason="")]
        except CertflowError as error:
            results = [MigrationResult(case=number, migrated=False, reason=str(error))]
    else:
        results = runtime.migrate_all(key, version, to, actor=me.username, county=county or county_of(me))
    moved = [r["case"] for r in results if r["migrated"]]
    flash(f"已迁移到 v{to}：{'、'.join(moved)}" if moved else f"没有案件迁移到 v{to}")
    for refused in (r for r in results if not r["migrated"]):
        flash(f"{refused['case']} 未迁移：{refused['reason']}", "error")
    return redirect(url_for(".migration", key=key, version=version, to=to, county=request.form.get("county")))


@bp.post("/drafts-from-province")
def from_province() -> ResponseReturnValue:
    """A county's own draft copied from one of the province's, which stays as it is."""
    drafts, name = _drafts(), _draft_name()
    if name not in {d.name for d in drafts.province()}:
        abort(404)
    existing = drafts.get(name)
    if existing:
        flash(f"{name} 已有本县（市）的草稿（{existing.author}，{china_time(existing.updated_at)}）；"
              f"要从全省的草稿重新开始，请先删除它", "error")
    else:
        drafts.copy_from_province(name, author=_me())
        flash(f"已从全省的草稿复制出本县（市）的草稿 {name}")
    return redirect(editor_url(name))


@bp.post("/discard")
def discard() -> ResponseReturnValue:
    name = request.form.get("draft", "").strip()
    if not name:
        abort(400, "没有选择要删除的草稿")
    _drafts().discard(name)
    flash(f"已删除草稿 {name}")
    return redirect(url_for(".index"))


# -- editors ----------------------------------------------------------------------------------

@bp.get("/drafts/<path:name>")
def diagram(name: str) -> ResponseReturnValue:
    opened, runtime = _open(name, "bpmn", new=new_diagram(name)), services().runtime
    villages = [g.id for g in services().directory.of_role("village") if g.active]
    data = {
        "name": name, "xml": opened.content, "element": request.args.get("element"),
        "save_url": url_for(".save_diagram", name=name),
        "moddle_url": url_for("static", filename="spiffworkflow.json"),
        "choices": choices(opened.files, runtime.handlers.signatures, services().directory.all()),
    }
    trial = trial_form(opened.files, name, runtime.settings, villages[0] if villages else "")
    return render_template("modeling/diagram.html", opened=opened, data=data, trial=trial)


@bp.post("/drafts/<path:name>")
def save_diagram(name: str) -> ResponseReturnValue:
    """The modeler posts the diagram's XML as the request body."""
    if kind_of(name) != "bpmn":
        abort(404)
    draft = _drafts().save(check_name(name), request.get_data(as_text=True), author=_me())
    return jsonify(saved_at=china_time(draft.updated_at))


@bp.route("/decisions/<path:name>", methods=["GET", "POST"])
def decision(name: str) -> ResponseReturnValue:
    opened = _open(name, "dmn")
    found = decisions(opened.content)
    if not found:
        abort(404)
    table = read_table(opened.content, request.values.get("decision") or found[0][0])
    if request.method == "POST":
        table = posted_table(table, request.form.getlist)
        _drafts().save(name, write_table(opened.content, table), author=_me())
        flash("决策表草稿已保存")
        return redirect(url_for(".decision", name=name, decision=table.decision_id))
    return render_template("modeling/decision.html", opened=opened, decisions=found, table=table)


@bp.get("/new/<kind>")
def new_file(kind: str) -> ResponseReturnValue:
    """Open a form or a diagram by the name typed in: an existing one as it is, a new one from its blank start."""
    if kind not in NEW_FILES:
        abort(404)
    prefix, suffix = NEW_FILES[kind]
    name = prefix + request.args.get("name", "").strip().removesuffix(suffix) + suffix
    try:
        check_name(name)
    except ValidationFailed as error:
        flash(KINDS[kind] + error.errors[0].message, "error")
        return redirect(url_for(".index"))
    return redirect(editor_url(name))


@bp.route("/forms/<name>", methods=["GET", "POST"])
def form(name: str) -> ResponseReturnValue:
    opened = _open(FORMS + name, "form", new=NEW_FORM)
    if request.method == "POST":
        _drafts().save(opened.name, request.form.get("schema", ""), author=_me())
        flash("表单草稿已保存")
        return redirect(url_for(".form", name=name))
    return render_template("modeling/form.html", opened=opened, **_preview(opened.content))


@bp.post("/form-preview")
def form_preview() -> ResponseReturnValue:
    """The form as a clerk would see it, rendered by the inbox's macros; the page asks as the schema is typed."""
    return render_template("modeling/_form_preview.html", **_preview(request.form.get("schema", "")))


def _preview(text: str) -> dict[str, Any]:
    schema, problems = read_schema(text)
    return {"fields": forms.fields(schema) if schema else [], "problems": problems,
            "title": (schema or {}).get("title", "")}


# -- deploying and test-running a draft ---------------------------------------------------------

def _draft_name() -> str:
    try:
        return check_name(request.form.get("draft", ""))
    except ValidationFailed:
        abort(400, "未指明草稿")


@bp.post("/deploy")
def deploy() -> ResponseReturnValue:
    """The draft deployed as versions of the form's county (the person's own when not named; empty: the province)."""
    name, county = _draft_name(), _county()
    try:
        results = deploy_draft(services().runtime, _drafts(), name, author=_me(),
                               note=request.form.get("note", "").strip(), county=county)
    except DeploymentError as error:
        return render_template("modeling/deployment.html", name=name, problems=error.problems), 422
    return render_template("modeling/deployment.html", name=name, results=results, county=county)


@bp.post("/test-run")
def trial() -> ResponseReturnValue:
    name = _draft_name()
    start, problems = read_json(request.form.get("start_data", ""), dict, "开始数据")
    steps, more = read_json(request.form.get("steps", ""), list, "步骤", items=dict)
    if problems or more:
        return render_template("modeling/trial.html", name=name, problems=problems + more), 422
    result = trial_run(services().runtime, _drafts(), name, request.form.get("process", ""), start, steps,
                       county=_county())
    return render_template("modeling/trial.html", name=name, result=result)
