"""Configuration from environment variables, checked once at start."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from certflow.engine.calendar import WorkingCalendar
from certflow.engine.runtime import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = f"sqlite:///{PROJECT_ROOT / 'instance' / 'certflow.db'}"


@dataclass(frozen=True)
class Config:
    database_url: str
    settings: Settings

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE,
            settings=Settings(
                jurisdiction_prefix=env.get("CERTFLOW_JURISDICTION", "360483"),
                signature=env.get("CERTFLOW_SIGNATURE", "庐山市残联"),
                case_prefix=env.get("CERTFLOW_CASE_PREFIX", "LS"),
                calendar=load_calendar(env.get("CERTFLOW_CALENDAR")),
            ),
        )


def load_calendar(path: str | None) -> WorkingCalendar:
    """Local additions to the holiday schedule: {"holidays": [...], "workdays": [...]} as ISO dates.

    The State Council announces each year's schedule late in the year before; a federation adds it
    here until the ``holidays`` package knows it.
    """
    if not path:
        return WorkingCalendar()
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return WorkingCalendar(
            extra_holidays=[date.fromisoformat(d) for d in raw.get("holidays", [])],
            extra_workdays=[date.fromisoformat(d) for d in raw.get("workdays", [])],
        )
    except (OSError, ValueError, AttributeError) as error:
        raise SystemExit(f"CERTFLOW_CALENDAR {path}: {error}") from error
