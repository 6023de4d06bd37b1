"""(being written)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("portal", __name__)


@bp.get("/apply")
def apply():  # type: ignore[no-untyped-def]
    return "apply"


@bp.get("/status")
def status():  # type: ignore[no-untyped-def]
    return "status"


@bp.get("/window/apply")
def window_apply():  # type: ignore[no-untyped-def]
    return "window"
