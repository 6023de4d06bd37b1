"""Deployments and their versions: deploy a set of files, list the versions and a version's files, compare two
versions, roll a process back to an earlier one; for the whole province, or for one county; a county giving up its
own versions to follow the province's again.

A county's own versions shadow the province's for that county's new cases (``versions.current``); a deployment or
a rollback for a county makes versions of that county only, and never changes what another county runs."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import versions
from certflow.engine.compare import compare as compare_files
from certflow.engine.errors import DeploymentError, InvalidArgument, InvalidState, Problem
from certflow.engine.models import Deployment, DeploymentFile, LaneMapping, ProcessVersion, VersionRelease
from certflow.engine.roles import Lanes, LaneTarget
from certflow.engine.specs import ParsedDeployment, SourceFile, parse_deployment
from certflow.engine.steps import Steps
from certflow.engine.views import ReleaseView, VersionView


@dataclass(frozen=True)
class DeployedVersion:
    process_key: str
    version: int
    created: bool  # False when identical content was already deployed
    county: str | None = None  # whose version it is: a county's own, or None, the province's


def deploy(
    steps: Steps, files: list[SourceFile], *, author: str, note: str = "", county: str | None = None,
) -> list[DeployedVersion]:
    """Check and store a set of files as versions of ``county`` (None: the province's); a process whose content and
    lane mappings are those its version current there already has gets no new version.

    A set without a process is refused: it would store nothing, and a deployment that says nothing is taken for done.
    """
    check_county(county)
    lanes = current_lanes(steps)
    parsed = parse_deployment(files, steps.handlers.signatures, steps.settings.limits, lanes)
    if not parsed.processes:
        raise DeploymentError([Problem(None, None, None, _no_process(files))])
    return _store(steps, parsed, files, author, note, lanes, county)


def check_county(county: str | None) -> None:
    """A county is named by its 6-digit area code; anything else is refused before it is stored on a version."""
    if county is not None and not (len(county) == 6 and county.isdecimal()):
        raise InvalidArgument(f"县（市）应为6位行政区划代码，不是“{county}”")


def _no_process(files: list[SourceFile]) -> str:
    kinds = {f.kind for f in files}
    if not files:
        return "没有可部署的文件：请给出 .bpmn（或 .bpmn20.xml）、.dmn、.json 文件，或放着它们的文件夹"
    if "bpmn" not in kinds and "dmn" in kinds:
        return ("只有决策表（DMN），没有流程：决策表要由流程里的业务规则任务调用才会用到，"
                "请把调用它的流程（.bpmn 文件）一起部署")
    if "bpmn" not in kinds:
        return "只有表单，没有流程：表单要由流程的任务使用，请把用它的流程（.bpmn 文件）一起部署"
    named = "、".join(f.name for f in files if f.kind == "bpmn")
    return f"{named} 里没有流程（process）：请在建模器里画出流程再部署"


def current_lanes(steps: Steps) -> Lanes:
    """The lane mappings as the administrators keep them today: what the next deployment resolves lanes with."""
    with steps.sessions() as session:
        return _mapped_lanes(session)


def _mapped_lanes(session: Session) -> Lanes:
    return Lanes({row.lane: LaneTarget(row.role, row.group_id) for row in session.scalars(select(LaneMapping))})


def listing(steps: Steps, process_key: str | None = None, county: str | None = None) -> list[VersionView]:
    """The deployed versions, newest first per process: owner, hash, author, time, note, cases, files; all of them,
    or those a county's cases may run on (see ``versions.listing``)."""
    with steps.sessions() as session:
        return versions.listing(session, process_key, county)


def names(steps: Steps, county: str | None) -> dict[str, str]:
    """Each process's name as a person of ``county`` (None: province-wide) knows it; see ``versions.names``."""
    with steps.sessions() as session:
        return versions.names(session, county)


def version_files(steps: Steps, process_key: str, version: int) -> dict[str, str]:
    """File name → content of the files the version was built from."""
    with steps.sessions() as session:
        return versions.files(session, versions.find(session, process_key, version))


def compare(steps: Steps, process_key: str, old: int, new: int) -> dict[str, Any]:
    """Elements added, removed and changed from version ``old`` to ``new``; see ``compare.compare``."""
    result = compare_files(version_files(steps, process_key, old), version_files(steps, process_key, new), process_key)
    return {**result, "old_version": old, "new_version": new}


def rollback(
    steps: Steps, process_key: str, version: int, *, author: str, note: str = "", county: str | None = None,
) -> DeployedVersion:
    """Deploy an earlier version's files again for ``county`` (None: the province): the version current there
    has its content, and its lanes stand for what they stood for then, whatever the mappings say today.

    A county rolls back to one of its own versions or to one of the province's; either way the result is the
    county's own version, so the county keeps it when the province deploys again. The province rolls back to its
    own versions only. InvalidState names the owner of a version out of reach.
    """
    check_county(county)
    with steps.sessions() as session:
        earlier = versions.find(session, process_key, version)
        if not versions.valid_for(earlier, county):
            whose = "全省" if county is None else f"县（市）{county}"
            raise InvalidState(f"{process_key} v{version} 是县（市）{earlier.county} 自有的版本，{whose}不能回滚到它")
        sources = [SourceFile(name, content.encode("utf-8"))
                   for name, content in versions.files(session, earlier).items()]
        lanes = Lanes({**_mapped_lanes(session).mapped, **steps.lanes(session, earlier.id).mapped})
    parsed = parse_deployment(sources, steps.handlers.signatures, steps.settings.limits, lanes)
    [result] = _store(steps, parsed, sources, author, note or f"rollback to v{version}", lanes, county,
                      only=process_key)
    return result


def give_up(steps: Steps, process_key: str, *, county: str, author: str, note: str = "") -> DeployedVersion:
    """``county`` stops using its own versions of the process: its new cases start on the province's newest again
    (and on the province's next ones), until it deploys or rolls back to a version of its own anew. Its running
    cases keep their version. Recorded with who did it, when and why (``releases``).

    Answers the province's version now current there. InvalidState when the county runs the province's already,
    or when the province has no version to follow.
    """
    check_county(county)
    with steps.sessions.begin() as session:
        own = versions.current(session, process_key, county)
        if own is None or own.county != county:
            raise InvalidState(f"县（市）{county} 没有 {process_key} 自有的版本，已在用全省的版本")
        session.add(VersionRelease(process_key=process_key, county=county, through_version=own.version,
                                   author=author, note=note, created_at=steps.clock.now()))
        session.flush()
        province = versions.current(session, process_key, county)
        if province is None:
            raise InvalidState(f"全省还没有 {process_key} 的版本，县（市）{county} 不能放弃自有的版本")
        return DeployedVersion(process_key, province.version, False, None)


def releases(steps: Steps, process_key: str | None = None, county: str | None = None) -> list[ReleaseView]:
    """Each time a county gave up its own versions (of one process, or all; of one county, or every), newest first."""
    query = select(VersionRelease).order_by(VersionRelease.created_at.desc(), VersionRelease.id.desc())
    if process_key:
        query = query.where(VersionRelease.process_key == process_key)
    if county is not None:
        query = query.where(VersionRelease.county == county)
    with steps.sessions() as session:
        return [ReleaseView(key=r.process_key, county=r.county, through_version=r.through_version, author=r.author,
                            note=r.note, released_at=r.created_at.isoformat()) for r in session.scalars(query)]


def _store(
    steps: Steps, parsed: ParsedDeployment, files: list[SourceFile], author: str, note: str, lanes: Lanes,
    county: str | None, only: str | None = None,
) -> list[DeployedVersion]:
    """New versions of ``county`` for the processes (or only the one) whose content differs from the version current
    there; numbered after the highest of the key, the province's and every county's.

    Each version keeps the mappings of the lanes it uses, and they count as its content: the same files deployed
    after a mapping changed make a new version.
    """
    now = steps.clock.now()
    results: list[DeployedVersion] = []
    with steps.sessions.begin() as session:
        deployment: Deployment | None = None
        for process in parsed.processes:
            if only is not None and process.key != only:
                continue
            kept = lanes.resolved(_used_lanes(process.spec))
            content_hash = _with_lanes(process.content_hash, kept)
            current = versions.current(session, process.key, county)
            if current is not None and current.content_hash == content_hash:
                results.append(DeployedVersion(process.key, current.version, False, current.county))
                continue
            if deployment is None:
                deployment = Deployment(content_hash=parsed.content_hash, author=author, note=note, created_at=now)
                deployment.files = [
                    DeploymentFile(name=f.name, kind=f.kind, sha256=f.sha256, content=f.content.decode("utf-8"))
                    for f in files
                ]
                session.add(deployment)
                session.flush()
            version = versions.highest(session, process.key) + 1
            session.add(ProcessVersion(
                process_key=process.key, version=version, county=county, name=process.name,
                content_hash=content_hash, deployment_id=deployment.id, spec={**process.spec, "lanes": kept.stored()},
                forms=process.forms, files=process.files, created_at=now,
            ))
            results.append(DeployedVersion(process.key, version, True, county))
    return results


def _used_lanes(spec: dict[str, Any]) -> set[str]:
    """The lanes the tasks of a serialized spec and its subprocesses sit in."""
    serialized = [spec["spec"], *spec["subprocess_specs"].values()]
    return {ts["lane"] for process in serialized for ts in process["task_specs"].values() if ts.get("lane")}


def _with_lanes(content_hash: str, kept: Lanes) -> str:
    """The files' hash, and the lane mappings with it when there are any (a version without keeps its hash)."""
    if not kept.mapped:
        return content_hash
    both = json.dumps([content_hash, kept.stored()], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(both.encode()).hexdigest()
