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


DEMO_SECRET_KEY = "certflow-demo-secret-not-for-production"


@dataclass(frozen=True)
class Config:
    database_url: str
    settings: Settings
    upload_dir: Path = PROJECT_ROOT / "instance" / "uploads"
    groups_file: Path = PROJECT_ROOT / "groups.json"
    secret_key: str = DEMO_SECRET_KEY
    session_hours: int = 8

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE,
            upload_dir=Path(env.get("CERTFLOW_UPLOAD_DIR") or PROJECT_ROOT / "instance" / "uploads"),
            groups_file=Path(env.get("CERTFLOW_GROUPS") or PROJECT_ROOT / "groups.json"),
            secret_key=env.get("CERTFLOW_SECRET_KEY") or DEMO_SECRET_KEY,
            session_hours=int(env.get("CERTFLOW_SESSION_HOURS", "8")),
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
