"""Behind PgBouncer's transaction pooling: no prepared statements, and the worker LISTENs past the pooler."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from certflow.bootstrap import build_services
from certflow.config import Config
from certflow.engine.db import behind_pooler, make_engine

POSTGRES = "postgresql+psycopg://certflow@pgbouncer.example:6432/certflow"
DIRECT = "postgresql+psycopg://certflow@db.example:5432/certflow"
on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)


def test_the_pooler_is_named_or_refused() -> None:
    assert Config.from_env({}).database_pooler is None
    assert Config.from_env({"CERTFLOW_DATABASE_POOLER": "PgBouncer"}).database_pooler == "pgbouncer"
    with pytest.raises(SystemExit, match="CERTFLOW_DATABASE_POOLER 的值 'pgpool' 无效"):
        Config.from_env({"CERTFLOW_DATABASE_POOLER": "pgpool"})
    with pytest.raises(SystemExit, match="DATABASE_URL 不是 PostgreSQL"):
        Config.from_env({"CERTFLOW_DATABASE_POOLER": "pgbouncer"}).check()


def test_the_worker_listens_straight_to_postgresql_and_not_on_sqlite() -> None:
    assert Config.from_env({}).worker_listen_url is None  # SQLite: it polls
    assert Config.from_env({"DATABASE_URL": DIRECT}).worker_listen_url == DIRECT
    pooled = {"DATABASE_URL": POSTGRES, "CERTFLOW_DATABASE_POOLER": "pgbouncer", "CERTFLOW_LISTEN_URL": DIRECT}
    assert Config.from_env(pooled).worker_listen_url == DIRECT
    del pooled["CERTFLOW_LISTEN_URL"]
    assert Config.from_env(pooled).worker_listen_url is None  # not through the pooler: it polls


def prepared_after_repeats(url: str, pooled: bool) -> int:
    """Statements PostgreSQL holds prepared for the session after one query ran ten times on it."""
    engine = make_engine(url)
    if pooled:
        behind_pooler(engine)
    try:
        with engine.connect() as connection:
            for n in range(10):  # psycopg prepares a statement on its fifth run
                connection.execute(text("SELECT count(*) FROM pg_class WHERE relpages > :n"), {"n": n})
            return int(connection.scalar(text("SELECT count(*) FROM pg_prepared_statements")) or 0)
    finally:
        engine.dispose()


@on_postgres
def test_behind_a_pooler_no_statement_is_prepared_on_the_server_session(database_url: str) -> None:
    assert prepared_after_repeats(database_url, pooled=False) > 0
    assert prepared_after_repeats(database_url, pooled=True) == 0


@on_postgres
def test_the_services_of_a_pooled_configuration_prepare_nothing(database_url: str) -> None:
    services = build_services(Config.from_env({"DATABASE_URL": database_url, "CERTFLOW_DATABASE_POOLER": "pgbouncer"}))
    try:
        with services.database.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold is None  # type: ignore[union-attr]
    finally:
        services.database.dispose()
