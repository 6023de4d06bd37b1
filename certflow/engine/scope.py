"""Whose rows a unit of work reaches on PostgreSQL: the county it works for, kept beside the code that runs.

PostgreSQL's row-level security (migration 0021) filters the tables holding a county's data by the setting
``certflow.county`` of the transaction: a county code reaches that county's rows, ``PROVINCE_WIDE`` every row, and
an unset or empty setting none. Every transaction on a PostgreSQL engine begins by setting it, transaction-local
(``set_config(…, true)``), from the scope of the code that runs (``county_scope``): nothing outlives the
transaction on the server's session, so a transaction pooler (PgBouncer) may hand that session to anyone next.

The scope is a context variable: a web request holds its person's, a command or the worker the province's, and code
that sets none reaches no row. It repeats the application's own scoping (``certflow.people.access``) underneath,
so that a query which forgot its county finds nothing of another county's; SQLite has no such layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from sqlalchemy import Connection, Engine, event

SETTING = "certflow.county"
PROVINCE_WIDE = "*"  # the worker, the commands, migrations and province-wide administrators
NOBODY = ""  # an anonymous request, a person with no county: no row of any county

# The policies' conditions (the migrations that write them: 0021, 0022). A row of the scope's county, or any row
# province-wide:
_SCOPE = f"current_setting('{SETTING}', true)"
EVERY_ROW = f"{_SCOPE} = '{PROVINCE_WIDE}'"
OWN_ROWS = f"({EVERY_ROW} OR county = {_SCOPE})"
# Also read by any county's scope (not by an unset one): rows of no county, the province's.
SHARED_ROWS = f"({OWN_ROWS} OR (county IS NULL AND {_SCOPE} <> '{NOBODY}'))"

# What the app's role (LOGIN NOSUPERUSER NOBYPASSRLS) is given on a migrated database, run by the tables' owner;
# docs/deploy.md shows them with the default privileges that cover the tables later migrations add.
APP_ROLE_GRANTS = (
    'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOBYPASSRLS',
    'GRANT USAGE ON SCHEMA public TO "{role}"',
    'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
    'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
)

_current: ContextVar[str | None] = ContextVar("certflow_county_scope", default=None)


def current() -> str | None:
    """The scope of the code running now; None: none set, which reaches no row (as ``NOBODY``)."""
    return _current.get()


@contextmanager
def county_scope(scope: str) -> Iterator[None]:
    """Run the block's transactions in ``scope``: a county code, ``PROVINCE_WIDE`` or ``NOBODY``.

    A transaction already open keeps the scope it began with: enter the scope before the session's first query.
    """
    token = enter(scope)
    try:
        yield
    finally:
        leave(token)


def enter(scope: str) -> Token[str | None]:
    """Set the scope until ``leave(token)``: for a request, whose start and end are two hooks."""
    return _current.set(scope)


def leave(token: Token[str | None]) -> None:
    _current.reset(token)


def apply_scope(engine: Engine) -> Engine:
    """``engine`` (PostgreSQL), each of its transactions beginning with the current scope as ``certflow.county``."""

    @event.listens_for(engine, "begin")
    def _set_scope(connection: Connection) -> None:
        scope = _current.get()
        if scope is not None:  # none: the setting stays unset, and the policies let nothing through
            connection.exec_driver_sql("SELECT set_config(%(name)s, %(scope)s, true)",
                                       {"name": SETTING, "scope": scope})

    return engine
