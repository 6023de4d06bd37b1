"""What a deployment sets for its runtime: the counties it serves, its signature and case numbers, its calendar,
retries, budgets, history keys, data keys, the workflows kept in memory and how long personal data is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from certflow.engine import history, incidents, sealing
from certflow.engine.budget import Limits
from certflow.engine.calendar import WorkingCalendar


@dataclass(frozen=True)
class Settings:
    # address codes of the households served: 庐山市 and 星子县, the county it replaced in 2016
    jurisdiction: tuple[str, ...] = ("360483", "360427")
    signature: str = "庐山市残联"
    case_prefix: str = "LS"
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    retry: incidents.RetryPolicy = field(default_factory=incidents.RetryPolicy)
    limits: Limits = field(default_factory=Limits)
    history_keys: history.KeyRing = history.DEMO_KEYS
    data_keys: sealing.DataKeyRing = sealing.DEMO_KEYS  # personal data at rest (certflow.engine.sealing)
    # cases whose workflow a process keeps in memory between their steps (engine/livecache.py); 0: none
    workflow_cache_size: int = 16
    # years a case's personal data is kept after it ended (certflow.engine.erasure; docs/deploy.md says why 10)
    retention_years: int = 10
    # hours a file picked on the online form is kept when its application is never sent (casefiles.remove_old_drafts)
    upload_draft_hours: int = 24

    @property
    def county(self) -> str:
        """The deployment's own county, the first of its codes (the others are the counties it replaced): a case
        started here belongs to it unless its starter names another."""
        return self.jurisdiction[0]
