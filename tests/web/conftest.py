"""The web app on a migrated database with the processes deployed, and one person per role and group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from databases import app_role
from flask import Flask
from flask.testing import FlaskClient
from twocounties import TwoCounties, fill
from webkit import PASSWORD, PEOPLE, login

from certflow.config import Config
from certflow.engine.attachments import DiskStorage, FileStore
from certflow.engine.db import make_engine, make_sessions
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.people.counties import Counties
from certflow.web import create_app
from handlers.registry import HANDLERS


@pytest.fixture
def app(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> Iterator[Flask]:
    runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    for username, (roles, groups) in PEOPLE.items():
        # The administrator is the province's, as the demo's is; everyone else is the deployment's own county's.
        accounts.create(username, PASSWORD, display_name=f"{username} 测试", roles=roles, groups=groups,
                        province_wide="admin" in roles)
    config = replace(Config.from_env({}), upload_dir=tmp_path / "uploads")
    app = create_app(config, runtime=runtime, accounts=accounts)
    app.config.update(TESTING=True)
    yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def as_user(app: Flask):  # type: ignore[no-untyped-def]
    """``as_user("renmin")``: a client signed in as that person."""
    def sign_in(username: str) -> FlaskClient:
        return login(app.test_client(), username)
    return sign_in


@pytest.fixture
def shizong_county(app: Flask, runtime: Runtime) -> None:
    """师宗县 as the installation's second county, as a province administrator adds it once the app has started (its
    start adds 庐山市, the deployment's own, to a database with no county)."""
    Counties(runtime.sessions, runtime.clock).add("530323", case_prefix="SZ", sms_signature="师宗县残联")


# Cheap hashing for the sweeps' app, which signs in a dozen people.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def filled(runtime: Runtime, accounts: Accounts, start, tmp_path: Path) -> TwoCounties:  # type: ignore[no-untyped-def]
    """Lushan's staff of every role, and both counties' rows (``twocounties``), for the county sweeps."""
    for username, (roles, groups) in PEOPLE.items():
        accounts.create(username, PASSWORD, display_name=f"{username} 测试", roles=roles, groups=groups,
                        province_wide="admin" in roles)
    return fill(runtime, accounts, start, tmp_path)


@pytest.fixture
def swept_app(database_url: str, runtime: Runtime, filled: TwoCounties, tmp_path: Path) -> Iterator[Flask]:
    """The app on the test's database: on PostgreSQL connected as the app's role, as in production."""
    config = replace(Config.from_env({}), upload_dir=tmp_path / "uploads")
    if database_url.startswith("sqlite"):
        yield _swept(config, runtime)
        return
    with app_role(database_url) as url:
        engine = make_engine(url)
        as_role = Runtime(make_sessions(engine), HANDLERS, runtime.settings, runtime.clock, runtime.files)
        yield _swept(config, as_role)
        engine.dispose()


def _swept(config: Config, runtime: Runtime) -> Flask:
    accounts = Accounts(runtime.sessions, runtime.clock, county=runtime.settings.county, hasher=FAST_HASHER)
    app = create_app(config, runtime=runtime, accounts=accounts)
    app.config.update(TESTING=True)
    return app
