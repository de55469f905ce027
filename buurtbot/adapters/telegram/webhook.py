"""The endpoint Telegram posts updates to in webhook mode.

Telegram repeats a post that did not get a 2xx answer, so the answer waits until the update
is handled: a crash before that means Telegram sends it again, never that it is lost. Every
post must carry the secret token given to ``setWebhook``; anything else gets 403 and is not
looked at.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from buurtbot.adapters.web.server import WebServer

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
#: An update is a few kB; anything near this is not from Telegram.
MAX_BODY_BYTES = 1_000_000

UpdateHandler = Callable[[dict[str, object]], Awaitable[None]]


class WebhookReceiver:
    """Serves ``POST <path of url>`` on ``host:port`` and hands each update to ``handle``."""

    def __init__(
        self, handle: UpdateHandler, *, secret: str, url: str, host: str, port: int
    ) -> None:
        self._handle = handle
        self._secret = secret.encode()
        self.path = urlsplit(url).path or "/"
        app = Starlette(routes=[Route(self.path, self._receive, methods=["POST"])])
        self._server = WebServer(app, host, port, name="Telegram webhook")

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> bool:
        return self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    async def _receive(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("Telegram webhook: a post without the right secret token was refused")
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response(status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return Response(status_code=400)
        try:
            await self._handle(data)
        except Exception:
            # Telegram will post it again; the core's event claim keeps the repeat harmless.
            log.exception("Telegram webhook: update %s failed", data.get("update_id"))
            return Response(status_code=500)
        return Response(status_code=200)
