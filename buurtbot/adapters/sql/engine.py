"""Engines for the two supported databases: SQLite (a single file) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

#: How long a SQLite connection waits for another one's write lock before failing.
SQLITE_BUSY_TIMEOUT_S = 30.0


def default_database_url() -> str:
    """A SQLite file ``buurtbot.db`` in the current working directory."""
    return f"sqlite:///{Path.cwd() / 'buurtbot.db'}"


def normalise_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgres://`` and ``postgresql://`` become ``postgresql+psycopg://``.

    Hosting platforms hand out ``postgres://`` URLs, which SQLAlchemy would map to psycopg2;
    buurtbot only ships psycopg 3.
    """
    parsed = make_url(url)
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``, configured for how buurtbot uses the database.

    SQLite gets WAL (readers never wait for the writer), enforced foreign keys, a busy
    timeout, and ``BEGIN IMMEDIATE`` for every transaction: a transaction takes the write
    lock when it starts, so two connections never both read and then fail to upgrade to a
    write (``database is locked``); they queue instead. Don't nest units of work on SQLite:
    the inner one waits for the outer one's lock. ``kwargs`` go to ``create_engine``.
    """
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise ValueError(f"use the psycopg driver for PostgreSQL, not {parsed.drivername!r}")
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    in_memory = url.database in {None, "", ":memory:"}
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    if in_memory:
        # One shared connection, or every checkout would see a new, empty database.
        connect_args.setdefault("check_same_thread", False)
        kwargs.setdefault("poolclass", StaticPool)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN away from the sqlite3 module (it would skip it before SELECTs), so
        # SQLAlchemy's "begin" hook below decides how a transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
