"""The one step mechanism every change of a case goes through.

A step is one transaction: lock the case, take its workflow (the one its previous step left in memory here, else
loaded: ``livecache``), run a change (``changes``) through SpiffWorkflow under
the step's clock, save the state, bring the task projection in line, append the hash-chained events and queue the
texts; then commit. A step that fails leaves nothing behind. Replay runs the same ``run`` on the recorded results.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Protocol, TypeVar

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from certflow.engine import (
    budget,
    counties,
    determinism,
    failures,
    history,
    livecache,
    projection,
    replay,
    state,
    wakeup,
    workflowfacts,
)
from certflow.engine.attachments import FileStore
from certflow.engine.calendar import china_today
from certflow.engine.changes import Change
from certflow.engine.clock import Clock, FixedClock, use_clock
from certflow.engine.errors import (
    CASE_STATES,
    TASK_STATES,
    CertflowError,
    Conflict,
    FieldError,
    InputRefused,
    InvalidState,
    NotFound,
    StepFailed,
    ValidationFailed,
)
from certflow.engine.models import Base, Case, Event, Notification, ProcessVersion, Task
from certflow.engine.roles import Lanes
from certflow.engine.scripting import RestrictedEnvironment, ScriptEngine, element_title
from certflow.engine.services import Handlers, ServiceContext
from certflow.engine.settings import Settings
from certflow.engine.specs import restore_specs

determinism.install()

EventRow = tuple[str, str | None, str | None, dict[str, Any]]  # kind, task id, task name, data
Row = TypeVar("Row", bound=Base)
NOT_STARTED = "没有开始办理，未建立案件"  # a failed start: its number was given out but never kept
CHANGED_MEANWHILE = "案件刚被其他人同时修改，请刷新后再试"
CASES = Base.metadata.tables["cases"]


@dataclass(eq=False)
class CaseRow:
    """A case's row as plain values, read by a step (under its lock) and written back as one ``UPDATE``
    (``Steps.write_case``): the columns assigned since the row was read or last written, guarded by ``lock_version``.
    """

    id: int
    number: str
    process_version_id: int
    process_key: str
    county: str
    status: str
    outcome: str | None
    applicant_name: str | None
    applicant_digest: str | None
    id_masked: str | None
    id_digest: str | None
    guardian_digest: str | None
    current_step: str | None
    state: dict[str, Any] | None  # None until a step needs it (``read_state``): a kept workflow does not
    lock_version: int
    next_due_at: datetime | None
    event_count: int
    last_hash: str
    seal: str | None
    seal_key: str | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    failures: int
    last_error: str | None
    written: dict[str, Any] = field(init=False, repr=False)  # each column's value as read or last written
    local: counties.Local | None = field(default=None, init=False, repr=False)  # its county's rules, once read

    def __post_init__(self) -> None:
        self.written = self.columns()

    @classmethod
    def of(cls, row: RowMapping) -> CaseRow:
        return cls(**{"state": None, **row})

    @staticmethod
    def selected() -> list[Any]:
        """The columns a CaseRow reads (a column added to the table and not here is left as the database has it);
        not the state, which may be large and which a step on a kept workflow never decodes."""
        return [CASES.c[f.name] for f in fields(CaseRow) if f.init and f.name != "state"]

    def read_state(self, session: Session) -> dict[str, Any]:
        """The stored state, read in a statement of its own the first time a step needs it."""
        if self.state is None:
            self.state = self.written["state"] = session.connection().scalar(
                select(CASES.c.state).where(CASES.c.id == self.id))
        assert self.state is not None  # the column is NOT NULL
        return self.state

    def columns(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    def assigned(self) -> dict[str, Any]:
        """The columns given another value since the row was read or written; by identity: the state is a new
        object after every step, and comparing it by value would cost more than writing it."""
        return {name: value for name, value in self.columns().items() if value is not self.written[name]}

    def snapshot(self) -> dict[str, Any]:
        return {**vars(self), "written": dict(self.written)}

    def restore(self, snapshot: dict[str, Any]) -> None:
        vars(self).update(snapshot)


class Setup(Protocol):
    """What a runtime is built from: its own attributes, read at each use, so that a test may swap one."""

    sessions: sessionmaker[Session]
    handlers: Handlers
    settings: Settings
    clock: Clock
    files: FileStore | None


@dataclass
class StepOutput:
    """What one change produced besides the new state: events and texts, in order."""

    events: list[EventRow] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def event(self, kind: str, data: dict[str, Any], task_id: str | None = None, task_name: str | None = None) -> None:
        self.events.append((kind, task_id, task_name, data))


class Steps:
    """The step mechanism and what every concern of the runtime shares: its setup and the restored specs."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self._spec_cache: dict[int, tuple[Any, dict[str, Any], dict[str, Any], Lanes]] = {}
        self.workflows = livecache.WorkflowCache()
        self.rules = counties.Rules()

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.setup.sessions

    @property
    def handlers(self) -> Handlers:
        return self.setup.handlers

    @property
    def settings(self) -> Settings:
        return self.setup.settings

    @property
    def clock(self) -> Clock:
        return self.setup.clock

    def step_clock(self) -> FixedClock:
        """One instant for a whole step: its events, its timestamps in the state, its timers.

        Replay runs the step again at the recorded instant and must reach the same state.
        """
        return FixedClock(self.clock.now())

    @contextmanager
    def transaction(self, clock: Clock | None = None) -> Iterator[Session]:
        """One unit of work; a lost race on the case row becomes a Conflict. The workflows its steps reached are
        kept once it has committed (``livecache``)."""
        kept: livecache.Transaction | None = None
        try:
            with self.sessions.begin() as session, use_clock(clock or self.clock):
                kept = self.workflows.begin(session, self.settings.workflow_cache_size)
                yield session
        except (StaleDataError, IntegrityError) as error:
            raise Conflict(CHANGED_MEANWHILE) from error
        if kept is not None:
            kept.commit()

    def row(self, session: Session, model: type[Row], key: Any, what: str) -> Row:
        """The row of ``model`` with the primary key ``key``; NotFound, naming it ``what``, if there is none."""
        found = session.get(model, key)
        if found is None:
            raise NotFound(f"{what} {key} 不存在")
        return found

    def case(self, session: Session, case_ref: str) -> Case:
        """The case with the number (or id) ``case_ref``, unlocked: for reading."""
        return self.row(session, Case, self.case_id(session, case_ref), "案件")

    def case_id(self, session: Session, case_ref: str) -> int:
        case_id = session.scalar(select(Case.id).where(Case.number == case_ref))
        if case_id is None and case_ref.isascii() and case_ref.isdigit() and len(case_ref) < 19:  # a bigint
            case_id = session.scalar(select(Case.id).where(Case.id == int(case_ref)))
        if case_id is None:
            raise NotFound(f"案件 {case_ref} 不存在")
        return case_id

    def open_task(self, session: Session, task_id: str) -> tuple[RowMapping, CaseRow, list[RowMapping]]:
        """The task's projection row and its case's open rows, read once the case is locked; Conflict unless open.

        The case is found and locked in one statement, and the rows are read after the lock (what makes it correct
        on PostgreSQL, where another clerk may have completed the task meanwhile: a statement sees what was
        committed before it began, and the lock may have been waited for).
        """
        case_of_task = select(Task.case_id).where(Task.id == task_id).scalar_subquery()
        # Core statements on the step's connection, as the writes are: the ORM's execute (autoflush, its compile
        # and result wrapping) cost more than the statement itself on SQLite; nothing is pending in the session yet.
        found = session.connection().execute(
            select(*CaseRow.selected()).where(CASES.c.id == case_of_task).with_for_update()).mappings().first()
        if found is None:
            raise NotFound(f"任务 {task_id} 不存在")
        case = CaseRow.of(found)
        check_running(case)
        open_rows = projection.read_open(session, case.id)
        row = next((r for r in open_rows if r["id"] == task_id), None)
        if row is None:
            done = self.row(session, Task, task_id, "任务")
            who = f"由 {done.completed_by} " if done.completed_by else ""
            raise Conflict(f"任务“{done.title}”（{task_id}）已{who}{TASK_STATES[done.status].removeprefix('已')}")
        return row, case, open_rows

    def lock_case(self, session: Session, case_id: int, *, running_only: bool = True) -> CaseRow:
        """The case's row, locked until the transaction ends (``FOR UPDATE``; SQLite's transactions lock anyway)."""
        case = self.read_case(session, case_id, lock=True)
        if running_only:
            check_running(case)
        return case

    def read_case(self, session: Session, case_id: int, *, lock: bool = False) -> CaseRow:
        query = select(*CaseRow.selected()).where(CASES.c.id == case_id)
        return CaseRow.of(session.execute(query.with_for_update() if lock else query).mappings().one())

    def write_case(self, session: Session, case: CaseRow) -> None:
        """Write the columns assigned since the case was read, if any, as one ``UPDATE`` on the step's connection.

        ``lock_version`` guards it as it guarded the ORM's: a row changed meanwhile matches nothing, a Conflict.
        """
        values = case.assigned()
        if not values:
            return
        values["lock_version"] = case.lock_version + 1
        result = session.connection().execute(
            update(CASES).where(CASES.c.id == case.id, CASES.c.lock_version == case.lock_version).values(values))
        if result.rowcount != 1:
            raise Conflict(CHANGED_MEANWHILE)
        case.lock_version = values["lock_version"]
        case.written = case.columns()

    def specs(self, session: Session, version_id: int) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """A version's specs and forms, restored once per process: versions never change."""
        return self._restored(session, version_id)[:3]

    def lanes(self, session: Session, version_id: int) -> Lanes:
        """What the version's lanes stand for: the mappings its deployment kept, never today's."""
        return self._restored(session, version_id)[3]

    def _restored(self, session: Session, version_id: int) -> tuple[Any, dict[str, Any], dict[str, Any], Lanes]:
        cached = self._spec_cache.get(version_id)
        if cached is None:
            version = self.row(session, ProcessVersion, version_id, "流程版本")
            spec, subprocesses = restore_specs(version.spec)
            lanes = Lanes.from_stored(version.spec.get("lanes"))
            cached = self._spec_cache[version_id] = (spec, subprocesses, version.forms, lanes)
        return cached

    def load(self, session: Session, case: Case | CaseRow) -> BpmnWorkflow:
        spec, subprocesses, _ = self.specs(session, case.process_version_id)
        stored = case.read_state(session) if isinstance(case, CaseRow) else case.state
        return state.load(stored, spec, subprocesses)

    def resume(self, session: Session, case: CaseRow) -> BpmnWorkflow:
        """The locked case's workflow for a step: the one its previous step left in memory here, if that step
        made the row as it is (``livecache``), else loaded from the stored state."""
        return self.workflows.resume(session, case) or self.load(session, case)

    def keep(self, session: Session, case: CaseRow, workflow: BpmnWorkflow, output: StepOutput) -> None:
        """Keep the workflow the step reached once the step commits, and record in the step's first event whether
        it began on a kept workflow: replay does as the step did."""
        if self.workflows.stepped(session, case, workflow):
            output.events[0][3]["from"] = livecache.KEPT

    def local(self, session: Session, case: CaseRow | replay.ReplayScope) -> counties.Local:
        """The rules of the case's county (its prefix, signature, calendar), taken once per step, from those the
        process read in the last ``counties.RULES_SECONDS``; a replay's scope carries the rules it was given."""
        if case.local is None:
            case.local = self.rules.local(session, self.settings, case.county)
        return case.local

    def context(self, clock: Clock, local: counties.Local) -> ServiceContext:
        return ServiceContext(
            today=china_today(clock),
            jurisdiction=self.settings.jurisdiction,
            signature=local.signature,
            calendar=local.calendar,
        )

    def run(
        self, session: Session, case: CaseRow | replay.ReplayScope, output: StepOutput,
        build: Callable[[], BpmnWorkflow], apply: Change, clock: Clock,
        recorded: Iterator[dict[str, Any]] | None = None, *, starting: bool = False,
    ) -> BpmnWorkflow:
        """Apply a change under the clock, with replayable task ids and recorded service calls.

        Live, each handler is called and its result recorded; in a replay (``recorded``) the handlers
        are not called again: each call gets the result the history recorded for it, in order.
        ``starting``: the step starts the case, so a failure stores nothing, and says so instead of naming a
        case number that was never kept.
        """
        context = self.context(clock, self.local(session, case))
        operators = self.handlers.operators

        def call(data: dict[str, Any], name: str, params: dict[str, Any]) -> Any:
            if recorded is not None:
                return _recorded_result(recorded, name, params)
            operator = operators.get(name)
            if operator is None:
                raise LookupError(f"没有名为 {name} 的服务：流程调用的服务须先在系统中登记")
            result = operator.call(params, data, context)
            output.event("service_called", {"operator": name, "params": params, "result": result})
            if operator.sends_notification:
                output.notifications.append(result)
            return result

        engine = ScriptEngine(environment=RestrictedEnvironment(self.handlers.helpers(context), call,
                                                                self.settings.limits))

        def work() -> BpmnWorkflow:
            workflow = build()
            workflow.script_engine = engine
            apply(workflow)
            return workflow

        which = NOT_STARTED if starting else f"案件 {case.number}"
        with use_clock(clock), determinism.deterministic_ids(f"{case.number}/{case.event_count + 1}"):
            try:
                workflow = budget.run_step(self.settings.limits, work)
            except WorkflowTaskException as error:
                refused = _refusal(error)
                if refused is not None:
                    raise ValidationFailed([FieldError(field, message) for field, message in refused.errors]) from error
                where = element_title(error.task) if error.task else "?"
                if exceeded := budget.cause(error):
                    raise exceeded.at(where) from error
                raise StepFailed(f"{which}：环节“{where}”的{failures.in_words(error)}", step=where,
                                 detail=failures.original(error)) from error
            except CertflowError:
                raise
            except Exception as error:
                # SpiffWorkflow's errors not of one task, and the diagram's errors it lets through unwrapped (a
                # thrown message whose correlation value is not in the task data): said in words like the others.
                if exceeded := budget.cause(error):
                    raise exceeded from error
                raise StepFailed(f"{which}：{failures.in_words(error)}", detail=failures.original(error)) from error
        return workflow

    def save(
        self, session: Session, case: CaseRow, workflow: BpmnWorkflow, output: StepOutput, actor: str,
        *, completed_task_by: dict[str, str], clock: Clock, open_rows: list[RowMapping] | None = None,
    ) -> None:
        """Store what a step reached: the state, the case row, the task projection, the texts and the events."""
        now = clock.now()
        open_tasks = projection.sync(
            session, case, workflow, completed_task_by=completed_task_by, now=now,
            context=self.context(clock, self.local(session, case)),
            handlers=self.handlers, limits=self.settings.limits, lanes=self.lanes(session, case.process_version_id),
            open_rows=open_rows,
        )
        case.state = reached = state.dump(workflow)
        case.updated_at = now
        due = workflowfacts.next_due(workflow)
        if output.notifications or wakeup.sooner(due, case.next_due_at):
            wakeup.wake_workers(session)  # texts to send, or a timer a worker may be sleeping past
        case.next_due_at = due
        case.failures, case.last_error = 0, None  # the step went through: a later failure starts counting anew
        if workflow.completed:
            case.status = "completed"
            case.ended_at = now
            case.outcome = workflowfacts.case_data(workflow).get("outcome")
            case.current_step = None
            output.event("case_ended", {"outcome": case.outcome})
        else:
            case.current_step = "、".join(t["title"] for t in open_tasks) or workflowfacts.waiting_label(workflow)
        output.events[0][3]["state"] = history.state_digest(reached)
        self.keep(session, case, workflow, output)
        if output.notifications:
            # Append-only rows go in as one statement on the step's connection, without the ORM's unit of work.
            session.connection().execute(insert(Notification), [{
                "case_id": case.id, "template": note["template"], "recipient_role": note["recipient_role"],
                "recipient_group": note.get("recipient_group"), "recipient_phone": note.get("recipient_phone"),
                "text": note["text"], "created_at": now, "next_attempt_at": now,
            } for note in output.notifications])
        self.append_events(session, case, output.events, actor, now)

    def append_events(self, session: Session, case: CaseRow, events: list[EventRow], actor: str, now: datetime) -> None:
        """Chain, sign and insert the events, and write the case row: its count, last hash and seal, and whatever
        else the step assigned to it."""
        before = (case.event_count, case.last_hash)
        rows = []
        for kind, task_id, task_name, data in events:
            seq = case.event_count + 1
            body = history.event_body(
                case_number=case.number, seq=seq, kind=kind, at=now, actor=actor,
                task_id=task_id, task_name=task_name, data=data,
            )
            digest = history.chain_hash(case.last_hash or history.GENESIS, body)
            key_id, mac = self.settings.history_keys.sign(history.event_message(digest))
            rows.append({"case_id": case.id, "seq": seq, "kind": kind, "at": now, "actor": actor, "task_id": task_id,
                         "task_name": task_name, "data": data, "prev_hash": case.last_hash or history.GENESIS,
                         "hash": digest, "key_id": key_id, "mac": mac})
            case.event_count = seq
            case.last_hash = digest
        case.seal_key, case.seal = self.settings.history_keys.sign(
            history.seal_message(case.number, case.event_count, case.last_hash))
        # The case row first: a lost race stops there, before the events' unique (case, seq) would.
        self.write_case(session, case)
        session.connection().execute(insert(Event), rows)
        self.workflows.appended(session, case, before)


