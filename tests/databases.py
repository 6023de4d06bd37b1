"""Each test's database, copied from a template built once per session.

Migrating from 0001 to head and deploying the processes costs about a second per test on SQLite and several
on PostgreSQL; copying the result costs milliseconds. A template is built, on first use, for each thing the
fixtures put in a database (the schema alone; the schema with the processes deployed at the test clock's
time); every test then gets a copy of its own: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certflow.engine.scope import APP_ROLE_GRANTS

# Builds a template: fills the empty database at the URL, and closes its connections before returning.
Build = Callable[[str], None]


class Copies(Protocol):
    def url(self, folder: Path) -> str:
        """The URL of the test's own database (made by ``empty`` or ``fill``), beside its other files in ``folder``."""

    def empty(self, folder: Path) -> str:
        """``url``, with an empty database there."""

    def fill(self, url: str, key: Hashable, build: Build) -> None:
        """Make the database at ``url`` (if any) a copy of the template ``key``, built by ``build`` on first use."""


class SqliteCopies:
    """Templates as files in one folder of the session; a test's database is a copy in its own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.templates: dict[Hashable, Path] = {}

    def url(self, folder: Path) -> str:
        return f"sqlite:///{folder / 'certflow.db'}"

    def empty(self, folder: Path) -> str:
        return self.url(folder)  # SQLite makes the file on the first connection

    def fill(self, url: str, key: Hashable, build: Build) -> None:
        if key not in self.templates:
            template = self.folder / f"template-{uuid.uuid4().hex[:8]}.db"
            build(f"sqlite:///{template}")
            self.templates[key] = template
        # The backup API copies what is committed, whether or not it still sits in the write-ahead log.
        with closing(sqlite3.connect(self.templates[key])) as source, \
                closing(sqlite3.connect(make_url(url).database or "")) as copy:
            source.backup(copy)


class PostgresCopies:
    """Templates as databases on the server; a test's database is dropped and created anew from one.

    Every name starts with a prefix of the session's own, so that sessions side by side (one per xdist
    worker, or another checkout's) never meet; ``close`` drops them all.
    """

    def __init__(self, server_url: str) -> None:
        self.server = make_url(server_url)
        self.admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
        self.prefix = f"certflow_test_{uuid.uuid4().hex[:10]}"
        self.templates: dict[Hashable, str] = {}

    def url(self, folder: Path) -> str:
        return self._url(self.prefix)

    def empty(self, folder: Path) -> str:
        self._create(self.prefix)
        return self._url(self.prefix)

    def fill(self, url: str, key: Hashable, build: Build) -> None:
        if key not in self.templates:
            template = f"{self.prefix}_t{len(self.templates)}"
            self._create(template)
            build(self._url(template))
            self.templates[key] = template
        self._create(make_url(url).database or "", template=self.templates[key])

    def close(self) -> None:
        for name in [self.prefix, *self.templates.values()]:
            self._drop(name)
        self.admin.dispose()

    def _url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def _create(self, name: str, template: str = "template1") -> None:
        # FORCE ends whatever a previous test left connected (a worker process, an engine not disposed).
        self._drop(name)
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def _drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def app_role(url: str) -> Iterator[str]:
    """``url``'s database as a role of its own, made as docs/deploy.md makes the app's role (LOGIN NOSUPERUSER
    NOBYPASSRLS, reading and writing the tables, owning none): PostgreSQL's row-level security holds it, as it never
    holds a superuser. Its name is unique, so that tests side by side never share one; it is dropped after."""
    role = f"certflow_app_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in APP_ROLE_GRANTS:
            connection.execute(text(statement.format(role=role)))
    try:
        yield make_url(url).set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()

