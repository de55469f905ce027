"""A stand-in for the Telegram Bot API server, for tests.

It serves ``/bot<token>/<method>`` on 127.0.0.1 and answers the methods buurtbot uses the way
the public Bot API document (core.telegram.org/bots/api) describes them, so that
python-telegram-bot talks to it unchanged. Tests set up the world (chats, users, members,
the bot's rights), push the updates the bot should receive, and afterwards look at what the
bot did (``sent``, ``calls``, ``invite_links``, ...). Faults can be injected (``fail_next``,
``delay_next``, ``kick_bot``, ``block_by_user``), and sends are checked against Telegram's
rate limits.

Requests may be form-urlencoded (values of complex fields JSON-encoded, as PTB sends them),
multipart (file uploads) or JSON bodies. Answers are ``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``.

Run it as a process of its own (for crash tests)::

    python -m tests.standins.telegram_api --port-file PATH [--enforce-limits] [--chats N]

Besides the Bot API it then offers ``GET /_control/state`` and ``POST /_control/push``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Final

from aiohttp import ClientSession, ClientTimeout, web

from tests.standins.process import serve_until_signalled

JSON = dict[str, Any]

HOST: Final = "127.0.0.1"
MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_PHOTO_BYTES: Final = 10 * 1024 * 1024  # sendPhoto: at most 10 MB
MAX_PHOTO_SIDES: Final = 10_000  # sendPhoto: width and height together
MAX_INVITE_LINK_NAME: Final = 32
LENIENCY_SECONDS: Final = 0.05
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"
USE_REGISTERED: Final = "use-registered"

CHAT_TYPES: Final = frozenset({"private", "group", "supergroup"})
GROUP_TYPES: Final = frozenset({"group", "supergroup"})
MEMBER_STATUSES: Final = frozenset(
    {"creator", "administrator", "member", "restricted", "left", "kicked"}
)
# ChatAdministratorRights, in the order of the Bot API document.
ADMIN_RIGHTS: Final = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_post_messages",
    "can_edit_messages",
    "can_pin_messages",
    "can_manage_topics",
    "can_manage_direct_messages",
)
_CHANNEL_ONLY_RIGHTS: Final = frozenset(
    {"can_post_messages", "can_edit_messages", "can_manage_direct_messages"}
)
_RESTRICTED_FLAGS: Final = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
    "can_edit_tag",
    "can_react_to_messages",
)
# "By default, all update types except chat_member, message_reaction, and
# message_reaction_count" are received.
_NOT_BY_DEFAULT: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
COMMAND_SCOPES: Final = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
# Form and multipart values of these parameters are plain strings; the others are JSON.
_STRING_PARAMS: Final = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "name",
        "invite_link",
        "url",
        "secret_token",
        "callback_query_id",
        "language_code",
        "action",
        "custom_title",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "document",
        "photo",
    }
)
_COMMAND_RE: Final = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_BOT_COMMAND_RE: Final = re.compile(r"[a-z0-9_]{1,32}")
_SECRET_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LANGUAGE_RE: Final = re.compile(r"[a-z]{2}")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str | None = None


@dataclass
class SentMessage:
    """One message the bot sent, copied, forwarded or edited (to)."""

    chat_id: int
    message_id: int
    text: str
    visible: str
    parse_mode: str | None
    reply_to_message_id: int | None
    reply_markup: JSON | None
    method: str
    at: float
    document_name: str | None = None
    document_bytes: bytes | None = None
    #: An uploaded photo (sendPhoto) as the bot sent it, before any re-encoding.
    photo_bytes: bytes | None = None


@dataclass
class InviteLink:
    """A link made by createChatInviteLink."""

    link: str
    chat_id: int
    name: str | None
    creates_join_request: bool
    expire_date: int | None
    member_limit: int | None
    revoked: bool = False

    def to_json(self, creator: JSON) -> JSON:
        """The ChatInviteLink object."""
        result: JSON = {
            "invite_link": self.link,
            "creator": creator,
            "creates_join_request": self.creates_join_request,
            "is_primary": False,
            "is_revoked": self.revoked,
        }
        if self.name is not None:
            result["name"] = self.name
        if self.expire_date is not None:
            result["expire_date"] = self.expire_date
        if self.member_limit is not None:
            result["member_limit"] = self.member_limit
        return result


@dataclass
class _Chat:
    id: int
    type: str
    title: str | None


@dataclass
class _Fault:
    method: str
    status: int
    retry_after: int | None
    description: str | None
    remaining: int
    chat_id: int | None


@dataclass
class _Delay:
    method: str
    seconds: float
    remaining: int


@dataclass
class _Poller:
    """The getUpdates request that is waiting; a newer one terminates it."""

    terminated: bool = False
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


# -- parameters -------------------------------------------------------------------------------
def _decode_value(key: str, raw: str) -> Any:
    """A form or multipart value: strings stay strings, everything else is JSON."""
    if key in _STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _opt_int(params: JSON, key: str) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_request(f"invalid {key} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise bad_request(f"invalid {key} specified")


def _int(params: JSON, key: str) -> int:
    value = _opt_int(params, key)
    if value is None:
        raise bad_request(f"{key} is empty")
    return value


def _opt_float(params: JSON, key: str) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise bad_request(f"invalid {key} specified")


def _opt_str(params: JSON, key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise bad_request(f"invalid {key} specified")


def _bool(params: JSON, key: str) -> bool:
    value = params.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "1", "false", "0", ""):
        return value.lower() in ("true", "1")
    raise bad_request(f"invalid {key} specified")


def _opt_json(params: JSON, key: str) -> Any:
    """An object or array parameter (JSON-encoded in forms, or already decoded)."""
    value = params.get(key)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    return value


def _opt_object(params: JSON, key: str) -> JSON | None:
    value = _opt_json(params, key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"can't parse {key} JSON object")
    return value


def _opt_list(params: JSON, key: str) -> list[Any] | None:
    value = _opt_json(params, key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request(f"can't parse {key} JSON array")
    return value


# -- HTML ------------------------------------------------------------------------------------
_HTML_TAGS: Final = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "code",
        "pre",
        "a",
        "span",
        "tg-spoiler",
        "blockquote",
    }
)
_TAG_NAME_RE: Final = re.compile(r"[A-Za-z0-9-]+")
_ATTR_NAME_RE: Final = re.compile(r"[A-Za-z0-9_-]+")
_ENTITY_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8}));")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _HtmlError(Exception):
    pass


def _decode_entities(text: str) -> str:
    """Replace the entities Telegram knows; anything else stays as written."""
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "&":
            match = _ENTITY_RE.match(text, i)
            char = _entity_char(match) if match else None
            if match and char is not None:
                out.append(char)
                i = match.end()
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


def _entity_char(match: re.Match[str]) -> str | None:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED_ENTITIES[named]
    code = int(decimal) if decimal else int(hexadecimal, 16)
    if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
        return chr(code)
    return None


def html_visible_text(text: str) -> str:
    """The text Telegram shows for ``parse_mode=HTML``; raises ``_HtmlError`` like Telegram."""

    def offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "&":
            match = _ENTITY_RE.match(text, i)
            char = _entity_char(match) if match else None
            if match and char is not None:
                out.append(char)
                i = match.end()
            else:
                out.append("&")
                i += 1
            continue
        if ch != "<":
            out.append(ch)
            i += 1
            continue
        start = i
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise _HtmlError(f"Unclosed end tag at byte offset {offset(start)}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise _HtmlError(f"Unexpected end tag at byte offset {offset(start)}")
            if name != stack[-1]:
                raise _HtmlError(
                    f'Unmatched end tag at byte offset {offset(start)}, expected "</{stack[-1]}>",'
                    f' found "</{name}>"'
                )
            stack.pop()
            i = end + 1
            continue
        name_match = _TAG_NAME_RE.match(text, i + 1)
        name = name_match.group().lower() if name_match else ""
        if name not in _HTML_TAGS or name_match is None:
            raise _HtmlError(f'Unsupported start tag "{name}" at byte offset {offset(start)}')
        i = name_match.end()
        attributes: dict[str, str] = {}
        while True:
            while i < n and text[i].isspace():
                i += 1
            if i >= n:
                raise _HtmlError(f"Unclosed start tag at byte offset {offset(start)}")
            if text[i] == ">":
                i += 1
                break
            attr_match = _ATTR_NAME_RE.match(text, i)
            if attr_match is None:
                raise _HtmlError(f"Unclosed start tag at byte offset {offset(start)}")
            attr = attr_match.group().lower()
            i = attr_match.end()
            value = ""
            if i < n and text[i] == "=":
                i += 1
                if i < n and text[i] in "\"'":
                    quote = text[i]
                    close = text.find(quote, i + 1)
                    if close < 0:
                        raise _HtmlError(f"Unclosed start tag at byte offset {offset(start)}")
                    value = _decode_entities(text[i + 1 : close])
                    i = close + 1
                else:
                    value_start = i
                    while i < n and not text[i].isspace() and text[i] != ">":
                        i += 1
                    value = _decode_entities(text[value_start:i])
            attributes[attr] = value
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise _HtmlError('Tag "span" must have class "tg-spoiler"')
        stack.append(name)
    if stack:
        raise _HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def image_size(content: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG or JPEG image (what Telegram reads as a photo here);
    ``None`` for anything else."""
    if content.startswith(PNG_SIGNATURE) and content[12:16] == b"IHDR" and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"\xff\xd8"):
        at = 2
        while at + 9 <= len(content) and content[at] == 0xFF:
            marker = content[at + 1]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
                height = int.from_bytes(content[at + 5 : at + 7], "big")
                width = int.from_bytes(content[at + 7 : at + 9], "big")
                return (width, height) if width and height else None
            at += 2 + int.from_bytes(content[at + 2 : at + 4], "big")
    return None


