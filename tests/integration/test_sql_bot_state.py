"""The bot's own state (``bot_state``) and the outbox counts ``/status`` reads.

The tests above the "SQL only" line use the ports alone, so they are the contract, and
``tests/unit/test_fakes.py`` runs them again on the in-memory fakes. The tests below it look
at the database itself: concurrent writers of one key, the migration of the table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, inspect

from buurtbot.adapters.sql import (
    SqlUnitOfWork,
    current_revision,
    downgrade,
    head_revision,
    upgrade,
)
from buurtbot.core.actions import SendText
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.text import RichText

UowFactory = Callable[[], UnitOfWork]
SqlUowFactory = Callable[[], SqlUnitOfWork]

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
SECRET = "telegram.webhook_secret"
CHAT_A = ChatRef(Platform.TELEGRAM, "-1001")
CHAT_B = ChatRef(Platform.SIGNAL, "group.b")


def send(chat: ChatRef, text: str) -> SendText:
    return SendText(chat=chat, text=RichText.of(text))


# -- the contract (also run on the fakes) ------------------------------------------------------
def test_a_value_is_stored_read_back_and_replaced(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.bot_state.get(SECRET) is None
        uow.bot_state.put(SECRET, "s3cr3t", T0)
        assert uow.bot_state.get(SECRET) == "s3cr3t"  # visible inside the transaction
        uow.commit()
    with uow_factory() as uow:
        assert uow.bot_state.get(SECRET) == "s3cr3t"
        uow.bot_state.put(SECRET, "another", T0 + timedelta(hours=1))
        uow.bot_state.put("health.telegram", '{"chats": []}', T0)
        uow.commit()
    with uow_factory() as uow:
        assert uow.bot_state.get(SECRET) == "another"
        assert uow.bot_state.get("health.telegram") == '{"chats": []}'
        assert uow.bot_state.get("health.signal") is None


def test_values_keep_any_text_of_any_length(uow_factory: UowFactory) -> None:
    long_json = '{"chats": [' + ", ".join(['"é€😀"'] * 5000) + "]}"
    local = datetime(2026, 11, 29, 13, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with uow_factory() as uow:
        uow.bot_state.put("k", long_json, local)
        uow.bot_state.put("empty", "", local)
        uow.commit()
    with uow_factory() as uow:
        assert uow.bot_state.get("k") == long_json
        assert uow.bot_state.get("empty") == ""


def test_a_rolled_back_put_leaves_the_old_value(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.bot_state.put(SECRET, "first", T0)
        uow.commit()
    with uow_factory() as uow:
        uow.bot_state.put(SECRET, "second", T0)
        uow.bot_state.put("new", "x", T0)
    with uow_factory() as uow:
        assert uow.bot_state.get(SECRET) == "first"
        assert uow.bot_state.get("new") is None


@pytest.mark.parametrize("key", ["", "k" * 101])
def test_a_key_has_1_to_100_characters(uow_factory: UowFactory, key: str) -> None:
    with uow_factory() as uow:
        with pytest.raises(ValueError, match="1 to 100"):
            uow.bot_state.put(key, "v", T0)
        uow.bot_state.put("k" * 100, "longest", T0)  # the transaction is still usable
        uow.commit()
    with uow_factory() as uow:
        assert uow.bot_state.get("k" * 100) == "longest"


def test_outbox_counts_every_state(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        assert uow.outbox.counts() == {"pending": 0, "delivered": 0, "dead": 0}
        for n in range(4):
            uow.outbox.add(send(CHAT_A if n % 2 else CHAT_B, f"m{n}"), key=f"k{n}", at=T0)
        uow.commit()
    with uow_factory() as uow:
        first, second = uow.outbox.due(T0, 10)  # one per chat
        uow.outbox.delivered(first.id, T0)
        uow.outbox.dead(second.id, "chat not found")
        assert uow.outbox.counts() == {"pending": 2, "delivered": 1, "dead": 1}
        uow.commit()
    with uow_factory() as uow:
        assert uow.outbox.delete_delivered_before(T0 + timedelta(seconds=1)) == 2
        assert uow.outbox.counts() == {"pending": 2, "delivered": 0, "dead": 0}


# -- SQL only ----------------------------------------------------------------------------------
def test_two_transactions_writing_one_key_both_commit_and_the_later_wins(
    uow_factory: SqlUowFactory,
) -> None:
    """An upsert: the second writer waits for the first (PostgreSQL locks the row, SQLite
    serialises writers) and then overwrites, instead of failing on the primary key."""
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with uow_factory() as uow:
                uow.bot_state.put(SECRET, "from the second", T0 + timedelta(seconds=1))
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    with uow_factory() as first:
        first.bot_state.put(SECRET, "from the first", T0)
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.3)
        first.commit()
    thread.join(timeout=20)
    assert errors == []
    with uow_factory() as uow:
        assert uow.bot_state.get(SECRET) == "from the second"


def test_the_time_of_the_last_change_is_kept_in_utc(uow_factory: SqlUowFactory) -> None:
    from buurtbot.adapters.sql.orm import BotStateRow

    local = datetime(2026, 11, 29, 13, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    with uow_factory() as uow:
        uow.bot_state.put(SECRET, "a", T0)
        uow.bot_state.put(SECRET, "b", local)
        uow.commit()
    with uow_factory() as uow:
        row = uow.session.get(BotStateRow, SECRET)
        assert row is not None
        assert row.updated_at == local
        assert row.updated_at.tzinfo is UTC


def test_downgrade_to_0003_drops_only_the_bot_state_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO bot_state (key, value, updated_at) "
            "VALUES ('telegram.webhook_secret', 's', '2026-11-29 12:00:00')"
        )
        conn.exec_driver_sql("INSERT INTO processed_event VALUES ('e1', '2026-11-29 12:00:00')")
    downgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    assert "bot_state" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM processed_event").scalar_one() == 1
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    columns = {c["name"]: c for c in inspect(engine).get_columns("bot_state")}
    assert set(columns) == {"key", "value", "updated_at"}
    assert inspect(engine).get_pk_constraint("bot_state")["constrained_columns"] == ["key"]
