"""Running a stand-in server as a process of its own, for tests that kill and restart things."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Protocol


class StandIn(Protocol):
    @property
    def port(self) -> int: ...

    async def start(self, *, port: int = 0) -> None: ...

    async def stop(self) -> None: ...


async def serve_until_signalled(standin: StandIn, *, port: int, port_file: str) -> None:
    """Start ``standin``, write its port to ``port_file`` (atomically: a reader never sees
    half a number) and serve until SIGTERM or SIGINT."""
    await standin.start(port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    target = Path(port_file)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(f"{standin.port}\n")
    partial.replace(target)
    try:
        await stop.wait()
    finally:
        await standin.stop()
