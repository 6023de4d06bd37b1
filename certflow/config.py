"""Configuration from environment variables, checked once at start."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy.engine import make_url
from zxcvbn import zxcvbn

from certflow.engine import history, sealing
from certflow.engine.attachments import DiskStorage, Storage
from certflow.engine.budget import Limits
from certflow.engine.calendar import WorkingCalendar
from certflow.engine.errors import unreadable
from certflow.engine.incidents import RetryPolicy
from certflow.engine.runtime import Settings
from certflow.engine.s3 import S3Storage
from certflow.people.throttle import APPLICATIONS, Throttle, applications

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = f"sqlite:///{PROJECT_ROOT / 'instance' / 'certflow.db'}"


DEMO_SECRET_KEY = "certflow-demo-secret-not-for-production"
ENVIRONMENTS = ("development", "production")
MIN_SECRET_KEY = 32  # characters; secrets.token_hex(32) gives 64
# zxcvbn's estimate of the guesses an attacker needs (log10): a key that can be guessed lets anyone forge a sign-in.
MIN_SECRET_KEY_GUESSES_LOG10 = 30
NEW_SECRET_KEY = "python3 -c \"import secrets; print(secrets.token_hex(32))\""


@dataclass(frozen=True)
class Config:
    database_url: str
    settings: Settings
    upload_dir: Path = PROJECT_ROOT / "instance" / "uploads"
    groups_file: Path = PROJECT_ROOT / "groups.json"
    county_file: Path = PROJECT_ROOT / "shizong.json"
    # The county files of the other counties whose exchange campaigns the province's dashboard follows (deadlines)
    campaign_files: tuple[Path, ...] = ()
    # The deployment's handlers (certflow.registry); relative to the working directory, as the checkout runs them.
    handlers_dir: Path = Path("handlers")
    secret_key: str = DEMO_SECRET_KEY
    session_hours: int = 8  # from sign-in, however busy the session
    session_idle_minutes: int = 60  # a session unused this long ends
    env: str = "development"  # production: the checks in ``check`` refuse a start that is not fit for it
    sms_gateway: str = "log"
    proxies: int = 0  # reverse proxies (nginx) in front of the web app, whose X-Forwarded-* headers to trust
    applications: Throttle = APPLICATIONS  # limits on online applications per address and for everyone
    # The database reached through a transaction pooler (PgBouncer): no prepared statements, which live in one
    # server session; see docs/deploy.md.
    database_pooler: str | None = None
    # Where ``certflow worker`` LISTENs for work on PostgreSQL, when DATABASE_URL goes through a pooler.
    listen_url: str | None = None
    # Uploaded files in an S3-compatible bucket instead of ``upload_dir`` (certflow.engine.s3)
    s3_bucket: str | None = None
    s3_prefix: str = ""
    s3_endpoint_url: str | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        environment = env.get("CERTFLOW_ENV") or "development"
        if environment not in ENVIRONMENTS:
            # A misspelt "production" must not quietly run with development's lax settings.
            raise SystemExit(f"无法启动：CERTFLOW_ENV 的值 {environment!r} 无效，只能是 development（开发、试用）"
                             "或 production（正式运行）")
        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE,
            upload_dir=Path(env.get("CERTFLOW_UPLOAD_DIR") or PROJECT_ROOT / "instance" / "uploads"),
            groups_file=Path(env.get("CERTFLOW_GROUPS") or PROJECT_ROOT / "groups.json"),
            county_file=Path(env.get("CERTFLOW_COUNTY") or PROJECT_ROOT / "shizong.json"),
            campaign_files=tuple(Path(part.strip()) for part in env.get("CERTFLOW_CAMPAIGN_FILES", "").split(",")
                                 if part.strip()),
            handlers_dir=Path(env.get("CERTFLOW_HANDLERS") or "handlers"),
            secret_key=env.get("CERTFLOW_SECRET_KEY") or DEMO_SECRET_KEY,
            session_hours=whole_number(env, "CERTFLOW_SESSION_HOURS", 8),
            session_idle_minutes=whole_number(env, "CERTFLOW_SESSION_IDLE_MINUTES", 60),
            env=environment,
            sms_gateway=env.get("CERTFLOW_SMS_GATEWAY") or "log",
            proxies=whole_number(env, "CERTFLOW_PROXIES", 0, least=0),
            database_pooler=pooler(env.get("CERTFLOW_DATABASE_POOLER")),
            listen_url=env.get("CERTFLOW_LISTEN_URL") or None,
            s3_bucket=env.get("CERTFLOW_S3_BUCKET") or None,
            s3_prefix=env.get("CERTFLOW_S3_PREFIX", ""),
            s3_endpoint_url=env.get("CERTFLOW_S3_ENDPOINT_URL") or None,
            applications=applications(
                per_address=whole_number(env, "CERTFLOW_APPLY_PER_ADDRESS", 10),
                mib_per_address=whole_number(env, "CERTFLOW_APPLY_MB_PER_ADDRESS", 100),
                mib_total=whole_number(env, "CERTFLOW_APPLY_MB_TOTAL", 2048),
                minutes=whole_number(env, "CERTFLOW_APPLY_WINDOW_MINUTES", 60),
            ),
            settings=Settings(
                jurisdiction=jurisdiction_codes(env.get("CERTFLOW_JURISDICTION") or "360483,360427"),
                signature=env.get("CERTFLOW_SIGNATURE", "庐山市残联"),
                case_prefix=env.get("CERTFLOW_CASE_PREFIX", "LS"),
                calendar=load_calendar(env.get("CERTFLOW_CALENDAR")),
                history_keys=load_history_keys(env),
                data_keys=load_data_keys(env),
                retry=RetryPolicy(attempts=whole_number(env, "CERTFLOW_RETRY_ATTEMPTS", 3),
                                  first_delay=timedelta(seconds=float(env.get("CERTFLOW_RETRY_SECONDS", "60")))),
                limits=load_limits(env),
                workflow_cache_size=whole_number(env, "CERTFLOW_WORKFLOW_CACHE_SIZE", 16, least=0),
                retention_years=whole_number(env, "CERTFLOW_RETENTION_YEARS", 10),
                upload_draft_hours=whole_number(env, "CERTFLOW_UPLOAD_DRAFT_HOURS", 24),
            ),
        )

    def file_storage(self) -> Storage:
        """Where uploaded files are kept: the bucket CERTFLOW_S3_BUCKET names, else the directory ``upload_dir``."""
        if self.s3_bucket:
            return S3Storage.connect(self.s3_bucket, self.s3_prefix, self.s3_endpoint_url)
        return DiskStorage(self.upload_dir)

    @property
    def worker_listen_url(self) -> str | None:
        """The database ``certflow worker`` LISTENs on for work: PostgreSQL only (SQLite's worker polls), straight
        rather than through the pooler (CERTFLOW_LISTEN_URL) when one is set; without that address behind a
        pooler, None: the worker polls, as a LISTEN through transaction pooling would hear nothing."""
        url = self.listen_url or (None if self.database_pooler else self.database_url)
        return url if url and make_url(url).get_backend_name() == "postgresql" else None

    def check(self, web_workers: int = 1) -> None:
        """Refuse to start, with the reason, a set-up that would not work or not be safe."""
        if self.env == "production" and (weakness := secret_key_weakness(self.secret_key)):
            raise SystemExit(f"无法启动：正式运行（CERTFLOW_ENV=production）时 CERTFLOW_SECRET_KEY {weakness}；"
                             f"请设为一个足够长的随机值，例如以下命令的输出：{NEW_SECRET_KEY}")
        keys = ((self.settings.history_keys, "历史签名密钥", "history-key", "CERTFLOW_HISTORY_KEY_FILE"),
                (self.settings.data_keys, "数据加密密钥", "data-key", "CERTFLOW_DATA_KEY_FILE"))
        for ring, what, command, key_file in keys if self.env == "production" else ():
            if ring.is_demo:
                raise SystemExit(f"无法启动：正式运行（CERTFLOW_ENV=production）时不能使用公开的演示{what}；"
                                 f"请用 certflow {command} 生成密钥，写入 {key_file} 指向的文件")
            if weak := ring.made_by_hand:
                raise SystemExit(f"无法启动：{what} {'、'.join(weak)} 太有规律，不像随机生成的，容易被猜到；"
                                 f"请用 certflow {command} 生成")
        if self.database_pooler and make_url(self.database_url).get_backend_name() != "postgresql":
            raise SystemExit("无法启动：设置了 CERTFLOW_DATABASE_POOLER（连接池），"
                             "但 DATABASE_URL 不是 PostgreSQL 数据库")
        if web_workers > 1 and make_url(self.database_url).get_backend_name() == "sqlite":
            raise SystemExit(f"无法启动：SQLite 数据库上开了 {web_workers} 个网页进程；SQLite 只能服务一个网页进程"
                             "（和一个 certflow worker）。请只开一个网页进程，或把 DATABASE_URL 设为 PostgreSQL"
                             "（postgresql+psycopg://用户@主机/数据库）")


def pooler(name: str | None) -> str | None:
    """The pooler in front of the database, as CERTFLOW_DATABASE_POOLER names it; only PgBouncer is known."""
    if not name:
        return None
    if name.strip().lower() != "pgbouncer":
        raise SystemExit(f"无法启动：CERTFLOW_DATABASE_POOLER 的值 {name!r} 无效："
                         "数据库经 PgBouncer 连接时写 pgbouncer，直连数据库时不要设置")
    return "pgbouncer"


def whole_number(env: dict[str, str], name: str, default: int, *, least: int = 1) -> int:
    """A count from the environment; anything else stops the start with the setting's name."""
    raw = env.get(name, "").strip() or str(default)
    if not raw.isdigit() or int(raw) < least:
        raise SystemExit(f"无法启动：{name} 应为不小于 {least} 的整数，现为 {raw!r}")
    return int(raw)


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` cannot sign production's cookies, or None: whoever knows or guesses it can sign in as anyone."""
    if key == DEMO_SECRET_KEY:
        return "是公开的演示密钥"
    if len(key) < MIN_SECRET_KEY:
        return f"太短（{len(key)} 个字符，至少 {MIN_SECRET_KEY} 个）"
    if zxcvbn(key)["guesses_log10"] < MIN_SECRET_KEY_GUESSES_LOG10:
        return "太容易猜到（有重复、顺序或常用词）"
    return None


def jurisdiction_codes(text: str) -> tuple[str, ...]:
    """``360483,360427`` as a tuple of 6-digit address codes; SystemExit with the reason for anything else."""
    codes = tuple(code.strip() for code in text.replace("，", ",").split(",") if code.strip())
    wrong = [code for code in codes if not (len(code) == 6 and code.isascii() and code.isdigit())]
    if not codes or wrong:
        raise SystemExit(f"无法启动：CERTFLOW_JURISDICTION 应为6位行政区划代码，多个以逗号分隔（如 360483,360427），"
                         f"不是：{text}")
    return codes


def load_limits(env: dict[str, str]) -> Limits:
    """The budgets of what deployed diagrams run (docs/engine.md, *Budgets*); a setting left out keeps its default."""
    default = Limits()
    return Limits(
        script_cpu_seconds=seconds(env, "CERTFLOW_SCRIPT_CPU_SECONDS", default.script_cpu_seconds),
        step_cpu_seconds=seconds(env, "CERTFLOW_STEP_CPU_SECONDS", default.step_cpu_seconds),
        step_seconds=seconds(env, "CERTFLOW_STEP_SECONDS", default.step_seconds),
        memory_mb=whole_number(env, "CERTFLOW_STEP_MEMORY_MB", default.memory_mb),
        max_cardinality=whole_number(env, "CERTFLOW_MAX_CARDINALITY", default.max_cardinality),
    )


def seconds(env: dict[str, str], name: str, default: float) -> float:
    """A duration from the environment; anything but a positive number stops the start with the setting's name."""
    raw = env.get(name, "").strip() or str(default)
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise SystemExit(f"无法启动：{name} 应为大于 0 的秒数，现为 {raw!r}")
    return value


def load_history_keys(env: dict[str, str]) -> history.KeyRing:
    """The history signing keys, from the file CERTFLOW_HISTORY_KEY_FILE or else CERTFLOW_HISTORY_KEYS; without
    either, the public demo key (which production refuses, see ``check``)."""
    return _load_keys(env, "CERTFLOW_HISTORY_KEY", history.parse_keys, "历史签名密钥") or history.DEMO_KEYS


def load_data_keys(env: dict[str, str]) -> sealing.DataKeyRing:
    """The keys personal data is encrypted with, listed as the history keys are, from CERTFLOW_DATA_KEY_FILE or
    else CERTFLOW_DATA_KEYS, sealing new values with CERTFLOW_DATA_CIPHER (sm4-gcm, or aes-256-gcm); without
    either, the public demo key (which production refuses, see ``check``)."""
    algorithm = env.get("CERTFLOW_DATA_CIPHER") or "sm4-gcm"
    if algorithm not in sealing.SUITES:
        raise SystemExit(f"无法启动：CERTFLOW_DATA_CIPHER 只能是 {' 或 '.join(sealing.SUITES)}，现为 {algorithm!r}")
    keys = _load_keys(env, "CERTFLOW_DATA_KEY", partial(history.parse_keys, what="数据加密密钥"), "数据加密密钥")
    return sealing.with_algorithm(keys or sealing.DEMO_KEYS.keys, algorithm)


def _load_keys(env: dict[str, str], prefix: str, parse: Callable[[str], history.KeyRing],
               what: str) -> history.KeyRing | None:
    """The keys listed in the file ``<prefix>_FILE`` or else in ``<prefix>S``; None when neither is set."""
    path = env.get(f"{prefix}_FILE")
    try:
        if path:
            return parse(Path(path).read_text(encoding="utf-8"))
        if env.get(f"{prefix}S"):
            return parse(env[f"{prefix}S"])
    except OSError as error:
        raise SystemExit(f"无法读取{what}文件 {path}：{error.strerror}") from error
    except history.KeyListError as error:
        raise SystemExit(f"{what}配置有误：{error}") from error
    return None


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
        raise SystemExit(f"CERTFLOW_CALENDAR 所指的日历文件 {path} 有误：{unreadable(error)}") from error
