"""The receive WebSocket of signal-cli-rest-api, kept open for as long as the bot runs.

Our own loop rather than signalbot's: signalbot's producer ends without a word when the
server closes the socket cleanly (code 1000, as on a restart of signal-cli-rest-api) and
never reconnects, and its keepalive cannot be tuned. Here *every* end of the socket leads to
a reconnect, with exponential backoff and jitter. The heartbeat finds a half-open connection
(a NAT or proxy that forgot it; the peer gone without a FIN): no pong within half a
heartbeat after a ping closes it, so the bot goes deaf for seconds, not hours.

In json-rpc mode signal-cli-rest-api keeps no queue: what Signal delivers while no socket is
open is lost. So every gap is logged with its length and kept for ``/status``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

log = logging.getLogger(__name__)

Connect = Callable[[], Awaitable[aiohttp.ClientWebSocketResponse]]
FrameHandler = Callable[[str], Awaitable[None]]
#: Called after each successful connect; ``True`` the first time, ``False`` after a gap.
ConnectedHandler = Callable[[bool], Awaitable[None]]

#: Gaps kept for ``/status`` (the oldest go first).
KEEP_GAPS = 50


@dataclass(frozen=True, slots=True)
class Gap:
    """A time without a receive socket: messages Signal delivered then are lost."""

    started: datetime
    ended: datetime

    @property
    def seconds(self) -> float:
        return (self.ended - self.started).total_seconds()


class Receiver:
    """Reads frames from the socket ``connect`` opens and hands each to ``on_frame``, one at
    a time and in order, until :meth:`stop`."""

    def __init__(
        self,
        connect: Connect,
        on_frame: FrameHandler,
        *,
        on_connected: ConnectedHandler | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        stable_after: float = 30.0,
        stop_timeout: float = 10.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``stable_after``: a connection that lasted this long resets the backoff, so one
        that the server drops at once again and again is retried ever more slowly.
        ``stop_timeout``: how long :meth:`stop` lets a frame in hand finish."""
        self._connect = connect
        self._on_frame = on_frame
        self._on_connected = on_connected
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stable_after = stable_after
        self.stop_timeout = stop_timeout
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        #: Nothing would be lost by cancelling the task now (it waits on the socket or sleeps).
        self._idle = True
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._down_since: datetime | None = None
        self._up = asyncio.Event()
        self.gaps: list[Gap] = []
        #: Receive sockets opened so far.
        self.connects = 0

    # -- state for /status and health --------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    @property
    def disconnected_since(self) -> datetime | None:
        """When the current gap began; ``None`` while connected (or before the start)."""
        return self._down_since

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until a socket is open (up to ``timeout`` seconds); whether one is."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._up.wait(), timeout)
        return self.connected

    # -- life cycle --------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="signal-receive")

    async def stop(self) -> None:
        """Close the socket and end the loop; a frame in hand is finished first (Signal will
        not deliver it again), within ``stop_timeout``."""
        task = self._task
        if task is None:
            return
        self._stopping.set()
        if self._idle:
            task.cancel()
        done, _ = await asyncio.wait({task}, timeout=self.stop_timeout)
        if not done:
            log.warning("Signal: a received message was still being handled at stop; cut off")
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._task = None

    # -- the loop ----------------------------------------------------------------------------------
    async def _run(self) -> None:
        started = self._clock()
        failures = 0
        first = True
        while not self._stopping.is_set():
            try:
                ws = await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever it is, we try again
                failures += 1
                self._went_down(started if first else None)
                wait = self._backoff(failures)
                log.warning(
                    "Signal: cannot open the receive socket (%s); trying again in %.1fs",
                    _reason(exc),
                    wait,
                )
                await self._pause(wait)
                continue
            opened = time.monotonic()
            self._ws = ws
            self.connects += 1
            self._came_up()
            try:
                await self._connected(first)
                first = False
                why = await self._read(ws)
            finally:
                self._ws = None
                self._up.clear()
                if not ws.closed:
                    await ws.close()
            if self._stopping.is_set():
                break
            failures = 1 if time.monotonic() - opened >= self.stable_after else failures + 1
            self._went_down(None)
            wait = self._backoff(failures)
            log.warning("Signal: receiving stopped (%s); reconnecting in %.1fs", why, wait)
            await self._pause(wait)
        log.info("Signal: receiving stopped")

    async def _connected(self, first: bool) -> None:
        if self._on_connected is None:
            return
        self._idle = False
        try:
            await self._on_connected(first)
        except Exception:
            log.exception("Signal: catching up after connecting failed")
        finally:
            self._idle = True

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        """Hand over frames until the socket ends; why it ended."""
        while not self._stopping.is_set():
            try:
                message = await ws.receive()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                return f"read failed: {_reason(exc)}"
            if message.type is aiohttp.WSMsgType.TEXT:
                await self._frame(str(message.data))
            elif message.type is aiohttp.WSMsgType.BINARY:
                await self._frame(bytes(message.data).decode("utf-8", errors="replace"))
            elif message.type is aiohttp.WSMsgType.ERROR or ws.exception() is not None:
                return f"connection lost: {_reason(ws.exception() or message.data)}"
            elif message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                return f"closed by the server with code {ws.close_code}"
        return "stopping"

    async def _frame(self, text: str) -> None:
        self._idle = False
        try:
            await self._on_frame(text)
        except Exception:
            log.exception("Signal: a received frame could not be handled; skipped")
        finally:
            self._idle = True

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, failures - 1))
        return ceiling / 2 + random.uniform(0.0, ceiling / 2)  # noqa: S311 - jitter, not security

    # -- gaps --------------------------------------------------------------------------------------
    def _went_down(self, since: datetime | None) -> None:
        if self._down_since is None:
            self._down_since = since or self._clock()

    def _came_up(self) -> None:
        self._up.set()
        since = self._down_since
        if since is None:
            log.info("Signal: receiving")
            return
        gap = Gap(since, self._clock())
        self._down_since = None
        self.gaps = [*self.gaps[-(KEEP_GAPS - 1) :], gap]
        log.warning(
            "Signal: receiving again after %.1fs without (what Signal delivered meanwhile is lost)",
            gap.seconds,
        )


def _reason(exc: object) -> str:
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text and isinstance(exc, BaseException) else text or name
