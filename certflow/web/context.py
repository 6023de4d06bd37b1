"""What every request can reach: the services (the runtime, the accounts, the group directory, the deployment's
registry), the signed-in person."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, current_app, g, request
from flask_login import current_user

from certflow.bootstrap import Services
from certflow.people.access import province_wide
from certflow.people.accounts import Account


def services() -> Services:
    return current_app.extensions["certflow"]


def act_as(token_account: Account) -> None:
    """Name the person an API token stands for, for this request only (no session is made)."""
    g.token_account = token_account


def account() -> Account | None:
    """The signed-in person (API token, else web session), or None."""
    token_account = g.get("token_account")
    if token_account is not None:
        return token_account
    user = current_user._get_current_object()  # unwrap the proxy: Account is a frozen dataclass
    return user if isinstance(user, Account) else None


def signed_in() -> Account:
    """The signed-in person, in a view that only a signed-in person reaches (``login_required``, a blueprint's
    check, the API's token); 401 should one be reached without."""
    me = account()
    if me is None:
        abort(401)
    return me


def group_name(group_id: str | None) -> str:
    """A group's name for people, an unknown id as it is; the names are read once per request, when first needed."""
    if not group_id:
        return ""
    if "group_names" not in g:
        g.group_names = services().directory.names()
    return g.group_names.get(group_id, group_id)


# How the security log says what a refused request tried; the path stays as the address bar showed it.
_VERBS = {"GET": "打开", "HEAD": "打开", "POST": "提交", "PUT": "提交", "PATCH": "修改", "DELETE": "删除"}


def deny(status: int, what: str, reason: str | None = None) -> NoReturn:
    """Refuse and record the attempt: 404 hides that a page exists, 403 refuses an action (saying ``reason``, in
    Chinese, when the person should know why)."""
    verb = _VERBS.get(request.method, request.method)
    services().accounts.record_denied(account(), f"{what}（{verb} {request.path}）", request.remote_addr)
    if reason:
        abort(status, reason)
    abort(status)


def process_name(key: str) -> str:
    """A process's name for people (残疾人证申请（网上）), an unknown key as it is; read once per request, from the
    newest version the person may see: a province-wide administrator's of every county's, anyone else's of the
    province's and their county's own (the deployment's own county for someone of none)."""
    if "process_names" not in g:
        me = account()
        county: str | None = (me.county if me else None) or services().runtime.settings.county
        if me is not None and province_wide(me):
            county = None
        g.process_names = services().runtime.process_names(county)
    return g.process_names.get(key, key)

