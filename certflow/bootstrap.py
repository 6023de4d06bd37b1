"""The one place that builds certflow's services from a configuration: for the web app, the command line (and
the worker it starts) and the benchmarks.

The database, the deployment's handlers (``CERTFLOW_HANDLERS``), the runtime with its file store, the group
directory, the counties, the accounts, the sign-in limits and the online applications' limits are made here and
nowhere else, and a new database gets its first county and its groups here too (``Services.seed``).

The database is one engine with one pool: the runtime works with ``Services.sessions``, and the rest of the app
takes its sessions from there too, never through the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from certflow import registry
from certflow.config import Config
from certflow.engine.attachments import FileStore
from certflow.engine.clock import Clock
from certflow.engine.db import behind_pooler, make_engine, make_sessions
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.people.accounts import Accounts, SessionLimits
from certflow.people.counties import Counties
from certflow.people.directory import Directory
from certflow.people.lanes import LaneMappings
from certflow.people.throttle import Throttle
from certflow.registry import Registry


@dataclass(frozen=True)
class Services:
    """What the web app, the command line and the benchmarks work with, built once from one ``Config``."""

    config: Config
    registry: Registry  # the deployment's handlers and the materials its pages ask for
    sessions: sessionmaker[Session]  # the database's sessions, the same the runtime works with
    runtime: Runtime
    directory: Directory
    counties: Counties  # the installation's counties, kept by a province administrator
    lanes: LaneMappings  # the lane mappings (泳道对照) the next deployments resolve lanes with
    accounts: Accounts
    session_limits: SessionLimits
    applications: Throttle  # the online applications' limits per address and for everyone

    @property
    def database(self) -> Engine:
        """The engine behind ``sessions``: for the migrations and the readiness check."""
        engine: Engine = self.sessions.kw["bind"]
        return engine

    def seed(self) -> tuple[int, int]:
        """A new database's county, from the configuration, and its groups, from the groups file, as that county's
        (``certflow init-db`` and each start of the web app); how many of each were added: none once the database
        has any (written province-wide: of every county)."""
        settings = self.runtime.settings
        with county_scope(PROVINCE_WIDE):
            return self.counties.seed(settings), self.directory.seed(self.config.groups_file, settings.county)


def build_services(config: Config | None = None, *, clock: Clock | None = None, runtime: Runtime | None = None,
                   accounts: Accounts | None = None) -> Services:
    """Everything from ``config`` (by default the environment's) on the runtime's clock (by default the system's).

    A ``runtime`` or ``accounts`` given are used as they are: tests and benchmarks bring their own database,
    clock and password hashing, and the services then share the given runtime's database. A handlers folder that
    is missing or broken stops the start (SystemExit).
    """
    config = config or Config.from_env()
    deployed = registry.load(config.handlers_dir)
    if runtime is None:
        engine = make_engine(config.database_url)
        sessions = make_sessions(behind_pooler(engine) if config.database_pooler else engine)
        files = FileStore(config.file_storage(), config.settings.data_keys)
        runtime = Runtime(sessions, deployed.handlers, config.settings, clock, files)
    else:
        sessions = runtime.sessions  # one database for all: the one the given runtime works on
    directory = Directory(sessions)
    return Services(
        config=config,
        registry=deployed,
        sessions=sessions,
        runtime=runtime,
        directory=directory,
        counties=Counties(sessions, runtime.clock),
        lanes=LaneMappings(sessions, directory, runtime.clock),
        accounts=accounts or Accounts(sessions, runtime.clock, county=runtime.settings.county),
        session_limits=SessionLimits(timedelta(hours=config.session_hours),
                                     timedelta(minutes=config.session_idle_minutes)),
        applications=config.applications,
    )
