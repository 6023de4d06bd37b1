"""Moving running cases to a newer version of their process: whether one can move, moving it, moving all of a
version. A case moves to the province's versions or its own county's, never another county's. What a move does to
the workflow, and the rule that allows it, are in ``migration``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import changes, migration, versions
from certflow.engine.clock import Clock
from certflow.engine.errors import CertflowError, InvalidState, NotFound
from certflow.engine.models import Case, ProcessVersion
from certflow.engine.steps import CaseRow, StepOutput, Steps
from certflow.engine.views import MigrationCheck, MigrationResult


def check(steps: Steps, case_ref: str, to_version: int) -> MigrationCheck:
    """Whether the case can move to ``to_version`` of its process, why not, and which of its tasks change.

    ``{"possible", "reason" (Chinese), "removed", "changed"}``; the rule is in ``migration``.
    """
    with steps.sessions() as session:
        case = steps.read_case(session, steps.case_id(session, case_ref))
        plan = _plan(steps, session, case, to_version, steps.step_clock())[1]
        return plan.as_dict(_version(steps, session, case), to_version)


def migrate(steps: Steps, case_ref: str, to_version: int, *, actor: str) -> None:
    """Move a running case to a newer version of its process; InvalidState with the reason when it cannot."""
    clock = steps.step_clock()
    with steps.transaction(clock) as session:
        case = steps.lock_case(session, steps.case_id(session, case_ref), running_only=False)
        target, plan = _plan(steps, session, case, to_version, clock)
        if target is None or not plan.possible:
            raise InvalidState(plan.as_dict(_version(steps, session, case), to_version)["reason"])
        spec, subprocesses, _ = steps.specs(session, target.id)
        output = StepOutput()
        workflow = steps.run(session, case, output, lambda: steps.load(session, case),
                             changes.migrating(spec, subprocesses), clock=clock)
        output.events.insert(0, ("case_migrated", None, None, {
            "from_version": _version(steps, session, case), "to_version": target.version,
        }))
        case.process_version_id = target.id  # before the save: the projection reads the version's lanes by it
        steps.save(session, case, workflow, output, actor, completed_task_by={}, clock=clock)


def migrate_all(
    steps: Steps, process_key: str, from_version: int, to_version: int, *, actor: str, county: str | None = None,
) -> list[MigrationResult]:
    """Every running case of ``from_version`` (of ``county``, None for every county) moved to ``to_version``,
    each in its own transaction.

    ``[{"case", "migrated", "reason"}]``: a case that cannot move keeps its version and says why.
    """
    with steps.sessions() as session:
        source = versions.find(session, process_key, from_version)
        running = select(Case.number).where(Case.process_version_id == source.id, Case.status == "running")
        if county is not None:
            running = running.where(Case.county == county)
        numbers = session.scalars(running.order_by(Case.id)).all()
    results: list[MigrationResult] = []
    for number in numbers:
        try:
            migrate(steps, number, to_version, actor=actor)
            results.append({"case": number, "migrated": True, "reason": ""})
        except CertflowError as error:
            results.append({"case": number, "migrated": False, "reason": str(error)})
    return results


def _plan(
    steps: Steps, session: Session, case: CaseRow, to_version: int, clock: Clock,
) -> tuple[ProcessVersion | None, migration.Plan]:
    """The target version and the plan, tried on the case at ``clock``'s instant; no target when ruled out."""
    current = _version(steps, session, case)
    if case.status != "running":
        return None, migration.refused(f"案件 {case.number} 不在办理中，不能迁移")
    try:
        target = versions.find(session, case.process_key, to_version)
    except NotFound:
        return None, migration.refused(f"流程 {case.process_key} 没有 v{to_version}")
    if target.version <= current:
        return None, migration.refused(f"案件在 v{current} 上，只能迁移到更新的版本")
    if not versions.valid_for(target, case.county):  # another county's own version is never its cases'
        return None, migration.refused(f"v{to_version} 是另一个县（市）自有的版本，案件 {case.number} 不能迁移到它")
    spec, subprocesses, _ = steps.specs(session, target.id)
    plans: list[migration.Plan] = []
    try:
        steps.run(session, case, StepOutput(), lambda: steps.load(session, case),
                  lambda workflow: plans.append(migration.check(workflow, spec, subprocesses)), clock=clock)
    except CertflowError as error:
        return None, migration.refused(f"试迁移失败：{error}")
    return target, plans[0]


def _version(steps: Steps, session: Session, case: CaseRow) -> int:
    """The number of the version the case is on."""
    return steps.row(session, ProcessVersion, case.process_version_id, "流程版本").version
