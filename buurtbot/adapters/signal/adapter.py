"""The Signal adapter: signal-cli-rest-api (json-rpc mode) on the application's own loop.

signalbot is used where it fits the bot's lifecycle: its configuration and auth, the
``/v1/about`` check and its groups registry for the group list. Its own pipeline is not:
``bot.start()`` would open a second receive socket with a producer that dies quietly on a
clean close, and ``bot.stop()`` stops the event loop. Receiving is :mod:`.receiver`, the
calls signalbot lacks (and sending, for the error bodies) are :mod:`.rest`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
import pydantic
from signalbot import (
    LOGGER_NAME,
    MIN_SIGNAL_CLI_REST_API_VERSION,
    About,
    BasicAuthentication,
    BearerAuthentication,
    SignalAPIError,
    SignalBot,
)

from buurtbot.adapters.signal.health import chat_problems
from buurtbot.adapters.signal.mapping import (
    RATE_LIMITS,
    UUID_PREFIX,
    GroupChanged,
    capabilities,
    recipient,
    to_event,
)
from buurtbot.adapters.signal.membership import Memberships
from buurtbot.adapters.signal.perform import perform
from buurtbot.adapters.signal.receiver import Gap, Receiver
from buurtbot.adapters.signal.rest import GroupState, RestError, SignalRest, redact
from buurtbot.core.actions import (
    Action,
    AddMember,
    DeliveryResult,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
)
from buurtbot.core.events import InboundEvent
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.ports import (
    ChatPort,
    EventSink,
    PlatformHealth,
    PlatformUnavailable,
    RateLimits,
    TransientDeliveryError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

CAPTCHA_PAGE = "https://signalcaptchas.org/challenge/generate.html"


class SignalUnavailable(PlatformUnavailable):
    """The adapter cannot run: signal-cli-rest-api out of reach, in the wrong mode, too old,
    or without the bot's account."""


@dataclass(frozen=True, slots=True, repr=False)
class SignalConfig:
    """How to reach signal-cli-rest-api and how patient to be with it.

    ``service``: ``host:port``, no scheme (``https`` picks TLS). ``number``: the bot's
    registered account, E.164. Authentication is basic (``username`` + ``password``) or a
    bearer ``token``, for a reverse proxy in front of signal-cli-rest-api.
    """

    service: str
    number: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    https: bool = False
    #: Seconds of quiet on the receive socket before a ping; no pong within half of it
    #: means the connection is dead.
    heartbeat: float = 20.0
    #: Seconds one REST call may take (a send: ``send_timeout``; a big group takes long).
    request_timeout: float = 20.0
    send_timeout: float = 60.0
    #: Seconds to open the receive socket.
    connect_timeout: float = 10.0
    #: How long :meth:`SignalAdapter.initialize` waits for signal-cli-rest-api to come up
    #: (it starts slower than the bot when both start together).
    startup_timeout: float = 30.0
    #: Reconnect backoff: first wait about ``backoff_base`` seconds, doubling up to the cap.
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    rate_limits: RateLimits = RATE_LIMITS

    def __repr__(self) -> str:
        auth = "basic" if self.username else "bearer" if self.token else "none"
        return f"SignalConfig(service={self.service!r}, https={self.https}, auth={auth})"

    def authorization(self) -> str | None:
        """The ``Authorization`` header, as signalbot makes it."""
        if self.username is not None:
            return BasicAuthentication(self.username, self.password or "").header
        if self.token is not None:
            return BearerAuthentication(self.token).header
        return None

    def signalbot_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "phone_number": self.number,
            "signal_service": self.service,
            "connection_mode": "https_only" if self.https else "http_only",
            "storage": {"type": "in-memory"},
            "download_attachments": False,
            # signalbot logs every sent text at INFO: personal data; warnings only.
            "logging_level": logging.WARNING,
        }
        if self.username is not None:
            config["auth"] = {
                "type": "basic",
                "username": self.username,
                "password": self.password or "",
            }
        elif self.token is not None:
            config["auth"] = {"type": "bearer", "token": self.token}
        return config


@dataclass(frozen=True, slots=True)
class ReceiveStatus:
    """How receiving goes, for ``/status``: gaps are times when messages were lost."""

    connected: bool
    disconnected_since: datetime | None
    gaps: tuple[Gap, ...]
    connects: int


