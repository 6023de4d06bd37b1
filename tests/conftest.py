"""Shared fixtures: a database of each test's own (SQLite, and PostgreSQL when one is given), empty or migrated,
a fixed clock, and a runtime with the project's processes deployed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from databases import Copies, PostgresCopies, SqliteCopies
from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from lushan import CaseDriver, application
from sqlalchemy.engine import make_url

from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.specs import read_paths
from certflow.people.accounts import Accounts
from certflow.people.directory import Directory
from handlers.registry import HANDLERS

LUSHAN = "360483"  # 庐山市, the deployment's own county

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CERTFLOW_TEST_POSTGRES_URL")
NO_POSTGRES = "PostgreSQL tests need CERTFLOW_TEST_POSTGRES_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)"


@pytest.fixture(scope="session")
def sqlite_copies(tmp_path_factory: pytest.TempPathFactory) -> SqliteCopies:
    return SqliteCopies(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def postgres_copies() -> Iterator[PostgresCopies]:
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    copies = PostgresCopies(POSTGRES_URL)
    yield copies
    copies.close()


# The fixtures that fill the test's database with a copy of a template, which replaces whatever is there.
FILLING = {"migrated_url", "runtime"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the test's own; or, where a fixture of the test fills it, its URL only: making a
    PostgreSQL database empty first would take as long as making the copy."""
    copies = request.getfixturevalue(f"{request.param}_copies")
    return copies.url(tmp_path) if FILLING & set(request.fixturenames) else copies.empty(tmp_path)


@pytest.fixture
def copies(request: pytest.FixtureRequest, database_url: str) -> Copies:
    """What made ``database_url``'s database, to fill it with a copy of a template."""
    backend = make_url(database_url).get_backend_name()
    return request.getfixturevalue("sqlite_copies" if backend == "sqlite" else "postgres_copies")


def migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


@pytest.fixture
def migrated_url(database_url: str, copies: Copies) -> str:
    """``database_url`` with the schema of the newest migration and nothing in it."""
    copies.fill(database_url, "migrated", migrate)
    return database_url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.fromisoformat("2026-09-01T09:00:00+08:00"))


def deploy_processes(url: str, at: datetime) -> None:
    """The project's processes and forms deployed at ``at``, and the groups seeded, as `certflow init-db` does."""
    engine = make_engine(url)
    upgrade(engine)
    runtime = Runtime(make_sessions(engine), HANDLERS, Settings(), FixedClock(at))
    runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="tests")
    Directory(runtime.sessions).seed(ROOT / "groups.json", LUSHAN)
    engine.dispose()


@pytest.fixture
def runtime(database_url: str, copies: Copies, clock: FixedClock) -> Iterator[Runtime]:
    now = clock.now()
    copies.fill(database_url, ("deployed", now), partial(deploy_processes, at=now))
    engine = make_engine(database_url)
    yield Runtime(make_sessions(engine), HANDLERS, Settings(), clock)
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


class CompiledTemplates(BytecodeCache):
    """The pages' templates compiled once per test process rather than once per app: most tests make an app of
    their own, and compiling the templates again was about a tenth of a web test's time. Jinja checks each entry
    against its template's source, so a template edited meanwhile is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": CompiledTemplates()}


# Cheap hashing keeps the suite fast; production uses argon2's recommended cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture
def accounts(runtime: Runtime) -> Accounts:
    return Accounts(runtime.sessions, runtime.clock, hasher=FAST_HASHER)
