"""The table of drafts analysts edit before a deployment."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from certflow.engine.models import Base


class ProcessDraft(Base):
    """A file an analyst is editing (a diagram, a decision table, a form), not yet deployed; one per file name and
    county (None: the province's), unique by an index on the name and the county (0022)."""

    __tablename__ = "process_drafts"
    __table_args__ = (Index("uq_process_drafts_name_county", "name", text("coalesce(county, '')"), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # application_online.bpmn, forms/review.json
    county: Mapped[str | None] = mapped_column(String(12))  # the county of the analyst who made it
    content: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    based_on_key: Mapped[str | None] = mapped_column(String(100))  # the process version it was copied from
    based_on_version: Mapped[int | None]
