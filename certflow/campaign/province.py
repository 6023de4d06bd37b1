"""The province's view of its counties' exchange campaigns: per county, how many holders, how many are done, how
many are still open and how many of those are past the deadline that binds them.

The figures come from one grouped query over ``campaign_holders`` and ``cases`` (a row per county, basis, case
status and outcome), however many holders there are. A county's deadlines come from its county file
(``County.deadline_for``): the database keeps no deadline. New applicants (新评定对象) hold no certificate and are
not counted, as on the county's own dashboard. A county's townships are the county's dashboard's
(``ledgers.counts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County
from certflow.campaign.ledgers import BASIS_NAMES, EXCHANGED, NEW
from certflow.campaign.models import CampaignHolder
from certflow.engine.models import Case

ENDED = ("completed", "cancelled")  # case statuses of a holder whose case is over
WITHDRAWN = "withdrawn"  # the outcome of a holder who meets no standard any more (康复脱残)


@dataclass
class CountyProgress:
    """One county's campaign as the province sees it: holders, and where they stand."""

    code: str
    name: str
    deadlines: tuple[tuple[str, date], ...] = ()  # its county file's; none when the province has no file of it
    holders: int = 0
    exchanged: int = 0  # 已换证
    withdrawn: int = 0  # 康复脱残
    ended_otherwise: int = 0  # the case ended another way (cancelled, say)
    open: int = 0  # still being worked
    overdue: int = 0  # of ``open``: past the deadline that binds their holders

    @property
    def on_time(self) -> int:
        """Open and not yet late."""
        return self.open - self.overdue

    @property
    def percent(self) -> int:
        """How far the exchange is: holders with the new card, of all holders."""
        return round(100 * self.exchanged / self.holders) if self.holders else 0


@dataclass
class ProvinceProgress:
    counties: list[CountyProgress]
    total: CountyProgress = field(init=False)

    def __post_init__(self) -> None:
        self.total = CountyProgress("", "合计")
        for county in self.counties:
            for name in ("holders", "exchanged", "withdrawn", "ended_otherwise", "open", "overdue"):
                setattr(self.total, name, getattr(self.total, name) + getattr(county, name))


def province_progress(sessions: sessionmaker[Session], counties: Mapping[str, str], files: Mapping[str, County],
                      names: Mapping[str, str], today: date) -> ProvinceProgress:
    """Every county's progress on ``today``: the installation's active ``counties`` (code → name), those with a
    county file (``files``, by code) and those with holders, in code order. ``names``: what to call a county neither
    the table nor a file names."""
    grouped = (select(CampaignHolder.county, CampaignHolder.basis, Case.status, Case.outcome, func.count())
               .join(Case, Case.id == CampaignHolder.case_id).where(CampaignHolder.basis != NEW)
               .group_by(CampaignHolder.county, CampaignHolder.basis, Case.status, Case.outcome))
    with sessions() as session:
        rows = session.execute(grouped).all()
    listed = {**{code: county.name for code, county in files.items()}, **counties}
    codes = sorted(set(listed) | {row[0] for row in rows})
    found = {code: CountyProgress(code, listed.get(code) or names.get(code, code),
                                  files[code].deadlines if code in files else ()) for code in codes}
    for code, basis, status, outcome, count in rows:
        county = found[code]
        county.holders += count
        if outcome in EXCHANGED:
            county.exchanged += count
        elif outcome == WITHDRAWN:
            county.withdrawn += count
        elif status in ENDED:
            county.ended_otherwise += count
        else:
            county.open += count
            deadline = files[code].deadline_for(BASIS_NAMES.get(basis, basis)) if code in files else None
            county.overdue += count if deadline is not None and deadline < today else 0
    return ProvinceProgress([found[code] for code in codes])
