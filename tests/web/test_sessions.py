"""Web sign-ins end on the server: signing out, a new password or changed rights, eight hours after signing
in, an hour unused. A copy of the cookie dies with the session it was copied from."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webkit import login, post

from certflow.config import Config
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.web import create_app


@pytest.fixture
def wall() -> FixedClock:
    """The clock sessions are measured on, apart from the cases' clock."""
    return FixedClock(datetime.fromisoformat("2026-09-01T08:30:00+08:00"))


def on_clock(app: Flask, clock: FixedClock) -> Flask:
    services = app.extensions["certflow"]
    app.extensions["certflow"] = replace(services, session_limits=replace(services.session_limits, clock=clock))
    return app


EDIT_RENMIN = {"display_name": "renmin 测试", "active": "true", "roles": ["hospital"], "groups": ["hospital-renmin"]}


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/inbox")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding the same session cookie, as one who copied it would."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief.set_cookie("session", cookie.value)
    return thief


def test_a_cookie_copied_before_signing_out_is_dead_after_it(app, as_user):
    window = as_user("window")
    thief = copy_of(app, window)
    other_device = as_user("window")
    assert signed_in(thief) and signed_in(other_device)

    response = post(window, "/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert not signed_in(thief)
    assert not signed_in(other_device)  # signing out ends the person's sessions everywhere
    assert "请先登录" in thief.get("/inbox", follow_redirects=True).get_data(as_text=True)
    assert signed_in(as_user("window"))  # signing in again works


def test_a_new_password_ends_the_persons_sessions(app, as_user):
    renmin = as_user("renmin")
    assert post(as_user("admin"), "/admin/users/renmin", {**EDIT_RENMIN, "password": "new-password-9"},
                page="/admin/users").status_code == 302
    assert not signed_in(renmin)
    assert signed_in(login(app.test_client(), "renmin", "new-password-9"))


@pytest.mark.parametrize("change", [{"roles": ["hospital", "county"]}, {"groups": ["hospital-anding"]}],
                         ids=["roles", "groups"])
def test_changed_rights_end_the_persons_sessions(as_user, change):
    renmin = as_user("renmin")
    assert post(as_user("admin"), "/admin/users/renmin", {**EDIT_RENMIN, **change},
                page="/admin/users").status_code == 302
    assert not signed_in(renmin)


def test_a_stopped_account_started_again_does_not_revive_old_sessions(as_user):
    renmin, admin = as_user("renmin"), as_user("admin")
    for active in ("false", "true"):
        assert post(admin, "/admin/users/renmin", {**EDIT_RENMIN, "active": active},
                    page="/admin/users").status_code == 302
    assert not signed_in(renmin)


def test_a_new_name_alone_keeps_the_sessions(as_user):
    renmin = as_user("renmin")
    assert post(as_user("admin"), "/admin/users/renmin", {**EDIT_RENMIN, "display_name": "人民医院 李医生"},
                page="/admin/users").status_code == 302
    assert signed_in(renmin)


def test_an_administrator_changing_their_own_password_stays_signed_in_here_only(app, as_user):
    here, elsewhere = as_user("admin"), as_user("admin")
    edit = {"display_name": "admin 测试", "active": "true", "roles": ["admin"], "password": "new-password-9"}
    assert post(here, "/admin/users/admin", edit, page="/admin/users").status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_eight_hours_count_from_signing_in_however_busy(app, as_user, wall: FixedClock):
    on_clock(app, wall)
    window = as_user("window")
    for _ in range(15):  # a request every half hour, up to 7.5 hours
        wall.advance(minutes=30)
        assert signed_in(window)
    wall.advance(minutes=30)
    assert not signed_in(window)


def test_an_hour_unused_ends_the_session(app, as_user, wall: FixedClock):
    on_clock(app, wall)
    window = as_user("window")
    wall.advance(minutes=59)
    assert signed_in(window)
    wall.advance(minutes=59)
    assert signed_in(window)  # each request starts the hour again
    wall.advance(minutes=60)
    assert not signed_in(window)


def test_the_limits_are_settings(runtime: Runtime, accounts: Accounts, wall: FixedClock, app):
    short = on_clock(create_app(Config.from_env({"CERTFLOW_SESSION_HOURS": "1", "CERTFLOW_SESSION_IDLE_MINUTES": "5"}),
                                runtime=runtime, accounts=accounts), wall)
    window = login(short.test_client(), "window")
    wall.advance(minutes=4)
    assert signed_in(window)
    wall.advance(minutes=6)
    assert not signed_in(window)


def test_the_cases_clock_does_not_end_sessions(as_user, clock: FixedClock):
    """Tests and trials move the cases' time by days; a person's sign-in goes by the wall clock."""
    window = as_user("window")
    clock.advance(days=10)
    assert signed_in(window)
