"""What an auditor asks of a case: its history exported with what each hash covers, the case as it was after any
event (rebuilt by replaying its history, not from a snapshot), and a verification of the whole of it.

Replay runs each recorded step again through ``Steps.run``, with the change the event recorded (``changes``) and the
results the handlers returned then; grouping the events into steps and judging the findings is ``replay``'s part.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine import changes, counties, erasure, history, livecache, replay, state, versions, workflowfacts
from certflow.engine.clock import FixedClock
from certflow.engine.errors import CertflowError, InvalidState, NotFound
from certflow.engine.models import Case, Event, ProcessVersion, Task
from certflow.engine.projection import people_steps, task_fields, title
from certflow.engine.queries import diagram_xml, event_dict, events
from certflow.engine.steps import StepOutput, Steps
from certflow.engine.views import DiagramPath, EventView, HistoryExport, ReplayView


def history_export(steps: Steps, case_ref: str) -> HistoryExport:
    """The history with exactly what each hash covers, so it can be checked without certflow.

    hash = SHA-256(prev_hash + body as JSON with sorted keys, no spaces, UTF-8); the first prev_hash
    is 64 zeros; each body's seq counts from 1. The signatures (mac, seal) can be checked only with the key.
    """
    with steps.sessions() as session:
        case = steps.case(session, case_ref)
        rows = _event_rows(session, case)
        return {
            "case": case.number, "process": case.process_key, "version": case.version.version,
            "event_count": case.event_count, "last_hash": case.last_hash,
            "algorithm": "sha256(prev_hash + json(body, sort_keys, separators=(',', ':'), ensure_ascii=False))",
            "genesis": history.GENESIS,
            "signature": "mac = hmac-sha256(key[key_id], 'certflow-event:' + hash); seal = hmac-sha256("
                         "key[seal_key], 'certflow-case:' + json([case, event_count, last_hash]))",
            "seal": case.seal, "seal_key": case.seal_key,
            "events": [{"body": body, "prev_hash": prev, "hash": digest, "key_id": row.key_id, "mac": row.mac}
                       for row, (body, prev, digest) in zip(rows, _chain(case, rows), strict=True)],
        }


def replay_at(steps: Steps, case_ref: str, seq: int) -> ReplayView:
    """The case as it was after event ``seq``, rebuilt by replaying its history (not from a snapshot)."""
    with steps.sessions() as session:
        case = steps.case(session, case_ref)
        recorded = events(session, case.id)
        if not 1 <= seq <= len(recorded):
            raise NotFound(f"案件 {case.number} 没有第 {seq} 条记录")
        if any(e["kind"] == erasure.KIND for e in recorded):
            raise InvalidState(f"案件 {case.number} 的个人信息已按保存期限删除，无法重放当时的情形")
        replayed = _replay(steps, session, case, recorded)
        step = next((s for s in reversed(replayed) if s.seq <= seq), replayed[0])
        # The version the case was on after that step: a migration later does not change its past.
        version = (steps.row(session, ProcessVersion, step.version_id, "流程版本") if step.version_id
                   else case.version)
        spec, subprocesses, _ = steps.specs(session, version.id)
        lanes = steps.lanes(session, version.id)
        workflow = state.load(replay.as_stored(step.state), spec, subprocesses) if step.state else None
        return {
            "case": case.number, "seq": seq, "step": step.seq, "error": step.error, "version": version.version,
            "events": recorded[:seq],
            "steps": [{"seq": s.seq, "last_seq": s.last_seq, "label": replay.describe_event(s.first),
                       "at": s.first["at"], "actor": s.first["actor"]} for s in replayed],
            "xml": diagram_xml(session, version),
            **(workflowfacts.path(workflow) if workflow else DiagramPath(passed={}, current=[])),
            "open_tasks": [
                {"id": str(t.id), "name": t.task_spec.name, "title": title(t),
                 "role": lanes.role(t.task_spec.lane)}
                for t in (people_steps(workflow) if workflow else [])
            ],
            "data": workflowfacts.public_data(workflowfacts.case_data(workflow)) if workflow else {},
        }


def verify(steps: Steps, case_ref: str) -> replay.Verification:
    """Check the hash chain and its signatures, the case row and its seal, every replayed step, the stored state,
    and the case's status, outcome and open tasks against the replay; the first finding wins."""
    keys = steps.settings.history_keys
    with steps.sessions() as session:
        case = steps.case(session, case_ref)
        rows = _event_rows(session, case)
        recorded = [event_dict(e) for e in rows]
        findings: list[replay.Finding] = []
        erasures = erasure.trusted(keys, case.number, rows)
        erased = {seq: hashes for e in erasures for seq, hashes in e.hashes.items()}
        if broken := history.check_chain(_chain(case, rows), erased):
            findings.append(replay.chain_finding(broken))
        if unsigned := history.check_signatures(keys, ((e.seq, e.hash, e.key_id, e.mac) for e in rows)):
            findings.append(replay.chain_finding(unsigned))
        if cut := replay.count_finding(case.event_count, case.last_hash, recorded):
            findings.append(cut)
        if unsealed := replay.seal_finding(keys, case.number, case.event_count, case.last_hash,
                                           case.seal_key, case.seal):
            findings.append(unsealed)
        # An erased case's steps cannot be run again (its forms no longer hold what they did): its state and row are
        # checked against what the erasure and the history recorded instead.
        replayed = [] if erasures else _replay(steps, session, case, recorded)
        if not findings and erasures:
            findings = _erased_findings(session, case, recorded, erasures[-1])
        elif not findings:  # a broken chain names the very event; a replay over it would only wander
            findings = (_step_findings(replayed, case.state)
                        or _row_findings(steps, session, case, replayed, recorded))
        first = min(findings, key=lambda f: f.seq) if findings else None
        unsigned_count = sum(1 for e in rows if e.key_id is None)
        return replay.Verification(case.number, len(recorded), len(replayed), first, unsigned_count,
                                   erasure.note(erasures))


