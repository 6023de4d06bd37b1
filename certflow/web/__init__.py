"""The web app: clerks' inbox and task pages, the applicants' portal, administration, the REST API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request, send_from_directory
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest, HTTPException

from certflow.bootstrap import build_services
from certflow.config import Config
from certflow.engine.db import readiness
from certflow.engine.errors import InvalidArgument
from certflow.engine.outcomes import OUTCOMES
from certflow.engine.roles import ROLES
from certflow.engine.runtime import Runtime
from certflow.people.access import province_wide
from certflow.people.accounts import Accounts
from certflow.web import (
    admin,
    api,
    audit,
    auth,
    campaign,
    casefile,
    counties,
    headers,
    inbox,
    inputs,
    modeling,
    operations,
    portal,
    progress,
    province,
    reassessment,
    requestlog,
    scoping,
    tasks,
)
from certflow.web.context import account, group_name, process_name
from certflow.web.handover import person_name
from certflow.web.present import china_time, waiting_text

csrf = CSRFProtect()
# The bpmn-js and ECharts files the pages load, a copy inside the package (`make vendor` takes it from
# node_modules), so that an installed wheel serves them without Node.js or the checkout; by the endpoint serving each.
VENDOR = Path(__file__).resolve().parent / "vendor"
VENDORED = {"bpmn_js": "bpmn-js", "echarts": "echarts"}


def create_app(config: Config | None = None, runtime: Runtime | None = None,
               accounts: Accounts | None = None) -> Flask:
    services = build_services(config, runtime=runtime, accounts=accounts)
    services.seed()
    config = services.config
    app = Flask(__name__)
    production = config.env == "production"
    app.config.update(
        SECRET_KEY=config.secret_key,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=production,  # the sign-in never crosses the network unencrypted
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,  # an application with all its scans
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        CERTFLOW_COUNTY=config.county_file,  # the exchange campaign's pages read its townships and deadlines
        # the province's dashboard reads every county's deadlines, the deployment's own county first
        CERTFLOW_CAMPAIGN_FILES=(config.county_file, *config.campaign_files),
    )
    app.extensions["certflow"] = services
    for path in config.campaign_files:  # read now: a county file that cannot serve stops the start, named
        campaign.load_county(path)
    app.register_blueprint(scoping.bp)  # first: every other check of a request runs in its person's scope
    inputs.install(app)
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    for blueprint in (requestlog.bp, auth.bp, inbox.bp, tasks.bp, portal.bp, admin.bp, counties.bp, audit.bp,
                      casefile.bp, modeling.bp, operations.bp, campaign.bp, reassessment.bp, province.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(api.bp, url_prefix=api.PREFIX)
    headers.add_security_headers(app, production=production)
    csrf.exempt(api.bp)  # the API authenticates each request with a token, not a cookie
    _add_template_helpers(app)
    _add_error_pages(app)

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        found = readiness(services.database)
        ready = found == {"database": "ok", "migrations": "current"}
        return jsonify(found), 200 if ready else 503

    for endpoint, package in VENDORED.items():
        def vendored(name: str, folder: Path = VENDOR / package) -> ResponseReturnValue:
            return send_from_directory(folder, name)
        app.add_url_rule(f"/vendor/{package}/<path:name>", endpoint, vendored)

    return app


def _add_template_helpers(app: Flask) -> None:
    app.add_template_filter(china_time, "china_time")
    app.add_template_filter(waiting_text, "waiting_text")
    # A global, not a context value: the administration's tabs are a macro imported without the page's context.
    app.add_template_global(lambda: (me := account()) is not None and province_wide(me), "province_admin")

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"me": account(), "role_names": ROLES, "group_name": group_name, "person_name": person_name,
                "process_name": process_name,
                "status_names": progress.STATUSES, "outcome_names": OUTCOMES}


def _reason(error: HTTPException) -> str | None:
    """The reason a refusal gives, in Chinese: one given with abort(), never Werkzeug's or Flask-WTF's English."""
    if isinstance(error, CSRFError):
        return "页面已过期，或您已在别处退出登录：请返回上一页，刷新后再提交。"
    return error.description if error.description != type(error).description else None


def _add_error_pages(app: Flask) -> None:
    messages = {
        400: "请求有误", 401: "请先登录", 403: "没有权限执行此操作", 404: "页面不存在或无权查看", 405: "不支持此操作",
        409: "该任务已被他人处理", 413: "上传的文件太大", 429: "操作过于频繁", 500: "服务器未能完成此操作，请稍后重试",
    }  # every page a person may meet in Chinese: Werkzeug's own are English
    for status, message in messages.items():
        def handler(error: HTTPException, status: int = status, message: str = message) -> ResponseReturnValue:
            if request.path.startswith("/api/"):  # an unknown API path never reaches the blueprint's handlers
                return api.http_error(error)
            detail = _reason(error) if status in (400, 403, 409) else None
            return render_template("errors/error.html", status=status, message=message, detail=detail), status
        app.register_error_handler(status, handler)

    @app.errorhandler(InvalidArgument)
    def invalid_argument(error: InvalidArgument) -> ResponseReturnValue:
        return app.handle_http_exception(BadRequest(str(error)))


__all__ = ["create_app"]
