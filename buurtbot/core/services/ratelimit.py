"""Keeping one platform account under its send rate limits, chat by chat.

Platforms punish a bot that sends too fast (Telegram answers 429 and, when it keeps
happening, stops delivering for a while), so the outbox relay asks a :class:`RateLimiter`
before every send instead of learning the limits from errors.

Each limit is a *sliding window*: at most ``count`` sends in any span of ``seconds``. A
window log (the send times still inside the span) is exact where a token bucket is not: a
full bucket lets 30 messages out at once and 30 more over the next second, 60 inside one
second. Every window is widened by ``slack`` seconds, because the platform counts arrival
times, and two sends one window apart can arrive a little closer together.

The overall window is also *paced*: its sends are spread evenly over the window instead of
leaving in one burst. A burst of 30 reaches the platform spread over tens of milliseconds,
so the tail of one burst and the head of the next can meet inside one second; evenly paced
sends keep the slack at every instant. Per chat the per-second limit is 1 in practice, and
the per-minute group limit may burst (the per-chat limit spreads it already).

Pure and single-threaded: time comes from an injected monotonic clock, nothing sleeps.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from buurtbot.core.ids import ChatRef
from buurtbot.core.ports import RateLimits

Monotonic = Callable[[], float]

#: Seconds added to every window; larger than the arrival jitter seen on a busy machine.
DEFAULT_SLACK = 0.025

#: A wait this short counts as none: float sums (and timers firing a hair early) must not
#: turn "now" into a microsecond's sleep.
TOLERANCE = 1e-6

#: Forget idle chats every this many acquisitions, so memory follows the active chats only.
_SWEEP_EVERY = 256


class Window:
    """At most ``count`` sends in any span of ``seconds``; ``paced`` spreads them evenly.

    Times are monotonic seconds. Callers only record sends at the current time, so the log
    stays ordered and holds at most ``count`` entries.

    Pacing keeps a schedule of slots ``gap`` apart. A send a little late (less than half a
    gap) still uses its slot, so the small delays of a busy event loop do not add up along
    the schedule; after a longer pause the schedule restarts from now.
    """

    __slots__ = ("_sent", "_slot", "count", "gap", "seconds")

    def __init__(self, count: int, seconds: float, *, paced: bool = False) -> None:
        if count < 1 or not seconds > 0:
            raise ValueError(f"a window needs count >= 1 and seconds > 0, not {count}/{seconds}")
        self.count = count
        self.seconds = seconds
        self.gap = seconds / count if paced else 0.0
        self._sent: deque[float] = deque()
        self._slot = -math.inf  # the earliest start of the next paced send

    @classmethod
    def for_rate(
        cls, rate: float, per: float, *, slack: float = 0.0, paced: bool = False
    ) -> Window | None:
        """The window that keeps under ``rate`` sends per ``per`` seconds; ``None`` when the
        rate is infinite (no limit).

        A fraction of a send cannot be spent, so 2.5 a second becomes 2 a second, and a rate
        below one becomes one send per ``per / rate`` seconds (0.5 a second: one every 2 s).
        """
        if math.isinf(rate) and rate > 0:
            return None
        if not rate > 0:
            raise ValueError(f"a rate limit must be positive (or infinite), not {rate}")
        if rate >= 1:
            return cls(math.floor(rate), per + slack, paced=paced)
        return cls(1, per / rate + slack, paced=paced)

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until one more send fits (0.0: it fits now)."""
        self._forget(now)
        ready = now
        if len(self._sent) >= self.count:
            ready = self._sent[-self.count] + self.seconds
        if self.gap:
            ready = max(ready, self._slot)
        return max(ready - now, 0.0)

    def record(self, now: float) -> None:
        self._sent.append(now)
        if self.gap:
            on_time = now - self._slot <= self.gap / 2
            self._slot = (self._slot if on_time else now) + self.gap
        while len(self._sent) > self.count:
            self._sent.popleft()

    def settle(self, now: float) -> None:
        """The latest recorded send completed at ``now``: count it from there."""
        if self._sent and self._sent[-1] < now:
            self._sent[-1] = now

    def idle(self, now: float) -> bool:
        """Nothing inside the span any more: the window may be forgotten."""
        self._forget(now)
        return not self._sent

    def _forget(self, now: float) -> None:
        horizon = now - self.seconds
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()