def _replay(steps: Steps, session: Session, case: Case, recorded: list[EventView]) -> list[replay.Step]:
    """Every step of the case run again; stops at the first step that cannot be re-run.

    It starts on the version the case started on, and moves to another where the case was migrated. A step that ran
    live on the workflow kept in memory (its first event says ``"from": "kept"``) runs on the workflow the step
    before reached here; any other on that step's state as stored (``livecache``).
    """
    done: list[replay.Step] = []
    previous: dict[str, Any] | None = None
    reached: BpmnWorkflow | None = None  # the workflow the step before reached, for a step that ran on it live
    version_id: int | None = None
    local = counties.local(session, steps.settings, case.county)
    for step in replay.steps(recorded):
        first = step.first
        try:
            if first["kind"] == "case_started" and previous is None:
                version_id = versions.find(session, case.process_key, first["data"]["version"]).id
            elif first["kind"] == "case_started" or version_id is None:  # no version: the case was not started
                raise replay.ReplayError("事件顺序不对：第一步必须是受理，且只能有一次")
            if first["kind"] == "case_migrated":
                target_id = versions.find(session, case.process_key, first["data"]["to_version"]).id
                apply = changes.migrating(*steps.specs(session, target_id)[:2])
            else:
                target_id, apply = version_id, changes.replaying(case.number, first)
            kept = reached if first["data"].get("from") == livecache.KEPT else None
            build = changes.building(previous, *steps.specs(session, version_id)[:2], kept=kept)
            results = step.service_results()
            scope = replay.ReplayScope(case.number, first["seq"] - 1, case.county, local)
            workflow = steps.run(session, scope, StepOutput(), build, apply,
                                 FixedClock(datetime.fromisoformat(first["at"])), recorded=results)
            if (extra := next(results, None)) is not None:
                raise replay.ReplayError(f"历史记录了 {extra['operator']} 的调用，重放时流程没有调用它")
        except (CertflowError, KeyError, TypeError, ValueError) as error:
            step.error = str(error)
            step.state = previous or {}
            step.version_id = version_id
            done.append(step)
            break
        step.state = state.dump(workflow)
        step.digest = history.state_digest(step.state)
        previous, reached, version_id = step.state, workflow, target_id
        step.version_id = version_id
        done.append(step)
    return done


