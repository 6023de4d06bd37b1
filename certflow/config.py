"""Configuration from environment variables, checked once at start."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.engine import make_url

from certflow.engine.calendar import WorkingCalendar
from certflow.engine.incidents import RetryPolicy
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
    county_file: Path = PROJECT_ROOT / "shizong.json"
    secret_key: str = DEMO_SECRET_KEY
    session_hours: int = 8
    env: str = "development"  # production: the checks in ``check`` refuse a start that is not fit for it
    sms_gateway: str = "log"
    proxies: int = 0  # reverse proxies (nginx) in front of the web app, whose X-Forwarded-* headers to trust

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE,
            upload_dir=Path(env.get("CERTFLOW_UPLOAD_DIR") or PROJECT_ROOT / "instance" / "uploads"),
            groups_file=Path(env.get("CERTFLOW_GROUPS") or PROJECT_ROOT / "groups.json"),
            county_file=Path(env.get("CERTFLOW_COUNTY") or PROJECT_ROOT / "shizong.json"),
            secret_key=env.get("CERTFLOW_SECRET_KEY") or DEMO_SECRET_KEY,
            session_hours=int(env.get("CERTFLOW_SESSION_HOURS", "8")),
            env=env.get("CERTFLOW_ENV") or "development",
            sms_gateway=env.get("CERTFLOW_SMS_GATEWAY") or "log",
            proxies=int(env.get("CERTFLOW_PROXIES", "0")),
            settings=Settings(
                jurisdiction_prefix=env.get("CERTFLOW_JURISDICTION", "360483"),
                signature=env.get("CERTFLOW_SIGNATURE", "庐山市残联"),
                case_prefix=env.get("CERTFLOW_CASE_PREFIX", "LS"),
                calendar=load_calendar(env.get("CERTFLOW_CALENDAR")),
                retry=RetryPolicy(attempts=int(env.get("CERTFLOW_RETRY_ATTEMPTS", "3")),
                                  first_delay=timedelta(seconds=float(env.get("CERTFLOW_RETRY_SECONDS", "60")))),
            ),
        )

    def check(self, web_workers: int = 1) -> None:
        """Refuse to start, with the reason, a set-up that would not work or not be safe."""
        if self.env == "production" and self.secret_key == DEMO_SECRET_KEY:
            raise SystemExit("refusing to start: CERTFLOW_ENV=production with the public demo secret key; set "
                             "CERTFLOW_SECRET_KEY to a long random value, e.g. the output of "
                             "python -c \"import secrets; print(secrets.token_hex(32))\"")
        if web_workers > 1 and make_url(self.database_url).get_backend_name() == "sqlite":
            raise SystemExit(f"refusing to start: {web_workers} web workers on SQLite; SQLite serves one web process "
                             "(beside one certflow worker): run one web worker, or set DATABASE_URL to PostgreSQL "
                             "(postgresql+psycopg://user@host/db)")


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
