"""Drafts: files an analyst edits and has not deployed yet, kept in ``process_drafts``, one per file name.

A draft is named like the file it becomes, without the ``processes/`` folder that holds diagrams and
decision tables: ``application_online.bpmn``, ``shizong/card_exchange.bpmn``, ``hospital_routing.dmn``,
``forms/review.json``. Drafts belong to the county of the analyst who made them (None: the province's, made by
a province-wide analyst or administrator): a county's analysts share their county's drafts (whoever saves last is
its author), see the province's as starting points they copy from, and never another county's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.clock import Clock
from certflow.engine.errors import FieldError, ValidationFailed
from certflow.modeling.models import ProcessDraft

FORMS = "forms/"
PROCESSES = "processes/"
# A diagram or table in processes/ or one folder below it (processes/shizong/…), a form in forms/.
_NAME = re.compile(r"(?:(?!processes/|forms/)[A-Za-z0-9_-]{1,60}/)?[A-Za-z0-9_-]{1,100}\.(?:bpmn|dmn)"
                   r"|forms/[A-Za-z0-9_-]{1,100}\.json", re.ASCII)
_KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form"}


@dataclass(frozen=True)
class DraftFile:
    name: str
    content: str
    author: str
    updated_at: datetime
    based_on_key: str | None = None
    based_on_version: int | None = None

    @property
    def kind(self) -> str:
        return kind_of(self.name)

    @property
    def based_on(self) -> str:
        """The version it was copied from, e.g. application_online v3; "" for a draft of the current files."""
        return f"{self.based_on_key} v{self.based_on_version}" if self.based_on_key else ""


def kind_of(name: str) -> str:
    """bpmn, dmn or form, by the name's ending."""
    return _KINDS.get(PurePosixPath(name).suffix.lower(), "")


def draft_name(file_name: str) -> str:
    """The draft name of a deployed file: processes/publicity.bpmn → publicity.bpmn, shizong/card_exchange.bpmn
    as it is; a form is forms/ and its file name (forms are known by their file name alone)."""
    if kind_of(file_name) == "form":
        return FORMS + PurePosixPath(file_name).name
    return file_name.removeprefix(PROCESSES)


def source_name(name: str) -> str:
    """The file name a draft is deployed as, the one ``certflow deploy processes forms`` gives it."""
    return name if "/" in name else PROCESSES + name


def check_name(name: str) -> str:
    """The name, if a draft may have it; ValidationFailed with the rule otherwise."""
    if not _NAME.fullmatch(name):
        raise ValidationFailed([FieldError("name", "文件名只能使用字母、数字、_ 和 -，以 .bpmn、.dmn 或 .json 结尾")])
    return name


class Drafts:
    """The drafts of one county (None: the province's); every read and change stays within them."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock, county: str | None = None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.county = county

    def _own(self) -> ColumnElement[bool]:
        return ProcessDraft.county.is_(None) if self.county is None else ProcessDraft.county == self.county

    def all(self) -> list[DraftFile]:
        with self.sessions() as session:
            return [_file(row) for row in session.scalars(select(ProcessDraft).where(self._own())
                                                          .order_by(ProcessDraft.name))]

    def province(self) -> list[DraftFile]:
        """The province's drafts, which a county's analysts may copy from; none for the province itself."""
        if self.county is None:
            return []
        return Drafts(self.sessions, self.clock).all()

    def get(self, name: str) -> DraftFile | None:
        with self.sessions() as session:
            row = session.scalar(select(ProcessDraft).where(ProcessDraft.name == name, self._own()))
            return _file(row) if row else None

    def save(self, name: str, content: str, *, author: str, based_on: tuple[str, int] | None = None) -> DraftFile:
        """Store the content; a draft saved again keeps the version it was copied from unless told another."""
        check_name(name)
        with self.sessions.begin() as session:
            row = session.scalar(select(ProcessDraft).where(ProcessDraft.name == name, self._own()))
            if row is None:
                row = ProcessDraft(name=name, county=self.county)
                session.add(row)
            row.content, row.author, row.updated_at = content, author, self.clock.now()
            if based_on is not None:
                row.based_on_key, row.based_on_version = based_on
            session.flush()
            return _file(row)

    def copy_from_province(self, name: str, *, author: str) -> DraftFile:
        """The province's draft ``name`` saved as this county's, with the version it was copied from."""
        source = next(d for d in self.province() if d.name == name)
        based_on = None
        if source.based_on_key and source.based_on_version is not None:
            based_on = (source.based_on_key, source.based_on_version)
        return self.save(name, source.content, author=author, based_on=based_on)

    def discard(self, name: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(ProcessDraft).where(ProcessDraft.name == name, self._own()))

    def finish(self, deployed: Iterable[DraftFile]) -> None:
        """Drop drafts once deployed, unless saved again meanwhile: that newer work is not deployed yet."""
        with self.sessions.begin() as session:
            for draft in deployed:
                session.execute(delete(ProcessDraft).where(ProcessDraft.name == draft.name, self._own(),
                                                           ProcessDraft.content == draft.content))


def _file(row: ProcessDraft) -> DraftFile:
    return DraftFile(row.name, row.content, row.author, row.updated_at, row.based_on_key, row.based_on_version)
