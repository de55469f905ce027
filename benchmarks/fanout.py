"""An escalation-like fan-out: 500 messages to 500 group chats through the real outbox relay.

The relay runs over SQLite exactly as in production (one database thread, the real
:class:`~buurtbot.core.services.delivery.OutboxRelay` with Telegram's limits) and sends each
message as an HTTP POST to a stand-in platform on 127.0.0.1. The stand-in timestamps every
arrival and counts violations of the platform limit: an arrival that closes a one-second
window holding more than 30 messages.

The baseline is the theoretical bound, 500 / 30 s: no sender that respects the limit can do
much better. Goals: time ≤ 1.05x the bound, zero violations.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from buurtbot.adapters.sql.engine import make_engine
from buurtbot.adapters.sql.migrate import upgrade
from buurtbot.adapters.sql.repositories import NetworkCache
from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory
from buurtbot.core.actions import SendText
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import RateLimits, SystemClock, UnitOfWork
from buurtbot.core.services.delivery import OutboxRelay
from buurtbot.core.text import RichText
from tests.integration.outbox_worker import HttpPort, StandIn, max_in_window, violations

T = TypeVar("T")

#: Telegram's published limits.
LIMITS = RateLimits(overall_per_second=30, per_chat_per_second=1, per_group_per_minute=20)


@dataclass(frozen=True)
class Result:
    messages: int
    delivered: int
    bound_s: float
    relay_s: float
    violations: int
    busiest_second: int

    @property
    def ratio(self) -> float:
        return self.relay_s / self.bound_s


async def _deliver(uow_factory: Callable[[], UnitOfWork], standin: StandIn) -> float:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-db")
    loop = asyncio.get_running_loop()

    async def run_blocking(fn: Callable[[], T]) -> T:
        return await loop.run_in_executor(executor, fn)

    relay = OutboxRelay(
        uow_factory,
        {Platform.TELEGRAM: HttpPort(standin.port, LIMITS)},
        SystemClock(),
        run_blocking,
    )
    try:
        t0 = time.perf_counter()
        await relay.deliver_due()
        return time.perf_counter() - t0
    finally:
        executor.shutdown(wait=True)


def run(count: int = 500) -> Result:
    with tempfile.TemporaryDirectory(prefix="buurtbot-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'fanout.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        networks = NetworkCache()

        def uow_factory() -> UnitOfWork:
            return SqlUnitOfWork(sessions, network_cache=networks)

        # The escalation commits every copy in one transaction before anything is sent.
        with uow_factory() as uow:
            now = datetime.now(UTC)
            for n in range(count):
                chat = ChatRef(Platform.TELEGRAM, f"-100{n:04d}")
                text = RichText.of(f"Escalation from Goor-Centrum, copy {n}")
                uow.outbox.add(SendText(chat=chat, text=text), key=f"fanout:{n}", at=now)
            uow.commit()
        with StandIn() as standin:
            relay_s = asyncio.run(_deliver(uow_factory, standin))
            arrivals = [r.at for r in standin.snapshot()]
        engine.dispose()
    limit = int(LIMITS.overall_per_second)
    return Result(
        messages=count,
        delivered=len(arrivals),
        bound_s=count / LIMITS.overall_per_second,
        relay_s=relay_s,
        violations=violations(arrivals, limit),
        busiest_second=max_in_window(arrivals),
    )


def report(result: Result) -> str:
    return (
        f"fan-out through the outbox relay on SQLite: {result.messages} messages to "
        f"{result.messages} group chats, limit {LIMITS.overall_per_second:.0f} msg/s\n"
        f"  baseline (theoretical bound): {result.bound_s:,.2f} s\n"
        f"  through the relay:            {result.relay_s:,.2f} s "
        f"({result.delivered} delivered)\n"
        f"  ratio relay/bound:            {result.ratio:,.3f}x the time (goal <= 1.05)\n"
        f"  limit violations:             {result.violations} (goal 0; "
        f"busiest second: {result.busiest_second} messages)"
    )


if __name__ == "__main__":
    print(report(run()))