def _step_findings(replayed: list[replay.Step], stored: dict[str, Any]) -> list[replay.Finding]:
    """The first replayed step that failed or reached another state; else whether the stored state matches."""
    for step in replayed:
        what = replay.describe_event(step.first)
        if step.error:
            return [replay.Finding(step.seq, "diverged", f"{what}：重放失败：{step.error}")]
        if step.digest != step.recorded:
            return [replay.Finding(step.seq, "state", f"{what}：重放得到的状态与当时记录的状态不同")]
    if replayed and history.state_digest(stored) != replayed[-1].digest:
        difference = replay.state_difference(stored, replayed[-1].state)
        return [replay.Finding(replayed[-1].seq, "stored", f"案件当前保存的状态与重放到此步的结果不同：{difference}")]
    return []


def _row_findings(
    steps: Steps, session: Session, case: Case, replayed: list[replay.Step], recorded: list[EventView],
) -> list[replay.Finding]:
    """The case row's status and outcome, and its open tasks (role, group, assignee), against the replay."""
    last = replayed[-1]
    version_id = last.version_id or case.process_version_id
    spec, subprocesses, _ = steps.specs(session, version_id)
    lanes = steps.lanes(session, version_id)
    workflow = state.load(replay.as_stored(last.state), spec, subprocesses)
    helpers = steps.handlers.helpers(steps.context(FixedClock(datetime.fromisoformat(last.first["at"])),
                                                   counties.local(session, steps.settings, case.county)))
    cancelled = any(e["kind"] == "case_cancelled" for e in recorded)
    open_tasks = {} if cancelled or workflow.completed else {
        str(t.id): task_fields(t, helpers, steps.settings.limits, lanes)
        for t in people_steps(workflow)
    }
    rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open"))
    projected = {row.id: {**{name: getattr(row, name) for name in replay.TASK_FIELDS}, "assignee": row.assignee}
                 for row in rows}
    outcome = workflowfacts.case_data(workflow).get("outcome") if workflow.completed else None
    return replay.row_findings(
        recorded, status=case.status, outcome=case.outcome, replayed_outcome=outcome,
        completed=workflow.completed, cancelled=cancelled, open_tasks=open_tasks, projected=projected,
    )


def _erased_findings(
    session: Session, case: Case, recorded: list[EventView], last: erasure.Erasure,
) -> list[replay.Finding]:
    """The stored state is the one the last erasure left; the row's status and outcome are the history's."""
    if history.state_digest(case.state) != last.state_after:
        return [replay.Finding(last.seq, "stored", "案件当前保存的状态与删除个人信息时记录的不同：删除后被改动过")]
    ended = [e for e in recorded if e["kind"] == "case_ended"]
    rows = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open"))
    return replay.row_findings(
        recorded, status=case.status, outcome=case.outcome,
        replayed_outcome=ended[-1]["data"].get("outcome") if ended else None, completed=bool(ended),
        cancelled=any(e["kind"] == "case_cancelled" for e in recorded), open_tasks={},
        projected={row.id: {"title": row.title} for row in rows},
    )


def _event_rows(session: Session, case: Case) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))


def _chain(case: Case, rows: list[Event]) -> list[tuple[dict[str, Any], str, str]]:
    """(what the hash covers, prev_hash, hash) for each event, in seq order."""
    return [
        (history.event_body(case_number=case.number, seq=e.seq, kind=e.kind, at=e.at, actor=e.actor,
                            task_id=e.task_id, task_name=e.task_name, data=e.data), e.prev_hash, e.hash)
        for e in rows
    ]
