"""The runtime: the one object the web app, the command line, the workers and the benchmarks hold.

``Runtime`` keeps no logic of its own. Each method hands over to the module of its concern, and every change of a
case goes through one step mechanism (``steps``: lock, load, run, save, events, task projection) applying one of
the changes in ``changes``:

- ``deployments``: deploy, versions and their files, compare, roll back
- ``cases``: start a case, complete a task, deliver a message; claims
- ``background``: due timers (``tick``), queued messages, sending the outbox
- ``recovery``: incidents and what an administrator does about them; the stuck report
- ``casemigration``: moving running cases to a newer version
- ``casefiles``: drafts, comments, attachments (and files picked but never sent, removed), views of personal data
- ``queries``: cases, tasks, processes, diagrams, history, outbox
- ``audit``: history export, a case as it was at an event, verification
- ``erasure``: personal data erased once the retention period has passed
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from certflow.engine import (
    audit,
    background,
    casefiles,
    casemigration,
    cases,
    db,
    deployments,
    erasure,
    queries,
    recovery,
)
from certflow.engine.attachments import FileStore, Upload
from certflow.engine.clock import Clock, SystemClock
from certflow.engine.deployments import DeployedVersion
from certflow.engine.replay import Verification
from certflow.engine.roles import Lanes
from certflow.engine.services import Handlers
from certflow.engine.settings import Settings
from certflow.engine.specs import SourceFile
from certflow.engine.steps import Steps
from certflow.engine.views import (
    AttachmentView,
    CaseView,
    DiagramView,
    EventView,
    HistoryExport,
    IncidentView,
    MigrationCheck,
    MigrationResult,
    OutboxText,
    ProcessView,
    ReleaseView,
    ReplayView,
    StuckReport,
    TaskForm,
    TaskView,
    UserTaskSpec,
    VersionView,
)

__all__ = ["DeployedVersion", "Runtime", "Settings"]


class Runtime:
    """Deploy processes, move cases and read them back. The attributes are what the concerns read at each use."""

    def __init__(
        self, sessions: sessionmaker[Session], handlers: Handlers,
        settings: Settings | None = None, clock: Clock | None = None, files: FileStore | None = None,
    ) -> None:
        self.sessions = sessions
        self.handlers = handlers
        self.settings = settings or Settings()  # gives the engine its data keys too
        self.clock = clock or SystemClock()
        self.files = files
        self._steps = Steps(self)

    @property
    def settings(self) -> Settings:
        return self._settings

    @settings.setter
    def settings(self, settings: Settings) -> None:
        self._settings = settings
        db.use_data_keys(self.sessions, settings.data_keys)

    # -- deployments ---------------------------------------------------------------------------

    def deploy(self, files: list[SourceFile], *, author: str, note: str = "",
               county: str | None = None) -> list[DeployedVersion]:
        return deployments.deploy(self._steps, files, author=author, note=note, county=county)

    def versions(self, process_key: str | None = None, county: str | None = None) -> list[VersionView]:
        return deployments.listing(self._steps, process_key, county)

    def process_names(self, county: str | None) -> dict[str, str]:
        return deployments.names(self._steps, county)

    def version_files(self, process_key: str, version: int) -> dict[str, str]:
        return deployments.version_files(self._steps, process_key, version)

    def compare(self, process_key: str, old: int, new: int) -> dict[str, Any]:
        return deployments.compare(self._steps, process_key, old, new)

    def rollback(self, process_key: str, version: int, *, author: str, note: str = "",
                 county: str | None = None) -> DeployedVersion:
        return deployments.rollback(self._steps, process_key, version, author=author, note=note, county=county)

    def give_up(self, process_key: str, *, county: str, author: str, note: str = "") -> DeployedVersion:
        return deployments.give_up(self._steps, process_key, county=county, author=author, note=note)

    def releases(self, process_key: str | None = None, county: str | None = None) -> list[ReleaseView]:
        return deployments.releases(self._steps, process_key, county)

    def lane_mappings(self) -> Lanes:
        """The lane mappings the next deployment resolves lanes with (a test run takes them along)."""
        return deployments.current_lanes(self._steps)

    # -- cases and tasks -----------------------------------------------------------------------

    def start_case(self, process_key: str, data: dict[str, Any], *, actor: str, county: str | None = None) -> str:
        return cases.start_case(self._steps, process_key, data, actor=actor, county=county)

    def complete_task(self, task_id: str, data: dict[str, Any], *, actor: str) -> str:
        return cases.complete_task(self._steps, task_id, data, actor=actor)

    def complete_task_view(self, task_id: str, data: dict[str, Any], *, actor: str) -> TaskView:
        """``complete_task``, answering with the task as the step left it."""
        return cases.complete_task_view(self._steps, task_id, data, actor=actor)

    def send_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> str:
        return cases.send_message(self._steps, case_ref, name, payload, actor=actor)

    def claim(self, task_id: str, *, actor: str) -> None:
        cases.claim(self._steps, task_id, actor=actor)

    def unclaim(self, task_id: str, *, actor: str) -> None:
        cases.unclaim(self._steps, task_id, actor=actor)

    def reassign(self, task_id: str, assignee: str | None, *, actor: str) -> None:
        cases.reassign(self._steps, task_id, assignee, actor=actor)

    # -- background work -----------------------------------------------------------------------

    def tick(self, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
        return background.tick(self._steps, now, limit=limit)

    def queue_message(self, case_ref: str, name: str, payload: dict[str, Any], *, actor: str) -> int:
        return background.queue_message(self._steps, case_ref, name, payload, actor=actor)

    def run_jobs(self, now: datetime | None = None, *, limit: int | None = None) -> list[str]:
        return background.run_jobs(self._steps, now, limit=limit)

    def send_notifications(self, send: Callable[[OutboxText], None], now: datetime | None = None, *,
                           limit: int | None = None) -> tuple[int, int]:
        return background.send_notifications(self._steps, send, now, limit=limit)

    def next_work_at(self) -> datetime | None:
        return background.next_work_at(self._steps)

    # -- incidents -----------------------------------------------------------------------------

    def incidents(self, *, status: str | None = "open", case_ref: str | None = None,
                  county: str | None = None) -> list[IncidentView]:
        return recovery.listing(self._steps, status=status, case_ref=case_ref, county=county)

    def fix_incident(self, case_ref: str, changes: dict[str, Any], *, actor: str) -> None:
        recovery.fix_incident(self._steps, case_ref, changes, actor=actor)

    def retry_incident(self, case_ref: str, *, actor: str) -> None:
        recovery.retry_incident(self._steps, case_ref, actor=actor)

    def cancel_case(self, case_ref: str, reason: str, *, actor: str) -> None:
        recovery.cancel_case(self._steps, case_ref, reason, actor=actor)

    def stuck(self, now: datetime | None = None, county: str | None = None, *, page_size: int | None = None,
              cases_page: int = 1, tasks_page: int = 1) -> StuckReport:
        return recovery.stuck(self._steps, now, county, page_size=page_size, cases_page=cases_page,
                              tasks_page=tasks_page)

    # -- moving cases to a newer version -------------------------------------------------------

    def migration_check(self, case_ref: str, to_version: int) -> MigrationCheck:
        return casemigration.check(self._steps, case_ref, to_version)

    def migrate(self, case_ref: str, to_version: int, *, actor: str) -> None:
        casemigration.migrate(self._steps, case_ref, to_version, actor=actor)

    def migrate_all(self, process_key: str, from_version: int, to_version: int, *, actor: str,
                    county: str | None = None) -> list[MigrationResult]:
        return casemigration.migrate_all(self._steps, process_key, from_version, to_version, actor=actor,
                                         county=county)

    # -- what people add to a case besides steps -----------------------------------------------

    def save_draft(self, task_id: str, data: dict[str, Any], *, actor: str) -> None:
        casefiles.save_draft(self._steps, task_id, data, actor=actor)

    def draft(self, task_id: str, *, actor: str) -> dict[str, Any] | None:
        return casefiles.draft(self._steps, task_id, actor=actor)

    def add_comment(self, case_ref: str, text: str, *, actor: str) -> None:
        casefiles.add_comment(self._steps, case_ref, text, actor=actor)

    def attach(self, case_ref: str, uploads: list[Upload], *, actor: str) -> None:
        casefiles.attach(self._steps, case_ref, uploads, actor=actor)

    def store_draft(self, upload: Upload) -> tuple[str, str]:
        return casefiles.store_draft(self._steps, upload)

    def drafted(self, tokens: list[str]) -> list[tuple[str, str, Upload]]:
        return casefiles.drafted(self._steps, tokens)

    def remove_old_drafts(self, *, limit: int | None = None) -> int:
        return casefiles.remove_old_drafts(self._steps, self.clock.now(), limit=limit)

    def attachments(self, case_ref: str) -> list[AttachmentView]:
        return casefiles.attachment_list(self._steps, case_ref)

    def attachment_content(self, case_ref: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
        return casefiles.attachment_content(self._steps, case_ref, attachment_id)

    def record_view(self, case_ref: str, what: str, *, actor: str) -> None:
        casefiles.record_view(self._steps, case_ref, what, actor=actor)

    def retention_due(self) -> list[str]:
        return erasure.due(self._steps, self.clock.now())

    def retention_for_person(self, numbers: list[str]) -> tuple[list[str], list[erasure.Kept]]:
        return erasure.for_person(self._steps, numbers, self.clock.now())

    def erase_personal_data(self, case_ref: str, *, actor: str, basis: str, dry_run: bool = False) -> erasure.Erased:
        return erasure.erase(self._steps, case_ref, actor=actor, basis=basis, dry_run=dry_run)

    # -- reading -------------------------------------------------------------------------------

    def case(self, case_ref: str) -> CaseView:
        return queries.case(self._steps, case_ref)

    def case_for_applicant(self, number: str, id_number: str) -> CaseView:
        return queries.case_for_applicant(self._steps, number, id_number)

    def case_numbers_for_applicant(self, id_number: str) -> list[str]:
        return queries.case_numbers_for_applicant(self._steps, id_number)

    def case_numbers_for_guardian(self, id_number: str) -> list[str]:
        return queries.case_numbers_for_guardian(self._steps, id_number)

    def text_applicant(self, case_ref: str, template: str, text: str) -> None:
        casefiles.text_applicant(self._steps, case_ref, template, text)

    def tasks(self, *, role: str | None = None, group: str | None = None, case: str | None = None,
              assignee: str | None = None, status: str = "open", limit: int = 200) -> list[TaskView]:
        return queries.tasks(self._steps, role=role, group=group, case=case, assignee=assignee, status=status,
                             limit=limit)

    def task(self, task_id: str) -> TaskView:
        return queries.task(self._steps, task_id)

    def task_form(self, task_id: str) -> TaskForm:
        return queries.task_form(self._steps, task_id)

    def processes(self, county: str | None = None) -> list[ProcessView]:
        return queries.processes(self._steps, county)

    def user_tasks(self, county: str | None = None) -> list[UserTaskSpec]:
        return queries.user_tasks(self._steps, county)

    def case_forms(self, case_ref: str) -> dict[str, Any]:
        return queries.case_forms(self._steps, case_ref)

    def diagram(self, case_ref: str) -> DiagramView:
        return queries.diagram(self._steps, case_ref)

    def history(self, case_ref: str) -> list[EventView]:
        return queries.history(self._steps, case_ref)

    def outbox(self, case_ref: str | None = None) -> list[OutboxText]:
        return queries.outbox(self._steps, case_ref)

    def case_numbers(self) -> list[str]:
        return queries.case_numbers(self._steps)

    # -- audit ---------------------------------------------------------------------------------

    def history_export(self, case_ref: str) -> HistoryExport:
        return audit.history_export(self._steps, case_ref)

    def replay_at(self, case_ref: str, seq: int) -> ReplayView:
        return audit.replay_at(self._steps, case_ref, seq)

    def verify(self, case_ref: str) -> Verification:
        return audit.verify(self._steps, case_ref)
