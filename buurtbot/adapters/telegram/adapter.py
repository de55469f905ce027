"""The Telegram adapter: python-telegram-bot's ``Application`` on the application's own loop.

Receiving is our own, not PTB's ``Updater``: the updater confirms an update to Telegram
before it has been handled (the next ``getUpdates`` offset, or the webhook's 200, follows as
soon as the update is queued), so a crash could lose a batch. Here an update is confirmed
only after the core has committed what it did with it; if the process dies in between,
Telegram delivers the update again and the core's event claim makes the repeat a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from buurtbot.adapters.telegram.health import check_rights
from buurtbot.adapters.telegram.mapping import CAPABILITIES, to_event
from buurtbot.adapters.telegram.perform import perform
from buurtbot.adapters.telegram.webhook import WebhookReceiver
from buurtbot.core.actions import Action, DeliveryResult
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import (
    Capabilities,
    ChatPort,
    EventSink,
    PlatformHealth,
    PlatformUnavailable,
    TransientDeliveryError,
)
from buurtbot.core.services.menus import CommandMenu, MenuScope

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.telegram.org/bot"

_SCOPES: dict[MenuScope, Callable[[], BotCommandScope]] = {
    MenuScope.PRIVATE: BotCommandScopeAllPrivateChats,
    MenuScope.GROUP_MEMBERS: BotCommandScopeAllGroupChats,
    MenuScope.GROUP_ADMINS: BotCommandScopeAllChatAdministrators,
}


class TelegramUnavailable(PlatformUnavailable):
    """The adapter cannot run: a rejected token, or Telegram out of reach at start."""


@dataclass(frozen=True, slots=True, repr=False)
class TelegramConfig:
    """How to reach Telegram and how updates come in.

    ``base_url``: the Bot API address up to the token (``https://api.telegram.org/bot``, or
    a local Bot API server's). ``mode``: ``polling`` (the bot asks) or ``webhook`` (Telegram
    posts to ``webhook_url``, which a reverse proxy passes on to ``listen_host:listen_port``;
    every post must carry ``webhook_secret``).
    """

    token: str
    base_url: str = DEFAULT_BASE_URL
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 8443
    #: Seconds one long poll waits for updates at Telegram.
    poll_timeout: int = 30
    #: Seconds a single Bot API call may take before it counts as a transient failure.
    request_timeout: float = 20.0
    #: Parallel connections for sending (the relay sends to many chats at once).
    connections: int = 64
    #: The menu language for people whose app language has no menu of its own.
    default_language: str = "nl"

    def __repr__(self) -> str:
        return f"TelegramConfig(mode={self.mode!r}, base_url={self.base_url!r}, token=***)"


class TelegramAdapter(ChatPort):
    """Telegram through python-telegram-bot, with the manual lifecycle (``initialize``,
    ``start``, ``stop``, ``shutdown``) so it shares the one event loop of the application."""

    platform = Platform.TELEGRAM
    capabilities = CAPABILITIES

    def __init__(
        self,
        config: TelegramConfig,
        *,
        menus: Sequence[CommandMenu] = (),
        capabilities: Capabilities = CAPABILITIES,
    ) -> None:
        """``capabilities``: Telegram's by default; other rate limits for a bot with paid
        broadcasts (up to 1000 messages a second) or a local test server."""
        # Opt in to PTB's timedelta durations now (retry_after): the integer form is deprecated.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        if config.mode == "webhook" and not (config.webhook_url and config.webhook_secret):
            raise ValueError("webhook mode needs a webhook URL and a secret token")
        self.config = config
        self.capabilities = capabilities
        self.menus = tuple(menus)
        self.bot_username: str | None = None
        self.application: Application | None = None  # type: ignore[type-arg]
        self._sink: EventSink | None = None
        self._poller: asyncio.Task[None] | None = None
        self._webhook: WebhookReceiver | None = None
        self._stopping = asyncio.Event()
        self._offset: int | None = None
        self._can_read_all: bool = False

    # -- lifecycle ------------------------------------------------------------------------
    async def initialize(self) -> None:
        cfg = self.config
        t = cfg.request_timeout
        app = (
            ApplicationBuilder()
            .token(cfg.token)
            .base_url(_base_url(cfg.base_url))
            .base_file_url(_base_url(cfg.base_url).removesuffix("/bot") + "/file/bot")
            # The long polls go through this pool too (see _fetch), with their own timeout.
            .request(_request(cfg.connections, read_timeout=t, other_timeouts=t))
            .updater(None)
            .build()
        )
        app.add_handler(TypeHandler(Update, self._on_update))
        app.add_error_handler(self._on_error)
        try:
            await _with_retries(app.initialize, what="connecting to Telegram")
        except InvalidToken:
            # PTB's own message repeats the token: it must not reach a log.
            raise TelegramUnavailable(
                "Telegram rejected the bot token (BUURTBOT_TELEGRAM_TOKEN): "
                "ask BotFather for the token of your bot"
            ) from None
        except TelegramError as exc:
            text = str(exc).replace(cfg.token, "***")
            raise TelegramUnavailable(f"cannot reach Telegram at {cfg.base_url}: {text}") from None
        self.application = app
        me = app.bot
        self.bot_username = me.username
        self.bot_address = f"@{me.username}" if me.username else None
        self._can_read_all = bool(me.bot.can_read_all_group_messages)
        log.info("Telegram: signed in as @%s (%s mode)", me.username, cfg.mode)

    async def start(self, sink: EventSink) -> None:
        app = self._app()
        self._sink = sink
        self._stopping.clear()
        await app.start()
        await self._set_menus()
        if self.config.mode == "webhook":
            await self._start_webhook()
        else:
            await _with_retries(
                lambda: app.bot.delete_webhook(drop_pending_updates=False),
                what="switching Telegram to polling",
            )
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")

    async def stop(self) -> None:
        app = self.application
        if app is None:
            return
        self._stopping.set()
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if self._poller is not None:
            try:
                await self._poller
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("Telegram polling had failed")
            self._poller = None
            await self._confirm_offset()
        if app.running:
            await app.stop()
        await app.shutdown()
        self.application = None

    # -- sending --------------------------------------------------------------------------
    async def perform(self, action: Action) -> DeliveryResult:
        return await perform(self._app().bot, action)

    async def check_health(self, chats: Sequence[ChatRef]) -> PlatformHealth | None:
        """The bot's rights in each group chat, as Telegram reports them now."""
        app = self._app()
        groups = [c for c in chats if c.platform is Platform.TELEGRAM and not c.private]
        found = await check_rights(app.bot, groups, can_read_all=self._can_read_all)
        return PlatformHealth(
            platform=Platform.TELEGRAM,
            checked_at=datetime.now(UTC),
            bot_username=self.bot_username,
            chats=tuple(found),
        )

    # -- receiving ------------------------------------------------------------------------
    async def _on_update(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        event = to_event(update, bot_username=self.bot_username)
        if event is None or self._sink is None:
            return
        await self._sink(event)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        uid = update.update_id if isinstance(update, Update) else "?"
        log.error("Telegram update %s could not be handled", uid, exc_info=context.error)

    async def handle_update(self, data: dict[str, object]) -> None:
        """Handle one update as Telegram sent it (JSON), and return once it is handled.

        An update the library cannot read (a field it expects is missing, e.g. from an older
        local Bot API server) is logged and skipped: retrying it could only fail again, and
        it must not hold up the updates behind it."""
        app = self._app()
        try:
            update = Update.de_json(data, app.bot)
        except Exception:
            log.exception("Telegram update %s could not be read; skipped", data.get("update_id"))
            return
        await app.process_update(update)

    async def _poll(self) -> None:
        """Ask for updates until stopped; confirm each batch only after handling it."""
        failures = 0
        while not self._stopping.is_set():
            fetch = asyncio.ensure_future(self._fetch(timeout=self.config.poll_timeout))
            stopped = asyncio.ensure_future(self._stopping.wait())
            await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                return
            try:
                updates = fetch.result()
            except Exception as exc:  # whatever it is, polling must go on
                failures += 1
                wait = _poll_backoff(failures, exc)
                log.warning("Telegram polling: %s; trying again in %.0fs", exc, wait)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), wait)
                continue
            failures = 0
            for data in updates:
                # Handled to the end even when asked to stop meanwhile: stopping halfway
                # would only mean handling it again after the restart.
                await self.handle_update(data)
                self._offset = int(data["update_id"]) + 1

    async def _fetch(self, *, timeout: int, limit: int = 100) -> list[dict[str, Any]]:
        """One long poll, as raw JSON: each update is read on its own (see
        :meth:`handle_update`), so one the library cannot read does not sink the batch.

        The method name in lower case: the Bot API's names are case-insensitive, and PTB
        would warn that ``getUpdates`` has a typed method (which reads the batch as a whole)."""
        raw = await self._app().bot.do_api_request(
            "getupdates",
            api_kwargs={
                "offset": self._offset,
                "timeout": timeout,
                "limit": limit,
                "allowed_updates": list(Update.ALL_TYPES),
            },
            read_timeout=timeout + self.config.request_timeout,
        )
        if not isinstance(raw, list):
            raise TelegramError(f"getUpdates answered {type(raw).__name__}, not a list")
        updates = [u for u in raw if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
        if len(updates) != len(raw):
            log.error("Telegram: %d updates without an update_id ignored", len(raw) - len(updates))
        return updates

    async def _confirm_offset(self) -> None:
        """Tell Telegram which updates are handled, so a restart does not see them again."""
        if self._offset is None:
            return
        try:
            await self._fetch(timeout=0, limit=1)
        except TelegramError as exc:
            log.info("Telegram: could not confirm handled updates on stop (%s)", exc)

    async def _start_webhook(self) -> None:
        cfg = self.config
        assert cfg.webhook_url is not None and cfg.webhook_secret is not None
        receiver = WebhookReceiver(
            self.handle_update,
            secret=cfg.webhook_secret,
            url=cfg.webhook_url,
            host=cfg.listen_host,
            port=cfg.listen_port,
        )
        if not receiver.start():
            raise TelegramUnavailable(
                f"the Telegram webhook cannot listen on {cfg.listen_host}:{cfg.listen_port}"
            )
        self._webhook = receiver
        await _with_retries(
            lambda: self._app().bot.set_webhook(
                cfg.webhook_url or "",
                secret_token=cfg.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                max_connections=40,
            ),
            what="registering the Telegram webhook",
        )

    @property
    def webhook_port(self) -> int | None:
        """The port the webhook listens on (when asked for port 0, the one it got)."""
        return self._webhook.port if self._webhook is not None else None

    async def _set_menus(self) -> None:
        """The command menus per language and audience. A failure costs only the menus."""
        bot = self._app().bot
        for menu in self.menus:
            commands = [BotCommand(name, description) for name, description in menu.commands]
            scope = _SCOPES[menu.scope]()
            languages = [str(menu.locale)]
            if str(menu.locale) == self.config.default_language:
                languages.append("")  # everyone whose app language has no menu of its own
            for language in languages:
                try:
                    await bot.set_my_commands(commands, scope=scope, language_code=language or None)
                except TelegramError as exc:
                    shown = language or "default"
                    log.warning("Telegram: menu %s/%s not set: %s", menu.scope, shown, exc)

    def _app(self) -> Application:  # type: ignore[type-arg]
        if self.application is None:
            # Sending before start or after stop: the outbox keeps the action for later.
            raise TransientDeliveryError("the Telegram adapter is not running")
        return self.application


def _request(pool: int, *, read_timeout: float, other_timeouts: float) -> HTTPXRequest:
    return HTTPXRequest(
        connection_pool_size=pool,
        read_timeout=read_timeout,
        connect_timeout=other_timeouts,
        write_timeout=other_timeouts,
        pool_timeout=other_timeouts,
    )


def _base_url(url: str) -> str:
    """PTB wants the address up to the token, ending in ``/bot``; accept it with or without."""
    url = url.rstrip("/")
    return url if url.endswith("/bot") else url + "/bot"


def _poll_backoff(failures: int, exc: BaseException) -> float:
    if isinstance(exc, RetryAfter):
        value = exc.retry_after
        return value if isinstance(value, int | float) else value.total_seconds()
    ceiling: float = min(60.0, 2.0**failures)
    return ceiling / 2 + random.uniform(0.0, ceiling / 2)  # noqa: S311 - jitter, not security


async def _with_retries(call: Callable[[], Awaitable[T]], *, what: str, attempts: int = 5) -> T:
    """Retry a start-up call over passing trouble (network, flood control) a few times."""
    for attempt in range(1, attempts):
        try:
            return await call()
        except (NetworkError, RetryAfter) as exc:
            wait = _poll_backoff(attempt, exc)
            log.warning("%s: %s; trying again in %.0fs", what, exc, wait)
            await asyncio.sleep(wait)
    return await call()
