"""Schema migrations through Alembic's API, configured in code.

No ``alembic.ini`` is needed at runtime: the script location is this package's
``migrations`` folder, found relative to this file, so it works from an installed wheel.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from buurtbot.adapters.sql.engine import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for buurtbot's migrations; ``connection`` is the one env.py uses."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; ``None`` for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url_or_engine: str | Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``, in one transaction."""
    with _connection(url_or_engine) as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(url_or_engine: str | Engine, revision: str) -> None:
    """Take the schema down to ``revision`` (``"base"`` drops everything)."""
    with _connection(url_or_engine) as connection:
        command.downgrade(alembic_config(connection), revision)


@contextmanager
def _connection(url_or_engine: str | Engine) -> Iterator[Connection]:
    engine = make_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        if engine is not url_or_engine:
            engine.dispose()
