"""Limits that hold when many requests come at once (the sign-in limit per user name and the status lookups per
address, each request on its own thread and database connection), and the online applications' limits per address
and for everyone."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import lxml.html
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select
from test_portal import PDF, PNG, form_data, post_application
from webkit import PASSWORD, csrf_token
from werkzeug.test import TestResponse

from certflow.engine.errors import NotFound
from certflow.engine.models import Case, Notification
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.people.throttle import applications

AT_ONCE = 40


class CountingHasher(PasswordHasher):
    """Cheap argon2 that counts its verifications and takes as long as a real one, so that requests overlap."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's own names)
        with self._lock:
            self.verified += 1
        time.sleep(0.05)
        return super().verify(hash, password)


def at_once(app: Flask, path: str, form: Callable[[], dict[str, Any]], page: str,
            count: int = AT_ONCE) -> list[TestResponse]:
    """``count`` posts of ``form`` to ``path``, each from its own client, released together."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [csrf_token(client, page) for client in clients]
    start = threading.Barrier(count)
    answers: list[TestResponse | None] = [None] * count

    def send(i: int) -> None:
        start.wait()
        answers[i] = clients[i].post(path, data={**form(), "csrf_token": tokens[i]})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(answer is not None for answer in answers), "a request did not finish"
    return answers  # type: ignore[return-value]


@pytest.mark.slow
def test_forty_simultaneous_wrong_passwords_check_exactly_five(app: Flask, accounts: Accounts) -> None:
    accounts.hasher = hasher = CountingHasher()

    answers = at_once(app, "/login", lambda: {"username": "renmin", "password": "wrong-horse-1"}, "/login")

    assert hasher.verified == 5
    assert sorted(a.status_code for a in answers) == [401] * 5 + [429] * (AT_ONCE - 5)
    assert len(accounts.security_events(kind="login_failed")) == 5
    refused = next(a for a in answers if a.status_code == 429).get_data(as_text=True)
    assert "登录失败次数过多，请15分钟后再试" in refused
    # The right password is refused too until the window has passed.
    assert at_once(app, "/login", lambda: {"username": "renmin", "password": PASSWORD}, "/login")[0].status_code == 429
    assert hasher.verified == 5


@pytest.mark.slow
def test_a_right_password_among_simultaneous_attempts_is_a_success_not_a_failure(
        app: Flask, accounts: Accounts) -> None:
    answers = at_once(app, "/login", lambda: {"username": "renmin", "password": PASSWORD}, "/login")

    signed_in = [a.status_code for a in answers].count(302)
    assert signed_in >= 5 and {a.status_code for a in answers} <= {302, 429}, "attempts under way count"
    assert accounts.security_events(kind="login_failed") == []
    assert len(accounts.security_events(kind="login_ok")) == signed_in
    # Settled, the successes no longer count: the next sign-in goes through.
    client = app.test_client()
    answer = client.post("/login", data={"username": "renmin", "password": PASSWORD,
                                         "csrf_token": csrf_token(client)})
    assert answer.status_code == 302


@pytest.mark.slow
def test_forty_simultaneous_status_lookups_look_up_exactly_ten(
        app: Flask, runtime: Runtime, accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up = []

    def wrong_pair(number: str, id_number: str) -> dict[str, Any]:
        looked_up.append(number)
        time.sleep(0.05)
        raise NotFound("no such case for this ID number")

    monkeypatch.setattr(runtime, "case_for_applicant", wrong_pair)
    answers = at_once(app, "/status", lambda: {"number": "LS-2026-000001", "id_number": "11010519491231002X"},
                      "/status")

    assert len(looked_up) == 10
    assert sorted(a.status_code for a in answers) == [404] * 10 + [429] * (AT_ONCE - 10)
    assert "查询次数过多，请15分钟后再试" in next(a for a in answers if a.status_code == 429).get_data(as_text=True)
    assert len(accounts.security_events(kind="status_lookup_failed")) == 10


# -- online applications -----------------------------------------------------------------------------------------

MIB = 1024 * 1024
SCAN = PDF + b"%" * (MIB // 2)  # a scanned page of half a mebibyte


def limit_applications(app: Flask, **limits: int) -> None:
    app.extensions["certflow"] = replace(app.extensions["certflow"], applications=applications(**limits))


def apply_from(app: Flask, address: str, scan: bytes = PNG, **changes: Any) -> TestResponse:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return post_application(client, files={"photos": [(PNG, "photo.png")], "medical_records": [(scan, "scan.pdf")]},
                            **changes)


def stored(runtime: Runtime) -> tuple[int, int]:
    """How many cases were started and texts queued."""
    with runtime.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Case)),
                session.scalar(select(func.count()).select_from(Notification)))


def refused_page(response: TestResponse, minutes: int) -> lxml.html.HtmlElement:
    """The form again (429) with the reason on top and what was typed kept."""
    assert response.status_code == 429, response.get_data(as_text=True)
    html = lxml.html.fromstring(response.get_data(as_text=True))
    assert f"在线申请提交过多，请{minutes}分钟后再试，或到残联窗口申请" in html.text_content()
    assert html.cssselect('input[name="applicant_name"]')[0].get("value") == "李明"
    return html


def test_an_address_gets_a_few_applications_an_hour_then_429_and_nobody_is_texted(
        app: Flask, runtime: Runtime) -> None:
    limit_applications(app, per_address=2, minutes=60)
    assert [apply_from(app, "10.0.0.1").status_code for _ in range(2)] == [302, 302]
    before = stored(runtime)

    refused_page(apply_from(app, "10.0.0.1"), 60)

    assert stored(runtime) == before, "no case, no text to the window"
    assert apply_from(app, "10.0.0.2").status_code == 302, "another address is not held up"


# Each application that passes starts a case with uploads: as many at once as one process's database pool serves
# (5 + 10 overflow), so that what is measured is the limit, not the pool's 30-second checkout wait on a busy machine.
APPLICATIONS_AT_ONCE = 12


@pytest.mark.slow
def test_simultaneous_applications_from_one_address_start_exactly_three_cases(app: Flask, runtime: Runtime) -> None:
    limit_applications(app, per_address=3)

    answers = at_once(app, "/apply", lambda: {**form_data(), "photos": (io.BytesIO(PNG), "photo.png")}, "/apply",
                      APPLICATIONS_AT_ONCE)

    assert sorted(a.status_code for a in answers) == [302] * 3 + [429] * (APPLICATIONS_AT_ONCE - 3)
    assert stored(runtime)[0] == 3


def test_an_invalid_application_does_not_use_up_the_limit(app: Flask) -> None:
    limit_applications(app, per_address=1)
    assert apply_from(app, "10.0.0.1", applicant_name="").status_code == 422
    assert apply_from(app, "10.0.0.1").status_code == 302


def test_an_address_may_store_only_so_many_bytes(app: Flask, runtime: Runtime) -> None:
    limit_applications(app, mib_per_address=1)
    assert apply_from(app, "10.0.0.1", scan=SCAN).status_code == 302
    before = stored(runtime)

    refused_page(apply_from(app, "10.0.0.1", scan=SCAN + SCAN), 60)

    assert stored(runtime) == before
    assert apply_from(app, "10.0.0.1").status_code == 302, "a small application still fits"


def test_all_addresses_together_may_store_only_so_many_bytes(app: Flask, runtime: Runtime) -> None:
    limit_applications(app, mib_total=1, minutes=30)
    assert apply_from(app, "10.0.0.1", scan=SCAN).status_code == 302
    before = stored(runtime)

    refused_page(apply_from(app, "10.0.0.2", scan=SCAN), 30)

    assert stored(runtime) == before


def test_the_window_applying_for_someone_is_not_limited(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    limit_applications(app, per_address=1)
    clerk = as_user("window")
    for _ in range(2):
        response = post_application(clerk, "/window/apply", files={"id_card": [(PDF, "身份证.pdf")]},
                                    ticked=["id_card", "household_register", "photos", "application_form"])
        assert response.status_code == 302, response.get_data(as_text=True)
