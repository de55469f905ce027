"""The outbox relay: performs queued actions through the chat ports, and keeps trying.

Guarantees, and how they are kept:

- *Nothing committed is lost.* An item is marked delivered only after the platform
  accepted it; until then it stays pending in storage. A crash between the send and the
  mark repeats that one send (the claim lapses and the item is handed out again), so
  duplicates are bounded by the sends in flight at the crash, never more than one per chat.
- *In order within a chat.* Storage hands out only the oldest pending item of a chat, and
  the relay never overlaps two sends to one chat; a later item waits until the earlier one
  is delivered or given up on, even across retries.
- *Under the platform's rate limits.* Each port's :class:`~buurtbot.core.ports.RateLimits`
  feed one :class:`~buurtbot.core.services.ratelimit.RateLimiter`; a send starts only with a
  slot. A chat that must wait briefly is waited for; one that must wait longer goes back to
  storage, due when its slot comes, without counting a try. Other chats go on meanwhile:
  sends run concurrently across chats (at most ``concurrency`` at once).
- *Retries.* The platform's retry-after delays that chat only (storage keeps the item due
  later, so the pause survives restarts and binds every worker). Other transient failures
  and unexpected exceptions back off exponentially with jitter; after ``max_attempts``
  failures, or on a permanent failure, the item is dead.
- *Dead letters are noticed.* A dead item is written to the audit log, and the gemeente's
  regiegroep hears once per unreachable chat, in its own language.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar, cast

from buurtbot.core.actions import (
    Action,
    AnswerButton,
    CopyMessage,
    CreateInvite,
    DeliveryResult,
    EditText,
    SendText,
)
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.model import GroupKind
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import (
    ChatPort,
    Clock,
    OutboxItem,
    PermanentDeliveryError,
    TransientDeliveryError,
    UnitOfWork,
    UnitOfWorkFactory,
)
from buurtbot.core.services.ratelimit import DEFAULT_SLACK, Monotonic, RateLimiter
from buurtbot.core.text import RichText
from buurtbot.core.texts import delivery as texts

log = logging.getLogger(__name__)

T = TypeVar("T")
#: Runs blocking storage work off the event loop (the application's database thread).
RunBlocking = Callable[[Callable[[], T]], Awaitable[T]]
#: One change to storage, applied inside a unit of work that the relay commits.
Change = Callable[[UnitOfWork], None]

MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 600.0
#: How long an item waits in storage when no adapter runs for its platform.
NO_ADAPTER_SECONDS = 60.0
#: The longest platform retry-after honoured as given; longer ones are cut to this.
MAX_RETRY_AFTER_SECONDS = 24 * 3600.0
#: How long an edit waits before looking again whether its message has been delivered.
EDIT_WAIT_SECONDS = 5.0


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the ``attempts``-th failure: 2, 4, 8 … up to ten minutes.

    With ``rng``, a random point in the upper half of that ("equal jitter"), so chats that
    failed together (a platform outage) do not all come back in the same instant.
    """
    ceiling = float(min(2 ** max(attempts, 1), MAX_BACKOFF_SECONDS))
    if rng is None:
        return ceiling
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def dead_notice_key(chat: ChatRef) -> str:
    """The outbox key of the regiegroep's notice about ``chat``: one notice per chat."""
    kind = "private" if chat.private else "group"
    return f"dead-notice:{chat.platform}:{kind}:{chat.chat_id}"


def invite_follow_up(action: Action, result: DeliveryResult) -> SendText | None:
    """The message that hands a newly made join link to the person it was made for."""
    if not isinstance(action, CreateInvite) or action.send_to is None or not result.invite_link:
        return None
    text = RichText.of(action.message or RichText(), "\n", result.invite_link)
    return SendText(chat=action.send_to, text=text)


@dataclass(slots=True)
class _Held:
    """A claimed item waiting in memory for its rate-limit slot."""

    item: OutboxItem
    since: float  # monotonic time of the claim


