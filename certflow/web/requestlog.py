"""A request id for every request (the caller's X-Request-ID, else a new one), and one JSON log line each."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Blueprint, Response, g, request

from certflow import logs

bp = Blueprint("requestlog", __name__)
log = logging.getLogger("certflow.web")
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")  # what a proxy sends; anything else could forge log lines


@bp.before_app_request
def start() -> None:
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if ACCEPTED_ID.fullmatch(given) else uuid.uuid4().hex
    g.request_token = logs.request_id.set(g.request_id)
    g.request_started = time.perf_counter()


@bp.after_app_request
def finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    log.info("request", extra={"fields": {
        "method": request.method, "path": request.path, "status": response.status_code,
        "ms": round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1),
        "remote_addr": request.remote_addr,
    }})
    return response


@bp.teardown_app_request
def forget(_error: BaseException | None) -> None:
    if "request_token" in g:
        logs.request_id.reset(g.request_token)
