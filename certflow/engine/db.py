"""Database connections and schema migrations."""

from __future__ import annotations

import select
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from certflow.engine.history import DEMO_KEYS, KeyRing
from certflow.engine.scope import PROVINCE_WIDE, apply_scope, county_scope
from certflow.engine.sealing import DEMO_KEYS as DEMO_DATA_KEYS
from certflow.engine.sealing import DataKeyRing

if TYPE_CHECKING:
    import psycopg

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
T = TypeVar("T")
# A server connection older than this is closed and opened anew at its next checkout: a firewall or a server that
# drops connections idle for long does so to the pool's spare ones first.
POOL_RECYCLE_SECONDS = 1800


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No ping on every checkout: it was a round trip for each of a request's sessions, half of a short
        # request's transactions. A connection the server closed is found without one (``_check_alive``), and
        # one that fails in use invalidates the whole pool (SQLAlchemy's disconnect handling).
        engine = create_engine(url, pool_pre_ping=False, pool_recycle=POOL_RECYCLE_SECONDS)
        event.listen(engine, "checkout", _check_alive)
        return apply_scope(engine)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy issue BEGIN itself (below); the driver's implicit BEGIN is deferred.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # A value replaced or erased leaves no old copy (an envelope the data key opens) in freed pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock at the start: two processes changing one case queue up instead of
        # failing half-way with "database is locked".
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def behind_pooler(engine: Engine) -> Engine:
    """``engine``, its connections fit for a transaction pooler (PgBouncer): psycopg prepares a statement it
    runs often on the server session, which the pooler hands to another client after each transaction."""

    @event.listens_for(engine, "connect", insert=True)
    def _no_prepared_statements(dbapi_connection: psycopg.Connection[Any], _record: ConnectionPoolEntry) -> None:
        dbapi_connection.prepare_threshold = None

    return engine
def _check_alive(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection) -> None:
    """Refuse a pooled connection the server has closed (a restart, ``pg_terminate_backend``, an idle timeout), with
    no round trip: an idle connection has nothing to read, so a readable socket is the server's farewell (or the end
    of the stream). The pool then opens another before anything of the transaction is sent: retrying there is safe.
    """
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return
    poller = select.poll()  # not select(): a busy process may hold descriptors past its limit of 1024
    try:
        poller.register(fileno(), select.POLLIN)
    except Exception as error:  # closed already: the driver's error (psycopg's OperationalError) or the socket's
        raise DisconnectionError("数据库连接已断开") from error
    if poller.poll(0):
        raise DisconnectionError("数据库连接已被服务器关闭")


def read_again_if_disconnected(read: Callable[[], T]) -> T:
    """``read()``, done once more should its connection turn out broken (one the checkout could not tell, e.g. the
    server went away in between): it wrote nothing, so doing it again is safe, and SQLAlchemy has replaced the pool's
    connections by then. Only for reads: a write may have reached the server before its connection broke."""
    try:
        return read()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return read()


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def use_data_keys(sessions: sessionmaker[Session], keys: DataKeyRing) -> None:
    """Seal and open the personal columns (``models.SealedValue``) of the sessions' engine with ``keys``.

    Kept on the engine's dialect, the one object the column type is handed at each read and write: each engine
    (a test's database, the server's) has its own keys.
    """
    bind = sessions.kw["bind"]
    bind.dialect.certflow_data_keys = keys


def _alembic_config(engine: Engine, history_keys: KeyRing = DEMO_KEYS,
                    data_keys: DataKeyRing = DEMO_DATA_KEYS) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["history_keys"] = history_keys  # 0012 seals the cases it finds with the current key
    config.attributes["data_keys"] = data_keys  # 0018 encrypts the personal columns with the current key
    return config


def upgrade(engine: Engine, history_keys: KeyRing = DEMO_KEYS, data_keys: DataKeyRing = DEMO_DATA_KEYS) -> None:
    """Create or update the schema to the newest migration, province-wide: a migration changes every county's rows."""
    with county_scope(PROVINCE_WIDE):
        command.upgrade(_alembic_config(engine, history_keys, data_keys), "head")


def head_revision(engine: Engine) -> str | None:
    """The newest migration's revision, the one ``upgrade`` brings the schema to."""
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()


def is_current(engine: Engine) -> bool:
    head = head_revision(engine)
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def readiness(engine: Engine) -> dict[str, str]:
    """{"database": "ok" | what is wrong, "migrations": "current" | "not current" | "unknown"}, for /readyz."""
    try:
        current = is_current(engine)
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        return {"database": f"unreachable: {type(cause).__name__}", "migrations": "unknown"}
    return {"database": "ok", "migrations": "current" if current else "not current"}
