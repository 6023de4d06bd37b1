"""The tables of a county's exchange campaign: its holders and their re-assessment appointments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from certflow.engine.models import Base


class CampaignHolder(Base):
    """A holder of a county's exchange campaign (换证台账) and the case started for them.

    One row per holder and campaign, so importing a roster again starts no case twice. The row carries
    what counts and desk lists group by (township, village, 目测/非目测, home visit) without loading cases.
    The ID number is kept as a keyed digest (its lookup digest, HMAC-SM3 under a data key, ``sealing``), to find a
    holder by the number typed in, and masked, to show. Without the key a copy of this table does not give the
    numbers back, as a plain digest of an 18-digit number would to anyone trying the likely ones; the case's
    history still holds the number (docs/processes.md, *Finding a holder by ID number*).
    """

    __tablename__ = "campaign_holders"
    __table_args__ = (
        UniqueConstraint("campaign", "id_digest"),
        Index("ix_campaign_holders_township", "campaign", "township", "village"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(12), index=True)  # the county whose campaign it is
    id_key: Mapped[str] = mapped_column(String(40))  # the data key the digest was made with
    id_digest: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(20))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    case_number: Mapped[str] = mapped_column(String(40))
    township: Mapped[str] = mapped_column(String(60))  # group id, township-<9-digit code>
    village: Mapped[str] = mapped_column(String(60))  # group id, village-<12-digit code>
    basis: Mapped[str] = mapped_column(String(20))  # hospital (非目测), visual (目测), new (新评定对象)
    home_visit: Mapped[bool]
    category: Mapped[str] = mapped_column(String(10))
    grade: Mapped[int | None]  # on the old certificate; a new applicant has none
    imported_at: Mapped[datetime]
    imported_by: Mapped[str] = mapped_column(String(100))


class ReassessmentAppointment(Base):
    """When and where a campaign holder is re-assessed (重新评定日程安排): a day at a venue, or a home visit.

    One row per holder, kept once made: the notice handed to the holder names its day and venue.
    """

    __tablename__ = "reassessment_appointments"
    __table_args__ = (Index("ix_reassessment_appointments_day", "campaign", "day", "venue"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign: Mapped[str] = mapped_column(String(100))
    holder_id: Mapped[int] = mapped_column(ForeignKey("campaign_holders.id"), unique=True)
    home_visit: Mapped[bool]
    day: Mapped[date]
    venue: Mapped[str] = mapped_column(String(100))  # the clinic or the county office; a home visit: the township
    team: Mapped[int]  # which of the day's teams (the county's vehicles) goes there
    scheduled_at: Mapped[datetime]
    scheduled_by: Mapped[str] = mapped_column(String(100))
