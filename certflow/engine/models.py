"""Database tables of the runtime (SQLAlchemy 2.0 typed ORM).

The schema itself is created by the Alembic migrations in ``certflow/migrations``; keep the two
in step.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from certflow.engine import sealing


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the database")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class SealedValue(TypeDecorator[Any]):
    """A value encrypted at rest with the data keys the engine was given (``db.use_data_keys``), its table and column
    as the envelope's context: a value copied into another column does not open there. The column cannot be
    compared or sorted in SQL; a search goes by the lookup digest stored beside it (``sealing``). Its kinds say how
    the value becomes bytes (``Sealed``: text, ``SealedJSON``: JSON)."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context.encode()

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else data_keys(dialect).encrypt(self.to_bytes(value), context=self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> Any:
        return None if value is None else self.from_bytes(data_keys(dialect).decrypt(bytes(value),
                                                                                      context=self.context))

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, clear: bytes) -> Any:
        raise NotImplementedError


class Sealed(SealedValue):
    """Text sealed: names, phone numbers, texts."""

    cache_ok = True

    def to_bytes(self, value: str) -> bytes:
        return value.encode()

    def from_bytes(self, clear: bytes) -> str:
        return clear.decode()


class SealedJSON(SealedValue):
    """JSON sealed: the case state, the histories' data, drafts. Whoever needs one of its fields reads the value."""

    cache_ok = True

    def to_bytes(self, value: Any) -> bytes:
        # check_circular off: the same bytes, a tenth faster on a case's state. A circular value would still fail (a
        # RecursionError instead of a ValueError), and none gets here: states and events' data are hashed first with
        # the same check off (history.canonical); drafts, messages and incidents' data were read from JSON.
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode()

    def from_bytes(self, clear: bytes) -> Any:
        return json.loads(clear)


def data_keys(dialect: Dialect) -> sealing.DataKeyRing:
    """The data keys given to the engine whose dialect this is."""
    ring: sealing.DataKeyRing | None = getattr(dialect, "certflow_data_keys", None)
    if ring is None:  # never a silent default: the public demo key would seal production's data
        raise sealing.SealError("数据库连接没有配置数据加密密钥，无法读写加密的个人信息")
    return ring


def session_keys(session: Session) -> sealing.DataKeyRing:
    """The data keys of the engine ``session`` works on: a search digests what it looks for with them."""
    return data_keys(session.get_bind().dialect)


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: UTCDateTime(),
    }


