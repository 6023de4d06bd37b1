"""Each request's database scope (``certflow.engine.scope``): the signed-in person's county, for PostgreSQL's
row-level security to hold every query of the request to it.

Reading who is signed in (the session's account, an API token's) is the app's own work, province-wide; the rest
of the request is the person's: a county's staff reach their county, a province-wide administrator every county,
a request with nobody signed in no county. The applicants' portal has no accounts: its pages prove who asks by
the page's own checks (a case number with its ID number, a texted code, the browser that uploaded a file) and
run province-wide, as signing in does (the account is not known before its password is checked).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from flask import Blueprint, g, request

from certflow.engine.scope import PROVINCE_WIDE, county_scope, current, enter, leave
from certflow.people.access import scope_of
from certflow.people.accounts import Account
from certflow.web.context import account

T = TypeVar("T")
bp = Blueprint("scoping", __name__)
# The anonymous pages whose checks are their own: the portal's for applicants (not the window's form, for staff)
# and signing in.
ANONYMOUS = frozenset({"portal.apply", "portal.upload_draft", "portal.draft_file", "portal.receipt",
                       "portal.status", "portal.lookup", "portal.supply", "portal.review", "auth.login"})


@bp.before_app_request
def start() -> None:
    if request.endpoint in ANONYMOUS:
        scope_request(PROVINCE_WIDE)
        return
    with county_scope(PROVINCE_WIDE):
        me = account()  # Flask-Login reads the session's account now, once, before the request is scoped
    act_within(me)


def act_within(me: Account | None) -> None:
    """Hold the rest of the request to ``me``'s county (the API's token names its person after ``start``)."""
    scope_request(scope_of(me))


def scope_request(scope: str) -> None:
    g.setdefault("scope_tokens", []).append(enter(scope))


@bp.teardown_app_request
def finish(_error: BaseException | None) -> None:
    for token in reversed(g.pop("scope_tokens", [])):
        leave(token)


def streamed(body: Iterable[T]) -> Iterator[T]:
    """``body`` read in the request's scope: a streamed answer (a CSV export) is read after the request's own hooks
    have ended, when its scope would be none and row-level security would let no row through."""
    scope = current()

    def read() -> Iterator[T]:
        if scope is None:
            yield from body
            return
        with county_scope(scope):
            yield from body

    return read()
