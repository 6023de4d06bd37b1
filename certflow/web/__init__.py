"""The web app. For now a minimal status page over the runtime; the inbox comes next."""

from __future__ import annotations

from flask import Flask, jsonify

from certflow.bootstrap import build_runtime
from certflow.engine.runtime import Runtime


def create_app(runtime: Runtime | None = None) -> Flask:
    app = Flask(__name__)
    app.extensions["certflow"] = runtime or build_runtime()

    @app.get("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        return jsonify(status="ok")

    @app.get("/api/v1/tasks")
    def open_tasks():  # type: ignore[no-untyped-def]
        return jsonify(tasks=app.extensions["certflow"].tasks())

    return app
