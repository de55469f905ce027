"""Engine configuration: URL handling, SQLite pragmas and transactions, UTC timestamps."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import StatementError

from buurtbot.adapters.sql import default_database_url, make_engine, make_session_factory, upgrade
from buurtbot.adapters.sql.engine import normalise_url
from buurtbot.adapters.sql.orm import ProcessedEventRow


@pytest.mark.parametrize(
    "url",
    [
        "postgres://bot:pw@db.example:5432/buurt",
        "postgresql://bot:pw@db.example:5432/buurt",
        "postgresql+psycopg://bot:pw@db.example:5432/buurt",
    ],
)
def test_postgres_urls_use_psycopg_3(url: str) -> None:
    parsed = normalise_url(url)
    assert parsed.drivername == "postgresql+psycopg"
    assert (parsed.username, parsed.host, parsed.port, parsed.database) == (
        "bot",
        "db.example",
        5432,
        "buurt",
    )
    engine = make_engine(url)  # no connection is made yet
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x@y/z", "postgresql+psycopg2://x@y/z"])
def test_other_databases_and_drivers_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"sqlite|psycopg"):
        make_engine(url)


def test_default_database_is_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalise_url(default_database_url()).database == str(tmp_path / "buurtbot.db")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        engine.dispose()


def test_in_memory_sqlite_keeps_one_database(migrated_memory_engine: Engine) -> None:
    with migrated_memory_engine.begin() as conn:
        conn.execute(text("INSERT INTO processed_event VALUES ('e', '2024-01-01 00:00:00')"))
    with migrated_memory_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM processed_event")).scalar() == 1


@pytest.fixture
def migrated_memory_engine() -> Iterator[Engine]:
    engine = make_engine("sqlite://")
    upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """Every transaction takes the write lock at BEGIN, so a transaction that read first
    does not fail with 'database is locked' when another one wrote in between."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
            conn.exec_driver_sql("INSERT INTO counter VALUES (0)")

        def bump() -> None:
            with engine.begin() as conn:
                n = conn.exec_driver_sql("SELECT n FROM counter").scalar_one()
                time.sleep(0.05)  # the other thread reads meanwhile, unless it must wait
                conn.exec_driver_sql("UPDATE counter SET n = ?", (n + 1,))

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 4
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 3, 31, 1, 30, tzinfo=UTC),
        datetime(2024, 7, 1, 23, 15, 7, 123456, tzinfo=ZoneInfo("Europe/Amsterdam")),
        datetime(2024, 12, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_timestamps_come_back_aware_in_utc(migrated_engine: Engine, moment: datetime) -> None:
    sessions = make_session_factory(migrated_engine)
    with sessions.begin() as session:
        session.add(ProcessedEventRow(event_id="e", processed_at=moment))
    with sessions() as session:
        stored = session.scalars(select(ProcessedEventRow.processed_at)).one()
        # Comparisons in SQL use the same UTC representation.
        later = session.scalars(
            select(ProcessedEventRow.event_id).where(
                ProcessedEventRow.processed_at > moment - timedelta(microseconds=1)
            )
        ).all()
    assert stored == moment
    assert stored.tzinfo is UTC
    assert later == ["e"]


def test_naive_timestamps_are_refused(migrated_engine: Engine) -> None:
    sessions = make_session_factory(migrated_engine)
    with sessions() as session:
        session.add(ProcessedEventRow(event_id="e", processed_at=datetime(2024, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            session.flush()
