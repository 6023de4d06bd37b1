"""Process versions as people see them: the list, the files each was built from, lookups by number."""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, defer

from certflow.engine.errors import NotFound
from certflow.engine.models import Case, Deployment, DeploymentFile, ProcessVersion
from certflow.engine.specs import CASE_PREFIX_PROPERTY, restore_specs, start_property
from certflow.engine.views import VersionView

# A version's spec and forms are tens of KB of JSON, which the runtime keeps restored once per version
# (``Steps.specs``): lookups that need only the row leave them unread (loaded in the session if ever read).
WITHOUT_SPEC = (defer(ProcessVersion.spec), defer(ProcessVersion.forms))


def latest(session: Session, process_key: str) -> ProcessVersion | None:
    return session.scalars(
        select(ProcessVersion).options(*WITHOUT_SPEC).where(ProcessVersion.process_key == process_key)
        .order_by(ProcessVersion.version.desc()).limit(1)
    ).first()


def case_prefix(session: Session, process_key: str) -> str | None:
    """The prefix the newest version's start event gives its cases' numbers (``caseNumberPrefix``), if it names
    one: what a county file's county is given when it becomes a row."""
    version = latest(session, process_key)
    return start_property(restore_specs(version.spec)[0], CASE_PREFIX_PROPERTY) if version else None


def latest_of_each(session: Session) -> list[ProcessVersion]:
    """The newest version of every deployed process, by process key."""
    highest = select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("v")).group_by(
        ProcessVersion.process_key).subquery()
    newest = (ProcessVersion.process_key == highest.c.process_key) & (ProcessVersion.version == highest.c.v)
    return list(session.scalars(
        select(ProcessVersion).options(*WITHOUT_SPEC).join(highest, newest).order_by(ProcessVersion.process_key)
    ))


def find(session: Session, process_key: str, version: int) -> ProcessVersion:
    found = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key, ProcessVersion.version == version)
    ).first()
    if found is None:
        raise NotFound(f"流程 {process_key} 没有第 {version} 版")
    return found


def listing(session: Session, process_key: str | None = None) -> list[VersionView]:
    """Every version (of one process, or all), newest first per process, with who deployed it and its cases."""
    counts = (
        select(Case.process_version_id, func.count().label("total"),
               func.sum(case((Case.status == "running", 1), else_=0)).label("running"))
        .group_by(Case.process_version_id).subquery()
    )
    query = (
        select(ProcessVersion, Deployment, counts.c.total, counts.c.running)
        .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
        .outerjoin(counts, counts.c.process_version_id == ProcessVersion.id)
        .order_by(ProcessVersion.process_key, ProcessVersion.version.desc())
    )
    if process_key:
        query = query.where(ProcessVersion.process_key == process_key)
    return [
        VersionView(key=v.process_key, version=v.version, name=v.name, content_hash=v.content_hash,
                    author=d.author, note=d.note, deployed_at=d.created_at.isoformat(),
                    running_cases=int(running or 0), total_cases=int(total or 0), files=list(v.files))
        for v, d, total, running in session.execute(query)
    ]


def files(session: Session, version: ProcessVersion) -> dict[str, str]:
    """Name → content of the files the version was built from, named as they were deployed.

    A version lists its forms as ``forms/<file name>`` whatever folder they were deployed from.
    """
    wanted = set(version.files)
    rows = session.scalars(select(DeploymentFile).where(DeploymentFile.deployment_id == version.deployment_id))
    return {
        row.name: row.content for row in rows
        if row.name in wanted or (row.kind == "form" and f"forms/{PurePosixPath(row.name).name}" in wanted)
    }
