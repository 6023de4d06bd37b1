"""(being written)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.get("/admin/users")
def users():  # type: ignore[no-untyped-def]
    return "users"