def visible_text(text: str, parse_mode: str | None) -> str:
    """What Telegram would show and count; 400 for text it can't parse."""
    if parse_mode is None or parse_mode == "":
        return text
    mode = parse_mode.lower()
    if mode == "html":
        try:
            return html_visible_text(text)
        except _HtmlError as exc:
            raise bad_request(f"can't parse entities: {exc}") from None
    if mode in ("markdown", "markdownv2"):
        return text  # not parsed by the stand-in
    raise bad_request("unsupported parse_mode")


def command_entities(text: str) -> list[JSON]:
    """A ``bot_command`` entity for a leading ``/command[@bot]``, offsets in UTF-16 units."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group())}]


def _error_response(error: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
    headers: dict[str, str] = {}
    if error.retry_after is not None:
        body["parameters"] = {"retry_after": error.retry_after}
        headers["Retry-After"] = str(error.retry_after)
    return web.json_response(body, status=error.status, headers=headers)


def _default_description(status: int, retry_after: int | None) -> str:
    if status == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if status == 400:
        return "Bad Request: injected fault"
    if status == 403:
        return "Forbidden: injected fault"
    if status == 409:
        return "Conflict: injected fault"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


Handler = Callable[[JSON], Awaitable[Any]]


class TelegramStandIn:
    """A Telegram Bot API server on 127.0.0.1 with a world the test controls."""

    def __init__(
        self,
        *,
        token: str = "123456:TEST",
        bot_username: str = "buurt_test_bot",
        enforce_limits: bool = False,
        per_chat_per_second: float = 1.0,
        per_group_per_minute: float = 20.0,
        overall_per_second: float = 30.0,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"a bot token looks like '123456:ABC', not {token!r}")
        self.token = token
        self.bot_id = int(bot_id)
        self.bot_username = bot_username
        self.enforce_limits = enforce_limits
        self.per_chat_per_second = per_chat_per_second
        self.per_group_per_minute = per_group_per_minute
        self.overall_per_second = overall_per_second

        # what the bot did
        self.sent: list[SentMessage] = []
        self.calls: list[tuple[str, JSON]] = []
        self.invite_links: dict[str, InviteLink] = {}
        self.join_requests: dict[tuple[int, int], str] = {}
        self.members: dict[tuple[int, int], str] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.callback_answers: list[JSON] = []
        self.promotions: list[JSON] = []
        self.webhook: JSON | None = None
        self.confirmed_offset = 0
        self.violations = 0
        self.allowed_updates: list[str] | None = None  # the last setting asked for

        # the world
        self._bot_user: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Buurtbot (test)",
            "username": bot_username,
        }
        self._users: dict[int, JSON] = {self.bot_id: self._bot_user}
        self._chats: dict[int, _Chat] = {}
        self._rights: dict[tuple[int, int], dict[str, bool]] = {}
        self._promoted_by_bot: set[tuple[int, int]] = set()
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], JSON] = {}
        self._last_message_id: dict[int, int] = {}
        self._callback_ids: set[str] = set()
        self._files: dict[str, JSON] = {}
        self._counter = 0

        # updates
        self._updates: list[JSON] = []
        self._next_update_id = 1
        self._poller: _Poller | None = None

        # faults and limits
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._send_log: deque[tuple[float, int]] = deque()

        self._methods: dict[str, Handler] = {
            name[len("_api_") :]: getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing: asyncio.Event | None = None

    # -- life cycle ---------------------------------------------------------------------------
    async def start(self, *, port: int = 0) -> None:
        """Listen on 127.0.0.1 (an OS-chosen port unless ``port`` is given)."""
        if self._runner is not None:
            raise RuntimeError("the stand-in is already running")
        self._closing = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/_control/state", self._handle_state)
        app.router.add_post("/_control/push", self._handle_push)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, HOST, port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Answer waiting requests and stop listening."""
        if self._closing is not None:
            self._closing.set()
        if self._poller is not None:
            self._poller.wakeup.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("start() the stand-in first")
        return self._port

    @property
    def base_url(self) -> str:
        """For PTB's ``base_url``: it appends the token."""
        return f"http://{HOST}:{self.port}/bot"

    @property
    def bot_user(self) -> JSON:
        return dict(self._bot_user)

    # -- world set-up -------------------------------------------------------------------------
    def add_chat(self, chat_id: int, *, type: str = "supergroup", title: str | None = None) -> None:
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if type == "private":
            if chat_id <= 0:
                raise ValueError("a private chat's id is its user's id (positive)")
            self._ensure_user(chat_id)
        elif chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._chats[chat_id] = _Chat(chat_id, type, title or f"Chat {chat_id}")
        if type in GROUP_TYPES:
            self.members.setdefault((chat_id, self.bot_id), "member")

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        self._users[user_id] = user
        return dict(user)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}, not {status!r}")
        self._require_chat(chat_id)
        self._ensure_user(user_id)
        self._set_status(chat_id, user_id, status)

    def set_bot_rights(self, chat_id: int, **rights: bool) -> None:
        unknown = set(rights) - set(ADMIN_RIGHTS)
        if unknown:
            raise ValueError(f"unknown administrator rights: {sorted(unknown)}")
        self._require_chat(chat_id)
        self.members[(chat_id, self.bot_id)] = "administrator"
        self._rights[(chat_id, self.bot_id)] = {
            right: bool(rights.get(right, False)) for right in ADMIN_RIGHTS
        }

    def kick_bot(self, chat_id: int) -> None:
        """From now on the bot is banned from the chat: sends there get 403."""
        self._require_chat(chat_id)
        self._set_status(chat_id, self.bot_id, "kicked")

    def block_by_user(self, user_id: int) -> None:
        """The user blocked the bot: sends to their private chat get 403."""
        self._blocked.add(user_id)

    # -- updates the bot receives -------------------------------------------------------------
    def push_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        reply_to: int | None = None,
        photo: bool = False,
        caption: str | None = None,
    ) -> JSON:
        """A user writes in a chat; the stored message is in the update."""
        chat = self._chat_for_push(chat_id, user_id)
        sender = self._ensure_user(user_id)
        message = self._new_message(chat, sender)
        if text is not None:
            message["text"] = text
            entities = command_entities(text)
            if entities:
                message["entities"] = entities
        if photo:
            self._counter += 1
            message["photo"] = [
                {
                    "file_id": f"photo-{self._counter}",
                    "file_unique_id": f"up{self._counter}",
                    "width": 1280,
                    "height": 960,
                    "file_size": 123456,
                }
            ]
            if caption is not None:
                message["caption"] = caption
        if reply_to is not None:
            message["reply_to_message"] = self._stored(chat.id, reply_to)
        self._store(message)
        return self.push_raw({"message": message})

    def push_callback(self, chat_id: int, user_id: int, message_id: int, data: str) -> JSON:
        """A user presses an inline button under a stored message."""
        message = self._stored(chat_id, message_id)
        self._counter += 1
        query_id = f"{self.bot_id}{self._counter:08d}"
        self._callback_ids.add(query_id)
        query = {
            "id": query_id,
            "from": self._ensure_user(user_id),
            "message": message,
            "chat_instance": str(abs(chat_id) * 7919),
            "data": data,
        }
        return self.push_raw({"callback_query": query})

    def push_join_request(self, chat_id: int, user_id: int, invite_link: str | None = None) -> JSON:
        """A user asks to join a chat (through one of the bot's invite links, if given)."""
        chat = self._require_chat(chat_id)
        user = self._ensure_user(user_id)
        request: JSON = {
            "chat": self._chat_json(chat),
            "from": user,
            "user_chat_id": user_id,
            "date": int(time.time()),
        }
        if invite_link is not None:
            link = self.invite_links.get(invite_link)
            if link is None:
                raise KeyError(f"no invite link {invite_link!r} was created")
            request["invite_link"] = link.to_json(self.bot_user)
        self.join_requests[(chat_id, user_id)] = "pending"
        return self.push_raw({"chat_join_request": request})

    def push_chat_member(self, chat_id: int, user_id: int, old: str, new: str) -> JSON:
        """A member's status changed (``my_chat_member`` when it is the bot's); applies ``new``."""
        for status in (old, new):
            if status not in MEMBER_STATUSES:
                raise ValueError(f"status must be one of {sorted(MEMBER_STATUSES)}")
        chat = self._require_chat(chat_id)
        user = self._ensure_user(user_id)
        old_member = self._member_json(chat_id, user_id, status=old)
        self._set_status(chat_id, user_id, new)
        kind = "my_chat_member" if user_id == self.bot_id else "chat_member"
        return self.push_raw(
            {
                kind: {
                    "chat": self._chat_json(chat),
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": old_member,
                    "new_chat_member": self._member_json(chat_id, user_id),
                }
            }
        )

    def push_raw(self, update: JSON) -> JSON:
        """Queue an update as it is; an ``update_id`` is assigned when missing."""
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        self._updates.append(update)
        if self._poller is not None:
            self._poller.wakeup.set()
        return update

    # -- what the bot did ---------------------------------------------------------------------
    def messages_in(self, chat_id: int) -> list[SentMessage]:
        return [message for message in self.sent if message.chat_id == chat_id]

    @property
    def pending_updates(self) -> list[JSON]:
        return list(self._updates)

    # -- faults -------------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``count`` calls of ``method`` (to ``chat_id``, if given) fail."""
        if status == 429 and retry_after is None:
            retry_after = 1
        self._faults.append(
            _Fault(method.lower(), status, retry_after, description, count, chat_id)
        )

    def delay_next(self, method: str, seconds: float, *, count: int = 1) -> None:
        """Answer the next ``count`` calls of ``method`` only after ``seconds``."""
        self._delays.append(_Delay(method.lower(), seconds, count))

    async def deliver_webhook(
        self, update: JSON, *, url: str | None = None, secret: str | None = USE_REGISTERED
    ) -> int:
        """POST an update to the webhook like Telegram does; returns the HTTP status."""
        target = url or (self.webhook or {}).get("url")
        if not target:
            raise RuntimeError("no webhook is set and no url given")
        token = (self.webhook or {}).get("secret_token") if secret == USE_REGISTERED else secret
        update = dict(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
            self._next_update_id += 1
        headers = {"Content-Type": "application/json"}
        if token:
            headers[SECRET_HEADER] = token
        async with (
            ClientSession(timeout=ClientTimeout(total=10)) as session,
            session.post(target, data=json.dumps(update), headers=headers) as response,
        ):
            await response.read()
            return response.status

    # -- HTTP ---------------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        try:
            params = await self._read_params(request)
        except ApiError as exc:
            return _error_response(exc)
        self.calls.append((method, params))
        handler = self._methods.get(method)
        if handler is None:
            return _error_response(ApiError(404, "Not Found"))
        delay = self._take_delay(method)
        if delay:
            await self._sleep(delay)
        try:
            self._take_fault(method, params)
            result = await handler(params)
        except ApiError as exc:
            return _error_response(exc)
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = {key: _decode_value(key, value) for key, value in request.query.items()}
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("the JSON request body must be an object")
            params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                params[key] = _decode_value(key, value)
            elif isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:  # bytes
                params[key] = _decode_value(key, bytes(value).decode("utf-8", "replace"))
        return params

    async def _handle_state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "sent": [
                    {
                        "chat_id": message.chat_id,
                        "message_id": message.message_id,
                        "text": message.text,
                        "method": message.method,
                    }
                    for message in self.sent
                ],
                "violations": self.violations,
                "calls_count": len(self.calls),
            }
        )

    async def _handle_push(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"ok": False, "description": "not JSON"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "description": "not an object"}, status=400)
        return web.json_response({"ok": True, "result": self.push_raw(body)})

    def _take_delay(self, method: str) -> float:
        for delay in self._delays:
            if delay.method == method and delay.remaining > 0:
                delay.remaining -= 1
                return delay.seconds
        return 0.0

    async def _sleep(self, seconds: float) -> None:
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _take_fault(self, method: str, params: JSON) -> None:
        for fault in self._faults:
            if fault.method != method or fault.remaining <= 0:
                continue
            if fault.chat_id is not None:
                try:
                    chat_id = _opt_int(params, "chat_id")
                except ApiError:
                    chat_id = None
                if chat_id != fault.chat_id:
                    continue
            fault.remaining -= 1
            raise ApiError(
                fault.status,
                fault.description or _default_description(fault.status, fault.retry_after),
                fault.retry_after,
            )

    # -- helpers ------------------------------------------------------------------------------
    def _ensure_user(self, user_id: int) -> JSON:
        if user_id not in self._users:
            self._users[user_id] = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        return self._users[user_id]

    def _known_user(self, params: JSON) -> int:
        user_id = _int(params, "user_id")
        if user_id not in self._users:
            raise bad_request("user not found")
        return user_id

    def _require_chat(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"chat {chat_id} was not added to the stand-in")
        return chat

    def _chat_for_push(self, chat_id: int, user_id: int) -> _Chat:
        if chat_id not in self._chats and chat_id == user_id:
            self.add_chat(chat_id, type="private")
        return self._require_chat(chat_id)

    def _chat(self, params: JSON, key: str = "chat_id") -> _Chat:
        value = params.get(key)
        if value is None or value == "":
            raise bad_request(f"{key} is empty")
        try:
            chat_id = _opt_int(params, key)
        except ApiError:
            raise bad_request("chat not found") from None
        assert chat_id is not None
        chat = self._chats.get(chat_id)
        if chat is None and chat_id > 0 and chat_id in self._users and chat_id != self.bot_id:
            self.add_chat(chat_id, type="private")  # the user's private chat with the bot
            chat = self._chats[chat_id]
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _chat_json(self, chat: _Chat) -> JSON:
        if chat.type == "private":
            user = self._users[chat.id]
            result: JSON = {"id": chat.id, "type": "private", "first_name": user["first_name"]}
            for key in ("last_name", "username"):
                if key in user:
                    result[key] = user[key]
            return result
        return {"id": chat.id, "type": chat.type, "title": chat.title}

    def _set_status(self, chat_id: int, user_id: int, status: str) -> None:
        key = (chat_id, user_id)
        self.members[key] = status
        if status == "administrator":
            self._rights.setdefault(
                key,
                {
                    right: right != "is_anonymous" and right not in _CHANNEL_ONLY_RIGHTS
                    for right in ADMIN_RIGHTS
                },
            )
        else:
            self._rights.pop(key, None)
            self._promoted_by_bot.discard(key)

    def _member_json(self, chat_id: int, user_id: int, *, status: str | None = None) -> JSON:
        status = status or self.members.get((chat_id, user_id), "left")
        member: JSON = {"status": status, "user": self._ensure_user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            rights = self._rights.get((chat_id, user_id)) or dict.fromkeys(ADMIN_RIGHTS, False)
            member["can_be_edited"] = (chat_id, user_id) in self._promoted_by_bot
            member.update(rights)
        elif status == "restricted":
            member["is_member"] = True
            member.update(dict.fromkeys(_RESTRICTED_FLAGS, False))
            member["until_date"] = 0
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def _bot_can(self, chat_id: int, right: str) -> bool:
        status = self.members.get((chat_id, self.bot_id))
        if status == "creator":
            return True
        if status != "administrator":
            return False
        return bool(self._rights.get((chat_id, self.bot_id), {}).get(right, False))

    def _require_right(self, chat: _Chat, right: str, detail: str) -> None:
        if chat.type == "private" or not self._bot_can(chat.id, right):
            raise bad_request(detail)

    def _new_message(self, chat: _Chat, sender: JSON) -> JSON:
        message_id = self._last_message_id.get(chat.id, 0) + 1
        self._last_message_id[chat.id] = message_id
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat_json(chat),
            "from": sender,
        }

    def _store(self, message: JSON) -> None:
        self._messages[(message["chat"]["id"], message["message_id"])] = message

    def _stored(self, chat_id: int, message_id: int) -> JSON:
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        return {key: value for key, value in message.items() if key != "reply_to_message"}

    def _check_target(self, chat: _Chat) -> None:
        """403 where Telegram would refuse to deliver."""
        if chat.type == "private":
            if chat.id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            return
        status = self.members.get((chat.id, self.bot_id), "left")
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")

    def _reply_target(self, chat: _Chat, params: JSON) -> JSON | None:
        """The message replied to (reply_parameters or the older reply_to_message_id)."""
        reply = _opt_object(params, "reply_parameters")
        if reply is not None:
            message_id = _int(reply, "message_id")
            chat_id = _opt_int(reply, "chat_id") or chat.id
            allow = _bool(reply, "allow_sending_without_reply")
        else:
            legacy = _opt_int(params, "reply_to_message_id")
            if legacy is None:
                return None
            message_id, chat_id = legacy, chat.id
            allow = _bool(params, "allow_sending_without_reply")
        if (chat_id, message_id) in self._messages:
            return self._stored(chat_id, message_id)
        if allow:
            return None
        raise bad_request("message to be replied not found")

    @staticmethod
    def _reply_markup(params: JSON) -> JSON | None:
        markup = _opt_object(params, "reply_markup")
        if markup is None:
            return None
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _rate_check(self, chat: _Chat) -> None:
        """Count (and with ``enforce_limits`` refuse) a send beyond Telegram's limits."""
        now = time.monotonic()
        while self._send_log and now - self._send_log[0][0] >= 60.0:
            self._send_log.popleft()
        waits: list[float] = []
        second = 1.0 - LENIENCY_SECONDS
        overall = [t for t, _ in self._send_log if now - t < second]
        if len(overall) + 1 > self.overall_per_second:
            waits.append(overall[0] + 1.0 - now)
        in_chat = [t for t, chat_id in self._send_log if chat_id == chat.id and now - t < second]
        if len(in_chat) + 1 > self.per_chat_per_second:
            waits.append(in_chat[0] + 1.0 - now)
        if chat.type in GROUP_TYPES:
            minute = 60.0 - LENIENCY_SECONDS
            in_group = [
                t for t, chat_id in self._send_log if chat_id == chat.id and now - t < minute
            ]
            if len(in_group) + 1 > self.per_group_per_minute:
                waits.append(in_group[0] + 60.0 - now)
        if waits:
            self.violations += 1
            if self.enforce_limits:
                retry_after = max(1, math.ceil(max(waits)))
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        self._send_log.append((now, chat.id))

    def _record(
        self,
        method: str,
        message: JSON,
        *,
        text: str,
        visible: str,
        parse_mode: str | None,
        reply_markup: JSON | None,
        document: UploadedFile | None = None,
        photo: UploadedFile | None = None,
    ) -> SentMessage:
        reply = message.get("reply_to_message")
        sent = SentMessage(
            chat_id=message["chat"]["id"],
            message_id=message["message_id"],
            text=text,
            visible=visible,
            parse_mode=parse_mode,
            reply_to_message_id=reply["message_id"] if reply else None,
            reply_markup=reply_markup,
            method=method,
            at=time.monotonic(),
            document_name=document.filename if document else None,
            document_bytes=document.content if document else None,
            photo_bytes=photo.content if photo else None,
        )
        self.sent.append(sent)
        return sent

    def _bot_message(self, chat: _Chat, reply_to: JSON | None, markup: JSON | None) -> JSON:
        message = self._new_message(chat, self.bot_user)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self.confirmed_offset = max(self.confirmed_offset, offset)
        elif offset < 0:
            self._updates = self._updates[offset:]
            if self._updates:
                self.confirmed_offset = max(self.confirmed_offset, self._updates[0]["update_id"])

    def _allowed(self, update: JSON) -> bool:
        kinds = [key for key in update if key != "update_id"]
        if not kinds:
            return False
        if self.allowed_updates:
            return kinds[0] in self.allowed_updates
        return kinds[0] not in _NOT_BY_DEFAULT

    def _set_allowed_updates(self, params: JSON) -> None:
        if "allowed_updates" not in params:
            return
        allowed = _opt_list(params, "allowed_updates")
        self.allowed_updates = [str(kind) for kind in allowed] if allowed is not None else None

    # == the Bot API methods ===================================================================
    async def _api_getme(self, params: JSON) -> JSON:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getupdates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = max(_opt_float(params, "timeout") or 0.0, 0.0)
        self._set_allowed_updates(params)
        self._confirm(offset)
        if self._poller is not None:  # "terminated by other getUpdates request"
            self._poller.terminated = True
            self._poller.wakeup.set()
        poller = self._poller = _Poller()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if poller.terminated:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request;"
                        " make sure that only one bot instance is running",
                    )
                ready = [u for u in self._updates if self._allowed(u)][:limit]
                remaining = deadline - time.monotonic()
                closing = self._closing is not None and self._closing.is_set()
                if ready or remaining <= 0 or closing:
                    return ready
                poller.wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poller.wakeup.wait(), remaining)
        finally:
            if self._poller is poller:
                self._poller = None

    async def _api_setwebhook(self, params: JSON) -> bool:
        url = _opt_str(params, "url") or ""
        if not url:
            self.webhook = None
            return True
        if not url.startswith(("https://", "http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _opt_str(params, "secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        self._set_allowed_updates(params)
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": _opt_list(params, "allowed_updates"),
            "max_connections": _opt_int(params, "max_connections") or 40,
        }
        return True

    async def _api_deletewebhook(self, params: JSON) -> bool:
        if _bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    async def _api_getwebhookinfo(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _api_sendmessage(self, params: JSON) -> JSON:
        chat = self._chat(params)
        self._check_target(chat)
        text = _opt_str(params, "text") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        visible = visible_text(text, parse_mode)
        if not visible.strip():
            raise bad_request("message text is empty")
        if len(visible) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        reply_to = self._reply_target(chat, params)
        markup = self._reply_markup(params)
        self._rate_check(chat)
        message = self._bot_message(chat, reply_to, markup)
        message["text"] = visible
        self._store(message)
        self._record(
            "sendmessage",
            message,
            text=text,
            visible=visible,
            parse_mode=parse_mode,
            reply_markup=markup,
        )
        return message

    def _source(self, params: JSON, missing: str) -> JSON:
        source_chat = self._chat(params, "from_chat_id")
        message_id = _int(params, "message_id")
        if (source_chat.id, message_id) not in self._messages:
            raise bad_request(missing)
        return self._stored(source_chat.id, message_id)

    async def _api_copymessage(self, params: JSON) -> JSON:
        chat = self._chat(params)
        self._check_target(chat)
        source = self._source(params, "message to copy not found")
        caption = _opt_str(params, "caption")
        parse_mode = _opt_str(params, "parse_mode") or None
        content = {
            key: source[key]
            for key in ("text", "entities", "photo", "document", "caption")
            if key in source
        }
        if "text" in source:
            text = visible = str(source["text"])
        elif caption is not None:
            text, visible = caption, visible_text(caption, parse_mode)
            if len(visible) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
            content["caption"] = visible
        else:
            text = visible = str(source.get("caption", ""))
        reply_to = self._reply_target(chat, params)
        markup = self._reply_markup(params)
        self._rate_check(chat)
        message = self._bot_message(chat, reply_to, markup) | content
        self._store(message)
        self._record(
            "copymessage",
            message,
            text=text,
            visible=visible,
            parse_mode=parse_mode if "text" not in source else None,
            reply_markup=markup,
        )
        return {"message_id": message["message_id"]}

    async def _api_forwardmessage(self, params: JSON) -> JSON:
        chat = self._chat(params)
        self._check_target(chat)
        source = self._source(params, "message to forward not found")
        self._rate_check(chat)
        message = self._bot_message(chat, None, None)
        for key in ("text", "entities", "photo", "document", "caption"):
            if key in source:
                message[key] = source[key]
        message["forward_origin"] = {
            "type": "user",
            "date": source["date"],
            "sender_user": source["from"],
        }
        text = str(source.get("text", source.get("caption", "")))
        self._store(message)
        self._record(
            "forwardmessage", message, text=text, visible=text, parse_mode=None, reply_markup=None
        )
        return message

    async def _api_editmessagetext(self, params: JSON) -> JSON:
        if params.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the stand-in")
        chat = self._chat(params)
        self._check_target(chat)
        message_id = _int(params, "message_id")
        stored = self._messages.get((chat.id, message_id))
        if stored is None:
            raise bad_request("message to edit not found")
        if stored["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        if "text" not in stored:
            raise bad_request("there is no text in the message to edit")
        text = _opt_str(params, "text") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        visible = visible_text(text, parse_mode)
        if not visible.strip():
            raise bad_request("message text is empty")
        if len(visible) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        markup = self._reply_markup(params)
        if visible == stored["text"] and markup == stored.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are"
                " exactly the same as a current content and reply markup of the message"
            )
        stored["text"] = visible
        stored["edit_date"] = int(time.time())
        if markup is not None and "inline_keyboard" in markup:
            stored["reply_markup"] = markup
        else:
            stored.pop("reply_markup", None)
        self._record(
            "editmessagetext",
            stored,
            text=text,
            visible=visible,
            parse_mode=parse_mode,
            reply_markup=markup,
        )
        return dict(stored)

    async def _api_senddocument(self, params: JSON) -> JSON:
        chat = self._chat(params)
        self._check_target(chat)
        document = params.get("document")
        upload: UploadedFile | None = None
        if isinstance(document, UploadedFile):
            upload = document
            self._counter += 1
            file_json: JSON = {
                "file_id": f"document-{self._counter}",
                "file_unique_id": f"ud{self._counter}",
                "file_name": document.filename,
                "file_size": len(document.content),
            }
            if document.content_type:
                file_json["mime_type"] = document.content_type
            self._files[file_json["file_id"]] = file_json
        elif isinstance(document, str) and document:
            file_json = self._files.get(document) or {
                "file_id": document,
                "file_unique_id": f"ud-{abs(hash(document))}",
                "file_name": document.rsplit("/", 1)[-1],
            }
        else:
            raise bad_request("there is no document in the request")
        return self._send_media(chat, params, "document", file_json, upload)

    async def _api_sendphoto(self, params: JSON) -> JSON:
        """A photo uploaded (multipart field ``photo``) or sent again by its file_id; the
        message carries it as PhotoSize objects, smallest first (thumbnails, then itself)."""
        chat = self._chat(params)
        self._check_target(chat)
        photo = params.get("photo")
        upload: UploadedFile | None = None
        if isinstance(photo, UploadedFile):
            upload = photo
            size = image_size(photo.content)
            if size is None:
                raise bad_request("IMAGE_PROCESS_FAILED")
            if len(photo.content) > MAX_PHOTO_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            width, height = size
            if width + height > MAX_PHOTO_SIDES or max(width, height) > 20 * min(width, height):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            self._counter += 1
            sizes: list[JSON] = []
            for n, side in enumerate((*(s for s in (90, 320, 800) if s < max(size)), None)):
                scale = 1.0 if side is None else side / max(size)
                file_json: JSON = {
                    "file_id": f"photo-{self._counter}-{n}",
                    "file_unique_id": f"up{self._counter}{n}",
                    "width": max(1, round(width * scale)),
                    "height": max(1, round(height * scale)),
                }
                if side is None:
                    file_json["file_size"] = len(photo.content)
                self._files[file_json["file_id"]] = file_json
                sizes.append(file_json)
        elif isinstance(photo, str) and photo in self._files and "width" in self._files[photo]:
            sizes = [self._files[photo]]
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._send_media(chat, params, "photo", sizes, upload)

    def _send_media(
        self, chat: _Chat, params: JSON, kind: str, media: object, upload: UploadedFile | None
    ) -> JSON:
        """The rest of sendDocument and sendPhoto: the caption, the message, the record."""
        caption = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode") or None
        visible = visible_text(caption, parse_mode) if caption else ""
        if len(visible) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        reply_to = self._reply_target(chat, params)
        markup = self._reply_markup(params)
        self._rate_check(chat)
        message = self._bot_message(chat, reply_to, markup)
        message[kind] = media
        if visible:
            message["caption"] = visible
        self._store(message)
        self._record(
            f"send{kind}",
            message,
            text=caption,
            visible=visible,
            parse_mode=parse_mode,
            reply_markup=markup,
            **{kind: upload},
        )
        return message

    async def _api_sendchataction(self, params: JSON) -> bool:
        chat = self._chat(params)
        self._check_target(chat)
        if _opt_str(params, "action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _api_answercallbackquery(self, params: JSON) -> bool:
        query_id = _opt_str(params, "callback_query_id")
        if query_id not in self._callback_ids:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(_opt_str(params, "text") or "") > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self._callback_ids.discard(query_id)
        self.callback_answers.append(dict(params))
        return True

    # -- invite links and join requests ------------------------------------------------------
    async def _api_createchatinvitelink(self, params: JSON) -> JSON:
        chat = self._chat(params)
        self._require_right(
            chat, "can_invite_users", "not enough rights to manage chat invite link"
        )
        name, expire_date, member_limit, joins = self._link_fields(params)
        link = InviteLink(
            link=f"https://t.me/+{secrets.token_urlsafe(12)}",
            chat_id=chat.id,
            name=name,
            creates_join_request=joins,
            expire_date=expire_date,
            member_limit=member_limit,
        )
        self.invite_links[link.link] = link
        return link.to_json(self.bot_user)

    @staticmethod
    def _link_fields(params: JSON) -> tuple[str | None, int | None, int | None, bool]:
        name = _opt_str(params, "name")
        if name is not None and len(name) > MAX_INVITE_LINK_NAME:
            raise bad_request("invite link name is too long")
        expire_date = _opt_int(params, "expire_date")
        member_limit = _opt_int(params, "member_limit")
        joins = _bool(params, "creates_join_request")
        if member_limit is not None:
            if not 1 <= member_limit <= 99999:
                raise bad_request("member limit must be between 1 and 99999")
            if joins:
                raise bad_request(
                    "member limit can't be specified for links requiring administrator approval"
                )
        return name, expire_date, member_limit, joins

    def _own_link(self, chat: _Chat, params: JSON) -> InviteLink:
        self._require_right(
            chat, "can_invite_users", "not enough rights to manage chat invite link"
        )
        link = self.invite_links.get(_opt_str(params, "invite_link") or "")
        if link is None or link.chat_id != chat.id:
            raise bad_request("INVITE_HASH_EXPIRED")
        return link

    async def _api_editchatinvitelink(self, params: JSON) -> JSON:
        chat = self._chat(params)
        link = self._own_link(chat, params)
        name, expire_date, member_limit, joins = self._link_fields(params)
        link.name, link.expire_date = name, expire_date
        link.member_limit, link.creates_join_request = member_limit, joins
        return link.to_json(self.bot_user)

    async def _api_revokechatinvitelink(self, params: JSON) -> JSON:
        chat = self._chat(params)
        link = self._own_link(chat, params)
        link.revoked = True
        return link.to_json(self.bot_user)

    def _pending_request(self, params: JSON) -> tuple[int, int]:
        chat = self._chat(params)
        user_id = _int(params, "user_id")
        self._require_right(chat, "can_invite_users", "CHAT_ADMIN_REQUIRED")
        if self.join_requests.get((chat.id, user_id)) != "pending":
            raise bad_request("HIDE_REQUESTER_MISSING")
        return chat.id, user_id

    async def _api_approvechatjoinrequest(self, params: JSON) -> bool:
        key = self._pending_request(params)
        self.join_requests[key] = "approved"
        self._set_status(*key, "member")
        return True

    async def _api_declinechatjoinrequest(self, params: JSON) -> bool:
        key = self._pending_request(params)
        self.join_requests[key] = "declined"
        return True

    # -- members -----------------------------------------------------------------------------
    async def _api_banchatmember(self, params: JSON) -> bool:
        chat = self._chat(params)
        user_id = self._known_user(params)
        detail = "not enough rights to restrict/unrestrict chat member"
        self._require_right(chat, "can_restrict_members", detail)
        status = self.members.get((chat.id, user_id))
        if status == "creator":
            raise bad_request("can't remove chat owner")
        if status == "administrator" and (chat.id, user_id) not in self._promoted_by_bot:
            raise bad_request("user is an administrator of the chat")
        self._set_status(chat.id, user_id, "kicked")
        return True

    async def _api_unbanchatmember(self, params: JSON) -> bool:
        chat = self._chat(params)
        user_id = self._known_user(params)
        detail = "not enough rights to restrict/unrestrict chat member"
        self._require_right(chat, "can_restrict_members", detail)
        status = self.members.get((chat.id, user_id), "left")
        if status == "kicked":
            self._set_status(chat.id, user_id, "left")
        elif status in ("member", "restricted") and not _bool(params, "only_if_banned"):
            self._set_status(chat.id, user_id, "left")  # "the user ... will also be removed"
        return True

    async def _api_promotechatmember(self, params: JSON) -> bool:
        chat = self._chat(params)
        user_id = self._known_user(params)
        self._require_right(chat, "can_promote_members", "not enough rights")
        if self.members.get((chat.id, user_id)) == "creator":
            raise bad_request("can't change chat owner's rights")
        self.promotions.append(dict(params))
        rights = {right: _bool(params, right) for right in ADMIN_RIGHTS}
        key = (chat.id, user_id)
        if any(value for right, value in rights.items() if right != "is_anonymous"):
            self.members[key] = "administrator"
            self._rights[key] = rights
            self._promoted_by_bot.add(key)
        elif self.members.get(key) == "administrator":
            self._set_status(chat.id, user_id, "member")
        return True

    async def _api_getchatmember(self, params: JSON) -> JSON:
        chat = self._chat(params)
        user_id = self._known_user(params)
        if chat.type == "private":
            status = "member" if user_id in (chat.id, self.bot_id) else "left"
            return self._member_json(chat.id, user_id, status=status)
        return self._member_json(chat.id, user_id)

    async def _api_getchatadministrators(self, params: JSON) -> list[JSON]:
        chat = self._chat(params)
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            (status != "creator", user_id)
            for (chat_id, user_id), status in self.members.items()
            if chat_id == chat.id and status in ("creator", "administrator")
        ]
        return [self._member_json(chat.id, user_id) for _, user_id in sorted(admins)]

    async def _api_getchatmembercount(self, params: JSON) -> int:
        chat = self._chat(params)
        if chat.type == "private":
            return 2
        return sum(
            1
            for (chat_id, _), status in self.members.items()
            if chat_id == chat.id and status in ("creator", "administrator", "member", "restricted")
        )

    async def _api_getchat(self, params: JSON) -> JSON:
        chat = self._chat(params)
        return self._chat_json(chat) | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    # -- commands ----------------------------------------------------------------------------
    def _commands_key(self, params: JSON) -> tuple[str, str]:
        scope = _opt_object(params, "scope") or {"type": "default"}
        kind = scope.get("type")
        if kind not in COMMAND_SCOPES:
            raise bad_request("unsupported scope type")
        key = str(kind)
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._chat(scope)
            key = f"{kind}:{chat.id}"
            if kind == "chat_member":
                key += f":{_int(scope, 'user_id')}"
        language = _opt_str(params, "language_code") or ""
        if language and not _LANGUAGE_RE.fullmatch(language):
            raise bad_request("invalid language code specified")
        return key, language

    async def _api_setmycommands(self, params: JSON) -> bool:
        commands = _opt_list(params, "commands")
        if commands is None:
            raise bad_request('parameter "commands" is required')
        if len(commands) > 100:
            raise bad_request("too many commands specified")
        checked: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand")
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not _BOT_COMMAND_RE.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        key = self._commands_key(params)
        if checked:
            self.commands[key] = checked
        else:
            self.commands.pop(key, None)
        return True

    async def _api_deletemycommands(self, params: JSON) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _api_getmycommands(self, params: JSON) -> list[JSON]:
        return [dict(command) for command in self.commands.get(self._commands_key(params), [])]


# -- as a process of its own --------------------------------------------------------------------
async def _serve(args: argparse.Namespace) -> None:
    standin = TelegramStandIn(token=args.token, enforce_limits=args.enforce_limits)
    for n in range(1, args.chats + 1):
        chat_id = int(f"-100{n}")
        standin.add_chat(chat_id, type="supergroup", title=f"Groep {n}")
        standin.set_bot_rights(
            chat_id,
            **{right: right not in _CHANNEL_ONLY_RIGHTS for right in ADMIN_RIGHTS[1:]},
        )
    await serve_until_signalled(standin, port=args.port, port_file=args.port_file)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port-file", required=True, help="write the port here once listening")
    parser.add_argument("--port", type=int, default=0, help="default: one the OS chooses")
    parser.add_argument("--token", default="123456:TEST")
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 to floods")
    parser.add_argument(
        "--chats", type=int, default=0, help="supergroups -1001..-100N, the bot an administrator"
    )
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
