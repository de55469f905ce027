"""The outbox relay on the in-memory fakes, with a recording platform that fails on demand.

Storage time is the world's fixed clock (moved by hand); rate limits run on real monotonic
time with small limits, and every platform call is timestamped to check them.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from buurtbot.core.actions import Action, AnswerButton, DeliveryResult, SendText
from buurtbot.core.domain.audit import AuditAction
from buurtbot.core.ids import ChatRef, MessageRef, Platform
from buurtbot.core.ports import (
    Capabilities,
    ChatPort,
    EventSink,
    PermanentDeliveryError,
    RateLimits,
    TransientDeliveryError,
)
from buurtbot.core.services.delivery import (
    MAX_BACKOFF_SECONDS,
    NO_ADAPTER_SECONDS,
    OutboxRelay,
    backoff,
    dead_notice_key,
)
from buurtbot.core.services.ratelimit import DEFAULT_SLACK
from buurtbot.core.text import RichText
from tests.fakes import FakeOutboxRecord
from tests.world import TRANSLATORS, World

T = TypeVar("T")
UNLIMITED = RateLimits(math.inf, math.inf, math.inf)


@dataclass(frozen=True)
class Call:
    at: float  # time.monotonic() when the platform was called
    action: Action
    ok: bool


class RecordingPort(ChatPort):
    """A platform that records every call and fails when told to.

    ``fail_next[chat]``: exceptions raised by the chat's next calls, one per call.
    ``fail_always[chat]``: raised on every call. ``latency``: seconds each call takes.
    """

    def __init__(
        self,
        limits: RateLimits = UNLIMITED,
        *,
        platform: Platform = Platform.TELEGRAM,
        latency: float = 0.0,
    ) -> None:
        self.platform = platform
        self.capabilities = Capabilities(rate_limits=limits)
        self.latency = latency
        self.calls: list[Call] = []
        self.fail_next: dict[ChatRef, list[Exception]] = defaultdict(list)
        self.fail_always: dict[ChatRef, Exception] = {}
        self.answer: Callable[[Action, int], MessageRef | None] = lambda a, n: MessageRef(
            a.chat, str(n)
        )
        self.in_flight = 0
        self.most_in_flight = 0
        self.overlapping_chats: list[ChatRef] = []
        self._busy: set[ChatRef] = set()

    async def initialize(self) -> None:
        return None

    async def start(self, sink: EventSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def perform(self, action: Action) -> DeliveryResult:
        chat = action.chat
        if chat in self._busy:
            self.overlapping_chats.append(chat)
        self._busy.add(chat)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        at = time.monotonic()
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            failure = self.fail_always.get(chat) or (
                self.fail_next[chat].pop(0) if self.fail_next[chat] else None
            )
            self.calls.append(Call(at, action, ok=failure is None))
            if failure is not None:
                raise failure
            return DeliveryResult(message=self.answer(action, len(self.calls)))
        finally:
            self.in_flight -= 1
            self._busy.discard(chat)

    # -- reading back -------------------------------------------------------------------------
    def texts(self, chat: ChatRef | None = None) -> list[str]:
        return [
            c.action.text.plain
            for c in self.calls
            if c.ok and isinstance(c.action, SendText) and chat in (None, c.action.chat)
        ]

    def times(self, chat: ChatRef | None = None) -> list[float]:
        return [c.at for c in self.calls if chat in (None, c.action.chat)]


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def db_thread() -> Iterator[ThreadPoolExecutor]:
    """Storage work runs on one thread of its own, as in the application."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-db")
    yield executor
    executor.shutdown(wait=True)


def make_relay(
    world: World, executor: ThreadPoolExecutor, *ports: RecordingPort, **options: Any
) -> OutboxRelay:
    async def run_blocking(fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn)

    options.setdefault("translators", TRANSLATORS)
    options.setdefault("rng", random.Random(1))
    return OutboxRelay(
        world.uow_factory,
        {p.platform: p for p in ports},
        world.clock,
        run_blocking,
        **options,
    )


_keys = itertools.count(1)


def queue(world: World, chat: ChatRef, *texts: str) -> list[str]:
    """Queue ``texts`` for ``chat`` (committed, as a handler would); their outbox keys."""
    keys = []
    with world.uow_factory() as uow:
        for text in texts:
            key = f"test:{next(_keys)}"
            uow.outbox.add(SendText(chat=chat, text=RichText.of(text)), key=key, at=world.clock.at)
            keys.append(key)
        uow.commit()
    return keys