class SignalAdapter(ChatPort):
    """Signal through signal-cli-rest-api. Signal has no usernames: ``bot_username`` stays
    ``None``; the bot is reached at its number (``bot_address``)."""

    platform = Platform.SIGNAL

    def __init__(self, config: SignalConfig) -> None:
        self.config = config
        self.capabilities = capabilities(config.rate_limits)
        self.bot_username: str | None = None
        self.bot_address: str | None = config.number
        #: Called (not awaited) when what :meth:`check_health` reports has just changed (a
        #: reconnect ended a gap; Signal started holding messages back): the application
        #: checks the health at once instead of at its next round.
        self.on_health_change: Callable[[], None] | None = None
        #: The groups of the last check that could list them (see :meth:`check_health`).
        self._last_groups: list[GroupState] | None = None
        self.bot: SignalBot | None = None
        self._rest: SignalRest | None = None
        self._receiver: Receiver | None = None
        self._sink: EventSink | None = None
        self._members = Memberships(self._group_list, self._group, own_number=config.number)
        self._rate_limited = False

    # -- lifecycle ------------------------------------------------------------------------------
    async def initialize(self) -> None:
        cfg = self.config
        await self._close()  # a second initialize starts afresh
        rest = SignalRest(
            cfg.service,
            cfg.number,
            authorization=cfg.authorization(),
            https=cfg.https,
            request_timeout=cfg.request_timeout,
            send_timeout=cfg.send_timeout,
        )
        await rest.open()
        bot = _quiet(lambda: SignalBot(cfg.signalbot_config()))
        self._rest, self.bot = rest, bot
        try:
            about = await self._about(bot)
            _check_about(about, cfg.service)
            try:
                groups = await self._group_list()
            except RestError as exc:
                raise SignalUnavailable(
                    f"signal-cli-rest-api at {cfg.service} cannot list the groups of the bot's "
                    f"account {cfg.number} ({exc}): register or link that number first"
                ) from None
        except BaseException:
            await self._close()
            raise
        self._members.prime(groups)
        log.info(
            "Signal: ready as %s (signal-cli-rest-api %s, json-rpc mode, %d groups)",
            cfg.number,
            about.version,
            len(groups),
        )

    async def start(self, sink: EventSink) -> None:
        self._rest_client()  # initialized, not stopped
        cfg = self.config
        self._sink = sink
        if self._receiver is None:
            self._receiver = Receiver(
                self._open_socket,
                self._on_frame,
                on_connected=self._on_connected,
                backoff_base=cfg.backoff_base,
                backoff_cap=cfg.backoff_cap,
            )
        self._receiver.start()

    async def stop(self) -> None:
        if self._receiver is not None:
            await self._receiver.stop()
        await self._close()

    async def _close(self) -> None:
        bot, rest = self.bot, self._rest
        self.bot = self._rest = None
        if bot is not None:
            await bot.close()  # never bot.stop(): it stops the event loop
        if rest is not None:
            await rest.close()

    # -- sending --------------------------------------------------------------------------------
    async def perform(self, action: Action) -> DeliveryResult:
        rest = self._rest_client()
        try:
            result = await perform(rest, action)
        except TransientDeliveryError as exc:
            cause = exc.__cause__
            if isinstance(cause, RestError) and cause.rate_limited:
                self._report_rate_limit(cause)
            raise
        if isinstance(action, SendText | SendFile | SendImage):
            self._rate_limited = False  # sending works again: report the next episode
        if isinstance(action, AddMember | RemoveMember):
            member = recipient(action.user)
            if member is not None and isinstance(action, AddMember):
                self._members.added(action.chat.chat_id, member)
            elif member is not None:
                self._members.removed(action.chat.chat_id, member)
        return result

    def _report_rate_limit(self, exc: RestError) -> None:
        """One clear error per episode (the outbox keeps retrying; the log must not flood)."""
        if self._rate_limited:
            return
        self._rate_limited = True
        if self.on_health_change is not None:
            self.on_health_change()  # the regiegroep hears of it now, not at the next round
        cfg = self.config
        token = exc.challenge_tokens[0] if exc.challenge_tokens else "<challenge token>"
        log.error(
            "Signal rate-limits the bot (%s). Messages wait in the outbox and are retried. "
            'If Signal asks for a captcha ("proof required"), nothing goes out until it is '
            "solved: open %s, solve it, copy the signalcaptcha:// link it ends with, and "
            'POST {"challenge_token": "%s", "captcha": "<that link>"} to '
            "%s/v1/accounts/%s/rate-limit-challenge",
            exc.message,
            CAPTCHA_PAGE,
            token,
            f"{'https' if cfg.https else 'http'}://{cfg.service}",
            cfg.number,
        )

    # -- health -----------------------------------------------------------------------------
    async def check_health(self, chats: Sequence[ChatRef]) -> PlatformHealth | None:
        """Whether the bot is in each Signal group of the network, and an admin there (needed
        to add and remove members and to make beheerders admins); and whether it receives,
        with every gap in receiving of this process.

        When signal-cli-rest-api cannot list the groups, the rights are those of the last
        check that could (receiving is what matters then); without one, it raises."""
        try:
            groups = await self._group_list()
        except RestError as exc:
            if self._last_groups is None:
                raise SignalUnavailable(f"cannot list the bot's Signal groups: {exc}") from None
            log.warning("Signal: cannot list the bot's groups (%s); rights as last seen", exc)
            groups = self._last_groups
        else:
            self._last_groups = groups
        if self._receiver is not None and self._receiver.running:
            # Just started (health is checked right after the start): give it a moment.
            await self._receiver.wait_connected(self.config.connect_timeout)
        status = self.receive_status()
        if self._receiver is not None and not status.connected:
            since = status.disconnected_since
            log.warning(
                "Signal: not receiving%s; messages sent to the bot meanwhile are lost",
                f" since {since:%H:%M:%S}" if since else "",
            )
        started = self._receiver is not None
        return PlatformHealth(
            platform=Platform.SIGNAL,
            checked_at=datetime.now(UTC),
            bot_username=None,
            chats=tuple(chat_problems(chats, groups, own_number=self.config.number)),
            receiving=status.connected if started else None,
            gaps=tuple((gap.started, gap.ended) for gap in status.gaps),
            down_since=None if status.connected else status.disconnected_since,
            held_back=self._rate_limited,
        )

    def receive_status(self) -> ReceiveStatus:
        receiver = self._receiver
        if receiver is None:
            return ReceiveStatus(False, None, (), 0)
        return ReceiveStatus(
            receiver.connected, receiver.disconnected_since, tuple(receiver.gaps), receiver.connects
        )

    # -- receiving ------------------------------------------------------------------------------
    async def _open_socket(self) -> aiohttp.ClientWebSocketResponse:
        cfg = self.config
        return await self._rest_client().receive_socket(
            heartbeat=cfg.heartbeat, connect_timeout=cfg.connect_timeout
        )

    async def _on_frame(self, text: str) -> None:
        """One frame of the receive socket: ``{"envelope": {...}, "account": ...}``, or
        ``{"error": ...}`` when signal-cli could not receive something."""
        try:
            frame = json.loads(text)
        except ValueError:
            log.warning("Signal: a received frame is not JSON; skipped")
            return
        if not isinstance(frame, Mapping):
            log.warning("Signal: a received frame is not an object; skipped")
            return
        if "envelope" not in frame and frame.get("error"):
            log.warning("Signal: signal-cli-rest-api reports: %s", redact(str(frame["error"])))
            return
        account = frame.get("account")
        envelope = frame.get("envelope")
        if (account is not None and account != self.config.number) or not isinstance(
            envelope, Mapping
        ):
            return
        try:
            event = to_event(envelope, own_number=self.config.number)
        except Exception:
            log.exception("Signal: a received envelope could not be read; skipped")
            return
        if event is None:
            return
        if isinstance(event, GroupChanged):
            try:
                events = await self._members.changed(event)
            except RestError as exc:
                log.warning("Signal: group %s changed; members not read: %s", event.chat, exc)
                return
        else:
            if event.sender.identity.user_ref.startswith(UUID_PREFIX):
                log.info(
                    "Signal: a message from an account that hides its number; it is known "
                    "by its uuid only, so the bot treats it as a stranger"
                )
            events = [event]
        for one in events:
            await self._deliver(one)

    async def _on_connected(self, first: bool) -> None:
        """After each connect: compare every group's members with the record, for changes
        made while nothing was received (and between ``initialize`` and ``start``)."""
        if not first and self.on_health_change is not None:
            try:
                self.on_health_change()
            except Exception:
                log.exception("Signal: the reconnect hook failed")
        try:
            events = await self._members.resync(datetime.now(UTC))
        except RestError as exc:
            log.warning("Signal: could not compare group members after connecting: %s", exc)
            return
        for event in events:
            await self._deliver(event)

    async def _deliver(self, event: InboundEvent) -> None:
        if self._sink is None:
            return
        try:
            await self._sink(event)
        except Exception:
            log.exception("Signal: handling %s failed", type(event).__name__)

    # -- signalbot --------------------------------------------------------------------------
    async def _about(self, bot: SignalBot) -> About:
        """``/v1/about``, waiting up to ``startup_timeout`` for the service to answer."""
        cfg = self.config
        loop = asyncio.get_running_loop()
        deadline = loop.time() + cfg.startup_timeout
        attempt = 0
        while True:
            attempt += 1
            try:
                return await _bounded(bot.general.about(), cfg.request_timeout)
            except RestError as exc:
                if exc.status == 401:
                    raise SignalUnavailable(
                        f"signal-cli-rest-api at {cfg.service} refused the credentials "
                        "(BUURTBOT_SIGNAL_USERNAME/PASSWORD or BUURTBOT_SIGNAL_TOKEN)"
                    ) from None
                wait = min(5.0, 0.5 * 2 ** (attempt - 1))
                if exc.status not in (None, 502, 503, 504) or loop.time() + wait > deadline:
                    raise SignalUnavailable(
                        f"cannot reach signal-cli-rest-api at {cfg.service} ({exc}); is it "
                        "running, and is BUURTBOT_SIGNAL_SERVICE its host:port?"
                    ) from None
                log.warning("Signal: signal-cli-rest-api not answering yet (%s)", exc)
                await asyncio.sleep(wait)
            except pydantic.ValidationError:
                raise SignalUnavailable(
                    f"{cfg.service} answers /v1/about, but not as signal-cli-rest-api does"
                ) from None

    async def _group_list(self) -> list[GroupState]:
        """The groups of the bot's account, through signalbot's registry (kept current)."""
        bot = self._signalbot()
        try:
            await _bounded(bot.groups.refresh(), self.config.request_timeout)
        except pydantic.ValidationError as exc:
            raise RestError(
                f"a groups answer signalbot cannot read ({exc.error_count()} problems)"
            ) from None
        return [GroupState.of(entry.model_dump()) for entry in bot.groups]

    async def _group(self, group_id: str) -> GroupState:
        return await self._rest_client().group(group_id)

    def _signalbot(self) -> SignalBot:
        if self.bot is None:
            raise RestError("the Signal adapter is not running")
        return self.bot

    def _rest_client(self) -> SignalRest:
        if self._rest is None:
            # Sending before initialize or after stop: the outbox keeps the action for later.
            raise TransientDeliveryError("the Signal adapter is not running")
        return self._rest


