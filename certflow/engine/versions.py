"""Process versions as people see them: the list, the files each was built from, lookups by number."""

from __future__ import annotations

from pathlib import PurePosixPath

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, defer

from certflow.engine.errors import NotFound
from certflow.engine.models import Case, Deployment, DeploymentFile, ProcessVersion, VersionRelease
from certflow.engine.specs import CASE_PREFIX_PROPERTY, restore_specs, start_property
from certflow.engine.views import VersionView

# A version's spec and forms are tens of KB of JSON, which the runtime keeps restored once per version
# (``Steps.specs``): lookups that need only the row leave them unread (loaded in the session if ever read).
WITHOUT_SPEC = (defer(ProcessVersion.spec), defer(ProcessVersion.forms))


def highest(session: Session, process_key: str) -> int:
    """The highest number the key's versions have reached, the province's and every county's (0 before any)."""
    highest = select(func.max(ProcessVersion.version)).where(ProcessVersion.process_key == process_key)
    return session.scalar(highest) or 0


def current(session: Session, process_key: str, county: str | None) -> ProcessVersion | None:
    """The version a new case of ``county`` starts on: the newest of the county's own that it has not given up
    (``VersionRelease``), else the province's newest.

    ``county`` None: the province's newest. Another county's versions are never chosen.
    """
    return session.scalars(
        select(ProcessVersion).options(*WITHOUT_SPEC)
        .where(ProcessVersion.process_key == process_key, _chosen_for(county))
        .order_by(ProcessVersion.county.is_(None), ProcessVersion.version.desc()).limit(1)
    ).first()


def current_of_each(session: Session, county: str | None) -> list[ProcessVersion]:
    """``current`` of every process key deployed for the province or for ``county``, by process key."""
    chosen: dict[str, ProcessVersion] = {}
    rows = session.scalars(
        select(ProcessVersion).options(*WITHOUT_SPEC).where(_chosen_for(county))
        .order_by(ProcessVersion.process_key, ProcessVersion.county.is_(None), ProcessVersion.version.desc())
    )
    for version in rows:
        chosen.setdefault(version.process_key, version)
    return list(chosen.values())


def names(session: Session, county: str | None) -> dict[str, str]:
    """Process key → the name its newest version visible to a person of ``county`` gives it: the newest of the
    province's and the county's own, or (None, a province-wide person) of every version, whoever owns it."""
    query = select(ProcessVersion.process_key, ProcessVersion.name).order_by(ProcessVersion.version.desc())
    if county is not None:
        query = query.where(_valid_for(county))
    chosen: dict[str, str] = {}
    for key, name in session.execute(query):
        chosen.setdefault(key, name)
    return chosen


def valid_for(version: ProcessVersion, county: str | None) -> bool:
    """Whether a case of ``county`` (None: the province's view) may run on the version: the province's, or its own."""
    return version.county is None or version.county == county


def _valid_for(county: str | None) -> ColumnElement[bool]:
    province = ProcessVersion.county.is_(None)
    return province if county is None else or_(province, ProcessVersion.county == county)


def case_prefix(session: Session, process_key: str, county: str) -> str | None:
    """The prefix the start event of the version ``county``'s cases start on gives their numbers
    (``caseNumberPrefix``), if it names one: what a county file's county is given when it becomes a row."""
    version = current(session, process_key, county)
    return start_property(restore_specs(version.spec)[0], CASE_PREFIX_PROPERTY) if version else None


def find(session: Session, process_key: str, version: int) -> ProcessVersion:
    found = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key, ProcessVersion.version == version)
    ).first()
    if found is None:
        raise NotFound(f"流程 {process_key} 没有第 {version} 版")
    return found


def listing(session: Session, process_key: str | None = None, county: str | None = None) -> list[VersionView]:
    """Versions (of one process, or all), newest first per process, with who deployed them and their cases.

    ``county`` None: every version, the province's and each county's, ``current`` the newest of each (a county's
    own only if it has not given it up); a county:
    the versions its cases may run on (the province's and its own), ``current`` the one its new cases start on,
    and only its cases counted.
    """
    counts = (
        select(Case.process_version_id, func.count().label("total"),
               func.sum(case((Case.status == "running", 1), else_=0)).label("running"))
        .group_by(Case.process_version_id)
    )
    if county is not None:
        counts = counts.where(Case.county == county)
    counted = counts.subquery()
    query = (
        select(ProcessVersion, Deployment, counted.c.total, counted.c.running)
        .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
        .outerjoin(counted, counted.c.process_version_id == ProcessVersion.id)
        .order_by(ProcessVersion.process_key, ProcessVersion.version.desc())
    )
    if process_key:
        query = query.where(ProcessVersion.process_key == process_key)
    if county is not None:
        query = query.where(_valid_for(county))
    rows = session.execute(query).all()
    released = given_up(session, process_key)
    newest: dict[tuple[str, str | None], int] = {}  # by key and owner (None: the province)
    for version, *_ in rows:
        if version.county is None or version.version > released.get((version.process_key, version.county), 0):
            newest.setdefault((version.process_key, version.county), version.id)
    current = set(newest.values()) if county is None else {  # a county's own shadows the province's
        newest.get((key, county), newest.get((key, None))) for key, _ in newest}
    return [
        VersionView(key=v.process_key, version=v.version, name=v.name, county=v.county, current=v.id in current,
                    content_hash=v.content_hash, author=d.author, note=d.note, deployed_at=d.created_at.isoformat(),
                    running_cases=int(running or 0), total_cases=int(total or 0), files=list(v.files))
        for v, d, total, running in rows
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


def _chosen_for(county: str | None) -> ColumnElement[bool]:
    """The versions ``current`` chooses from: the province's, and the county's own after the last it gave up."""
    if county is None:
        return ProcessVersion.county.is_(None)
    given_up = (select(func.max(VersionRelease.through_version))
                .where(VersionRelease.process_key == ProcessVersion.process_key, VersionRelease.county == county)
                .scalar_subquery())
    own = and_(ProcessVersion.county == county, ProcessVersion.version > func.coalesce(given_up, 0))
    return or_(ProcessVersion.county.is_(None), own)


def given_up(session: Session, process_key: str | None = None) -> dict[tuple[str, str], int]:
    """(process key, county) → the highest of the county's own versions it gave up, for the counties that did."""
    query = (select(VersionRelease.process_key, VersionRelease.county, func.max(VersionRelease.through_version))
             .group_by(VersionRelease.process_key, VersionRelease.county))
    if process_key:
        query = query.where(VersionRelease.process_key == process_key)
    return {(key, county): through for key, county, through in session.execute(query)}
