"""The rate limiter, on a fake monotonic clock: exact waits, windows never overfilled."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import RateLimits
from buurtbot.core.services.ratelimit import RateLimiter, Window

INF = math.inf
EPS = 1e-6  # the limiter's tolerance


@dataclass
class FakeMonotonic:
    t: float = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def send(rl: RateLimiter, clock: FakeMonotonic, chat: ChatRef) -> None:
    """Wait as long as the limiter says, then take the slot."""
    clock.advance(rl.wait(chat))
    assert rl.acquire(chat) == 0.0


def group(n: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, f"-100{n}")


def private(n: int) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(n), private=True)


def limiter(
    overall: float = INF, per_chat: float = INF, per_group: float = INF, slack: float = 0.0
) -> tuple[RateLimiter, FakeMonotonic]:
    clock = FakeMonotonic()
    return RateLimiter(RateLimits(overall, per_chat, per_group), clock=clock, slack=slack), clock


# -- overall -----------------------------------------------------------------------------------
def test_overall_sends_are_paced_evenly_over_the_second() -> None:
    rl, clock = limiter(overall=10)
    assert rl.acquire(group(1)) == 0.0
    assert rl.acquire(group(2)) == pytest.approx(0.1)
    clock.advance(0.05)
    assert rl.acquire(group(3)) == pytest.approx(0.05)
    clock.advance(0.05)
    assert rl.acquire(group(3)) == 0.0


def test_a_burst_never_puts_more_than_the_limit_in_one_second() -> None:
    """Greedy senders to many chats: each second-long span holds at most 30 sends."""
    rl, clock = limiter(overall=30)
    sent: list[float] = []
    n = 0
    while len(sent) < 300:
        wait = rl.acquire(group(n))
        if wait > 0:
            clock.advance(wait)
            continue
        sent.append(clock.t)
        n += 1
    assert max_in_span(sent, 1.0) == 30
    total = sent[-1] - sent[0]
    assert total == pytest.approx(299 / 30)  # no slower than the limit needs


def test_slightly_late_sends_keep_their_slots() -> None:
    """A busy event loop wakes a little late; over 300 sends that must not add up."""
    pace = Window(1000, 100.0, paced=True)  # a slot every 0.1 s; the count never binds
    t = 0.0
    for _ in range(300):
        t += pace.wait(t) + 0.01  # always 10 ms late
        assert pace.wait(t) == 0.0
        pace.record(t)
    assert t == pytest.approx(29.9 + 0.02)  # still on the 0.1 s schedule


def test_after_a_long_delay_the_pace_restarts_from_now() -> None:
    rl, clock = limiter(overall=10)
    assert rl.acquire(group(1)) == 0.0
    clock.advance(0.16)  # more than half a gap late for the 0.1 slot
    assert rl.acquire(group(2)) == 0.0
    assert rl.wait(group(3)) == pytest.approx(0.1)  # no burst to make up for it
    clock.advance(0.1 + 0.04)  # late, but within half a gap
    assert rl.acquire(group(3)) == 0.0
    assert rl.wait(group(4)) == pytest.approx(0.06)  # the slot after is kept


def test_slack_widens_every_window() -> None:
    rl, clock = limiter(overall=2, per_chat=1, slack=0.25)
    assert rl.acquire(group(1)) == 0.0
    assert rl.acquire(group(2)) == pytest.approx(1.25 / 2)  # paced over 1.25 s
    clock.advance(1.0)
    assert rl.acquire(group(1)) == pytest.approx(0.25)  # one per 1.25 s for the chat


def test_a_refused_acquire_takes_nothing() -> None:
    rl, clock = limiter(overall=1)
    assert rl.acquire(group(1)) == 0.0
    for n in range(2, 20):
        assert rl.acquire(group(n)) == pytest.approx(1.0)
    clock.advance(1.0)
    assert rl.acquire(group(99)) == 0.0
    assert rl.wait(group(2)) == pytest.approx(1.0)


def test_wait_takes_nothing() -> None:
    rl, _ = limiter(overall=1, per_chat=1)
    for _ in range(5):
        assert rl.wait(group(1)) == 0.0
    assert rl.acquire(group(1)) == 0.0
    assert rl.wait(group(1)) == pytest.approx(1.0)


def test_the_overall_window_refills_after_a_quiet_spell() -> None:
    rl, clock = limiter(overall=3)
    assert [rl.acquire(group(1)), rl.acquire(group(2))] == [0.0, pytest.approx(1 / 3)]
    clock.advance(5)
    assert rl.acquire(group(2)) == 0.0
    assert rl.acquire(group(3)) == pytest.approx(1 / 3)


# -- per chat ----------------------------------------------------------------------------------
def test_one_chat_waits_while_the_others_send() -> None:
    rl, clock = limiter(overall=100, per_chat=1)
    assert rl.acquire(group(1)) == 0.0
    clock.advance(0.3)
    assert rl.acquire(group(1)) == pytest.approx(0.7)
    assert rl.acquire(group(2)) == 0.0
    clock.advance(0.7)
    assert rl.acquire(group(1)) == 0.0


def test_a_rate_below_one_spaces_single_sends() -> None:
    rl, clock = limiter(per_chat=0.5)
    assert rl.acquire(private(1)) == 0.0
    assert rl.acquire(private(1)) == pytest.approx(2.0)
    clock.advance(2.0)
    assert rl.acquire(private(1)) == 0.0


def test_a_fractional_rate_rounds_down() -> None:
    rl, _ = limiter(per_chat=2.5)
    assert [rl.acquire(private(1)) for _ in range(2)] == [0.0, 0.0]
    assert rl.acquire(private(1)) == pytest.approx(1.0)


# -- per group per minute ---------------------------------------------------------------------
def test_a_group_gets_twenty_messages_a_minute() -> None:
    rl, clock = limiter(per_chat=1, per_group=20)
    first = clock.t
    for _ in range(20):
        send(rl, clock, group(1))
    assert clock.t - first == pytest.approx(19.0)
    wait = rl.acquire(group(1))
    assert wait == pytest.approx(60.0 - 19.0)
    assert rl.acquire(group(2)) == 0.0  # another group is not held up
    clock.advance(wait)
    assert rl.acquire(group(1)) == 0.0


def test_private_chats_have_no_minute_limit() -> None:
    rl, clock = limiter(overall=30, per_chat=1, per_group=20)
    for _ in range(40):
        send(rl, clock, private(7))
    assert clock.t - 1000.0 == pytest.approx(39.0)


def test_the_minute_window_slides() -> None:
    """After a burst, one more fits each time the oldest send leaves the window."""
    rl, clock = limiter(per_group=3)
    for _ in range(3):
        assert rl.acquire(group(1)) == 0.0
        clock.advance(10)
    assert rl.acquire(group(1)) == pytest.approx(30.0)  # the first left at 60 s
    clock.advance(30)
    assert rl.acquire(group(1)) == 0.0
    assert rl.acquire(group(1)) == pytest.approx(10.0)  # the second leaves at 70 s


# -- pause -------------------------------------------------------------------------------------
def test_a_paused_chat_does_not_stall_the_others() -> None:
    rl, clock = limiter(per_chat=1)
    rl.pause(group(1), 30)
    assert rl.acquire(group(1)) == pytest.approx(30.0)
    assert rl.acquire(group(2)) == 0.0
    assert rl.acquire(private(3)) == 0.0
    clock.advance(30)
    assert rl.acquire(group(1)) == 0.0


def test_a_shorter_pause_never_shortens_a_longer_one() -> None:
    rl, clock = limiter()
    rl.pause(group(1), 30)
    clock.advance(5)
    rl.pause(group(1), 1)
    assert rl.wait(group(1)) == pytest.approx(25.0)
    rl.pause(group(1), 40)
    assert rl.wait(group(1)) == pytest.approx(40.0)


def test_a_pause_adds_to_the_chat_limit_not_replaces_it() -> None:
    rl, _ = limiter(per_group=2)
    rl.acquire(group(1))
    rl.acquire(group(1))
    rl.pause(group(1), 5)
    assert rl.wait(group(1)) == pytest.approx(60.0)


# -- housekeeping ------------------------------------------------------------------------------
def test_idle_chats_are_forgotten() -> None:
    rl, clock = limiter(per_chat=1000)
    for n in range(300):
        assert rl.acquire(group(n)) == 0.0
    assert rl.tracked_chats() == 300
    rl.pause(private(1), 100)
    clock.advance(2)
    for _ in range(512 - 300):
        assert rl.acquire(group(0)) == 0.0
    assert rl.tracked_chats() == 2  # group 0, just used, and the paused private chat


def test_no_limit_means_no_wait() -> None:
    rl, _ = limiter()
    assert all(rl.acquire(group(n % 3)) == 0.0 for n in range(1000))


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, -math.inf])
def test_a_rate_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(RateLimits(overall_per_second=bad))
    with pytest.raises(ValueError, match="positive"):
        RateLimiter(RateLimits(per_chat_per_second=bad)).acquire(group(1))


def test_a_window_needs_room() -> None:
    with pytest.raises(ValueError, match="count >= 1"):
        Window(0, 1.0)
    with pytest.raises(ValueError, match="seconds > 0"):
        Window(1, 0.0)
    with pytest.raises(ValueError, match="slack"):
        RateLimiter(RateLimits(), slack=-0.1)


# -- the invariants, for any limits and any traffic -------------------------------------------
def max_in_span(times: list[float], span: float) -> int:
    """The most of ``times`` inside any half-open span ``[t, t + span)``."""
    ordered = sorted(times)
    best = 0
    j = 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < start + span - EPS:
            j += 1
        best = max(best, j - i)
    return best


rates = st.sampled_from([INF, 0.5, 1.0, 2.0, 3.5, 10.0])


@settings(max_examples=300, deadline=None)
@given(
    overall=st.sampled_from([INF, 1.0, 4.0, 30.0]),
    per_chat=rates,
    per_group=st.sampled_from([INF, 1.0, 3.0, 20.0]),
    traffic=st.lists(
        st.tuples(st.integers(0, 5), st.floats(0.0, 2.0), st.booleans()),
        min_size=1,
        max_size=120,
    ),
)
def test_no_window_is_ever_overfilled_and_every_wait_is_exact(
    overall: float,
    per_chat: float,
    per_group: float,
    traffic: list[tuple[int, float, bool]],
) -> None:
    """Chats 0-2 are groups, 3-5 private. Each step: time passes, a chat asks for a slot;
    when told to wait, it sometimes waits exactly that long and must then get the slot."""
    rl, clock = limiter(overall, per_chat, per_group)
    chats = [group(0), group(1), group(2), private(3), private(4), private(5)]
    sent: dict[ChatRef, list[float]] = {c: [] for c in chats}
    for n, dt, wait_it_out in traffic:
        clock.advance(dt)
        chat = chats[n]
        wait = rl.acquire(chat)
        if wait > 0 and wait_it_out:
            clock.advance(wait)
            wait = rl.acquire(chat)
            assert wait == 0.0
        if wait == 0.0:
            sent[chat].append(clock.t)
    everything = [t for times in sent.values() for t in times]
    if not math.isinf(overall):
        assert max_in_span(everything, 1.0) <= math.floor(overall)
        ordered = sorted(everything)
        gaps = [b - a for a, b in itertools.pairwise(ordered)]
        # Paced: a late send may use its slot, never less than half a gap after the last.
        assert all(g >= 0.5 / math.floor(overall) - EPS for g in gaps)
    for chat, times in sent.items():
        if not math.isinf(per_chat):
            count, span = (math.floor(per_chat), 1.0) if per_chat >= 1 else (1, 1 / per_chat)
            assert max_in_span(times, span) <= count
        if not chat.private and not math.isinf(per_group):
            assert max_in_span(times, 60.0) <= math.floor(per_group)


def test_a_chats_next_send_is_spaced_from_when_the_last_one_was_accepted() -> None:
    """A slow request arrives late: the chat's next send waits a full second from then."""
    rl, clock = limiter(overall=30, per_chat=1, per_group=20)
    chat = ChatRef(Platform.TELEGRAM, "-100")
    other = ChatRef(Platform.TELEGRAM, "-200")
    assert rl.acquire(chat) == 0.0
    clock.advance(0.3)  # the request took 0.3 s
    rl.settled(chat)
    clock.advance(0.8)  # 1.1 s after it left, 0.8 s after it arrived
    assert rl.wait(chat) == pytest.approx(0.2)
    assert rl.wait(other) == 0.0  # other chats are not held back
    rl.settled(other)  # a chat the limiter does not know: nothing happens
    clock.advance(0.2)
    assert rl.acquire(chat) == 0.0
