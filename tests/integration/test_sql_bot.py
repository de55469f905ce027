"""The bot service and the outbox relay on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select

from buurtbot.adapters.sql import NetworkCache, SqlUnitOfWork, make_session_factory
from buurtbot.adapters.sql.orm import OutboxRow, ProcessedEventRow
from buurtbot.config.network_file import load_network_file
from buurtbot.core.actions import Action, DeliveryResult, SendText
from buurtbot.core.events import CommandReceived, Sender
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import (
    Capabilities,
    ChatPort,
    Clock,
    EventSink,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnitOfWork,
)
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.delivery import OutboxRelay
from buurtbot.core.services.network_sync import apply_network
from buurtbot.locales import load_all

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hof-van-twente.toml"
T = TypeVar("T")


class MovableClock(Clock):
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class RecordingPort(ChatPort):
    """A platform that records what it is asked to do, and fails on request."""

    platform = Platform.TELEGRAM
    capabilities = Capabilities()

    def __init__(self) -> None:
        self.performed: list[Action] = []
        self.failures: list[Exception] = []

    async def initialize(self) -> None:
        return None

    async def start(self, sink: EventSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def perform(self, action: Action) -> DeliveryResult:
        if self.failures:
            raise self.failures.pop(0)
        self.performed.append(action)
        return DeliveryResult()


@pytest.fixture
def uow_factory(migrated_engine: Engine) -> Callable[[], UnitOfWork]:
    sessions = make_session_factory(migrated_engine)
    cache = NetworkCache()

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions, network_cache=cache)

    with factory() as uow:
        apply_network(uow, load_network_file(EXAMPLE))
        uow.commit()
    return factory


def command(text: str, *, event_id: str, handle: str = "eva") -> CommandReceived:
    spec = load_network_file(EXAMPLE)
    person = next(p for p in spec.persons if p.handle == handle)
    identity = next(i for i in person.identities if i.platform is Platform.TELEGRAM)
    group = next(g for g in spec.network.groups if g.id.endswith(":goor-centrum"))
    name, *args = text.lstrip("/").split()
    return CommandReceived(
        event_id=event_id,
        chat=group.chat,
        sender=Sender(identity=identity),
        at=datetime.now(UTC),
        message=MessageRef(group.chat, event_id),
        name=name,
        args=tuple(args),
    )


def count(engine: Engine, what: type[OutboxRow] | type[ProcessedEventRow]) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(what)).scalar_one())


def test_a_replayed_update_changes_state_once(
    uow_factory: Callable[[], UnitOfWork], migrated_engine: Engine
) -> None:
    bot = BuurtBot(uow_factory, Translators(load_all()))
    event = command("/taal en", event_id="telegram:update:1001")
    assert bot.handle(event) is True
    assert bot.handle(event) is False
    # A second process (its own bot, its own cache) sees the claim too.
    assert BuurtBot(uow_factory, Translators(load_all())).handle(event) is False
    assert count(migrated_engine, OutboxRow) == 1
    assert count(migrated_engine, ProcessedEventRow) == 1


def test_language_choice_is_stored_and_used_by_a_new_bot(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    BuurtBot(uow_factory, Translators(load_all())).handle(command("/taal en", event_id="e1"))
    BuurtBot(uow_factory, Translators(load_all())).handle(command("/regels", event_id="e2"))
    with uow_factory() as uow:
        items = uow.outbox.due(datetime.now(UTC) + timedelta(seconds=1), 10)
        uow.commit()
    texts = [i.action.text.plain for i in items if isinstance(i.action, SendText)]
    assert texts[0] == "From now on I will write to you in English."


def relay_for(
    uow_factory: Callable[[], UnitOfWork], port: RecordingPort, clock: MovableClock
) -> OutboxRelay:
    async def run_blocking(fn: Callable[[], T]) -> T:
        return fn()

    return OutboxRelay(uow_factory, {Platform.TELEGRAM: port}, clock, run_blocking)  # type: ignore[arg-type]


def test_the_relay_delivers_retries_and_sets_aside(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    clock = MovableClock()
    bot = BuurtBot(uow_factory, Translators(load_all()), clock=clock)
    for n in range(3):
        bot.handle(command("/hulp", event_id=f"help-{n}"))
    port = RecordingPort()
    port.failures = [TransientDeliveryError("429", retry_after=30)]
    relay = relay_for(uow_factory, port, clock)

    asyncio.run(relay.deliver_due())
    # The first message failed and waits 30 s; the chat's later messages wait behind it.
    assert port.performed == []
    clock.at += timedelta(seconds=31)
    asyncio.run(relay.deliver_due())
    assert len(port.performed) == 3
    assert [a.reply_to.message_id for a in port.performed] == ["help-0", "help-1", "help-2"]  # type: ignore[attr-defined]

    bot.handle(command("/hulp", event_id="help-dead"))
    port.failures = [PermanentDeliveryError("bot was removed from the group")]
    asyncio.run(relay.deliver_due())
    with uow_factory() as uow:
        assert uow.outbox.due(clock.at + timedelta(days=1), 10) == []
    # The dead message is set aside; the regiegroep hears once that the group is unreachable.
    assert len(port.performed) == 4
    notice = port.performed[3]
    assert isinstance(notice, SendText)
    assert notice.chat.chat_id == "-1001000000099"  # the regiegroep of the example


def test_a_chat_on_another_platform_waits_for_its_adapter(
    uow_factory: Callable[[], UnitOfWork],
) -> None:
    """No adapter for a platform (yet): the message is kept and tried again later."""
    clock = MovableClock()
    bot = BuurtBot(uow_factory, Translators(load_all()), clock=clock)
    event = command("/hulp", event_id="signal-1")
    signal_chat = ChatRef(Platform.SIGNAL, "group.abc=")
    bot.handle(
        CommandReceived(
            event_id="signal-1",
            chat=signal_chat,
            sender=Sender(identity=PlatformIdentity(Platform.SIGNAL, "+31612345678")),
            at=event.at,
            message=MessageRef(signal_chat, "1"),
            name="chatid",
        )
    )
    port = RecordingPort()
    asyncio.run(relay_for(uow_factory, port, clock).deliver_due())
    assert port.performed == []
    with uow_factory() as uow:
        waiting = uow.outbox.due(clock.at + timedelta(minutes=5), 10)
    assert [i.action.chat for i in waiting] == [signal_chat]
