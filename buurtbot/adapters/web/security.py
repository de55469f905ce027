"""Abuse protection for the public sign-up form, with nothing stored per visitor.

- :class:`CsrfTokens`: a form token is a random nonce and its issue time, signed with
  HMAC-SHA256. The same token also goes into a ``SameSite=Strict`` cookie (double submit),
  so a page on another site can neither read a token nor make the browser send the cookie.
  Tokens expire, so a harvested one is of little use.
- :class:`SubmissionLimiter`: a sliding window of POSTs per client address, in memory.
  Losing it on a restart costs nothing worth a table.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

Now = Callable[[], datetime]


class CsrfTokens:
    """Issue and check signed form tokens: ``<base64url(nonce + seconds)>.<hex hmac>``."""

    def __init__(self, secret: bytes, now: Now, *, max_age: timedelta) -> None:
        if len(secret) < 16:
            raise ValueError("the CSRF secret must be at least 16 bytes")
        self._secret = secret
        self._now = now
        self._max_age = max_age

    def issue(self) -> str:
        payload = secrets.token_bytes(16) + struct.pack(">q", int(self._now().timestamp()))
        body = base64.urlsafe_b64encode(payload).decode("ascii")
        return f"{body}.{self._sign(body)}"

    def valid(self, token: str | None, cookie: str | None) -> bool:
        """The form's token is genuine, unexpired and the one in the browser's cookie."""
        if not token or not cookie or len(token) > 200:
            return False
        if not hmac.compare_digest(token.encode(), cookie.encode()):
            return False
        body, _, signature = token.partition(".")
        if not hmac.compare_digest(self._sign(body), signature):
            return False
        try:
            payload = base64.urlsafe_b64decode(body.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError):
            return False
        if len(payload) != 24:
            return False
        issued: int = struct.unpack(">q", payload[16:])[0]
        age = self._now().timestamp() - issued
        return -60 <= age <= self._max_age.total_seconds()

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()


class SubmissionLimiter:
    """At most ``count`` submissions per client in any ``seconds``; memory stays bounded."""

    def __init__(
        self,
        count: int,
        seconds: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        self.count = count
        self.seconds = seconds
        self._monotonic = monotonic
        self._max_clients = max_clients
        self._seen: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        """Record one submission of ``client``; ``False`` when it is over the limit."""
        now = self._monotonic()
        times = self._seen.get(client)
        if times is None:
            if len(self._seen) >= self._max_clients:
                self._sweep(now)
            times = self._seen[client] = deque()
        while times and now - times[0] >= self.seconds:
            times.popleft()
        if len(times) >= self.count:
            return False
        times.append(now)
        return True

    def _sweep(self, now: float) -> None:
        for client in [c for c, t in self._seen.items() if not t or now - t[-1] >= self.seconds]:
            del self._seen[client]
        if len(self._seen) >= self._max_clients:
            # Under a flood of addresses, forget the oldest rather than grow without bound.
            oldest = sorted(self._seen, key=lambda c: self._seen[c][-1])
            for client in oldest[: len(oldest) // 2]:
                del self._seen[client]
