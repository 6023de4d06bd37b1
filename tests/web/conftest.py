"""The web app on a migrated database with the processes deployed, and one person per role and group."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webkit import PASSWORD, PEOPLE, login

from certflow.config import Config
from certflow.engine.attachments import DiskStorage, FileStore
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts
from certflow.people.counties import Counties
from certflow.web import create_app


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