@dataclass(slots=True)
class _Chat:
    windows: tuple[Window, ...]
    paused_until: float = field(default=-math.inf)


class RateLimiter:
    """The send limits of one platform account: overall, per chat, and per group chat.

    Private chats have the per-chat and overall limits only. Ask :meth:`acquire` right
    before a send: it either takes the slot (0.0) or says how long to wait (taking
    nothing), so a chat that must wait never holds up the others. :meth:`pause` stops one
    chat after the platform answered "retry after"; other chats go on.
    """

    def __init__(
        self,
        limits: RateLimits,
        *,
        clock: Monotonic = time.monotonic,
        slack: float = DEFAULT_SLACK,
    ) -> None:
        if slack < 0:
            raise ValueError("slack cannot be negative")
        self.limits = limits
        self._clock = clock
        self._slack = slack
        self._overall = Window.for_rate(limits.overall_per_second, 1.0, slack=slack, paced=True)
        self._chats: dict[ChatRef, _Chat] = {}
        self._acquired = 0

    def wait(self, chat: ChatRef) -> float:
        """Seconds until ``chat`` may send (0.0: now). Takes nothing."""
        return self._wait(chat, self._clock())

    def acquire(self, chat: ChatRef) -> float:
        """Take a send slot for ``chat`` if there is one now (0.0); otherwise the seconds to
        wait, and nothing is taken."""
        now = self._clock()
        wait = self._wait(chat, now)
        if wait > TOLERANCE:
            return wait
        if self._overall is not None:
            self._overall.record(now)
        for window in self._chat(chat).windows:
            window.record(now)
        self._acquired += 1
        if self._acquired % _SWEEP_EVERY == 0:
            self._sweep(now)
        return 0.0

    def settled(self, chat: ChatRef) -> None:
        """The platform has accepted ``chat``'s latest send, now.

        A chat has one send in flight at most, and the platform counts arrivals: a slow
        request arrives late, so the chat's next send is spaced from this moment rather than
        from when the slow one left (the overall window is paced and keeps its slack)."""
        state = self._chats.get(chat)
        if state is None:
            return
        now = self._clock()
        for window in state.windows:
            window.settle(now)

    def pause(self, chat: ChatRef, seconds: float) -> None:
        """Send nothing to ``chat`` for ``seconds`` (the platform's retry-after); other chats
        are not affected. A shorter pause never shortens a longer one."""
        state = self._chat(chat)
        state.paused_until = max(state.paused_until, self._clock() + max(seconds, 0.0))

    def tracked_chats(self) -> int:
        """How many chats the limiter keeps state for (idle ones are forgotten)."""
        return len(self._chats)

    def _wait(self, chat: ChatRef, now: float) -> float:
        state = self._chats.get(chat)
        wait = 0.0 if self._overall is None else self._overall.wait(now)
        if state is not None:
            wait = max(wait, state.paused_until - now)
            for window in state.windows:
                wait = max(wait, window.wait(now))
        return max(wait, 0.0)

    def _chat(self, chat: ChatRef) -> _Chat:
        state = self._chats.get(chat)
        if state is None:
            limits = self.limits
            windows = [Window.for_rate(limits.per_chat_per_second, 1.0, slack=self._slack)]
            if not chat.private:
                windows.append(
                    Window.for_rate(limits.per_group_per_minute, 60.0, slack=self._slack)
                )
            state = _Chat(tuple(w for w in windows if w is not None))
            self._chats[chat] = state
        return state

    def _sweep(self, now: float) -> None:
        idle = [
            chat
            for chat, state in self._chats.items()
            if state.paused_until <= now and all(w.idle(now) for w in state.windows)
        ]
        for chat in idle:
            del self._chats[chat]


__all__ = ["DEFAULT_SLACK", "RateLimiter", "Window"]
