"""Databases for the storage tests: every test runs on SQLite and on PostgreSQL.

Each test gets a database of its own (a temporary SQLite file; a freshly created PostgreSQL
database, dropped afterwards), so tests can commit freely and run in any order.
PostgreSQL is at ``BUURTBOT_TEST_POSTGRES_URL`` (default: ``postgresql://postgres@127.0.0.1:5432/test``,
used only to create and drop the per-test databases). Without a server the postgres tests
are skipped, except under ``CI=true``, where they fail: CI must not pass by skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory, upgrade
from buurtbot.adapters.sql.engine import normalise_url
from buurtbot.adapters.sql.orm import Base
from buurtbot.core.domain.model import (
    Buurt,
    Gemeente,
    GemeenteSettings,
    Group,
    GroupKind,
    Kern,
    Locale,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.postcode import PostcodeRange
from buurtbot.core.ids import BuurtId, ChatRef, GemeenteId, GroupId, KernId, Platform

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"

UowFactory = Callable[[], SqlUnitOfWork]


def _postgres_admin_url() -> URL:
    return normalise_url(os.environ.get("BUURTBOT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))


@cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or ``None`` when it can (asked once per run)."""
    url = _postgres_admin_url()
    engine = make_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        return (
            f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)} "
            f"({' '.join(str(exc.orig).split())}); set BUURTBOT_TEST_POSTGRES_URL"
        )
    finally:
        engine.dispose()
    return None


def _require_postgres() -> None:
    problem = _postgres_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped (connections and all) afterwards."""
    _require_postgres()
    admin_url = _postgres_admin_url()
    name = f"buurtbot_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database of its own for this test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'buurtbot.db'}"
        return
    with _postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's empty database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


# -- migrated databases --------------------------------------------------------------------
# Creating and migrating a database per test would dominate the run time. The migrated
# schema is made once per run instead: SQLite tests get a copy of a migrated file, PostgreSQL
# tests share one migrated database that is emptied before each test.
@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    eng = make_engine(f"sqlite:///{path}")
    upgrade(eng)
    eng.dispose()
    return path


class _SharedPostgres:
    """One migrated database for all PostgreSQL tests, emptied before each.

    Emptying deletes the rows (children first) and restarts the sequences: on tables this
    small that is far cheaper than ``TRUNCATE``, which makes new files for every table and
    index and costs about half a second a test once there are twenty tables.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = make_engine(url)
        with self._engine.connect() as conn:
            self._sequences = list(
                conn.execute(
                    text(
                        "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name)"
                        " FROM information_schema.sequences"
                    )
                ).scalars()
            )

    def emptied(self) -> str:
        with self._engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for sequence in self._sequences:
                conn.execute(text(f"ALTER SEQUENCE {sequence} RESTART"))
        return self.url

    def dispose(self) -> None:
        self._engine.dispose()


@pytest.fixture(scope="session")
def _postgres_shared() -> Iterator[_SharedPostgres]:
    with _postgres_database() as url:
        upgrade(url)
        shared = _SharedPostgres(url)
        try:
            yield shared
        finally:
            shared.dispose()


@pytest.fixture(params=BACKENDS)
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with the newest schema and no rows, for this test alone."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "buurtbot.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    shared: _SharedPostgres = request.getfixturevalue("_postgres_shared")
    return shared.emptied()


@pytest.fixture
def migrated_engine(migrated_url: str) -> Iterator[Engine]:
    """An engine on a database with the newest schema and no rows."""
    eng = make_engine(migrated_url)
    yield eng
    eng.dispose()


@pytest.fixture
def uow_factory(migrated_engine: Engine) -> UowFactory:
    """Makes units of work on the migrated database, like the application does."""
    sessions = make_session_factory(migrated_engine)
    return lambda: SqlUnitOfWork(sessions)


@pytest.fixture
def pg_uow_factory(_postgres_shared: _SharedPostgres) -> Iterator[UowFactory]:
    """Units of work on an emptied migrated PostgreSQL database (for postgres-only tests)."""
    eng = make_engine(_postgres_shared.emptied())
    sessions = make_session_factory(eng)
    yield lambda: SqlUnitOfWork(sessions)
    eng.dispose()


# -- a small network: Hof van Twente with two kernen ---------------------------------------
GEMEENTE = GemeenteId("hof-van-twente")


@pytest.fixture
def network() -> Network:
    """Two kernen, three buurten (two sharing a postcode area), five groups on two platforms."""
    kernen = (Kern(KernId("goor"), GEMEENTE, "Goor"), Kern(KernId("delden"), GEMEENTE, "Delden"))
    buurten = (
        Buurt(
            BuurtId("goor-centrum"),
            GEMEENTE,
            KernId("goor"),
            "Goor-Centrum",
            postcodes=(PostcodeRange.parse("7471"), PostcodeRange.parse("7472AA-7472KZ")),
            streets=frozenset({"Grotestraat", "Markt"}),
            adjacent=frozenset({BuurtId("goor-noord")}),
        ),
        Buurt(
            BuurtId("goor-noord"),
            GEMEENTE,
            KernId("goor"),
            "Goor-Noord",
            postcodes=(PostcodeRange.parse("7472LA-7472ZZ"),),
        ),
        Buurt(
            BuurtId("delden-zuid"),
            GEMEENTE,
            KernId("delden"),
            "Delden-Zuid",
            postcodes=(PostcodeRange.parse("7491AB"),),
        ),
    )
    groups = (
        Group(
            GroupId("regie"),
            GEMEENTE,
            GroupKind.REGIE,
            ChatRef(Platform.TELEGRAM, "-1001"),
            "Regiegroep",
        ),
        Group(
            GroupId("coordinatoren"),
            GEMEENTE,
            GroupKind.COORDINATOREN,
            ChatRef(Platform.SIGNAL, "group.Y29vcmQ="),
            "Coördinatoren",
            locale=Locale.NL,
        ),
        Group(
            GroupId("bg-goor-centrum"),
            GEMEENTE,
            GroupKind.BUURT,
            ChatRef(Platform.TELEGRAM, "-1002"),
            "Buurtpreventie Goor-Centrum",
            buurt_id=BuurtId("goor-centrum"),
        ),
        Group(
            GroupId("bg-goor-noord"),
            GEMEENTE,
            GroupKind.BUURT,
            ChatRef(Platform.SIGNAL, "group.bm9vcmQ="),
            "Goor-Noord let op",
            buurt_id=BuurtId("goor-noord"),
            locale=Locale.EN,
        ),
        Group(
            GroupId("bg-delden-zuid"),
            GEMEENTE,
            GroupKind.BUURT,
            ChatRef(Platform.TELEGRAM, "-1003"),
            "Delden-Zuid",
            buurt_id=BuurtId("delden-zuid"),
        ),
    )
    gemeente = Gemeente(
        GEMEENTE,
        "Hof van Twente",
        settings=GemeenteSettings(warning_threshold=2, retention_days=30),
    )
    return Network(gemeente, kernen, buurten, groups)
