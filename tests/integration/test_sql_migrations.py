"""The migrations build exactly the ORM's schema, and can be undone and redone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect

from buurtbot.adapters.sql import current_revision, downgrade, head_revision, upgrade
from buurtbot.adapters.sql.orm import Base

TABLES_0001 = {
    "gemeente",
    "kern",
    "buurt",
    "chat_group",
    "person",
    "person_identity",
    "gemeente_role",
    "membership",
    "processed_event",
    "pending_choice",
    "outbox",
}
TABLES_0002 = TABLES_0001 | {
    "melding",
    "escalation",
    "escalation_delivery",
    "warning",
    "block",
    "audit",
    "dialogue",
    "nudge",
}
TABLES_0003 = TABLES_0002 | {"aanmelding", "invite", "attempt"}
TABLES_0005 = TABLES_0003 | {"bot_state"}
TABLES = TABLES_0005 | {"dashboard_access"}


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))


def _insert_gemeente(conn: Connection, policy: str = "{}") -> None:
    conn.exec_driver_sql(
        "INSERT INTO gemeente (id, name, timezone, default_locale, warning_threshold, "
        "warning_expiry_days, retention_days, max_mede_beheerders, active, revision, policy) "
        f"VALUES ('g', 'G', 'Europe/Amsterdam', 'nl', 3, 90, 180, 3, true, 1, '{policy}')"
    )


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_orm_covers_the_expected_tables() -> None:
    assert set(Base.metadata.tables) == TABLES


def test_upgrade_gives_exactly_the_orm_schema(engine: Engine) -> None:
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert head_revision() >= "0006"  # the newest revision at least (zero-padded: comparable)
    assert _tables(engine) == TABLES
    assert _differences(engine) == []


def test_comparison_notices_a_difference(engine: Engine) -> None:
    """Guards the test above: a schema that lacks a table must not compare equal."""
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE pending_choice")
    assert any(diff[0] == "add_table" for diff in _differences(engine))  # type: ignore[index]


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert _tables(engine) == set()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []


def test_downgrade_to_the_initial_schema_keeps_the_data_and_upgrade_again(
    engine: Engine,
) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        _insert_gemeente(conn)
        conn.exec_driver_sql("INSERT INTO kern VALUES ('g', 'goor', 'Goor', 0, true)")
    downgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert _tables(engine) == TABLES_0001
    columns = {c["name"] for c in inspect(engine).get_columns("gemeente")}
    assert "policy" not in columns
    assert "message_id" not in {c["name"] for c in inspect(engine).get_columns("outbox")}
    upgrade(engine)  # the gemeente kept through the round trip gets the default policy
    assert _differences(engine) == []
    with engine.connect() as conn:
        policy = conn.exec_driver_sql("SELECT policy FROM gemeente").scalar_one()
        # Dropping the column did not take the gemeente's children with it (SQLite).
        assert conn.exec_driver_sql("SELECT count(*) FROM kern").scalar_one() == 1
    assert policy in ({}, "{}")


def test_downgrade_to_0002_drops_only_the_signup_tables_and_upgrade_again(
    engine: Engine,
) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        _insert_gemeente(conn, '{"invite_valid_days": 14}')
        conn.exec_driver_sql("INSERT INTO kern VALUES ('g', 'goor', 'Goor', 0, true)")
        conn.exec_driver_sql(
            "INSERT INTO person (id, gemeente_id, display_name) VALUES ('p', 'g', 'P')"
        )
        conn.exec_driver_sql(
            "INSERT INTO aanmelding (id, gemeente_id, created_at, name, locale, channel, "
            "adult_confirmed, lives_or_works_here, rules_accepted, state, decline_reason, "
            "person_id, reminders_sent) VALUES ('A1', 'g', '2024-06-01 12:00:00', 'P', 'nl', "
            "'web', true, true, true, 'received', '', 'p', 0)"
        )
    downgrade(engine, "0002")
    assert current_revision(engine) == "0002"
    assert _tables(engine) == TABLES_0002
    with engine.connect() as conn:
        for table in ("gemeente", "kern", "person"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one() == 1
        policy = conn.exec_driver_sql("SELECT policy FROM gemeente").scalar_one()
    assert policy in ({"invite_valid_days": 14}, '{"invite_valid_days": 14}')
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []


def test_downgrade_to_0005_keeps_the_escalations_and_upgrade_again(engine: Engine) -> None:
    """0006 only adds: going back drops the dashboard's table, indexes and the buurt's
    geography, and nothing else."""
    upgrade(engine)
    with engine.begin() as conn:
        _insert_gemeente(conn)
        conn.exec_driver_sql("INSERT INTO kern VALUES ('g', 'k', 'K', 0, true)")
        conn.exec_driver_sql(
            "INSERT INTO buurt (gemeente_id, id, kern_id, name, postcodes, streets, adjacent, "
            "position, active, location) VALUES ('g', 'b', 'k', 'B', '[]', '[]', '[]', 0, true, "
            "'[52.2, 6.5]')"
        )
    downgrade(engine, "0005")
    assert _tables(engine) == TABLES_0005
    assert "location" not in {c["name"] for c in inspect(engine).get_columns("buurt")}
    indexes = {i["name"] for i in inspect(engine).get_indexes("escalation")}
    assert not indexes & {"ix_escalation_overview", "ix_escalation_source_group_time"}
    upgrade(engine)
    assert _differences(engine) == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM buurt").scalar_one() == 1


def test_upgrade_from_a_url(database_url: str, engine: Engine) -> None:
    upgrade(database_url)
    assert current_revision(engine) == head_revision()
    upgrade(database_url)  # already at head: nothing to do, no error
    assert current_revision(engine) == head_revision()
