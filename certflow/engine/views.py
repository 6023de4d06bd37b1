"""What the runtime hands out to its readers (the pages, the API, the CLI): a case, a task, an event of the history,
a text of the outbox, a file, a deployed process and its versions, a case's diagram, an incident, the stuck report,
a migration checked, a history exported, a case replayed. Plain dicts (they go to JSON and to templates as they
are), typed here so that a reader knows their keys.

Times are ISO 8601 strings; ``None`` where a thing has not happened yet or does not apply.
"""

from __future__ import annotations

from typing import Any, TypedDict

from certflow.engine.instructions import Instructions


class TaskView(TypedDict):
    """A user task of the task projection, open or done."""

    id: str
    case: str  # the case's number
    county: str
    applicant_name: str | None
    id_masked: str | None
    process: str
    name: str  # BPMN id
    title: str
    role: str | None
    group: str | None  # the candidate group
    assignee: str | None
    form: str | None  # the form file
    status: str  # open, completed, cancelled
    created_at: str
    due_at: str | None
    completed_at: str | None
    completed_by: str | None


class TaskForm(TypedDict):
    """What a task's page shows to fill in: the schema (choices from the task's data filled in), its uiSchema, and
    the instructions filled in with the task's data."""

    schema: dict[str, Any]
    ui: dict[str, Any]
    instructions: Instructions


class WaitingEvent(TypedDict):
    """A message or timer a case waits for."""

    event: str  # the event definition's type, e.g. MessageEventDefinition
    name: str | None
    # A timer's due moment; for a correlated message, each correlation property's name and the value the message
    # must carry (None until known); None for a message without correlation.
    value: Any
    label: str  # the waiting element as the diagram names it (等待补正材料), or what it waits for when unnamed


class CaseView(TypedDict):
    """A case: its summary, open tasks, what it waits for, its data (the ID number masked)."""

    number: str
    county: str
    process: str
    version: int
    start_form: str | None
    status: str  # running, completed, cancelled, error
    outcome: str | None
    current_step: str | None
    applicant_name: str | None
    id_masked: str | None
    started_at: str
    ended_at: str | None
    next_due_at: str | None
    open_tasks: list[TaskView]
    waiting: list[WaitingEvent]
    data: dict[str, Any]


class EventView(TypedDict):
    """An event of a case's hash-chained history."""

    seq: int
    kind: str
    at: str
    actor: str
    task_id: str | None
    task_name: str | None
    data: dict[str, Any]
    prev_hash: str
    hash: str


class OutboxText(TypedDict):
    """A text message of the outbox, queued, being sent, sent or failed."""

    id: int
    template: str
    recipient_role: str
    recipient_group: str | None
    recipient_phone: str | None
    text: str
    status: str  # queued, sending, sent, failed
    created_at: str


class AttachmentView(TypedDict):
    """A file handed in for a case; its bytes are read apart."""

    id: int
    material: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str


class ProcessView(TypedDict):
    """The latest version of a deployed process, with the form its cases start with."""

    key: str
    name: str
    version: int
    deployed_at: str
    start_form: str | None
    start_schema: dict[str, Any] | None


class VersionView(TypedDict):
    """A deployed version: whose it is, who deployed it when and why, its cases, the files it was built from."""

    key: str
    version: int
    name: str
    county: str | None  # the county whose own version it is; None: the province's
    current: bool  # the one new cases start on (see ``versions.listing``)
    content_hash: str
    author: str
    note: str
    deployed_at: str
    running_cases: int
    total_cases: int
    files: list[str]


class ReleaseView(TypedDict):
    """A county giving up its own versions of a process, back to following the province's newest."""

    key: str
    county: str
    through_version: int  # its own versions up to this one no longer chosen for its new cases
    author: str
    note: str
    released_at: str


class UserTaskSpec(TypedDict):
    """A step people do (user, manual or plain task) of a process's latest version (the inbox filters by it)."""

    process: str  # the process whose cases have it (a called process's steps are their callers')
    name: str
    title: str
    role: str | None


class DiagramPath(TypedDict):
    """Where a case has been on its main diagram."""

    passed: dict[str, int]  # BPMN id -> how often the case passed it
    current: list[str]  # the BPMN ids of the elements under way


class DiagramView(DiagramPath):
    """A case's main diagram (its BPMN file) and where the case has been on it."""

    process: str
    xml: str | None


class IncidentView(TypedDict):
    """An incident as the operations pages and the CLI list it."""

    id: int
    case: str  # the case's number
    case_status: str
    kind: str  # timer, message, notification
    step: str | None
    message: str
    data: dict[str, Any]
    attempts: int
    status: str  # open, resolved
    opened_at: str
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None  # retried, cancelled


class StuckCase(TypedDict):
    """A running case that nothing inside certflow will move."""

    case: str
    process: str
    applicant_name: str | None
    updated_at: str
    waiting: str | None  # what it waits for (a message from outside), None for nothing at all


class StuckReport(TypedDict):
    """The cases that cannot move by themselves, and the open tasks past their deadline."""

    cases: list[StuckCase]  # one page of them
    cases_total: int
    overdue_tasks: list[TaskView]  # one page of them
    overdue_total: int


class PlannedTask(TypedDict):
    """A task of a case whose element a newer version removes."""

    id: str
    name: str
    state: str  # SpiffWorkflow's name of the task's state, e.g. READY


class ChangedTask(PlannedTask):
    """A task of a case whose element a newer version changes."""

    what: list[str]  # the attributes that changed


class MigrationCheck(TypedDict):
    """Whether a case can move to another version, why not, and which of its tasks change."""

    possible: bool
    reason: str
    removed: list[PlannedTask]
    changed: list[ChangedTask]


class MigrationResult(TypedDict):
    """One case moved to another version, or why it was not."""

    case: str
    migrated: bool
    reason: str


class ReplayStep(TypedDict):
    """A step of a replayed case, as its list of steps shows it."""

    seq: int
    last_seq: int
    label: str
    at: str
    actor: str


class ReplayTask(TypedDict):
    """A task open at a replayed step."""

    id: str
    name: str
    title: str
    role: str | None


class ReplayView(DiagramPath):
    """A case as it was after event ``seq``, rebuilt from its history, and where it had been on its diagram."""

    case: str
    seq: int
    step: int  # the seq of the step that event belongs to
    error: str | None  # why replay could not re-run that step, if it could not
    version: int
    events: list[EventView]
    steps: list[ReplayStep]
    xml: str | None
    open_tasks: list[ReplayTask]
    data: dict[str, Any]


class ExportedEvent(TypedDict):
    """An event of a history export: exactly what its hash covers, the hashes and the signature."""

    body: dict[str, Any]
    prev_hash: str
    hash: str
    key_id: str | None
    mac: str | None


class HistoryExport(TypedDict):
    """A case's whole history, with what each hash covers, to be checked without certflow."""

    case: str
    process: str
    version: int
    event_count: int
    last_hash: str
    algorithm: str
    genesis: str
    signature: str
    seal: str | None
    seal_key: str | None
    events: list[ExportedEvent]
