"""Signing in and out of the web app.

The session cookie carries the sign-in (``SignIn``); every request checks it against the accounts, so a
sign-in can be ended on the server: by signing out, by a new password or changed rights, or by its age.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from certflow.people.accounts import Account, SignIn, TooManyAttempts
from certflow.web.context import services

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
SIGN_IN = "sign_in"  # the session key: {"generation", "at", "seen"}, times as POSIX seconds


@login_manager.user_loader
def load_user(user_id: str) -> Account | None:
    held = session.get(SIGN_IN)
    if not user_id.isdigit() or not isinstance(held, dict):
        return None
    limits = services().session_limits
    now = limits.clock.now()
    found = services().accounts.resume(SignIn(int(user_id), held["generation"], _at(held["at"]), _at(held["seen"])),
                                       limits)
    if found is None:
        session.clear()  # ended: nothing of it (its CSRF token included) outlives it
        return None
    session[SIGN_IN] = {**held, "seen": now.timestamp()}
    return found


def _at(posix: float) -> datetime:
    return datetime.fromtimestamp(posix, UTC)


def keep_signed_in(account: Account) -> None:
    """After the signed-in person changed their own password or rights: this session goes on, the others end."""
    if current_user.is_authenticated and current_user.id == account.id and SIGN_IN in session:
        session[SIGN_IN] = {**session[SIGN_IN], "generation": account.generation}


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a login link must not send people elsewhere. Without one, the front page sends
    each person on to the page of their work."""
    # browsers read a backslash as a slash: /\evil.example is another site
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and not urlsplit(target).netloc:
        return target
    return url_for("inbox.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
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
                now = services().session_limits.clock.now().timestamp()
                session[SIGN_IN] = {"generation": user.generation, "at": now, "seen": now}
                login_user(user)
                return redirect(_safe_next(request.args.get("next")))
            error, status = "用户名或密码不正确", 401
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    services().accounts.end_sessions(current_user.id)  # every copy of the cookie, on every device
    logout_user()
    session.clear()
    flash("已退出登录")
    return redirect(url_for("auth.login"))
