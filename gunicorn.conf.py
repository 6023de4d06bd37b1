"""gunicorn's settings, from the environment only; `gunicorn server:app` run here reads this file."""

import os

from certflow import logs
from certflow.config import Config

bind = os.environ.get("CERTFLOW_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
logconfig_dict = logs.dict_config()


def on_starting(server):  # type: ignore[no-untyped-def]
    # Only the master knows how many workers it will start (--workers, WEB_CONCURRENCY): check before any does.
    Config.from_env().check(web_workers=server.cfg.workers)
