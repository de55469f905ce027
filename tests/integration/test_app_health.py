"""The application's health checks: at the start and every ``HEALTH_INTERVAL`` for each real
platform, right after a Signal reconnect, and ended with the app; the ports' addresses
reach the core (the Signal number in invites)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from buurtbot.adapters.signal.adapter import SignalAdapter, SignalConfig
from buurtbot.bootstrap import App, build_app, prepare_database
from buurtbot.config.settings import Settings
from buurtbot.core.actions import Action, DeliveryResult
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import Capabilities, ChatPort, EventSink, PlatformHealth
from buurtbot.core.services.health import load_health
from tests.eventually import eventually
from tests.standins.signal_api import SignalStandIn

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "hof-van-twente.toml"
BOT = "+31612345678"
TIMEOUT = 5.0


class CountingPort(ChatPort):
    """A platform that only answers health checks, and counts them."""

    platform = Platform.SIGNAL

    def __init__(self) -> None:
        self.capabilities = Capabilities()
        self.checks: list[Sequence[ChatRef]] = []
        self.failing = 0

    async def initialize(self) -> None:
        self.bot_address = BOT

    async def start(self, sink: EventSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def perform(self, action: Action) -> DeliveryResult:
        return DeliveryResult()

    async def check_health(self, chats: Sequence[ChatRef]) -> PlatformHealth | None:
        self.checks.append(chats)
        if len(self.checks) <= self.failing:
            raise RuntimeError("the platform fell over")
        return PlatformHealth(Platform.SIGNAL, datetime.now(UTC), None, (), receiving=True)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    prepare_database(url, [EXAMPLE])
    monkeypatch.setattr(App, "HEALTH_INTERVAL", 0.05)
    built = build_app(Settings(database_url=url))
    yield built
    built.close()


async def run_until(app: App, condition: Callable[[], bool]) -> None:
    running = asyncio.create_task(app.run())
    try:
        await eventually(condition)
    finally:
        app.request_stop()
        await asyncio.wait_for(running, TIMEOUT)


async def test_health_is_checked_again_and_again_and_stops_with_the_app(app: App) -> None:
    port = CountingPort()
    port.failing = 2  # a failing round does not end the rounds
    app.ports[Platform.SIGNAL] = port
    await run_until(app, lambda: len(port.checks) >= 5)
    assert all(c.platform is Platform.SIGNAL for chats in port.checks for c in chats)
    assert port.checks[-1]  # the network's Signal groups
    assert not app._tasks
    after = len(port.checks)
    await asyncio.sleep(0.2)
    assert len(port.checks) == after  # nothing runs on after the stop
    with app.uow_factory() as uow:
        stored = load_health(uow, Platform.SIGNAL)
    assert stored is not None
    assert stored.receiving is True
    assert app.bot.bot_addresses == {Platform.SIGNAL: BOT}


async def test_a_signal_reconnect_is_checked_at_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(App, "HEALTH_INTERVAL", 3600.0)  # only the start and the reconnect
    standin = SignalStandIn(number=BOT)
    await standin.start()
    try:
        port = SignalAdapter(
            SignalConfig(
                service=standin.service,
                number=BOT,
                heartbeat=0.5,
                connect_timeout=2.0,
                startup_timeout=0.3,
                backoff_base=0.05,
                backoff_cap=0.4,
            )
        )
        app.ports[Platform.SIGNAL] = port

        def stored() -> PlatformHealth | None:
            with app.uow_factory() as uow:
                return load_health(uow, Platform.SIGNAL)

        async def reconnect() -> None:
            await eventually(lambda: (s := stored()) is not None and s.receiving is True)
            assert stored().gaps == ()  # type: ignore[union-attr]
            await standin.close_websockets(code=1000)

        running = asyncio.create_task(app.run())
        try:
            await reconnect()
            await eventually(lambda: bool((s := stored()) and s.gaps))
            health = stored()
            assert health is not None
            assert health.receiving is True
            [(start, end)] = health.gaps
            assert start <= end
            assert app.bot.bot_addresses[Platform.SIGNAL] == BOT
        finally:
            app.request_stop()
            await asyncio.wait_for(running, TIMEOUT)
    finally:
        await standin.stop()