async def _bounded(call: Awaitable[T], seconds: float) -> T:
    """A signalbot call with a time limit (its HTTP session has none), its errors as ours."""
    try:
        async with asyncio.timeout(seconds):
            return await call
    except TimeoutError:
        raise RestError(f"no answer within {seconds:.0f}s") from None
    except SignalAPIError as exc:
        cause = exc.__cause__
        status = cause.status if isinstance(cause, aiohttp.ClientResponseError) else None
        reason = cause.message if isinstance(cause, aiohttp.ClientResponseError) else str(exc)
        raise RestError(redact(reason or type(exc).__name__), status=status) from None


def _check_about(about: About, service: str) -> None:
    if about.mode != "json-rpc":
        raise SignalUnavailable(
            f"signal-cli-rest-api at {service} runs in {about.mode!r} mode; the bot needs "
            "json-rpc mode (start its container with MODE=json-rpc)"
        )
    if about.version == "unset":  # a preview build
        log.warning("Signal: signal-cli-rest-api reports no version; not checked")
        return
    found = tuple(int(part) for part in re.findall(r"\d+", about.version)[:3])
    needed = tuple(MIN_SIGNAL_CLI_REST_API_VERSION.release)
    if found < needed:
        raise SignalUnavailable(
            f"signal-cli-rest-api at {service} is version {about.version}; the bot needs "
            f"{MIN_SIGNAL_CLI_REST_API_VERSION} or newer"
        )


def _quiet(make: Callable[[], SignalBot]) -> SignalBot:
    """Make a ``SignalBot`` without the log handler it adds to the ``signalbot`` logger on
    every construction: the application's logging configuration stays in charge (and one
    handler more per restart would print every line again)."""
    logger = logging.getLogger(LOGGER_NAME)
    before = list(logger.handlers)
    try:
        return make()
    finally:
        for handler in logger.handlers[:]:
            if handler not in before:
                logger.removeHandler(handler)
