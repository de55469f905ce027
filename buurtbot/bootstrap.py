"""The composition root: the one place where real implementations are wired together.

Nothing here runs at import time. :func:`build_app` returns an :class:`App` that owns the
database engine, the single database thread, the bot service, the outbox relay and the
chat adapters, and runs them on one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, TextIO, TypeVar

from sqlalchemy import Engine
from starlette.applications import Starlette

from buurtbot.adapters.charts import MatplotlibChartRenderer
from buurtbot.adapters.console import ConsoleAdapter
from buurtbot.adapters.console.adapter import ConsoleGroup, ConsolePerson
from buurtbot.adapters.scheduler import JobScheduler, lock_for
from buurtbot.adapters.signal.adapter import SignalAdapter, SignalConfig
from buurtbot.adapters.signal.mapping import RATE_LIMITS
from buurtbot.adapters.sql.engine import make_engine
from buurtbot.adapters.sql.migrate import upgrade
from buurtbot.adapters.sql.repositories import NetworkCache
from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory
from buurtbot.adapters.telegram.adapter import DEFAULT_BASE_URL, TelegramAdapter, TelegramConfig
from buurtbot.adapters.web import WebForm, WebServer
from buurtbot.adapters.web.app import Blocking
from buurtbot.adapters.web.dashboard import Dashboard
from buurtbot.adapters.web.security import CsrfTokens
from buurtbot.config.network_file import load_network_files
from buurtbot.config.settings import Settings
from buurtbot.core.domain.dashboard import SESSION_VALID
from buurtbot.core.domain.model import Locale
from buurtbot.core.events import InboundEvent
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import (
    Capabilities,
    ChatPort,
    Clock,
    SystemClock,
    UnitOfWork,
    UnitOfWorkFactory,
)
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.delivery import OutboxRelay
from buurtbot.core.services.health import chats_to_check
from buurtbot.core.services.jobs import JobContext
from buurtbot.core.services.menus import command_menus
from buurtbot.core.services.network_sync import SyncReport, apply_network
from buurtbot.locales import load_all

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Where a generated Telegram webhook secret is kept (see :func:`telegram_adapter`).
WEBHOOK_SECRET_KEY = "telegram.webhook_secret"  # noqa: S105 - a storage key


def example_network_path() -> Path | None:
    """The sample network: next to the package in a checkout, or inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here.parent / "examples" / "hof-van-twente.toml",
        here / "examples" / "hof-van-twente.toml",
    ):
        if candidate.is_file():
            return candidate
    return None


