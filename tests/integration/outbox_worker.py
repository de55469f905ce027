"""A worker process for the outbox tests, and the stand-in platform it sends to.

Run as a script, it is one production-like delivery worker: the real :class:`OutboxRelay`
over a real database, with a chat port that POSTs every :class:`SendText` as JSON to a
stand-in HTTP server on 127.0.0.1 (the tests kill it with SIGKILL at random moments)::

    python tests/integration/outbox_worker.py DATABASE_URL SERVER_PORT [--lease S] ...

It exits by itself once nothing in the outbox is pending any more, or on SIGTERM.
The stand-in (:class:`StandIn`) records every receipt with its arrival time; the crash
tests count duplicates from it and the fan-out benchmark counts rate-limit violations.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import func, select

from buurtbot.adapters.sql.engine import make_engine
from buurtbot.adapters.sql.orm import OutboxRow
from buurtbot.adapters.sql.repositories import NetworkCache
from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory
from buurtbot.core.actions import Action, DeliveryResult, SendText
from buurtbot.core.ids import MessageRef, Platform
from buurtbot.core.ports import (
    Capabilities,
    ChatPort,
    EventSink,
    PermanentDeliveryError,
    RateLimits,
    SystemClock,
    TransientDeliveryError,
    UnitOfWork,
)
from buurtbot.core.services.delivery import OutboxRelay

T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# The stand-in platform
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Receipt:
    at: float  # time.monotonic() of arrival (one clock for all processes on this machine)
    chat: str
    text: str
    worker: int


class StandIn:
    """A recording HTTP server on 127.0.0.1 (a free port), serving in a daemon thread.

    ``POST /send`` with ``{"chat", "text", "worker"}`` is recorded and answered with
    ``{"message_id": n}``. Use as a context manager.
    """

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                data = json.loads(body)
                n = standin._record(
                    Receipt(at, str(data["chat"]), str(data["text"]), int(data["worker"]))
                )
                answer = json.dumps({"message_id": n}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return None  # quiet

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def count(self) -> int:
        with self._lock:
            return len(self.receipts)

    def snapshot(self) -> list[Receipt]:
        with self._lock:
            return list(self.receipts)

    def _record(self, receipt: Receipt) -> int:
        with self._lock:
            self.receipts.append(receipt)
            return len(self.receipts)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def max_in_window(times: list[float], seconds: float = 1.0) -> int:
    """The most arrivals inside any closed window of ``seconds``."""
    ordered = sorted(times)
    best = 0
    j = 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] <= start + seconds:
            j += 1
        best = max(best, j - i)
    return best


def violations(times: list[float], limit: int, seconds: float = 1.0) -> int:
    """How many arrivals closed a window of ``seconds`` holding more than ``limit``."""
    ordered = sorted(times)
    count = 0
    i = 0
    for j, end in enumerate(ordered):
        while ordered[i] < end - seconds:
            i += 1
        if j - i + 1 > limit:
            count += 1
    return count


# ---------------------------------------------------------------------------------------------
# The chat port the worker sends through
# ---------------------------------------------------------------------------------------------
class HttpPort(ChatPort):
    """A platform reached over HTTP on 127.0.0.1; only :class:`SendText` is supported.

    2xx is delivered, 429 transient with the ``Retry-After`` header, other 4xx permanent,
    5xx and connection failures transient. ``send_delay`` adds that many seconds of
    latency to each send (a slow network).
    """

    platform = Platform.TELEGRAM

    def __init__(self, port: int, limits: RateLimits, *, send_delay: float = 0.0) -> None:
        self.port = port
        self.capabilities = Capabilities(rate_limits=limits)
        self.send_delay = send_delay
        self.worker = os.getpid()

    async def initialize(self) -> None:
        return None

    async def start(self, sink: EventSink) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def perform(self, action: Action) -> DeliveryResult:
        if not isinstance(action, SendText):
            raise PermanentDeliveryError(f"cannot perform {type(action).__name__}")
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        payload = {"chat": action.chat.chat_id, "text": action.text.plain, "worker": self.worker}
        try:
            status, headers, body = await post_json(self.port, "/send", payload)
        except OSError as exc:
            raise TransientDeliveryError(f"connection failed: {exc}") from exc
        if status == 429:
            raise TransientDeliveryError("429", retry_after=float(headers.get("retry-after", 1)))
        if 400 <= status < 500:
            raise PermanentDeliveryError(f"{status}: {body[:100]!r}")
        if status >= 500:
            raise TransientDeliveryError(f"{status}")
        message_id = str(json.loads(body)["message_id"])
        return DeliveryResult(message=MessageRef(action.chat, message_id))


async def post_json(
    port: int, path: str, payload: dict[str, Any], *, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.0 POST to 127.0.0.1 over asyncio streams (no client library needed)."""
    body = json.dumps(payload).encode()
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(
            f"POST {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, content


# ---------------------------------------------------------------------------------------------
# The worker
# ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def database(database_url: str, lease: float) -> Iterator[Callable[[], UnitOfWork]]:
    """Units of work on ``database_url`` with an outbox lease of ``lease`` seconds."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    cache = NetworkCache()
    try:
        yield lambda: SqlUnitOfWork(
            sessions, outbox_lease=timedelta(seconds=lease), network_cache=cache
        )
    finally:
        engine.dispose()


def pending(uow_factory: Callable[[], UnitOfWork]) -> int:
    with uow_factory() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")
        return int(uow.session.execute(query).scalar_one())


async def work(args: argparse.Namespace) -> None:
    with database(args.database_url, args.lease) as uow_factory:
        await deliver(args, uow_factory)


async def deliver(args: argparse.Namespace, uow_factory: Callable[[], UnitOfWork]) -> None:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-db")
    loop = asyncio.get_running_loop()

    async def run_blocking(fn: Callable[[], T]) -> T:
        return await loop.run_in_executor(executor, fn)

    limits = RateLimits(args.overall, args.per_chat, args.per_group_minute)
    port = HttpPort(args.server_port, limits, send_delay=args.send_delay)
    relay = OutboxRelay(
        uow_factory,
        {Platform.TELEGRAM: port},
        SystemClock(),
        run_blocking,
        batch=args.batch,
        concurrency=args.concurrency,
        hold_seconds=min(5.0, args.lease / 2),
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    relay_task = asyncio.create_task(relay.run(stop, idle_seconds=0.05))
    try:
        while not stop.is_set():
            if await run_blocking(lambda: pending(uow_factory)) == 0:
                stop.set()
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
        await relay_task
        executor.shutdown(wait=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url")
    parser.add_argument("server_port", type=int)
    parser.add_argument("--lease", type=float, default=1.0, help="claim lease in seconds")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--send-delay", type=float, default=0.0)
    parser.add_argument("--overall", type=float, default=1000.0)
    parser.add_argument("--per-chat", type=float, default=1000.0)
    parser.add_argument("--per-group-minute", type=float, default=float("inf"))
    asyncio.run(work(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
