"""A stand-in for signal-cli-rest-api in json-rpc mode, for tests.

It serves the REST API of bbernhard/signal-cli-rest-api (as its swagger document describes it)
on 127.0.0.1 for one account, so that signalbot and plain HTTP clients talk to it unchanged:
``GET /v1/health``, ``GET /v1/about``, the ``/v1/groups`` endpoints (list, get, create, update,
members, admins), ``POST /v2/send`` and the receive WebSocket ``GET /v1/receive/<number>``,
plus the typing indicator and reactions. Tests set up the world (groups, contacts), push what
Signal delivers to the bot (``push_message``, ``push_group_update``) and afterwards look at
what the bot did (``sent``, ``calls``, ``members``, ``admins``).

What json-rpc mode really does, and so does the stand-in:

* Envelopes go out over every open receive WebSocket of the account as text frames
  ``{"envelope": {...}, "account": "+31..."}``, shaped like signal-cli's JSON output (null
  fields included). There is no queue: an envelope that arrives while no receive WebSocket is
  open is lost (signal-cli-rest-api issues #537/#834). The stand-in keeps such envelopes in
  ``dropped``.
* A group's REST id is ``"group." + base64(internal id)``; envelopes carry the internal id in
  ``dataMessage.groupInfo.groupId``.
* ``/v2/send`` answers 201 with a list of ``{"timestamp": "<ms>"}`` (the timestamp a string),
  a rate limit with 429 and ``{"error", "challenge_tokens", "account"}`` (``rate_limit_body``).
* Errors are ``{"error": "..."}`` with status 400 (404 for an unknown group on GET).
* The server pings every receive WebSocket every 54 s and answers the client's pings.
* signal-cli's attachment JSON has no ``isVoiceNote``; signalbot 2.2.1 requires it (pass it in
  the attachment metadata to get a message past signalbot's parser).

Faults: ``fail_next`` (any status and body for the next calls of a route),
``close_websockets`` (a clean close; signalbot does not reconnect after 1000 or 1001),
``go_silent``/``speak`` (half-open receive WebSockets), and ``stop`` (an abrupt end like a
crashed container: clients see 1006 and signalbot reconnects).

Run it as a process of its own (for crash tests)::

    python -m tests.standins.signal_api --port-file PATH [--groups N] [--number +31...]

Besides the API it then offers ``GET /_control/state`` and ``POST /_control/push``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import contextlib
import copy
import hashlib
import json
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from aiohttp import WSCloseCode, WSMsgType, web

from tests.standins.process import serve_until_signalled

JSON = dict[str, Any]

HOST: Final = "127.0.0.1"
DEFAULT_NUMBER: Final = "+31612345678"
GROUP_PREFIX: Final = "group."
# signal-cli-rest-api pings every receive WebSocket at 90 % of its 60 s pong wait.
PING_PERIOD: Final = 54.0
BUILD: Final = 2
API_VERSIONS: Final = ("v1", "v2")
CAPABILITIES: Final = {"v2/send": ["quotes", "mentions"]}
PERMISSION_VALUES: Final = frozenset({"only-admins", "every-member"})
PERMISSION_KEYS: Final = ("add_members", "edit_group", "send_messages")
GROUP_LINK_VALUES: Final = frozenset({"disabled", "enabled", "enabled-with-approval"})
TEXT_MODES: Final = frozenset({"normal", "styled"})
RATE_LIMIT_ERROR: Final = (
    "Failed to send message due to rate limiting. Use the attached challenge tokens to lift "
    "the rate limit restrictions via the '/v1/accounts/{number}/rate-limit-challenge' endpoint."
)
INVALID_REQUEST: Final = "Couldn't process request - invalid request"
NOT_A_WEBSOCKET: Final = (
    "websocket: the client is not using the websocket protocol: "
    "'upgrade' token not found in 'Connection' header"
)

_E164_RE: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_USERNAME_RE: Final = re.compile(r"[A-Za-z0-9_]{3,32}\.[0-9]{2,9}")
_DATA_URI_RE: Final = re.compile(r"data:[^,]*;base64,(?P<data>.*)", re.DOTALL)
_UUID_NAMESPACE: Final = uuid.UUID("5f0c8f0e-6b1a-4c55-9d4b-3b7a1f1c2e90")
_CONTROL_PREFIX: Final = "/_control/"
_UNSENDABLE_CLOSE_CODES: Final = frozenset({1005, 1006, 1015})  # reserved, never on the wire
_BODY_KEY: Final = web.RequestKey("standin_body", object)  # the request body, parsed


class ApiError(Exception):
    """An error answer: ``{"error": message}`` (plus ``extra``) with ``status``."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> web.Response:
        return web.json_response({"error": self.message, **self.extra}, status=self.status)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def is_e164(number: object) -> bool:
    return isinstance(number, str) and _E164_RE.fullmatch(number) is not None