def prepare_database(
    database_url: str, network_paths: Sequence[Path] = (), *, default_locale: Locale | None = None
) -> list[SyncReport]:
    """Migrate the database to the newest schema and load the network files into it.

    ``default_locale`` overrides the gemeenten's default language (the English demo)."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        if not network_paths:
            return []
        specs = load_network_files(list(network_paths))
        if default_locale is not None:
            specs = [
                replace(
                    s,
                    network=replace(
                        s.network,
                        gemeente=replace(s.network.gemeente, default_locale=default_locale),
                    ),
                )
                for s in specs
            ]
        uow_factory = _uow_factory(engine)
        reports = []
        with uow_factory() as uow:
            for spec in specs:
                reports.append(apply_network(uow, spec))
            uow.commit()
        return reports
    finally:
        engine.dispose()


def _uow_factory(engine: Engine) -> UnitOfWorkFactory:
    sessions = make_session_factory(engine)
    networks = NetworkCache()

    def factory() -> UnitOfWork:
        return SqlUnitOfWork(sessions, network_cache=networks)

    return factory


@dataclass
class App:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    bot: BuurtBot
    relay: OutboxRelay
    executor: ThreadPoolExecutor
    ports: dict[Platform, ChatPort] = field(default_factory=dict)
    console: ConsoleAdapter | None = None
    #: Runs the scheduled jobs; started only with a real platform (the console demo stays quiet).
    scheduler: JobScheduler | None = None
    web: WebServer | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _stop: asyncio.Event | None = None
    #: Said when the console alone has finished, if the web pages are served: the process
    #: then serves them on until it is stopped (the demo's dashboard).
    linger: str | None = None
    #: Seconds between health checks of each real platform (the first runs at the start).
    HEALTH_INTERVAL: ClassVar[float] = 300.0

    async def run_blocking(self, fn: Callable[[], T]) -> T:
        """Run storage work on the one database thread: handlers and relay never race."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn)

    async def dispatch(self, event: InboundEvent) -> None:
        """The sink every adapter delivers its events to."""
        queued = await self.run_blocking(lambda: self.bot.handle_counted(event))
        if queued:
            self.relay.wake()

    async def run(self) -> None:
        """Start every adapter and run until the console ends or the process is told to stop."""
        stop = self._stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        started: list[ChatPort] = []
        relay_task: asyncio.Task[None] | None = None
        try:
            for port in self.unique_ports():
                await port.initialize()
                if port.bot_username is not None:
                    self.bot.bot_usernames[port.platform] = port.bot_username
                if port.bot_address is not None:
                    self.bot.bot_addresses[port.platform] = port.bot_address
                if isinstance(port, SignalAdapter):
                    port.on_health_change = self._health_hook(port)
                await port.start(self.dispatch)
                started.append(port)
                if port is not self.console:
                    self._background(self.check_health_every(port), f"{port.platform} health")
            serving = False
            if self.web is not None:
                # A taken port is logged; the bot runs on without the web pages.
                serving = self.web.start()
            if self.console is not None and all(p is self.console for p in started):
                # The console alone (the demo, a try-out): deliver in step with what is typed.
                await self.relay.deliver_due()
                console_done = asyncio.create_task(self.console.finished.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({console_done, stopper}, return_when="FIRST_COMPLETED")
                console_done.cancel()
                stopper.cancel()
                await self.relay.deliver_due()
                if self.linger is not None and serving and not stop.is_set():
                    print(self.linger, file=sys.stderr, flush=True)
                    await stop.wait()
            else:
                # A real platform: the relay sends in the background and the process runs
                # until told to stop, whatever the console does.
                relay_task = asyncio.create_task(self.relay.run(stop), name="outbox-relay")
                if self.scheduler is not None:
                    await self.scheduler.start()
                await stop.wait()
        finally:
            stop.set()
            background = list(self._tasks)
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            if self.scheduler is not None:
                await self.scheduler.stop()
            if self.web is not None:
                await self.web.stop()
            if relay_task is not None:
                await relay_task  # sends in flight finish; the rest waits in the outbox
            for port in reversed(started):
                try:
                    await port.stop()
                except Exception:
                    log.exception("stopping %s failed", port.platform)

    def request_stop(self) -> None:
        """Make :meth:`run` wind down as on SIGTERM (for embedding and tests)."""
        if self._stop is not None:
            self._stop.set()

    async def check_health(self, port: ChatPort) -> None:
        """Ask ``port`` what the bot may do in its groups, and let the core record it."""

        def group_chats() -> list[ChatRef]:
            with self.uow_factory() as uow:
                return chats_to_check(uow, port.platform)

        try:
            health = await port.check_health(await self.run_blocking(group_chats))
        except Exception:
            log.exception("checking the bot's rights on %s failed", port.platform)
            return
        if health is not None:
            await self.run_blocking(lambda: self.bot.record_health(health))
            self.relay.wake()

    async def check_health_every(self, port: ChatPort) -> None:
        """:meth:`check_health` now and every :attr:`HEALTH_INTERVAL` seconds, until
        cancelled (:meth:`run` cancels it at the stop)."""
        while True:
            try:
                await self.check_health(port)
            except Exception:  # the next round may do better
                log.exception("the health check of %s failed", port.platform)
            await asyncio.sleep(self.HEALTH_INTERVAL)

    def _health_hook(self, port: ChatPort) -> Callable[[], None]:
        """A check of ``port`` in the background, for the adapter to call after a reconnect
        (so a gap is told at once, not at the next round)."""

        def hook() -> None:
            if self._stop is not None and not self._stop.is_set():
                self._background(self.check_health(port), f"{port.platform} health")

        return hook

    def _background(self, work: Coroutine[object, object, None], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def unique_ports(self) -> list[ChatPort]:
        seen: list[ChatPort] = []
        for port in self.ports.values():
            if all(port is not p for p in seen):
                seen.append(port)
        return seen

    def close(self) -> None:
        self.executor.shutdown(wait=True)
        self.engine.dispose()


class StorageDirectory:
    """Names for the console, read from storage on the database thread."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def people(self) -> list[ConsolePerson]:
        def read() -> list[ConsolePerson]:
            with self.app.uow_factory() as uow:
                return [
                    ConsolePerson(p.id, p.handle or p.id, p.display_name or p.id)
                    for net in uow.networks.all()
                    for p in uow.persons.in_gemeente(net.gemeente.id)
                ]

        return await self.app.run_blocking(read)

    async def groups(self) -> list[ConsoleGroup]:
        def read() -> list[ConsoleGroup]:
            with self.app.uow_factory() as uow:
                return [
                    ConsoleGroup(g.id, g.name, str(g.kind), g.chat)
                    for net in uow.networks.all()
                    for g in net.groups
                ]

        return await self.app.run_blocking(read)

    async def person_name(self, identity: PlatformIdentity) -> str | None:
        def read() -> str | None:
            with self.app.uow_factory() as uow:
                person = uow.persons.by_identity(identity)
                if person is None and identity.platform is Platform.CONSOLE:
                    person = uow.persons.get(PersonId(identity.user_ref))
                return (person.display_name or person.handle) if person else None

        return await self.app.run_blocking(read)


def telegram_adapter(
    settings: Settings, uow_factory: UnitOfWorkFactory, translators: Translators
) -> TelegramAdapter:
    """The Telegram adapter for ``settings`` (which hold a token). In webhook mode without a
    configured secret, one is made once and kept in the database, so restarts agree."""
    assert settings.telegram_token is not None
    secret = settings.telegram_webhook_secret
    if settings.telegram_mode == "webhook" and secret is None:
        with uow_factory() as uow:
            secret = uow.bot_state.get(WEBHOOK_SECRET_KEY)
            if secret is None:
                secret = secrets.token_urlsafe(32)
                uow.bot_state.put(WEBHOOK_SECRET_KEY, secret, datetime.now(UTC))
                uow.commit()
    host, port = settings.telegram_listen
    config = TelegramConfig(
        token=settings.telegram_token,
        base_url=settings.telegram_base_url or DEFAULT_BASE_URL,
        mode="webhook" if settings.telegram_mode == "webhook" else "polling",
        webhook_url=settings.telegram_webhook_url,
        webhook_secret=secret,
        listen_host=host,
        listen_port=port,
    )
    return TelegramAdapter(config, menus=command_menus(translators))


def signal_adapter(settings: Settings) -> SignalAdapter:
    """The Signal adapter for ``settings`` (which name the service and the bot's number)."""
    assert settings.signal_service is not None and settings.signal_number is not None
    rate = settings.signal_rate
    limits = replace(RATE_LIMITS, overall_per_second=rate, per_chat_per_second=min(1.0, rate))
    return SignalAdapter(
        SignalConfig(
            service=settings.signal_service,
            number=settings.signal_number,
            username=settings.signal_username,
            password=settings.signal_password,
            token=settings.signal_token,
            rate_limits=limits,
        )
    )


def build_app(
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    interactive: bool = False,
    clock: Clock | None = None,
    web: bool = False,
) -> App:
    """Wire the application. The console stands in for every platform without a real adapter.

    ``web``: also serve the sign-up form on ``settings.web_host:web_port``."""
    engine = make_engine(settings.database_url)
    uow_factory = _uow_factory(engine)
    clock = clock or SystemClock()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="buurtbot-db")
    ports: dict[Platform, ChatPort] = {}
    translators = Translators(load_all())
    bot = BuurtBot(uow_factory, translators, clock=clock)
    app = App(
        settings=settings,
        engine=engine,
        uow_factory=uow_factory,
        bot=bot,
        relay=OutboxRelay(
            uow_factory, ports, clock, lambda fn: app.run_blocking(fn), translators=translators
        ),
        executor=executor,
        ports=ports,
    )
    if settings.telegram_token:
        ports[Platform.TELEGRAM] = telegram_adapter(settings, uow_factory, translators)
    if settings.signal_service and settings.signal_number:
        ports[Platform.SIGNAL] = signal_adapter(settings)
    if stdin is not None and stdout is not None:
        console = ConsoleAdapter(
            StorageDirectory(app),
            stdin=stdin,
            stdout=stdout,
            interactive=interactive,
            settle=app.relay.deliver_due,
        )
        app.console = console
        for platform in Platform:
            ports.setdefault(platform, console)
    bot.capabilities = {platform: port.capabilities for platform, port in ports.items()}
    app.scheduler = JobScheduler(
        JobContext(
            uow_factory,
            translators,
            clock,
            bot.capabilities,
            # In a child process: drawing is CPU the event loop should not have to share.
            charts=MatplotlibChartRenderer(separate_process=True),
        ),
        lock_for(engine),
        app.run_blocking,
        app.relay.wake,
    )
    if web:
        site = web_application(
            uow_factory,
            app.run_blocking,
            translators,
            clock,
            wake=app.relay.wake,
            capabilities=bot.capabilities,
            secure=settings.web_url.startswith("https://"),
        )
        bot.web_url = settings.web_url
        app.web = WebServer(
            site, settings.web_host, settings.web_port, name="the sign-up form and dashboard"
        )
    return app


def web_application(
    uow_factory: UnitOfWorkFactory,
    run_blocking: Blocking,
    translators: Translators,
    clock: Clock,
    *,
    wake: Callable[[], None] = lambda: None,
    capabilities: Mapping[Platform, Capabilities] | None = None,
    secure: bool = False,
) -> Starlette:
    """The web pages: the sign-up form and the regie dashboard, in one application.

    ``secure``: the public address is https, so cookies are sent only over https."""
    dashboard = Dashboard(
        uow_factory=uow_factory,
        run_blocking=run_blocking,
        translators=translators,
        clock=clock,
        csrf=CsrfTokens(secrets.token_bytes(32), clock.now, max_age=SESSION_VALID),
        secure_cookie=secure,
    )
    form = WebForm(
        uow_factory=uow_factory,
        run_blocking=run_blocking,
        wake=wake,
        translators=translators,
        clock=clock,
        capabilities=dict(capabilities or {}),
        secure_cookie=secure,
        extra_routes=dashboard.routes(),
    )
    return form.asgi()
