"""What every request can reach: the runtime, the accounts, the group directory, the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, current_app, request
from flask_login import current_user

from certflow.accounts import Account, Accounts
from certflow.directory import Directory
from certflow.engine.runtime import Runtime


@dataclass(frozen=True)
class Services:
    runtime: Runtime
    accounts: Accounts
    directory: Directory


def services() -> Services:
    return current_app.extensions["certflow"]


def account() -> Account | None:
    """The signed-in person (web session or API token), or None."""
    user = current_user._get_current_object()  # unwrap the proxy: Account is a frozen dataclass
    return user if isinstance(user, Account) else None


def deny(status: int, what: str) -> None:
    """Refuse and record the attempt: 404 hides that a page exists, 403 refuses an action."""
    services().accounts.record_denied(account(), f"{request.method} {request.path}: {what}", request.remote_addr)
    abort(status)
