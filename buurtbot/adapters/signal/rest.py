"""The calls to signal-cli-rest-api that signalbot does not make for us, on one HTTP session.

signalbot 2.2.1 has no wrappers for a group's members and admins. Sending goes through here
too (with signalbot's ``SendMessage`` model for the body): signalbot's own send turns every
error answer into an exception without the answer's body, and the body is where
signal-cli-rest-api says "rate limit" and hands out the captcha challenge token; its session
also has no timeouts. Every request here has one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import aiohttp

log = logging.getLogger(__name__)

#: How much of an error answer we keep (for the log and the outbox's error column).
MAX_ERROR_TEXT = 300

_RETRY_IN_BODY = re.compile(r"retry[ -]?after\D{0,10}(\d{1,6})", re.IGNORECASE)
_NUMBER = re.compile(r"\+\d{6,15}")
_RATE_LIMIT_WORDS = ("rate limit", "ratelimit", "proof required", "proofrequired", "challenge")

Method = Literal["GET", "POST", "PUT", "DELETE"]


class RestError(Exception):
    """signal-cli-rest-api answered with an error, or did not answer at all.

    ``status`` is ``None`` when there was no answer (refused, reset, timed out)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        challenge_tokens: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.challenge_tokens = tuple(challenge_tokens)

    @property
    def rate_limited(self) -> bool:
        """Signal wants the bot to slow down, or to prove it is not a spammer (a captcha)."""
        text = self.message.lower()
        return self.status == 429 or any(word in text for word in _RATE_LIMIT_WORDS)

    def __str__(self) -> str:
        shown = f"HTTP {self.status}" if self.status is not None else "no answer"
        return f"{self.message} ({shown})"


@dataclass(frozen=True, slots=True)
class GroupState:
    """What the groups endpoints say about one group (members and admins as numbers, or
    uuids for people who hide their number)."""

    id: str
    members: frozenset[str]
    admins: frozenset[str]
    #: Whether the bot's account is (still) in the group.
    member: bool = True

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> GroupState:
        return cls(
            id=str(data.get("id", "")),
            members=frozenset(_strings(data.get("members"))),
            admins=frozenset(_strings(data.get("admins"))),
            member=bool(data.get("member", True)),
        )


@dataclass(frozen=True, slots=True)
class SendReceipt:
    """The answer to a send: the message's timestamp, and whom it did not reach."""

    timestamp: int
    failed: tuple[str, ...] = ()