def attempt(session: Session, case: CaseRow, work: Callable[[], None]) -> Exception | None:
    """Run a piece of automatic work on ``case`` in a savepoint; the error that undid it, if any.

    Undone, the case's row is as it was before the work too, in the database and here (what the work assigned to it
    was never written, or its write was rolled back with the savepoint).
    Any error but the database's is the work's: a bug in one handler must not stop the workers at one case.
    """
    before = case.snapshot()
    try:
        with session.begin_nested():
            work()
    except SQLAlchemyError:
        raise
    except Exception as error:
        case.restore(before)
        return error
    return None


def check_running(case: Case | CaseRow) -> None:
    if case.status == "error":
        raise InvalidState(f"案件 {case.number} 因故障暂停，须等管理员重试或取消后才能继续办理")
    if case.status != "running":
        raise InvalidState(f"案件 {case.number} {CASE_STATES[case.status]}，不能再办理")


def _refusal(error: BaseException) -> InputRefused | None:
    """The handler's refusal of the step's input behind a failed task, if that is what failed."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, InputRefused):
        # SpiffWorkflow wraps a script's error inside its except block, without ``from``.
        cause = cause.__cause__ or cause.__context__
    return cause


def _recorded_result(recorded: Iterator[dict[str, Any]], name: str, params: dict[str, Any]) -> Any:
    """The next service result the history holds for this step; a different call is a divergence."""
    event = next(recorded, None)
    if event is None or event["operator"] != name or event["params"] != params:
        found = f"调用的是 {event['operator']}（参数 {event['params']}）" if event else "没有调用"
        raise replay.ReplayError(f"重放时流程调用了 {name}（参数 {params}），而历史记录这里{found}")
    return copy.deepcopy(event["result"])
