"""Signing in and out of the web app."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, login_required, login_user, logout_user

from certflow.accounts import Account, TooManyAttempts
from certflow.web.context import services

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"


@login_manager.user_loader
def load_user(user_id: str) -> Account | None:
    return services().accounts.get(int(user_id)) if user_id.isdigit() else None


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a login link must not send people elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error, status = None, 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            user = services().accounts.authenticate(username, request.form.get("password", ""), request.remote_addr)
        except TooManyAttempts as refused:
            error, status = str(refused), 429
        else:
            if user is not None:
                session.clear()  # a new session id on login
                session.permanent = True
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            error, status = "用户名或密码不正确", 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    logout_user()
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"))
