"""The outbox relay: performs queued actions through the chat ports, and keeps trying.

A row is marked delivered only after the platform accepted it, so a crash between the two
repeats at most that one send. Transient failures come back later with exponential backoff
(or the platform's ``retry_after``); permanent ones are set aside as dead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import TypeVar

from buurtbot.core.ids import Platform
from buurtbot.core.ports import (
    ChatPort,
    Clock,
    OutboxItem,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Runs blocking storage work off the event loop (the application's database thread).
RunBlocking = Callable[[Callable[[], T]], Awaitable[T]]

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 600.0


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure: 2, 4, 8 … up to ten minutes."""
    return float(min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))


class OutboxRelay:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        ports: Mapping[Platform, ChatPort],
        clock: Clock,
        run_blocking: RunBlocking[object],
        *,
        batch: int = 50,
    ) -> None:
        self.uow_factory = uow_factory
        self.ports = ports
        self.clock = clock
        self._run = run_blocking
        self.batch = batch
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Tell the relay that new items may be waiting."""
        self._wake.set()

    async def deliver_due(self) -> int:
        """Perform every item due now, batch after batch; the number of items handled."""
        handled = 0
        while True:
            items = await self._claim()
            if not items:
                return handled
            for item in items:
                await self._deliver(item)
                handled += 1

    async def run(self, stop: asyncio.Event, *, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set, sleeping until woken or ``idle_seconds`` pass."""
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=idle_seconds, return_when="FIRST_COMPLETED"
            )
            waiter.cancel()
            stopper.cancel()

    async def _claim(self) -> list[OutboxItem]:
        def claim() -> list[OutboxItem]:
            with self.uow_factory() as uow:
                items = uow.outbox.due(self.clock.now(), self.batch)
                uow.commit()
                return items

        return await self._run(claim)  # type: ignore[return-value]

    async def _deliver(self, item: OutboxItem) -> None:
        port = self.ports.get(item.action.chat.platform)
        if port is None:
            await self._retry(item, f"no adapter for {item.action.chat.platform}", None)
            return
        try:
            await port.perform(item.action)
        except TransientDeliveryError as exc:
            await self._retry(item, str(exc), exc.retry_after)
        except PermanentDeliveryError as exc:
            reason = str(exc)
            log.warning("outbox item %s dead: %s", item.key, reason)
            await self._finish(lambda uow: uow.outbox.dead(item.id, reason))
        except Exception as exc:
            log.exception("performing outbox item %s failed unexpectedly", item.key)
            await self._retry(item, repr(exc), None)
        else:
            now = self.clock.now()
            await self._finish(lambda uow: uow.outbox.delivered(item.id, now))

    async def _retry(self, item: OutboxItem, error: str, retry_after: float | None) -> None:
        if item.attempts + 1 >= MAX_ATTEMPTS:
            log.error(
                "outbox item %s dead after %d attempts: %s", item.key, item.attempts + 1, error
            )
            await self._finish(lambda uow: uow.outbox.dead(item.id, error))
            return
        delay = retry_after if retry_after is not None else backoff(item.attempts + 1)
        when = self.clock.now() + timedelta(seconds=delay)
        log.info("outbox item %s retried in %.1fs: %s", item.key, delay, error)
        await self._finish(lambda uow: uow.outbox.retry(item.id, when, error))

    async def _finish(self, change: Callable[..., None]) -> None:
        def apply() -> None:
            with self.uow_factory() as uow:
                change(uow)
                uow.commit()

        await self._run(apply)