class OutboxRelay:
    """Sends what the outbox holds. One relay per process; several processes may share one
    outbox (storage's claims keep them apart), each keeping its own rate limits.

    ``translators`` word the notices to the regiegroep (without: the English source text).
    ``batch``: the most items in hand at once (claimed, waiting or being sent).
    ``concurrency``: the most sends in flight at once. ``hold_seconds``: the longest an item
    waits in memory for a slot before it goes back to storage; keep it well below the
    storage's claim lease. ``slack`` widens every rate-limit window (see
    :mod:`~buurtbot.core.services.ratelimit`). ``monotonic`` and ``rng`` are for tests.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        ports: Mapping[Platform, ChatPort],
        clock: Clock,
        run_blocking: RunBlocking[object],
        *,
        translators: Translators | None = None,
        batch: int = 50,
        concurrency: int = 16,
        hold_seconds: float = 5.0,
        max_attempts: int = MAX_ATTEMPTS,
        slack: float = DEFAULT_SLACK,
        monotonic: Monotonic = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if batch < 1 or concurrency < 1 or max_attempts < 1 or hold_seconds < 0:
            raise ValueError(
                "batch, concurrency and max_attempts must be positive, hold_seconds not negative"
            )
        self.uow_factory = uow_factory
        self.ports = ports
        self.clock = clock
        self._run = run_blocking
        self.translators = translators or Translators({})
        self.batch = batch
        self.concurrency = concurrency
        self.hold_seconds = hold_seconds
        self.max_attempts = max_attempts
        self._slack = slack
        self._mono = monotonic
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self._limiters: dict[int, tuple[ChatPort, RateLimiter]] = {}
        self._wake = asyncio.Event()
        self._queued: list[tuple[Change, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    # -- public -------------------------------------------------------------------------------
    def wake(self) -> None:
        """Tell the relay that new items may be waiting."""
        self._wake.set()

    def limiter(self, port: ChatPort) -> RateLimiter:
        """The rate limiter of ``port``'s account (made from its capabilities on first use)."""
        found = self._limiters.get(id(port))
        if found is None:
            found = (
                port,
                RateLimiter(port.capabilities.rate_limits, clock=self._mono, slack=self._slack),
            )
            self._limiters[id(port)] = found
        return found[1]

    async def deliver_due(self) -> int:
        """Perform what is due now, waiting briefly for rate-limit slots; the number of items
        handled (delivered, retried later or given up). Items that must wait longer stay in
        storage, due when they may go."""
        return await self._pass(None)

    async def run(self, stop: asyncio.Event, *, idle_seconds: float = 1.0) -> None:
        """Deliver until ``stop`` is set, sleeping until woken or ``idle_seconds`` pass.

        On ``stop`` no new send starts; sends in flight finish and are recorded.
        """
        while not stop.is_set():
            self._wake.clear()  # before the pass: a wake during it is not lost
            try:
                await self._pass(stop)
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
            if stop.is_set():
                return
            await _first_of(self._wake, stop, timeout=idle_seconds)

    # -- one pass -------------------------------------------------------------------------------
    async def _pass(self, stop: asyncio.Event | None) -> int:
        held: list[_Held] = []
        running: dict[asyncio.Task[None], _Held] = {}
        handled = 0
        claim = True
        woken = False
        waiters: dict[str, asyncio.Task[object]] = {}
        try:
            while True:
                finished = [t for t in running if t.done()]
                for task in finished:
                    del running[task]
                handled += len(finished)
                claim = claim or bool(finished)  # a chat's next item may be claimable now
                stopping = stop is not None and stop.is_set()
                if self._wake.is_set():  # new items were announced: claim them soon
                    self._wake.clear()
                    claim = woken = True
                room = self.batch - len(held) - len(running)
                # A claim costs a transaction: claim when the items in hand run low, or for
                # announced items, rather than after every send.
                low = len(held) < self.concurrency
                if claim and (low or woken) and room > 0 and not stopping:
                    items = await self._claim(room)
                    claim = len(items) == room  # a full claim: more may be waiting
                    woken = False
                    held.extend(self._take(items, held, running))
                if stopping:
                    await self._release([(h.item, 0.0) for h in held])
                    held = []
                delay = math.inf
                if held:
                    held, delay = await self._start_sendable(held, running)
                if not held and not running:
                    if claim and not stopping:
                        continue
                    return handled
                if stop is not None and not stopping:  # (stopping: await the sends only)
                    waiters.setdefault("wake", asyncio.ensure_future(self._wake.wait()))
                    waiters.setdefault("stop", asyncio.ensure_future(stop.wait()))
                timeout = None if math.isinf(delay) else max(delay, 0.001)
                if not running and not waiters:  # only held items, waiting for their slots
                    await asyncio.sleep(timeout or 0.001)
                    continue
                done, _ = await asyncio.wait(
                    {*running, *waiters.values()},
                    timeout=timeout,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for name in [n for n, w in waiters.items() if w in done]:
                    del waiters[name]
        finally:
            for waiter in waiters.values():
                waiter.cancel()
            if running:  # sends in flight finish and are recorded, whatever happened here
                await asyncio.wait(running)

    def _take(
        self,
        items: list[OutboxItem],
        held: list[_Held],
        running: Mapping[asyncio.Task[None], _Held],
    ) -> list[_Held]:
        """Hold the newly claimed items. An item already in hand comes back when it was held
        past its claim's lease and claimed again: the claim is renewed, the copy dropped."""
        in_hand = {h.item.id for h in held} | {
            h.item.id for t, h in running.items() if not t.done()
        }
        now = self._mono()
        return [_Held(item, now) for item in items if item.id not in in_hand]

    async def _start_sendable(
        self, held: list[_Held], running: dict[asyncio.Task[None], _Held]
    ) -> tuple[list[_Held], float]:
        """Start a send for every held item that has a slot now, oldest first; give back
        those that would wait too long. Returns the items still waiting and the seconds
        until the next slot."""
        keep: list[_Held] = []
        back: list[tuple[OutboxItem, float]] = []
        delay = math.inf
        now = self._mono()
        # Storage hands out a chat's next item only once the previous one's outcome is
        # stored; its task may not have returned yet. Never overlap two sends of one chat.
        sending = {h.item.action.chat for t, h in running.items() if not t.done()}
        for h in held:
            chat = h.item.action.chat
            port = self.ports.get(chat.platform)
            if port is None:
                log.info("no adapter for %s; outbox item %s waits", chat.platform, h.item.key)
                back.append((h.item, NO_ADAPTER_SECONDS))
                continue
            if chat in sending:
                keep.append(h)
                continue
            if len(running) >= self.concurrency:
                if now - h.since > self.hold_seconds:  # slow sends ahead: outlive no claim
                    back.append((h.item, 0.0))
                else:
                    keep.append(h)
                continue
            wait = self.limiter(port).acquire(chat)
            if wait <= 0:
                task = asyncio.create_task(self._send(h.item, port), name=f"send {h.item.key}")
                running[task] = h
                sending.add(chat)
            elif now - h.since + wait > self.hold_seconds:
                back.append((h.item, wait))
            else:
                keep.append(h)
                delay = min(delay, wait)
        await self._release(back)
        return keep, delay

    # -- one item -------------------------------------------------------------------------------
    async def _send(self, item: OutboxItem, port: ChatPort) -> None:
        """Perform one item and record the outcome; never raises (a failure to record is
        logged: the claim lapses and the item is tried again)."""
        try:
            action = await self._resolved(item)
            if action is None:
                return
            try:
                result = await port.perform(action)
            except TransientDeliveryError as exc:
                if exc.retry_after is not None and exc.retry_after > 0:
                    wait = min(exc.retry_after, MAX_RETRY_AFTER_SECONDS)
                    log.info("outbox item %s: %s; its chat waits %.1fs", item.key, exc, wait)
                    await self._release([(item, wait)])
                else:
                    await self._failed(item, str(exc) or type(exc).__name__)
            except PermanentDeliveryError as exc:
                await self._bury(item, str(exc) or type(exc).__name__)
            except Exception as exc:
                log.exception("performing outbox item %s failed unexpectedly", item.key)
                await self._failed(item, repr(exc))
            else:
                self.limiter(port).settled(action.chat)
                at = self.clock.now()
                follow_up = invite_follow_up(action, result)

                def record(uow: UnitOfWork) -> None:
                    uow.outbox.delivered(item.id, at, message=result.message)
                    if follow_up is not None:
                        uow.outbox.add(follow_up, key=f"{item.key}:link", at=at)

                await self._apply(record)
                if follow_up is not None:
                    self.wake()
        except Exception:
            log.exception("recording the outcome of outbox item %s failed", item.key)

    async def _resolved(self, item: OutboxItem) -> Action | None:
        """The action ready to perform. An edit needs the platform's reference of the message
        it edits: until that message is delivered the edit waits; if it never will be, the
        edit is pointless and set aside."""
        action = item.action
        if not isinstance(action, EditText) or action.message is not None:
            return action

        def look() -> tuple[MessageRef | None, str | None]:
            with self.uow_factory() as uow:
                key = action.outbox_key
                return uow.outbox.sent_message(key), uow.outbox.state(key)

        sent, state = cast(tuple[MessageRef | None, str | None], await self._run(look))
        if sent is not None:
            return replace(action, message=sent)
        if state == "pending":
            await self._release([(item, EDIT_WAIT_SECONDS)])
        else:
            await self._bury(item, f"the message to edit ({action.outbox_key}) was not delivered")
        return None

    async def _failed(self, item: OutboxItem, error: str) -> None:
        attempts = item.attempts + 1
        if attempts >= self.max_attempts:
            await self._bury(item, f"{error} (after {attempts} attempts)")
            return
        delay = backoff(attempts, self._rng)
        when = self.clock.now() + timedelta(seconds=delay)
        log.info("outbox item %s retried in %.1fs: %s", item.key, delay, error)
        await self._apply(lambda uow: uow.outbox.retry(item.id, when, error))

    async def _bury(self, item: OutboxItem, error: str) -> None:
        log.warning("outbox item %s dead: %s", item.key, error)
        now = self.clock.now()

        def bury(uow: UnitOfWork) -> None:
            uow.outbox.dead(item.id, error)
            self._report_dead(uow, item, error, now)

        await self._apply(bury)

    def _report_dead(self, uow: UnitOfWork, item: OutboxItem, error: str, now: datetime) -> None:
        """Audit the lost action and tell the regiegroep, once per chat, in the same
        transaction that sets the item aside."""
        action = item.action
        if isinstance(action, AnswerButton):
            return  # acknowledging a button press: nothing a person will miss later
        chat = action.chat
        if chat.private:
            person = uow.persons.by_identity(PlatformIdentity(chat.platform, chat.chat_id))
            network = (
                uow.networks.get(person.gemeente_id)
                if person is not None and person.gemeente_id is not None
                else None
            )
            group = None
        else:
            person = None
            found = uow.networks.find_group(chat)
            network, group = (found[0], found[0].group(found[1])) if found else (None, None)
        if network is None:
            log.warning("dead outbox item %s: chat %s belongs to no gemeente", item.key, chat)
            return
        gemeente = network.gemeente
        uow.audit.add(
            AuditEntry(
                gemeente_id=gemeente.id,
                at=now,
                action=AuditAction.DELIVERY_FAILED,
                subject=person.id if person is not None else None,
                group_id=group.id if group is not None else None,
                reason=error[: texts.MAX_REASON_LENGTH],
                detail={"chat": str(chat), "key": item.key, "action": type(action).__name__},
            )
        )
        if not isinstance(action, SendText | CopyMessage):
            return  # a failed membership change is audited; the chat itself may be fine
        regie = next(iter(network.groups_of_kind(GroupKind.REGIE)), None)
        if regie is None or regie.chat == chat:
            return  # nobody to tell, or the regiegroep itself is unreachable
        tr = self.translators.get(regie.locale or gemeente.default_locale, gemeente.timezone)
        if group is not None:
            text = texts.group_unreachable(tr, group.name, error)
        elif person is not None:
            text = texts.person_unreachable(tr, person.display_name or person.id, error)
        else:  # pragma: no cover - a gemeente is only found through a group or a person
            return
        uow.outbox.add(SendText(chat=regie.chat, text=text), key=dead_notice_key(chat), at=now)

    # -- storage ----------------------------------------------------------------------------------
    async def _claim(self, limit: int) -> list[OutboxItem]:
        def claim() -> list[OutboxItem]:
            with self.uow_factory() as uow:
                items = uow.outbox.due(self.clock.now(), limit)
                uow.commit()
                return items

        return cast(list[OutboxItem], await self._run(claim))

    async def _release(self, items: Iterable[tuple[OutboxItem, float]]) -> None:
        """Give items back to storage untried, each due after its number of seconds."""
        batch = list(items)
        if not batch:
            return
        now = self.clock.now()

        def release(uow: UnitOfWork) -> None:
            for item, seconds in batch:
                uow.outbox.release(item.id, now + timedelta(seconds=seconds))

        await self._apply(release)

    async def _apply(self, change: Change) -> None:
        """Store one change; returns once it is committed.

        Changes that arrive while a transaction is being written go together into the next
        one (group commit): with many sends finishing at once, storage commits once per
        round instead of once per send. A batch that fails is retried change by change, so
        one bad change cannot take the others down with it.
        """
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((change, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="outbox-writer")
        await future

    async def _write_queued(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            changes = [change for change, _ in batch]
            try:
                await self._run(functools.partial(self._commit, changes))
            except Exception as exc:
                if len(batch) == 1:
                    _settle(batch[0][1], exc)
                    continue
                for change, future in batch:
                    try:
                        await self._run(functools.partial(self._commit, [change]))
                    except Exception as one:
                        _settle(future, one)
                    else:
                        _settle(future, None)
            else:
                for _, future in batch:
                    _settle(future, None)

    def _commit(self, changes: list[Change]) -> None:
        with self.uow_factory() as uow:
            for change in changes:
                change(uow)
            uow.commit()


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


async def _first_of(*events: asyncio.Event, timeout: float) -> None:
    """Wait until any of ``events`` is set, or ``timeout`` seconds pass."""
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


__all__ = ["MAX_ATTEMPTS", "OutboxRelay", "backoff", "dead_notice_key"]