class Deployment(Base):
    """One deploy command: a set of files, stored once."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    files: Mapped[list[DeploymentFile]] = relationship(back_populates="deployment", order_by="DeploymentFile.name")


class DeploymentFile(Base):
    __tablename__ = "deployment_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn, dmn, form
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    deployment: Mapped[Deployment] = relationship(back_populates="files")


class County(Base):
    """A county of the installation (a tenant): its cases, tasks, groups and people carry its code.

    A province runs one installation for all its counties; each county's own settings are here, kept by a
    province administrator, instead of in the deployment's configuration.
    """

    __tablename__ = "counties"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)  # its 6-digit administrative division code
    name: Mapped[str] = mapped_column(String(60))  # e.g. 庐山市
    federation: Mapped[str] = mapped_column(String(100))  # e.g. 庐山市残联
    case_prefix: Mapped[str] = mapped_column(String(6), unique=True)  # its cases' numbers begin with it, e.g. LS
    sms_signature: Mapped[str] = mapped_column(String(20))  # the signature its texts carry, e.g. 庐山市残联
    holidays: Mapped[list[Any]]  # ISO dates its offices are closed beyond the national calendar
    workdays: Mapped[list[Any]]  # ISO dates its offices are open although the national calendar rests
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class ProcessVersion(Base):
    """A runnable version of one process key: its parsed spec stored once, shared by its cases.

    Versions are numbered per process key across the province; ``county`` None is the province-wide process,
    a county code that county's own version, which its cases use while it has one.
    """

    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("process_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int]
    county: Mapped[str | None] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    spec: Mapped[dict[str, Any]]  # serialized spec and subprocess specs
    forms: Mapped[dict[str, Any]]  # form file name -> JSON Schema
    files: Mapped[list[Any]]  # names of the deployment files it was built from
    created_at: Mapped[datetime]


class VersionRelease(Base):
    """A county giving up its own versions of a process: those up to ``through_version`` no longer shadow the
    province's for its new cases (``versions.current``); a version it deploys after shadows it again. Kept as the
    record of who gave them up, when and why."""

    __tablename__ = "version_releases"
    __table_args__ = (Index("ix_version_releases_key_county", "process_key", "county"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(12))
    through_version: Mapped[int]
    author: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class LaneMapping(Base):
    """A lane name other tools write (Reviewer, 审批人), mapped by an administrator to a role and optionally a group.

    Each deployment reads the mappings and keeps those its lanes used with its versions (``roles.Lanes``): a
    change here reaches only the versions deployed after it.
    """

    __tablename__ = "lane_mappings"

    lane: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))  # a role key, see certflow.engine.roles
    group_id: Mapped[str | None] = mapped_column(String(60))  # a group of the directory; None: the role's default
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Nullable in the table only for the instant between the row's insert and its number (which holds the id):
    # every stored case has one.
    number: Mapped[str] = mapped_column(String(40), unique=True, nullable=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    # The county (its 6-digit area code) the case belongs to: who reads "every case" reads those of their county.
    county: Mapped[str] = mapped_column(String(12), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)  # running, completed, cancelled, error
    outcome: Mapped[str | None] = mapped_column(String(40))
    applicant_name: Mapped[str | None] = mapped_column(Sealed("cases.applicant_name"))
    applicant_digest: Mapped[str | None] = mapped_column(String(64), index=True)  # finds a name (lookup digest)
    id_masked: Mapped[str | None] = mapped_column(String(20))  # shows the ID number
    id_digest: Mapped[str | None] = mapped_column(String(64), index=True)  # finds the cases of an ID number
    # Finds the cases where an ID number is the guardian's (监护人/代办人) who applied for the person: their own data
    # in it is exported to them (certflow.personal).
    guardian_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    current_step: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[dict[str, Any]] = mapped_column(SealedJSON("cases.state"))  # serialized workflow, no spec
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    event_count: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    # HMAC of (number, event_count, last_hash) under history key ``seal_key``: a cut-off or rewritten tail shows.
    seal: Mapped[str | None] = mapped_column(String(64))
    seal_key: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # Failed tries of its due timers since the last step that went through; see ``incidents``.
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    version: Mapped[ProcessVersion] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}
    # The timer tick asks for the running case due first; by status alone it would sort every running case.
    __table_args__ = (Index("ix_cases_due", "status", "next_due_at"),)


class Task(Base):
    """Projection of a case's user tasks: what the inbox reads, never by loading cases."""

    __tablename__ = "tasks"
    __table_args__ = (
        # Equality on the first four, then due order: a queue's first page and its count read the index only.
        Index("ix_tasks_queue", "status", "candidate_group", "role", "assignee", "due_at"),
        Index("ix_tasks_assignee", "assignee", "status"),
        Index("ix_tasks_case_number", "case_number"),
        Index("ix_tasks_applicant_digest", "applicant_digest"),
        Index("ix_tasks_completed_by", "completed_by", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow task id
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(40))
    county: Mapped[str] = mapped_column(String(12))  # its case's, so that a task list is scoped without a join
    applicant_name: Mapped[str | None] = mapped_column(Sealed("tasks.applicant_name"))
    applicant_digest: Mapped[str | None] = mapped_column(String(64))  # its case's: the inbox finds a name by it
    id_masked: Mapped[str | None] = mapped_column(String(20))
    process_key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(100))  # BPMN id
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(40))
    candidate_group: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped[str | None] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # open, completed, cancelled
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))


class Event(Base):
    """Append-only history, hash-chained per case."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("events.data"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # History version 2: HMAC of the hash under the history key ``key_id``; both None in version 1.
    key_id: Mapped[str | None] = mapped_column(String(40))
    mac: Mapped[str | None] = mapped_column(String(64))


class Notification(Base):
    """The outbox: texts queued in the same transaction as the step that sends them."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template: Mapped[str] = mapped_column(String(60))
    recipient_role: Mapped[str] = mapped_column(String(40))
    recipient_group: Mapped[str | None] = mapped_column(String(100))
    recipient_phone: Mapped[str | None] = mapped_column(Sealed("outbox.recipient_phone"))
    text: Mapped[str] = mapped_column(Sealed("outbox.text"))  # names the applicant
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, sending, sent, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Job(Base):
    """Work queued for the background workers (a message to deliver), tried again with backoff."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # message
    payload: Mapped[dict[str, Any]] = mapped_column(SealedJSON("jobs.payload"))  # a message's data
    actor: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, done, failed
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    """Automatic work on a case that failed every retry: what failed, where, on which data; until resolved."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # timer, message, notification
    step: Mapped[str | None] = mapped_column(String(200))  # the element that failed, as the diagram names it
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("incidents.data"))  # the case's data it ran on
    attempts: Mapped[int]
    work_id: Mapped[int | None]  # the job or outbox row, for kinds message and notification
    status: Mapped[str] = mapped_column(String(20), index=True)  # open, resolved
    opened_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution: Mapped[str | None] = mapped_column(String(20))  # retried, cancelled


class Attachment(Base):
    """A file handed in for a case; the bytes live outside the web root, named by their checksum."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    material: Mapped[str] = mapped_column(String(40))  # a material code, e.g. photos
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


class UploadDraft(Base):
    """A file an applicant picked before sending the application: stored at once, attached when the case starts."""

    __tablename__ = "upload_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # unguessable: the browser that uploaded holds it
    material: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class Draft(Base):
    """Form input saved but not submitted: one per task and person, not part of the case's history."""

    __tablename__ = "drafts"

    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    actor: Mapped[str] = mapped_column(String(100), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(SealedJSON("drafts.data"))
    saved_at: Mapped[datetime]