def group_id_for(internal_id: str) -> str:
    """The REST id of a group: ``group.`` and the base64 of its internal id."""
    return GROUP_PREFIX + base64.b64encode(internal_id.encode("utf-8")).decode("ascii")


def internal_id_for(group_id: str) -> str:
    """The internal id (as in envelopes) of a REST group id; ``ValueError`` if it isn't one."""
    if not group_id.startswith(GROUP_PREFIX):
        raise ValueError(f"a group id starts with {GROUP_PREFIX!r}: {group_id!r}")
    try:
        internal_id = base64.b64decode(group_id[len(GROUP_PREFIX) :], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(f"not base64 after {GROUP_PREFIX!r}: {group_id!r}") from None
    if not internal_id or group_id_for(internal_id) != group_id:
        raise ValueError(f"not canonical base64 after {GROUP_PREFIX!r}: {group_id!r}")
    return internal_id


def new_internal_id() -> str:
    """A fresh internal group id: base64 of 32 random bytes, like signal-cli's."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def uuid_for(number: str) -> str:
    """The ACI (uuid) the stand-in gives a number that has none of its own."""
    return str(uuid.uuid5(_UUID_NAMESPACE, number))


def rate_limit_body(account: str, challenge_token: str | None = None) -> JSON:
    """What ``/v2/send`` answers (status 429) when Signal asks for a proof (a captcha)."""
    return {
        "error": RATE_LIMIT_ERROR,
        "challenge_tokens": [challenge_token or str(uuid.uuid4())],
        "account": account,
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_base64_attachment(value: object) -> bool:
    if not isinstance(value, str):
        return False
    match = _DATA_URI_RE.fullmatch(value)
    data = match.group("data") if match else value
    try:
        base64.b64decode(data, validate=True)
    except binascii.Error:
        return False
    return True


@dataclass(frozen=True)
class SentSignalMessage:
    """One ``POST /v2/send`` the bot made (one record for all its recipients)."""

    recipients: list[str]
    message: str
    text_mode: str | None
    quote_timestamp: int | None
    quote_author: str | None
    quote_message: str | None
    base64_attachments: list[str]
    timestamp: int  # the one the stand-in answered with
    at: float  # time.monotonic() when it arrived
    mentions: list[Any] = field(default_factory=list)
    edit_timestamp: int | None = None
    body: JSON = field(default_factory=dict)  # the request as it came


@dataclass
class Contact:
    number: str
    uuid: str
    name: str | None = None


@dataclass
class _Group:
    id: str
    internal_id: str
    name: str
    description: str = ""
    invite_link: str = ""
    revision: int = 1
    blocked: bool = False
    permissions: dict[str, str] = field(
        default_factory=lambda: {
            "add_members": "only-admins",
            "edit_group": "only-admins",
            "send_messages": "every-member",
        }
    )


@dataclass
class _Fault:
    method: str
    path_prefix: str
    status: int
    body: Any
    remaining: int


@dataclass(eq=False)
class _Receiver:
    """One open receive WebSocket."""

    ws: web.WebSocketResponse
    request: web.Request
    number: str
    queue: asyncio.Queue[tuple[JSON, str]] = field(default_factory=asyncio.Queue)
    silent: bool = False
    closing: bool = False
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def gone(self) -> bool:
        transport = self.request.transport
        return transport is None or transport.is_closing()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SignalStandIn:
    """signal-cli-rest-api (json-rpc mode) for one account on 127.0.0.1, world set by the test."""

    def __init__(
        self,
        *,
        number: str = DEFAULT_NUMBER,
        version: str = "0.101.0",
        auth: tuple[str, str] | None = None,
        ping_period: float = PING_PERIOD,
    ) -> None:
        if not is_e164(number):
            raise ValueError(f"the account is an E.164 number like '+31612345678', not {number!r}")
        self.number = number
        self.uuid = uuid_for(number)
        self.version = version
        self.auth = auth
        self.ping_period = ping_period

        # what the bot did
        self.sent: list[SentSignalMessage] = []
        self.calls: list[tuple[str, str, Any]] = []
        self.reactions: list[JSON] = []
        # the world, by group REST id
        self.members: dict[str, list[str]] = {}
        self.admins: dict[str, list[str]] = {}
        self.contacts: dict[str, Contact] = {}
        self._groups: dict[str, _Group] = {}
        # the receive WebSockets
        self.connects = 0
        self.dropped: list[JSON] = []
        self._receivers: list[_Receiver] = []

        self._faults: list[_Fault] = []
        self._last_timestamp = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self, *, port: int = 0) -> None:
        """Listen on 127.0.0.1 (an OS-chosen port unless ``port`` is given)."""
        if self._runner is not None:
            raise RuntimeError("the stand-in is already running")
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        add = app.router.add_route
        add("GET", "/v1/health", self._handle_health)
        add("GET", "/v1/about", self._handle_about)
        add("GET", "/v1/groups/{number}", self._handle_list_groups)
        add("POST", "/v1/groups/{number}", self._handle_create_group)
        add("GET", "/v1/groups/{number}/{groupid}", self._handle_get_group)
        add("PUT", "/v1/groups/{number}/{groupid}", self._handle_update_group)
        add("POST", "/v1/groups/{number}/{groupid}/members", self._handle_add_members)
        add("DELETE", "/v1/groups/{number}/{groupid}/members", self._handle_remove_members)
        add("POST", "/v1/groups/{number}/{groupid}/admins", self._handle_add_admins)
        add("DELETE", "/v1/groups/{number}/{groupid}/admins", self._handle_remove_admins)
        add("POST", "/v2/send", self._handle_send)
        add("GET", "/v1/receive/{number}", self._handle_receive)
        add("PUT", "/v1/typing-indicator/{number}", self._handle_typing)
        add("DELETE", "/v1/typing-indicator/{number}", self._handle_typing)
        add("POST", "/v1/reactions/{number}", self._handle_reaction)
        add("DELETE", "/v1/reactions/{number}", self._handle_reaction)
        add("GET", "/_control/state", self._handle_state)
        add("POST", "/_control/push", self._handle_push)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, HOST, port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening; open receive WebSockets end abruptly, as when the container dies."""
        receivers = list(self._receivers)
        for receiver in receivers:
            transport = receiver.request.transport
            if transport is not None:
                transport.abort()
        await self._wait_done(receivers)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("start() the stand-in first")
        return self._port

    @property
    def service(self) -> str:
        """For signalbot's ``signal_service``: host and port, no scheme."""
        return f"{HOST}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.service}"

    @property
    def connections(self) -> int:
        """Receive WebSockets open now (silent ones included)."""
        return len(self._receivers)

    # -- world set-up -------------------------------------------------------------------------
    def add_contact(self, number: str, *, name: str | None = None, uuid: str | None = None) -> None:
        """Someone the bot knows (their name and uuid appear in envelopes)."""
        if not is_e164(number):
            raise ValueError(f"not an E.164 number: {number!r}")
        if uuid is not None and not _is_uuid(uuid):
            raise ValueError(f"not a uuid: {uuid!r}")
        self.contacts[number] = Contact(number, uuid or uuid_for(number), name)

    def add_group(
        self,
        name: str,
        members: list[str],
        *,
        admins: Iterable[str] = (),
        group_id: str | None = None,
        bot_admin: bool = True,
    ) -> str:
        """A group the bot is in (and, unless ``bot_admin=False``, an admin of); its REST id.

        ``group_id`` fixes the REST id (``group.<base64>``, e.g. from the example network);
        the internal id is then what that base64 decodes to. Otherwise the internal id is the
        base64 of 32 random bytes, like a real group's.
        """
        members = self._checked_numbers(members, "member")
        admins = self._checked_numbers(admins, "admin")
        if group_id is None:
            internal_id = new_internal_id()
            group_id = group_id_for(internal_id)
        else:
            internal_id = internal_id_for(group_id)
        if group_id in self._groups:
            raise ValueError(f"there is a group {group_id} already")
        all_members = _unique([self.number, *members])
        for admin in admins:
            if admin not in all_members:
                raise ValueError(f"admin {admin} is not a member of {name!r}")
        all_admins = _unique([self.number, *admins] if bot_admin else admins)
        self._groups[group_id] = _Group(id=group_id, internal_id=internal_id, name=name)
        self.members[group_id] = all_members
        self.admins[group_id] = all_admins
        return group_id

    def set_members(self, group: str, members: list[str], *, keep_bot: bool = True) -> None:
        """Another admin changed the members; the bot is not told (see ``push_group_update``).

        The bot stays a member (first, unless listed elsewhere) unless ``keep_bot=False``:
        then it was removed, and sends to the group fail.
        """
        group_state = self._group(group)
        new_members = _unique(self._checked_numbers(members, "member"))
        if not keep_bot:
            new_members = [member for member in new_members if member != self.number]
        elif self.number not in new_members:
            new_members = [self.number, *new_members]
        self.members[group] = new_members
        self.admins[group] = [admin for admin in self.admins[group] if admin in new_members]
        group_state.revision += 1

    def internal_id(self, group: str) -> str:
        """The internal id of a group (as in envelopes) by its REST id."""
        return self._group(group).internal_id

    # -- what Signal delivers to the bot ------------------------------------------------------
    def push_message(
        self,
        source: str,
        text: str | None,
        *,
        group: str | None = None,
        quote: tuple[str, int, str] | None = None,
        attachments: list[JSON] | None = None,
    ) -> JSON:
        """``source`` writes to the bot (or in ``group``, by REST id); returns the envelope.

        ``quote`` is (author number, timestamp, text) of the message replied to;
        ``attachments`` are metadata like ``{"contentType": "image/jpeg", "filename": ...,
        "size": ...}`` completed to signal-cli's attachment JSON (no ``isVoiceNote`` unless
        given: signal-cli doesn't send it, signalbot 2.2.1 requires it).
        """
        if source == self.number:
            raise ValueError("the bot's own messages come as sync messages: use push_envelope")
        sender = self._contact(source)
        timestamp = self._timestamp()
        data: JSON = {
            "timestamp": timestamp,
            "message": text,
            "expiresInSeconds": 0,
            "isExpirationUpdate": False,
            "viewOnce": False,
        }
        if quote is not None:
            author, quoted_timestamp, quoted_text = quote
            author_contact = self._contact(author)
            data["quote"] = {
                "id": quoted_timestamp,
                "author": author,
                "authorNumber": author,
                "authorUuid": author_contact.uuid,
                "text": quoted_text,
                "attachments": [],
            }
        if attachments:
            data["attachments"] = [self._attachment(meta, timestamp) for meta in attachments]
        if group is not None:
            if source not in self.members.get(group, []):
                self._group(group)
                raise ValueError(f"{source} is not a member of {group}")
            data["groupInfo"] = self._group_info(group, "DELIVER")
        return self._deliver(self._envelope(sender, timestamp, data))

    def push_group_update(self, group: str, source: str) -> JSON:
        """Signal tells the bot that ``source`` changed ``group`` (say, after ``set_members``)."""
        sender = self._contact(source)
        timestamp = self._timestamp()
        data: JSON = {
            "timestamp": timestamp,
            "message": None,
            "expiresInSeconds": 0,
            "isExpirationUpdate": False,
            "viewOnce": False,
            "groupInfo": self._group_info(group, "UPDATE"),
        }
        return self._deliver(self._envelope(sender, timestamp, data))

    def push_envelope(self, envelope: JSON) -> JSON:
        """Deliver an envelope as it is (for shapes the helpers don't make)."""
        return self._deliver(copy.deepcopy(envelope))

    # -- what the bot did ---------------------------------------------------------------------
    def messages_to(self, recipient: str) -> list[SentSignalMessage]:
        """Messages sent to a number (also when sent to its uuid) or to a group REST id."""
        wanted = self._canonical(recipient)
        return [
            message
            for message in self.sent
            if any(self._canonical(r) == wanted for r in message.recipients)
        ]

    # -- faults -------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_prefix: str,
        *,
        status: int = 500,
        body: Any = None,
        count: int = 1,
    ) -> None:
        """The next ``count`` ``method`` requests to paths starting with ``path_prefix`` fail.

        ``body`` is sent as JSON (a ``str`` as it is); by default a 429 to ``/v2/send`` gets
        ``rate_limit_body`` and anything else ``{"error": <reason phrase>}``.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        self._faults.append(_Fault(method.upper(), path_prefix, status, body, count))

    async def close_websockets(self, code: int = WSCloseCode.OK) -> None:
        """Close every receive WebSocket cleanly with ``code``.

        signalbot does not reconnect after 1000 or 1001 (its ``async for`` just ends).
        """
        receivers = list(self._receivers)
        for receiver in receivers:
            receiver.closing = True
            await receiver.ws.close(code=code)
        await self._wait_done(receivers)

    def go_silent(self) -> None:
        """The open receive WebSockets go half-open: no frames, no pongs (until ``speak()``).

        Envelopes pushed meanwhile are lost (``dropped``); connections opened later work.
        """
        for receiver in self._receivers:
            receiver.silent = True

    def speak(self) -> None:
        for receiver in self._receivers:
            receiver.silent = False

    # -- internals: world ---------------------------------------------------------------------
    def _timestamp(self) -> int:
        """Milliseconds since the epoch, never the same twice."""
        self._last_timestamp = max(int(time.time() * 1000), self._last_timestamp + 1)
        return self._last_timestamp

    def _group(self, group: str) -> _Group:
        try:
            return self._groups[group]
        except KeyError:
            raise KeyError(f"no group {group!r} (use the REST id add_group returned)") from None

    def _checked_numbers(self, numbers: Iterable[str], what: str) -> list[str]:
        if isinstance(numbers, str):
            raise TypeError(f"{what}s are a list of numbers, not one string")
        numbers = list(numbers)
        for number in numbers:
            if not is_e164(number):
                raise ValueError(f"{what} {number!r} is not an E.164 number")
        return numbers

    def _contact(self, number: str) -> Contact:
        if number == self.number:
            return Contact(self.number, self.uuid)
        if number not in self.contacts:
            self.add_contact(number)
        return self.contacts[number]

    def _canonical(self, recipient: str) -> str:
        """A uuid of a known contact as its number; anything else as it is."""
        if recipient == self.uuid:
            return self.number
        for contact in self.contacts.values():
            if contact.uuid == recipient:
                return contact.number
        return recipient

    def _group_info(self, group: str, kind: str) -> JSON:
        state = self._group(group)
        return {
            "groupId": state.internal_id,
            "groupName": state.name,
            "revision": state.revision,
            "type": kind,
        }

    def _envelope(self, sender: Contact, timestamp: int, data: JSON) -> JSON:
        return {
            "source": sender.number,
            "sourceNumber": sender.number,
            "sourceUuid": sender.uuid,
            "sourceName": sender.name,
            "sourceDevice": 1,
            "timestamp": timestamp,
            "serverReceivedTimestamp": timestamp + 1,
            "serverDeliveredTimestamp": timestamp + 2,
            "dataMessage": data,
        }

    @staticmethod
    def _attachment(meta: JSON, timestamp: int) -> JSON:
        attachment: JSON = {
            "contentType": "application/octet-stream",
            "filename": None,
            "id": secrets.token_urlsafe(15),
            "size": None,
            "width": None,
            "height": None,
            "caption": None,
            "uploadTimestamp": timestamp,
        }
        attachment.update(meta)
        return attachment

    def _group_json(self, group: _Group) -> JSON:
        return {
            "name": group.name,
            "id": group.id,
            "internal_id": group.internal_id,
            "members": list(self.members[group.id]),
            "blocked": group.blocked,
            "pending_invites": [],
            "pending_requests": [],
            "invite_link": group.invite_link,
            "admins": list(self.admins[group.id]),
            "description": group.description,
            "member": self.number in self.members[group.id],
            "permissions": dict(group.permissions),
        }

    # -- internals: receive WebSockets --------------------------------------------------------
    def _deliver(self, envelope: JSON) -> JSON:
        frame = json.dumps({"envelope": envelope, "account": self.number})
        live = [
            receiver
            for receiver in self._receivers
            if receiver.number == self.number and not receiver.silent and not receiver.closing
        ]
        if not live:
            self.dropped.append(envelope)
        for receiver in live:
            receiver.queue.put_nowait((envelope, frame))
        return copy.deepcopy(envelope)

    async def _wait_done(self, receivers: list[_Receiver]) -> None:
        if receivers:
            waits = [asyncio.ensure_future(receiver.done.wait()) for receiver in receivers]
            _, pending = await asyncio.wait(waits, timeout=5.0)
            for waiter in pending:
                waiter.cancel()

    async def _handle_receive(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, autoclose=False)
        if not ws.can_prepare(request).ok:
            raise bad_request(NOT_A_WEBSOCKET)
        await ws.prepare(request)
        receiver = _Receiver(ws, request, request.match_info["number"])
        self._receivers.append(receiver)
        self.connects += 1
        writer = asyncio.create_task(self._write_frames(receiver))
        try:
            await self._read_frames(receiver)
        finally:
            self._receivers.remove(receiver)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            while not receiver.queue.empty():  # queued, never sent: lost like the rest
                self.dropped.append(receiver.queue.get_nowait()[0])
            if not receiver.gone() and not ws.closed:
                await ws.close()
            receiver.done.set()
        return ws

    async def _read_frames(self, receiver: _Receiver) -> None:
        """Answer pings (unless silent) and a close; whatever the client sends is ignored."""
        ws = receiver.ws
        while True:
            message = await ws.receive()
            if message.type is WSMsgType.PING:
                if not receiver.silent:
                    await ws.pong(message.data)
            elif message.type is WSMsgType.CLOSE:
                while receiver.silent and not receiver.gone():
                    await asyncio.sleep(0.05)  # a half-open peer never answers
                if not receiver.gone():
                    code = message.data
                    if not isinstance(code, int) or code in _UNSENDABLE_CLOSE_CODES:
                        code = WSCloseCode.OK
                    await ws.close(code=code)
                return
            elif message.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return

    async def _write_frames(self, receiver: _Receiver) -> None:
        """Send queued envelopes in order, and a ping every ``ping_period`` seconds."""
        ws = receiver.ws
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_period
        while True:
            try:
                async with asyncio.timeout_at(next_ping):
                    envelope, frame = await receiver.queue.get()
            except TimeoutError:
                next_ping += self.ping_period
                if not receiver.silent and not ws.closed:
                    with contextlib.suppress(ConnectionError):
                        await ws.ping()
                continue
            if receiver.silent or ws.closed:
                self.dropped.append(envelope)
                continue
            try:
                await ws.send_str(frame)
            except ConnectionError:
                self.dropped.append(envelope)

    # -- internals: HTTP ----------------------------------------------------------------------
    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(_CONTROL_PREFIX):
            return await handler(request)
        body = await self._read_body(request)
        self.calls.append((request.method, request.path, body))
        if self.auth is not None and not self._authorised(request):
            return web.json_response(
                {"error": "Unauthorized"},
                status=401,
                headers={"WWW-Authenticate": 'Basic realm="signal-cli-rest-api"'},
            )
        fault = self._take_fault(request)
        if fault is not None:
            return fault
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()

    @staticmethod
    async def _read_body(request: web.Request) -> Any:
        raw = await request.read()
        if not raw:
            body: Any = None
        else:
            text = raw.decode("utf-8", errors="replace")
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        request[_BODY_KEY] = body
        return body

    def _authorised(self, request: web.Request) -> bool:
        assert self.auth is not None
        user, password = self.auth
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        given = request.headers.get("Authorization", "")
        return secrets.compare_digest(given.encode(), expected.encode())

    def _take_fault(self, request: web.Request) -> web.Response | None:
        for fault in self._faults:
            if (
                fault.remaining > 0
                and fault.method == request.method
                and request.path.startswith(fault.path_prefix)
            ):
                fault.remaining -= 1
                return self._fault_response(fault, request.path)
        return None

    def _fault_response(self, fault: _Fault, path: str) -> web.Response:
        body = fault.body
        if body is None:
            if fault.status == 429 and path.startswith("/v2/send"):
                body = rate_limit_body(self.number)
            else:
                try:
                    body = {"error": HTTPStatus(fault.status).phrase}
                except ValueError:
                    body = {"error": f"Error {fault.status}"}
        if isinstance(body, str):
            return web.Response(status=fault.status, text=body)
        return web.json_response(body, status=fault.status)

    def _account(self, request: web.Request) -> str:
        number = request.match_info["number"]
        if number != self.number:
            raise bad_request("Specified account does not exist")
        return number

    @staticmethod
    def _body_object(request: web.Request) -> JSON:
        body = request.get(_BODY_KEY)
        if not isinstance(body, dict):
            raise bad_request(INVALID_REQUEST)
        return body

    def _path_group(self, request: web.Request) -> _Group:
        self._account(request)
        group = self._groups.get(request.match_info["groupid"])
        if group is None:
            raise bad_request("Group not found")
        return group

    def _require_admin(self, group: _Group, action: str) -> None:
        if self.number not in self.members[group.id]:
            raise bad_request("You are not a member of this group")
        if self.number not in self.admins[group.id]:
            raise bad_request(f"Not allowed to {action}: you are not an admin of this group")

    @staticmethod
    def _number_list(body: JSON, key: str) -> list[str]:
        numbers = body.get(key)
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            raise bad_request(INVALID_REQUEST)
        for number in numbers:
            if not is_e164(number):
                raise bad_request(f"Invalid phone number: {number}")
        return _unique(numbers)

    @staticmethod
    def _group_settings(body: JSON) -> tuple[dict[str, str] | None, str | None]:
        permissions = body.get("permissions")
        checked: dict[str, str] | None = None
        if permissions is not None:
            if not isinstance(permissions, dict):
                raise bad_request(INVALID_REQUEST)
            checked = {}
            for key in PERMISSION_KEYS:
                value = permissions.get(key)
                if value is None:
                    continue
                if value not in PERMISSION_VALUES:
                    raise bad_request(
                        f"Invalid {key.replace('_', ' ')} permission provided - only "
                        "'every-member' and 'only-admins' allowed!"
                    )
                checked[key] = value
        link = body.get("group_link")
        if link is not None and link not in GROUP_LINK_VALUES:
            raise bad_request(
                "Invalid group link provided - only 'enabled', 'enabled-with-approval' "
                "and 'disabled' allowed!"
            )
        for key in ("name", "description", "base64_avatar"):
            if body.get(key) is not None and not isinstance(body[key], str):
                raise bad_request(INVALID_REQUEST)
        expiration = body.get("expiration_time")
        if expiration is not None and (
            isinstance(expiration, bool) or not isinstance(expiration, int)
        ):
            raise bad_request(INVALID_REQUEST)
        return checked, link

    @staticmethod
    def _apply_link(group: _Group, link: str | None) -> None:
        if link == "disabled":
            group.invite_link = ""
        elif link is not None and not group.invite_link:
            group.invite_link = f"https://signal.group/#{secrets.token_urlsafe(48)}"

    # -- handlers: general --------------------------------------------------------------------
    async def _handle_health(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _handle_about(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "versions": list(API_VERSIONS),
                "build": BUILD,
                "mode": "json-rpc",
                "version": self.version,
                "capabilities": {key: list(value) for key, value in CAPABILITIES.items()},
            }
        )

    async def _handle_typing(self, request: web.Request) -> web.Response:
        self._account(request)
        body = self._body_object(request)
        if not isinstance(body.get("recipient"), str):
            raise bad_request(INVALID_REQUEST)
        return web.Response(status=204)

    async def _handle_reaction(self, request: web.Request) -> web.Response:
        self._account(request)
        body = self._body_object(request)
        for key in ("recipient", "reaction", "target_author"):
            if not isinstance(body.get(key), str):
                raise bad_request(INVALID_REQUEST)
        if not isinstance(body.get("timestamp"), int):
            raise bad_request(INVALID_REQUEST)
        self.reactions.append({"method": request.method, **body})
        return web.Response(status=204)

    # -- handlers: groups ---------------------------------------------------------------------
    async def _handle_list_groups(self, request: web.Request) -> web.Response:
        self._account(request)
        return web.json_response([self._group_json(group) for group in self._groups.values()])

    async def _handle_get_group(self, request: web.Request) -> web.Response:
        self._account(request)
        group = self._groups.get(request.match_info["groupid"])
        if group is None:
            raise ApiError(404, "No group with that id found")
        return web.json_response(self._group_json(group))

    async def _handle_create_group(self, request: web.Request) -> web.Response:
        self._account(request)
        body = self._body_object(request)
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise bad_request("Please provide a group name")
        members = self._number_list(body, "members") if "members" in body else []
        permissions, link = self._group_settings(body)
        group_id = self.add_group(name, members)
        group = self._groups[group_id]
        group.description = body.get("description") or ""
        group.permissions.update(permissions or {})
        self._apply_link(group, link)
        return web.json_response({"id": group_id}, status=201)

    async def _handle_update_group(self, request: web.Request) -> web.Response:
        group = self._path_group(request)
        body = self._body_object(request)
        permissions, link = self._group_settings(body)
        if group.permissions["edit_group"] == "only-admins" or permissions or link:
            self._require_admin(group, "edit the group")
        if body.get("name") is not None:
            group.name = body["name"]
        if body.get("description") is not None:
            group.description = body["description"]
        group.permissions.update(permissions or {})
        self._apply_link(group, link)
        group.revision += 1
        return web.Response(status=204)

    async def _handle_add_members(self, request: web.Request) -> web.Response:
        group = self._path_group(request)
        numbers = self._number_list(self._body_object(request), "members")
        if group.permissions["add_members"] == "only-admins":
            self._require_admin(group, "add members")
        elif self.number not in self.members[group.id]:
            raise bad_request("You are not a member of this group")
        self.members[group.id] = _unique([*self.members[group.id], *numbers])
        group.revision += 1
        return web.Response(status=204)

    async def _handle_remove_members(self, request: web.Request) -> web.Response:
        group = self._path_group(request)
        numbers = self._number_list(self._body_object(request), "members")
        self._require_admin(group, "remove members")
        for number in numbers:
            if number == self.number:
                raise bad_request("Can't remove yourself; quit the group instead")
            if number not in self.members[group.id]:
                raise bad_request(f"{number} is not a member of the group")
        self.members[group.id] = [m for m in self.members[group.id] if m not in numbers]
        self.admins[group.id] = [a for a in self.admins[group.id] if a not in numbers]
        group.revision += 1
        return web.Response(status=204)

    async def _handle_add_admins(self, request: web.Request) -> web.Response:
        group = self._path_group(request)
        numbers = self._number_list(self._body_object(request), "admins")
        self._require_admin(group, "add admins")
        for number in numbers:
            if number not in self.members[group.id]:
                raise bad_request(f"{number} is not a member of the group")
        self.admins[group.id] = _unique([*self.admins[group.id], *numbers])
        group.revision += 1
        return web.Response(status=204)

    async def _handle_remove_admins(self, request: web.Request) -> web.Response:
        group = self._path_group(request)
        numbers = self._number_list(self._body_object(request), "admins")
        self._require_admin(group, "remove admins")
        for number in numbers:
            if number not in self.admins[group.id]:
                raise bad_request(f"{number} is not an admin of the group")
        self.admins[group.id] = [a for a in self.admins[group.id] if a not in numbers]
        group.revision += 1
        return web.Response(status=204)

    # -- handlers: sending --------------------------------------------------------------------
    async def _handle_send(self, request: web.Request) -> web.Response:
        body = self._body_object(request)
        recipients = body.get("recipients") or []
        if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
            raise bad_request(INVALID_REQUEST)
        if isinstance(body.get("recipient"), str) and body["recipient"]:
            recipients = [*recipients, body["recipient"]]
        if not recipients:
            raise bad_request("Couldn't process request - please provide at least one recipient")
        number = body.get("number")
        if not isinstance(number, str) or not number:
            raise bad_request("Couldn't process request - please provide a valid number")
        if number != self.number:
            raise bad_request("Specified account does not exist")
        message = body.get("message", "")
        if not isinstance(message, str):
            raise bad_request(INVALID_REQUEST)
        attachments = body.get("base64_attachments") or []
        if not isinstance(attachments, list):
            raise bad_request(INVALID_REQUEST)
        for attachment in attachments:
            if not _is_base64_attachment(attachment):
                raise bad_request("Couldn't decode base64 attachment")
        sticker = body.get("sticker")
        if sticker and (not isinstance(sticker, str) or ":" not in sticker):
            raise bad_request("Couldn't process request - please provide valid sticker delimiter")
        text_mode = body.get("text_mode")
        if text_mode is not None and text_mode not in TEXT_MODES:
            raise bad_request(INVALID_REQUEST)
        if body.get("view_once") and not attachments:
            raise bad_request("'view_once' can only be set for image attachments!")
        quote_timestamp = body.get("quote_timestamp")
        edit_timestamp = body.get("edit_timestamp")
        for value in (quote_timestamp, edit_timestamp):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise bad_request(INVALID_REQUEST)
        self._check_recipients(recipients)
        timestamp = self._timestamp()
        self.sent.append(
            SentSignalMessage(
                recipients=list(recipients),
                message=message,
                text_mode=text_mode,
                quote_timestamp=quote_timestamp,
                quote_author=body.get("quote_author"),
                quote_message=body.get("quote_message"),
                base64_attachments=list(attachments),
                timestamp=timestamp,
                at=time.monotonic(),
                mentions=list(body.get("mentions") or []),
                edit_timestamp=edit_timestamp,
                body=copy.deepcopy(body),
            )
        )
        return web.json_response([{"timestamp": str(timestamp)}], status=201)

    def _check_recipients(self, recipients: list[str]) -> None:
        groups: list[_Group] = []
        numbers = usernames = 0
        for recipient in recipients:
            if recipient.startswith(GROUP_PREFIX):
                group = self._groups.get(recipient)
                if group is None:
                    raise bad_request(f"Invalid identifier {recipient}")
                groups.append(group)
            elif is_e164(recipient) or _is_uuid(recipient):
                numbers += 1
            elif _USERNAME_RE.fullmatch(recipient):
                usernames += 1
            else:
                raise bad_request(f"Invalid recipient {recipient}")
        if numbers and groups:
            raise bad_request(
                "Signal Messenger Groups and phone numbers cannot be specified together in one "
                "request! Please split them up into multiple REST API calls."
            )
        if usernames and (groups or numbers):
            raise bad_request(
                "Signal Messenger usernames cannot be mixed with groups or phone numbers in one "
                "request! Please split them up into multiple REST API calls."
            )
        if len(groups) > 1:
            raise bad_request(
                "A signal message cannot be sent to more than one group at once! "
                "Please use multiple REST API calls for that."
            )
        for group in groups:
            if self.number not in self.members[group.id]:
                raise bad_request("Failed to send message: you are not a member of this group")
            if (
                group.permissions["send_messages"] == "only-admins"
                and self.number not in self.admins[group.id]
            ):
                raise bad_request("Failed to send message: only admins may send to this group")

    # -- handlers: control (process mode) -----------------------------------------------------
    async def _handle_state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "number": self.number,
                "sent": [
                    {
                        "recipients": message.recipients,
                        "message": message.message,
                        "timestamp": message.timestamp,
                        "quote_timestamp": message.quote_timestamp,
                        "quote_author": message.quote_author,
                        "attachments": len(message.base64_attachments),
                    }
                    for message in self.sent
                ],
                "connections": self.connections,
                "connects": self.connects,
                "dropped": len(self.dropped),
                "calls_count": len(self.calls),
                "groups": [
                    {
                        "id": group.id,
                        "internal_id": group.internal_id,
                        "name": group.name,
                        "members": self.members[group.id],
                        "admins": self.admins[group.id],
                    }
                    for group in self._groups.values()
                ],
            }
        )

    async def _handle_push(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "not JSON"}, status=400)
        if not isinstance(body, dict) or not isinstance(body.get("source"), str):
            return web.json_response({"error": "give at least a source"}, status=400)
        text = body.get("text")
        group = body.get("group")
        if (text is not None and not isinstance(text, str)) or (
            group is not None and not isinstance(group, str)
        ):
            return web.json_response({"error": "text and group are strings"}, status=400)
        try:
            envelope = self.push_message(body["source"], text, group=group)
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"envelope": envelope})


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# -- as a process of its own --------------------------------------------------------------------
def numbered_group_id(n: int) -> str:
    """The REST id of group ``n`` in process mode (an internal id like a real one)."""
    digest = hashlib.sha256(f"buurtbot-signal-standin-group-{n}".encode()).digest()
    return group_id_for(base64.b64encode(digest).decode("ascii"))


def numbered_member(n: int, k: int) -> str:
    """Member ``k`` (1..3) of group ``n`` in process mode."""
    return f"+3161{n:03d}{k:04d}"


async def _serve(args: argparse.Namespace) -> None:
    auth: tuple[str, str] | None = None
    if args.auth:
        user, _, password = args.auth.partition(":")
        auth = (user, password)
    standin = SignalStandIn(number=args.number, version=args.version, auth=auth)
    for n in range(1, args.groups + 1):
        standin.add_group(
            f"Groep {n}",
            [numbered_member(n, k) for k in (1, 2, 3)],
            group_id=numbered_group_id(n),
        )
    await serve_until_signalled(standin, port=args.port, port_file=args.port_file)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port-file", required=True, help="write the port here once listening")
    parser.add_argument("--port", type=int, default=0, help="default: one the OS chooses")
    parser.add_argument("--number", default=DEFAULT_NUMBER, help="the bot's account")
    parser.add_argument("--version", default="0.101.0", help="what /v1/about reports")
    parser.add_argument("--auth", default=None, help="require basic auth USER:PASSWORD")
    parser.add_argument(
        "--groups", type=int, default=0, help="groups 'Groep 1'..'Groep N', the bot an admin"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
