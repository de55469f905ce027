"""Serving the web form with uvicorn inside the bot's own event loop.

Two of uvicorn's defaults do not suit a server that is one task among others: it installs
its own SIGINT/SIGTERM handlers (the application already has them) and it calls
``sys.exit`` when the port is taken. So the socket is bound here first, where a taken port
is an error in the log and the bot keeps running, and signal capture is switched off.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """The application's own signal handlers stop everything, this server included."""
        yield


class WebServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`port` is the bound port."""

    def __init__(
        self, app: ASGIApp, host: str, port: int, *, name: str = "the sign-up form"
    ) -> None:
        self.host = host
        self.port = port
        self.name = name
        self._server = _EmbeddedServer(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> bool:
        """Bind and start serving; ``False`` (with the reason logged) when the port is unusable."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        try:
            sock = socket.create_server((self.host, self.port), family=family)
        except OSError as exc:
            log.error(
                "%s cannot listen on %s:%s (%s); the bot runs without it.",
                self.name,
                self.host,
                self.port,
                exc.strerror or exc,
            )
            return False
        self.port = sock.getsockname()[1]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name=self.name)
        log.info("%s on http://%s:%s", self.name, self.host, self.port)
        return True

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        try:
            await self._task
        except Exception:
            log.exception("the web server failed")
        self._task = None
