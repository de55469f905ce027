"""/forgetme on real databases (SQLite and PostgreSQL): afterwards no table holds the person.

The person is a mede-beheerder with a warning, a melding she reported, a "112 called" she
gave, an escalation she made and audit entries by and about her. After /forgetme + yes, every
column of every table is read back and searched for her id, her accounts (Telegram id, phone
number) and her name. The only rows allowed to hold her account are the ones the erasure
itself queued to reach her (the confirmation, the removals from her chats): they have not
been delivered yet.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from buurtbot.adapters.sql import NetworkCache, SqlUnitOfWork, make_session_factory
from buurtbot.adapters.sql.orm import AuditRow, Base, EscalationRow, MeldingRow, OutboxRow
from buurtbot.core.domain.melding import Melding, MeldingId
from buurtbot.core.ids import Platform
from buurtbot.core.ports import Capabilities, UnitOfWork
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.network_sync import apply_network
from tests.world import TRANSLATORS, World

CAPS = {
    Platform.TELEGRAM: Capabilities(remove_members=True),
    Platform.SIGNAL: Capabilities(remove_members=True, add_members=True),
}
REPORT = "Man met koevoet bij nummer 12!"


@pytest.fixture
def world(migrated_engine: Engine) -> World:
    """The example network in the database, driven through the bot service."""
    sessions = make_session_factory(migrated_engine)
    cache = NetworkCache()

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions, network_cache=cache)

    w = World(capabilities=CAPS)
    with factory() as uow:
        apply_network(uow, w.spec)
        uow.commit()
    w.uow_factory = factory  # type: ignore[assignment]
    w.bot = BuurtBot(factory, TRANSLATORS, capabilities=CAPS, clock=w.clock)
    return w


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def rows_naming(engine: Engine, needles: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every row, of every table, with a column holding one of ``needles``."""
    found = []
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                if any(n in _cell(v) for v in row.values() for n in needles):
                    found.append((table.name, dict(row)))
    return found


def count(engine: Engine, what: type[Any]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(what)).scalar_one())


def test_nothing_of_the_person_is_left_after_forgetme(
    world: World, migrated_engine: Engine
) -> None:
    carla = world.person("carla")
    world.says("hanneke", "regie", "/warn carla taal Let op je woorden")
    report = world.post("daan", "goor-centrum", REPORT)
    world.reply("carla", "goor-centrum", "/112", report)
    world.reply("carla", "goor-centrum", "/escalate", report, quoted=REPORT, author="daan")
    with world.uow_factory() as uow:
        uow.meldingen.save(
            Melding(
                id=MeldingId("reported-by-carla"),
                gemeente_id=world.spec.gemeente_id,
                group_id=world.group("goor-centrum").id,
                created_at=world.clock.now(),
                reporter=carla.id,
                where="Molenstraat",
            )
        )
        uow.commit()

    needles = {carla.id, carla.display_name, *(i.user_ref for i in carla.identities)}
    assert "+31620000262" in needles
    before = rows_naming(migrated_engine, needles)
    tables = {t for t, _ in before}
    assert {"person", "person_identity", "membership", "warning", "melding", "escalation",
            "audit", "outbox"} <= tables  # fmt: skip
    audit_rows = count(migrated_engine, AuditRow)

    world.says("carla", None, "/vergeetmij")
    world.says("carla", None, "1", event_id="forget-yes")

    left = rows_naming(migrated_engine, needles)
    assert {t for t, _ in left} <= {"outbox"}, left
    for _table, row in left:  # only what the erasure queued to reach her, not yet sent
        assert row["key"].startswith("forget-yes:")
        assert row["state"] == "pending"
        assert row["kind"] in {"send_text", "remove_member"}
        payload = json.dumps(row["payload"], ensure_ascii=False)
        assert carla.display_name not in payload
        assert carla.id not in payload

    # What she did stays, without her.
    assert count(migrated_engine, AuditRow) == audit_rows
    with migrated_engine.connect() as conn:
        escalation = conn.execute(select(EscalationRow)).mappings().one()
        assert escalation["escalated_by"] is None
        assert escalation["text"] == REPORT
        meldingen = {r["id"]: r for r in conn.execute(select(MeldingRow)).mappings()}
        assert meldingen["reported-by-carla"]["reporter_id"] is None
        called = [m for m in meldingen.values() if m["called_112_at"] is not None]
        assert called
        assert all(m["called_112_by"] is None for m in called)
        assert all(m["called_112_by_name"] is None for m in called)
        queued = [
            (r["kind"], r["chat_id"])
            for r in conn.execute(select(OutboxRow).order_by(OutboxRow.id)).mappings()
            if r["key"].startswith("forget-yes:")
        ]
    assert sorted(queued) == sorted(
        [
            ("remove_member", world.group("goor-centrum").chat.chat_id),
            ("remove_member", world.group("coordinatoren").chat.chat_id),
            ("send_text", world.identity("carla", Platform.TELEGRAM).user_ref),
        ]
    )


def test_delete_of_an_unknown_person_does_nothing(world: World) -> None:
    with world.uow_factory() as uow:
        uow.persons.delete(world.spec.person_id("nobody"))
        uow.commit()
    with world.uow_factory() as uow:
        assert uow.persons.get(world.spec.person_id("anna")) is not None
