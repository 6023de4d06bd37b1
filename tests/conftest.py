"""Shared fixtures: a migrated database (SQLite, and PostgreSQL when one is given), a fixed clock,
and a runtime with the project's processes deployed."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from lushan import CaseDriver, application
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.specs import read_paths
from certflow.people.accounts import Accounts
from certflow.people.directory import Directory
from handlers.registry import HANDLERS

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CERTFLOW_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need CERTFLOW_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A throw-away database on the given server, dropped at the end of the session."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    name = f"certflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'certflow.db'}"
    url = request.getfixturevalue("postgres_server_url")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.fromisoformat("2026-09-01T09:00:00+08:00"))


@pytest.fixture
def runtime(database_url: str, clock: FixedClock) -> Iterator[Runtime]:
    engine = make_engine(database_url)
    upgrade(engine)
    runtime = Runtime(make_sessions(engine), HANDLERS, Settings(), clock)
    runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="tests")
    Directory(runtime.sessions).seed(ROOT / "groups.json")  # as `certflow init-db` does
    yield runtime
    engine.dispose()


@pytest.fixture
def every_case_replays(runtime: Runtime) -> Iterator[None]:
    """After the test: replaying each case's history reaches, step by step, the state recorded live.

    The process tests' conftests make it autouse, so that every path they drive is checked.
    """
    yield
    numbers = runtime.case_numbers()
    assert numbers, "the test started no case"
    for number in numbers:
        verification = runtime.verify(number)
        assert verification.ok, str(verification)
        assert verification.steps >= 1


@pytest.fixture
def start(runtime: Runtime, clock: FixedClock):  # type: ignore[no-untyped-def]
    """``start(**changes)``: a Lushan case started by the applicant, as a driver for its steps."""
    def start_case(process: str = "application_online", **changes: Any) -> CaseDriver:
        number = runtime.start_case(process, application(**changes), actor="applicant")
        return CaseDriver(runtime, clock, number)

    return start_case


# Cheap hashing keeps the suite fast; production uses argon2's recommended cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def accounts(runtime: Runtime) -> Accounts:
    return Accounts(runtime.sessions, runtime.clock, hasher=FAST_HASHER)