def record(world: World, key: str) -> FakeOutboxRecord:
    return next(r for r in world.store.state.outbox.values() if r.key == key)


def chat(world: World, slug: str) -> ChatRef:
    return world.group(slug).chat


def max_in_span(times: list[float], span: float) -> int:
    ordered = sorted(times)
    return max(
        (sum(1 for t in ordered[i:] if t < start + span) for i, start in enumerate(ordered)),
        default=0,
    )


# -- order and concurrency -----------------------------------------------------------------------
async def test_each_chat_gets_its_messages_in_order_while_chats_go_in_parallel(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort(latency=0.02)
    chats = [
        chat(world, s) for s in ("goor-centrum", "goor-oost", "delden-stad", "diepenheim-stad")
    ]
    for c in chats:
        queue(world, c, *(f"{c.chat_id} #{n}" for n in range(5)))
    relay = make_relay(world, db_thread, port, concurrency=8)

    assert await relay.deliver_due() == 20
    for c in chats:
        assert port.texts(c) == [f"{c.chat_id} #{n}" for n in range(5)]
    assert port.overlapping_chats == []
    assert port.most_in_flight == 4  # one per chat, all chats at once
    assert {r.state for r in world.store.state.outbox.values()} == {"delivered"}


async def test_sends_in_flight_are_bounded(world: World, db_thread: ThreadPoolExecutor) -> None:
    port = RecordingPort(latency=0.02)
    for slug in ("goor-centrum", "goor-oost", "delden-stad", "diepenheim-stad"):
        queue(world, chat(world, slug), "a", "b")
    await make_relay(world, db_thread, port, concurrency=2).deliver_due()
    assert len(port.texts()) == 8
    assert port.most_in_flight == 2


async def test_a_delivered_item_remembers_the_platform_message(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor = chat(world, "goor-centrum")
    port.answer = lambda action, n: MessageRef(action.chat, f"tg-{n}")
    [key] = queue(world, goor, "hello")
    await make_relay(world, db_thread, port).deliver_due()
    with world.uow_factory() as uow:
        assert uow.outbox.sent_message(key) == MessageRef(goor, "tg-1")
        assert uow.outbox.state(key) == "delivered"
    assert record(world, key).delivered_at == world.clock.at


# -- rate limits ---------------------------------------------------------------------------------
async def test_rate_limits_are_never_exceeded(world: World, db_thread: ThreadPoolExecutor) -> None:
    limits = RateLimits(overall_per_second=20, per_chat_per_second=4, per_group_per_minute=math.inf)
    port = RecordingPort(limits)
    chats = [chat(world, s) for s in ("goor-centrum", "goor-oost", "delden-stad")]
    for c in chats:
        queue(world, c, *(f"{c.chat_id} #{n}" for n in range(8)))
    started = time.monotonic()
    await make_relay(world, db_thread, port).deliver_due()
    took = time.monotonic() - started

    assert len(port.texts()) == 24
    assert max_in_span(port.times(), 1.0) <= 20
    gaps = [b - a for a, b in itertools.pairwise(sorted(port.times()))]
    assert min(gaps) >= 0.5 / 20  # paced, not bursts (a late send may keep its slot)
    for c in chats:
        assert max_in_span(port.times(c), 1.0) <= 4
        assert port.texts(c) == [f"{c.chat_id} #{n}" for n in range(8)]
    assert 1.0 <= took < 3.0  # 8 a chat at 4/s needs a second; no crawling either


async def test_a_group_over_its_minute_limit_waits_in_storage_without_an_attempt(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    limits = RateLimits(math.inf, math.inf, per_group_per_minute=3)
    port = RecordingPort(limits)
    goor, oost = chat(world, "goor-centrum"), chat(world, "goor-oost")
    keys = queue(world, goor, "1", "2", "3", "4", "5")
    queue(world, oost, "a", "b")
    mono = FakeMonotonic()
    relay = make_relay(world, db_thread, port, monotonic=mono)

    await relay.deliver_due()
    assert port.texts(goor) == ["1", "2", "3"]
    assert port.texts(oost) == ["a", "b"]  # another group is not held up
    fourth = record(world, keys[3])
    assert fourth.state == "pending"
    assert fourth.attempts == 0
    assert fourth.claimed_until is None
    assert fourth.due_at - world.clock.at == timedelta(seconds=60 + DEFAULT_SLACK)

    mono.t += 30
    world.clock.advance(seconds=30)  # storage says due, the limiter disagrees: not yet
    await relay.deliver_due()
    assert port.texts(goor) == ["1", "2", "3"]
    mono.t += 31
    world.clock.advance(seconds=31)
    await relay.deliver_due()
    assert port.texts(goor) == ["1", "2", "3", "4", "5"]


async def test_a_chat_waiting_briefly_is_waited_for(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    """A wait shorter than the hold happens in memory: one pass delivers everything."""
    port = RecordingPort(
        RateLimits(math.inf, per_chat_per_second=10, per_group_per_minute=math.inf)
    )
    goor = chat(world, "goor-centrum")
    queue(world, goor, *map(str, range(12)))
    await make_relay(world, db_thread, port).deliver_due()
    assert port.texts(goor) == list(map(str, range(12)))
    assert max_in_span(port.times(goor), 1.0) <= 10


# -- failures --------------------------------------------------------------------------------------
async def test_retry_after_pauses_only_that_chat(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor, oost = chat(world, "goor-centrum"), chat(world, "goor-oost")
    keys = queue(world, goor, "1", "2", "3")
    queue(world, oost, "a", "b", "c")
    port.fail_next[goor] = [TransientDeliveryError("429 Too Many Requests", retry_after=30)]
    relay = make_relay(world, db_thread, port)

    await relay.deliver_due()
    assert port.texts(oost) == ["a", "b", "c"]
    assert port.texts(goor) == []
    first = record(world, keys[0])
    assert (first.state, first.attempts) == ("pending", 0)  # waiting is not failing
    assert first.due_at == world.clock.at + timedelta(seconds=30)

    world.clock.advance(seconds=29)
    await relay.deliver_due()
    assert port.texts(goor) == []
    world.clock.advance(seconds=1)
    await relay.deliver_due()
    assert port.texts(goor) == ["1", "2", "3"]


async def test_transient_failures_back_off_exponentially_with_jitter(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor = chat(world, "goor-centrum")
    first, second = queue(world, goor, "1", "2")
    port.fail_next[goor] = [TransientDeliveryError("timed out") for _ in range(4)]
    relay = make_relay(world, db_thread, port)

    delays = []
    for attempt in range(1, 5):
        await relay.deliver_due()
        item = record(world, first)
        assert (item.state, item.attempts, item.last_error) == ("pending", attempt, "timed out")
        delay = (item.due_at - world.clock.at).total_seconds()
        assert 2**attempt / 2 <= delay <= 2**attempt
        delays.append(delay)
        assert port.texts(goor) == []  # the second waits behind the first
        world.clock.advance(seconds=delay)
    assert delays != [2.0, 4.0, 8.0, 16.0]  # jittered
    await relay.deliver_due()
    assert port.texts(goor) == ["1", "2"]
    assert record(world, second).attempts == 0


async def test_an_unexpected_exception_counts_as_a_transient_failure(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor = chat(world, "goor-centrum")
    [key] = queue(world, goor, "1")
    port.fail_next[goor] = [RuntimeError("adapter bug")]
    await make_relay(world, db_thread, port).deliver_due()
    item = record(world, key)
    assert (item.state, item.attempts) == ("pending", 1)
    assert "RuntimeError('adapter bug')" in (item.last_error or "")


async def test_a_platform_without_adapter_waits_untried(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    telegram = RecordingPort()
    west = chat(world, "goor-west")  # a Signal group
    [key] = queue(world, west, "hallo")
    queue(world, chat(world, "goor-centrum"), "hello")
    await make_relay(world, db_thread, telegram).deliver_due()
    item = record(world, key)
    assert (item.state, item.attempts, item.claimed_until) == ("pending", 0, None)
    assert item.due_at == world.clock.at + timedelta(seconds=NO_ADAPTER_SECONDS)
    assert telegram.texts() == ["hello"]


def test_backoff_doubles_up_to_ten_minutes_and_jitters_in_the_upper_half() -> None:
    assert [backoff(n) for n in (0, 1, 2, 3, 9, 10, 30)] == [2, 2, 4, 8, 512, 600, 600]
    assert MAX_BACKOFF_SECONDS == 600
    rng = random.Random(3)
    samples = [backoff(5, rng) for _ in range(200)]
    assert all(16 <= s <= 32 for s in samples)
    assert max(samples) - min(samples) > 8  # spread, not one value


# -- dead letters ----------------------------------------------------------------------------------
def notices(world: World) -> list[FakeOutboxRecord]:
    return [r for r in world.store.state.outbox.values() if r.key.startswith("dead-notice:")]


def failures(world: World) -> list[Any]:
    return [a for a in world.store.state.audit if a.action is AuditAction.DELIVERY_FAILED]


async def test_an_unreachable_group_is_audited_and_reported_once_to_the_regiegroep(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor, regie = chat(world, "goor-centrum"), chat(world, "regie")
    keys = queue(world, goor, "1", "2", "3")
    port.fail_always[goor] = PermanentDeliveryError("Forbidden: bot was kicked from the group")
    relay = make_relay(world, db_thread, port)

    await relay.deliver_due()
    assert [record(world, k).state for k in keys] == ["dead", "dead", "dead"]
    audited = failures(world)
    assert [a.detail["key"] for a in audited] == keys
    assert {a.group_id for a in audited} == {world.group("goor-centrum").id}
    assert {a.reason for a in audited} == {"Forbidden: bot was kicked from the group"}
    [notice] = notices(world)
    assert notice.key == dead_notice_key(goor)
    assert notice.state == "delivered"  # sent in the same pass
    [text] = port.texts(regie)
    assert text == (  # in the regiegroep's language: the gemeente's Dutch
        "Ik kon geen berichten afleveren in Buurtpreventie Goor Centrum: Forbidden: bot was "
        "kicked from the group. Controleer of de bot daar nog lid is."
    )

    queue(world, goor, "4")  # later messages die too, but the regiegroep heard already
    await relay.deliver_due()
    assert len(failures(world)) == 4
    assert len(notices(world)) == 1
    assert len(port.texts(regie)) == 1


async def test_too_many_failures_make_an_item_dead(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    oost = chat(world, "goor-oost")
    [key] = queue(world, oost, "1")
    port.fail_always[oost] = TransientDeliveryError("502 Bad Gateway")
    relay = make_relay(world, db_thread, port, max_attempts=3)
    for _ in range(3):
        await relay.deliver_due()
        world.clock.advance(minutes=10)
    item = record(world, key)
    assert item.state == "dead"
    assert item.last_error == "502 Bad Gateway (after 3 attempts)"
    assert len(port.calls) == 4  # three tries of the item, then the regiegroep's notice
    assert len(failures(world)) == 1
    assert [r.action.chat for r in notices(world)] == [chat(world, "regie")]


async def test_an_unreachable_private_chat_names_the_person(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    anna = world.person("anna")
    private = ChatRef.private_with(world.identity("anna", Platform.TELEGRAM))
    queue(world, private, "Your invite link")
    port.fail_always[private] = PermanentDeliveryError("Forbidden: bot was blocked by the user")
    await make_relay(world, db_thread, port).deliver_due()
    [audited] = failures(world)
    assert (audited.subject, audited.group_id) == (anna.id, None)
    [text] = port.texts(chat(world, "regie"))
    assert text.startswith("Ik kon Anna Huisman geen privébericht sturen: Forbidden: bot was")


async def test_an_unreachable_regiegroep_is_audited_without_a_notice(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    regie = chat(world, "regie")
    queue(world, regie, "escalation")
    port.fail_always[regie] = PermanentDeliveryError("chat not found")
    await make_relay(world, db_thread, port).deliver_due()
    assert len(failures(world)) == 1
    assert notices(world) == []


async def test_a_lost_button_answer_is_neither_audited_nor_reported(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor = chat(world, "goor-centrum")
    with world.uow_factory() as uow:
        uow.outbox.add(AnswerButton(chat=goor, callback_id="cb"), key="ack", at=world.clock.at)
        uow.commit()
    port.fail_always[goor] = PermanentDeliveryError("query is too old")
    await make_relay(world, db_thread, port).deliver_due()
    assert record(world, "ack").state == "dead"
    assert failures(world) == []
    assert notices(world) == []


async def test_a_chat_outside_the_network_is_only_set_aside(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    stranger = ChatRef(Platform.TELEGRAM, "-100999")
    [key] = queue(world, stranger, "hello?")
    port.fail_always[stranger] = PermanentDeliveryError("chat not found")
    await make_relay(world, db_thread, port).deliver_due()
    assert record(world, key).state == "dead"
    assert failures(world) == []
    assert notices(world) == []


async def test_an_outcome_that_cannot_be_stored_does_not_sink_the_others(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    """Outcomes are committed together; one storage refuses is retried alone and logged."""
    port = RecordingPort(latency=0.01)
    goor, oost = chat(world, "goor-centrum"), chat(world, "goor-oost")
    [bad] = queue(world, goor, "1")
    [good] = queue(world, oost, "a")
    # The platform answers with a message in another chat: storage refuses to record it.
    port.answer = lambda action, n: MessageRef(oost, str(n))
    await make_relay(world, db_thread, port).deliver_due()
    assert record(world, good).state == "delivered"
    stuck = record(world, bad)
    assert stuck.state == "pending"
    assert stuck.claimed_until is not None  # tried again once the claim lapses


# -- running -------------------------------------------------------------------------------------
async def test_run_delivers_what_is_announced_and_stops_promptly(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort()
    goor = chat(world, "goor-centrum")
    relay = make_relay(world, db_thread, port)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop, idle_seconds=30))
    await asyncio.sleep(0.05)
    queue(world, goor, "news")
    relay.wake()
    for _ in range(100):
        if port.texts(goor):
            break
        await asyncio.sleep(0.01)
    assert port.texts(goor) == ["news"]  # long before the 30 s idle poll
    stop.set()
    await asyncio.wait_for(task, timeout=1)


async def test_stopping_gives_back_what_waits_for_a_slot(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    port = RecordingPort(RateLimits(math.inf, per_chat_per_second=0.5))  # one per 2 s
    goor = chat(world, "goor-centrum")
    _, second = queue(world, goor, "1", "2")
    relay = make_relay(world, db_thread, port)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    for _ in range(100):
        if port.texts(goor):
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the second is now held, waiting for its slot
    stop.set()
    started = time.monotonic()
    await asyncio.wait_for(task, timeout=1)
    assert time.monotonic() - started < 0.5
    assert port.texts(goor) == ["1"]
    waiting = record(world, second)
    assert (waiting.state, waiting.attempts, waiting.claimed_until) == ("pending", 0, None)


async def test_an_edit_waits_for_its_message_and_then_edits_it(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    """An EditText names the original by outbox key; the relay performs it only once the
    original is on the platform, with the platform's reference filled in."""
    from buurtbot.core.actions import EditText

    port = RecordingPort()
    relay = make_relay(world, db_thread, port)
    target = chat(world, "goor-oost")
    with world.uow_factory() as uow:
        uow.outbox.add(
            SendText(chat=target, text=RichText.of("old")), key="orig", at=world.clock.at
        )
        uow.outbox.add(
            EditText(chat=target, outbox_key="orig", text=RichText.of("new")),
            key="edit",
            at=world.clock.at,
        )
        uow.commit()
    await relay.deliver_due()
    world.clock.advance(seconds=10)
    await relay.deliver_due()
    [send, edit] = [c.action for c in port.calls]
    assert isinstance(send, SendText)
    assert isinstance(edit, EditText)
    assert edit.message == MessageRef(target, "1")
    assert edit.text.plain == "new"


async def test_an_edit_of_a_message_that_never_went_out_is_set_aside(
    world: World, db_thread: ThreadPoolExecutor
) -> None:
    from buurtbot.core.actions import EditText

    port = RecordingPort()
    target = chat(world, "goor-oost")
    port.fail_always[target] = PermanentDeliveryError("bot removed")
    relay = make_relay(world, db_thread, port)
    with world.uow_factory() as uow:
        uow.outbox.add(
            SendText(chat=target, text=RichText.of("old")), key="orig", at=world.clock.at
        )
        uow.outbox.add(
            EditText(chat=target, outbox_key="orig", text=RichText.of("new")),
            key="edit",
            at=world.clock.at,
        )
        uow.commit()
    await relay.deliver_due()
    world.clock.advance(seconds=10)
    await relay.deliver_due()
    assert record(world, "edit").state == "dead"
    assert not any(isinstance(c.action, EditText) for c in port.calls)
