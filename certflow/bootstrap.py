"""Wire the runtime to its database and to the deployment's handlers (the folder ``CERTFLOW_HANDLERS`` names)."""

from __future__ import annotations

from certflow import registry
from certflow.config import Config
from certflow.engine.attachments import FileStore
from certflow.engine.clock import Clock
from certflow.engine.db import make_engine, make_sessions
from certflow.engine.runtime import Runtime


def build_runtime(config: Config | None = None, clock: Clock | None = None) -> Runtime:
    config = config or Config.from_env()
    sessions = make_sessions(make_engine(config.database_url))
    handlers = registry.load(config.handlers_dir).handlers
    return Runtime(sessions, handlers, config.settings, clock, FileStore(config.upload_dir))
