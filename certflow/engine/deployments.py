"""Deployments and their versions: deploy a set of files, list the versions and a version's files, compare two
versions, roll a process back to an earlier one."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import versions
from certflow.engine.compare import compare as compare_files
from certflow.engine.errors import DeploymentError, Problem
from certflow.engine.models import Deployment, DeploymentFile, LaneMapping, ProcessVersion
from certflow.engine.roles import Lanes, LaneTarget
from certflow.engine.specs import ParsedDeployment, SourceFile, parse_deployment
from certflow.engine.steps import Steps
from certflow.engine.views import VersionView


@dataclass(frozen=True)
class DeployedVersion:
    process_key: str
    version: int
    created: bool  # False when identical content was already deployed


def deploy(steps: Steps, files: list[SourceFile], *, author: str, note: str = "") -> list[DeployedVersion]:
    """Check and store a set of files; a process whose content and lane mappings are unchanged gets no new
    version.

    A set without a process is refused: it would store nothing, and a deployment that says nothing is taken for done.
    """
    lanes = current_lanes(steps)
    parsed = parse_deployment(files, steps.handlers.signatures, steps.settings.limits, lanes)
    if not parsed.processes:
        raise DeploymentError([Problem(None, None, None, _no_process(files))])
    return _store(steps, parsed, files, author, note, lanes)


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


def listing(steps: Steps, process_key: str | None = None) -> list[VersionView]:
    """Every deployed version, newest first per process: hash, author, time, note, cases, files."""
    with steps.sessions() as session:
        return versions.listing(session, process_key)


def version_files(steps: Steps, process_key: str, version: int) -> dict[str, str]:
    """File name → content of the files the version was built from."""
    with steps.sessions() as session:
        return versions.files(session, versions.find(session, process_key, version))


def compare(steps: Steps, process_key: str, old: int, new: int) -> dict[str, Any]:
    """Elements added, removed and changed from version ``old`` to ``new``; see ``compare.compare``."""
    result = compare_files(version_files(steps, process_key, old), version_files(steps, process_key, new), process_key)
    return {**result, "old_version": old, "new_version": new}


def rollback(steps: Steps, process_key: str, version: int, *, author: str, note: str = "") -> DeployedVersion:
    """Deploy an earlier version's files again: the new latest version has its content, and its lanes stand for
    what they stood for then, whatever the mappings say today."""
    with steps.sessions() as session:
        earlier = versions.find(session, process_key, version)
        sources = [SourceFile(name, content.encode("utf-8"))
                   for name, content in versions.files(session, earlier).items()]
        lanes = Lanes({**_mapped_lanes(session).mapped, **steps.lanes(session, earlier.id).mapped})
    parsed = parse_deployment(sources, steps.handlers.signatures, steps.settings.limits, lanes)
    [result] = _store(steps, parsed, sources, author, note or f"rollback to v{version}", lanes, only=process_key)
    return result


def _store(
    steps: Steps, parsed: ParsedDeployment, files: list[SourceFile], author: str, note: str, lanes: Lanes,
    only: str | None = None,
) -> list[DeployedVersion]:
    """New versions for the processes (or only the one) whose content differs from their latest version.

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
            latest = versions.latest(session, process.key)
            if latest is not None and latest.content_hash == content_hash:
                results.append(DeployedVersion(process.key, latest.version, False))
                continue
            if deployment is None:
                deployment = Deployment(content_hash=parsed.content_hash, author=author, note=note, created_at=now)
                deployment.files = [
                    DeploymentFile(name=f.name, kind=f.kind, sha256=f.sha256, content=f.content.decode("utf-8"))
                    for f in files
                ]
                session.add(deployment)
                session.flush()
            version = (latest.version if latest else 0) + 1
            session.add(ProcessVersion(
                process_key=process.key, version=version, name=process.name,
                content_hash=content_hash, deployment_id=deployment.id, spec={**process.spec, "lanes": kept.stored()},
                forms=process.forms, files=process.files, created_at=now,
            ))
            results.append(DeployedVersion(process.key, version, True))
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
