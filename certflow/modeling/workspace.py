"""The deployment a draft makes, and what a diagram's elements may choose from.

The files deployed now are those the current version of every process was built from, for the province or for
one county (its own where it has one, else the province's); a draft is laid over them, with every form draft (a
form is deployed with the process that uses it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath
from typing import Any

from stdnum.cn import ric

from certflow.engine import sandbox
from certflow.engine.checks import BPMN
from certflow.engine.errors import NotFound
from certflow.engine.roles import LANE_ROLES, ROLES
from certflow.engine.runtime import DeployedVersion, Runtime, Settings
from certflow.engine.specs import SourceFile
from certflow.engine.views import VersionView
from certflow.modeling.drafts import DraftFile, Drafts, draft_name, kind_of, source_name
from certflow.modeling.xmlfiles import local, parse
from certflow.people.models import Group

SAMPLE_STEPS: list[dict[str, Any]] = [{"task": "pre_review", "data": {"decision": "pass"}}]


def current_files(runtime: Runtime, county: str | None = None) -> dict[str, str]:
    """Draft name → content of the files the current version of every process, in ``county`` (None: the
    province), was built from.

    A diagram comes from the current version of the process it holds (a process that calls it may carry an
    older copy); forms and decision tables from the newest deployment that has them.
    """
    current: list[VersionView] = [v for v in runtime.versions(county=county)
                                  if v["current"] and (county is not None or v["county"] is None)]
    chosen: dict[str, str] = {}
    owned: set[str] = set()
    for version in sorted(current, key=lambda v: (v["deployed_at"], v["key"])):
        for file_name, content in runtime.version_files(version["key"], version["version"]).items():
            name = draft_name(file_name)
            own = kind_of(name) == "bpmn" and version["key"] in process_ids(content)
            if own or name not in owned:
                chosen[name] = content
            if own:
                owned.add(name)
    return chosen


def laid_over(current: Mapping[str, str], drafts: Iterable[DraftFile]) -> dict[str, str]:
    return {**current, **{d.name: d.content for d in drafts}}


def source_files(files: Mapping[str, str]) -> list[SourceFile]:
    """The files as ``certflow deploy processes forms`` names them, so that unchanged content keeps its hash."""
    return [SourceFile(source_name(name), content.encode("utf-8")) for name, content in sorted(files.items())]


def deployed_with(drafts: list[DraftFile], name: str) -> list[DraftFile]:
    """The drafts a deployment of draft ``name`` takes: it, and every form draft."""
    return [d for d in drafts if d.name == name or d.kind == "form"]


def deploy_draft(
    runtime: Runtime, drafts: Drafts, name: str, *, author: str, note: str, county: str | None = None,
) -> list[DeployedVersion]:
    """Deploy ``county``'s current files (None: the province's) with the draft laid over them, as versions of
    ``county``; the drafts deployed are done with.

    DeploymentError (nothing stored, the drafts kept) lists every problem by file, line and element.
    """
    taken = deployed_with(drafts.all(), name)
    files = source_files(laid_over(current_files(runtime, county), taken))
    results = runtime.deploy(files, author=author, note=note or f"部署草稿 {name}", county=county)
    drafts.finish(taken)
    return results


def trial_run(
    runtime: Runtime, drafts: Drafts, name: str, process_key: str, start_data: dict[str, Any],
    steps: list[dict[str, Any]], county: str | None = None,
) -> dict[str, Any]:
    """``sandbox.test_run`` on the deployment the draft would make in ``county``; nothing real is touched."""
    files = source_files(laid_over(current_files(runtime, county), deployed_with(drafts.all(), name)))
    return sandbox.test_run(files, runtime.handlers, runtime.settings, process_key, start_data, steps,
                            lanes=runtime.lane_mappings())


def form_titles(files: Mapping[str, str]) -> dict[str, str]:
    """Each form's title, by file name; a form without one (or not readable yet) is called by its file name."""
    titles = {}
    for name, content in files.items():
        if kind_of(name) != "form":
            continue
        try:
            title = json.loads(content).get("title")
        except (ValueError, AttributeError):
            title = None
        titles[name] = title.strip() if isinstance(title, str) and title.strip() else PurePosixPath(name).name
    return titles


def choices(files: Mapping[str, str], operators: Mapping[str, Iterable[str]],
            groups: Iterable[Group]) -> dict[str, Any]:
    """What the side panel offers: forms by title, handlers with their parameters, decisions, role labels,
    messages, and the directory's active groups by name (办理组)."""
    roots = {name: parse(content) for name, content in files.items() if kind_of(name) in ("bpmn", "dmn")}
    found = [(kind_of(name), el) for name, root in roots.items() if root is not None for el in root.iter()]
    forms = sorted((title, PurePosixPath(name).name) for name, title in form_titles(files).items())
    return {
        "forms": [[file_name, f"{title}（{file_name}）"] for title, file_name in forms],
        "groups": [[g.id, g.name] for g in groups if g.active],
        "operators": {name: list(params) for name, params in sorted(operators.items())},
        "decisions": sorted({el.get("id") for kind, el in found if kind == "dmn" and local(el) == "decision"}),
        "lanes": [ROLES[key] for key in LANE_ROLES],
        "messages": sorted({el.get("name") for kind, el in found if el.tag == BPMN + "message" and el.get("name")}),
    }


def version_diagram(runtime: Runtime, process_key: str, version: int) -> tuple[str, str]:
    """The draft name and content of the diagram holding the process in that version."""
    for file_name, content in runtime.version_files(process_key, version).items():
        if kind_of(file_name) == "bpmn" and process_key in process_ids(content):
            return draft_name(file_name), content
    raise NotFound(f"流程 {process_key} 的 v{version} 里没有它的流程图；请选择另一个版本")


def trial_form(files: Mapping[str, str], name: str, settings: Settings, village: str) -> dict[str, Any]:
    """What a test run of draft ``name`` starts from: the processes to choose from, its own first, sample data."""
    own = process_ids(files.get(name, ""))
    return {
        "processes": sorted({key for n, c in files.items() if kind_of(n) == "bpmn" for key in process_ids(c)}),
        "process": own[0] if own else "",
        "start_data": json.dumps(sample_start(settings, village), ensure_ascii=False, indent=2),
        "steps": json.dumps(SAMPLE_STEPS, ensure_ascii=False, indent=2),
    }


def process_ids(content: str) -> list[str]:
    """The executable processes a diagram holds, in its order."""
    root = parse(content)
    if root is None:
        return []
    return [process_id for p in root.iter(BPMN + "process")
            if p.get("isExecutable", "true") != "false" and (process_id := p.get("id"))]


def sample_start(settings: Settings, village: str) -> dict[str, Any]:
    """Start data the application form accepts, for a test run: an adult in the jurisdiction, a physical disability."""
    body = f"{settings.jurisdiction[0]}19800101123"
    return {
        "applicant_name": "李明", "id_number": body + ric.calc_check_digit(body + "0"), "phone": "13800000001",
        "address": "白鹿镇玉京村12号", "village": village, "category": "肢体", "parts": [],
        "materials": ["photos"], "delivery": "post",
    }
