"""Logs as one JSON object a line, with the request id of the web request they belong to.

Extra fields go in ``extra={"fields": {...}}``. The web app and the workers use the same format, so a
log collector reads them alike.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (current := request_id.get()) is not None:
            entry["request_id"] = current
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def dict_config(level: str | None = None) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` that sends every logger's records to stderr as JSON (gunicorn takes it too)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": sys.stderr}},
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},  # to the root's handler, not as plain text
            "gunicorn.access": {"handlers": [], "propagate": False},  # the app logs each request, with its id
            "alembic": {"level": "WARNING"},  # /readyz asks it about the migrations on every call
        },
        "root": {"level": level or os.environ.get("CERTFLOW_LOG_LEVEL", "INFO").upper(), "handlers": ["stderr"]},
    }


def configure(level: str | None = None) -> None:
    import logging.config

    logging.config.dictConfig(dict_config(level))