class SignalRest:
    """signal-cli-rest-api for one account: ``service`` is ``host:port`` (no scheme)."""

    def __init__(
        self,
        service: str,
        number: str,
        *,
        authorization: str | None = None,
        https: bool = False,
        request_timeout: float = 20.0,
        send_timeout: float = 60.0,
    ) -> None:
        self.service = service
        self.number = number
        self._authorization = authorization
        self._https = https
        self.request_timeout = request_timeout
        self.send_timeout = send_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def base_url(self) -> str:
        return f"{'https' if self._https else 'http'}://{self.service}"

    @property
    def receive_url(self) -> str:
        return f"{'wss' if self._https else 'ws'}://{self.service}/v1/receive/{self._account}"

    @property
    def _account(self) -> str:
        return quote(self.number, safe="+")

    async def open(self) -> None:
        if self._session is None:
            # No overall timeout on the session: the receive WebSocket lives for hours.
            # Each request below brings its own.
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RestError("the Signal REST client is closed")
        return self._session

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization} if self._authorization else {}

    # -- sending -------------------------------------------------------------------------------
    async def send(self, body: Mapping[str, Any]) -> SendReceipt:
        """``POST /v2/send``; the timestamp Signal gave the message (what quotes refer to)."""
        answer = await self._request("POST", "/v2/send", body, timeout=self.send_timeout)
        entries = answer if isinstance(answer, list) else [answer]
        stamps: list[int] = []
        failed: list[str] = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            stamp = str(entry.get("timestamp", ""))
            if stamp.isdecimal():
                stamps.append(int(stamp))
            errors = entry.get("errors")
            if isinstance(errors, Mapping):
                for error in errors.get("recipients") or []:
                    if isinstance(error, Mapping):
                        failed.append(str(error.get("reason") or "not delivered"))
        if not stamps:
            raise RestError(f"the send answer has no timestamp: {_cut(json.dumps(answer))}")
        return SendReceipt(stamps[0], tuple(failed))

    # -- groups --------------------------------------------------------------------------------
    async def groups(self) -> list[GroupState]:
        answer = await self._request("GET", f"/v1/groups/{self._account}")
        if not isinstance(answer, list):
            raise RestError(f"the groups answer is not a list: {_cut(json.dumps(answer))}")
        return [GroupState.of(g) for g in answer if isinstance(g, Mapping)]

    async def group(self, group_id: str) -> GroupState:
        answer = await self._request("GET", self._group_path(group_id))
        if not isinstance(answer, Mapping):
            raise RestError(f"the group answer is not an object: {_cut(json.dumps(answer))}")
        return GroupState.of(answer)

    async def change_members(self, group_id: str, members: Sequence[str], *, add: bool) -> None:
        method: Method = "POST" if add else "DELETE"
        await self._request(method, self._group_path(group_id) + "/members", {"members": members})

    async def change_admins(self, group_id: str, admins: Sequence[str], *, add: bool) -> None:
        method: Method = "POST" if add else "DELETE"
        await self._request(method, self._group_path(group_id) + "/admins", {"admins": admins})

    def _group_path(self, group_id: str) -> str:
        return f"/v1/groups/{self._account}/{quote(group_id, safe='=+.')}"

    # -- receiving -----------------------------------------------------------------------------
    async def receive_socket(
        self, *, heartbeat: float, connect_timeout: float
    ) -> aiohttp.ClientWebSocketResponse:
        """Open the receive WebSocket. ``heartbeat``: a ping after that many quiet seconds;
        no pong within half of it closes the socket (a half-open connection shows)."""
        async with asyncio.timeout(connect_timeout):
            return await self.session.ws_connect(
                self.receive_url,
                heartbeat=heartbeat,
                headers=self.headers(),
                timeout=aiohttp.ClientWSTimeout(ws_close=min(5.0, connect_timeout)),
            )

    # -- plumbing ------------------------------------------------------------------------------
    async def _request(
        self,
        method: Method,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        url = self.base_url + path
        headers = self.headers()
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body)
        limit = aiohttp.ClientTimeout(total=timeout or self.request_timeout)
        try:
            async with self.session.request(
                method, url, data=data, headers=headers, timeout=limit
            ) as response:
                text = await response.text(errors="replace")
                if response.status >= 400:
                    raise _error(response.status, text, response.headers.get("Retry-After"))
        except TimeoutError:
            raise RestError(f"{method} {redact(path)} timed out") from None
        except aiohttp.ClientError as exc:
            raise RestError(redact(f"{method} {path} failed: {exc}")) from None
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise RestError(f"{method} {redact(path)} answered no JSON: {_cut(text)}") from None


def _error(status: int, text: str, retry_header: str | None) -> RestError:
    message = text.strip()
    tokens: list[str] = []
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        message = str(body.get("error") or body.get("message") or message)
        tokens = _strings(body.get("challenge_tokens"))
    retry_after: float | None = None
    if retry_header is not None and retry_header.strip().isdecimal():
        retry_after = float(retry_header.strip())
    else:
        found = _RETRY_IN_BODY.search(message)
        if found is not None:
            retry_after = float(found.group(1))
    return RestError(
        _cut(redact(message)) or f"HTTP {status}",
        status=status,
        retry_after=retry_after,
        challenge_tokens=tokens,
    )


def redact(text: str) -> str:
    """``text`` without phone numbers: errors go to the log, the outbox and the audit log,
    and phone numbers belong in none of them."""
    return _NUMBER.sub("<number>", text)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
