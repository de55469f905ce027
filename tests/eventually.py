"""Waiting for something another task (or process) does, without sleeping blindly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

TIMEOUT = 5.0


async def eventually(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """Return once ``condition()`` holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)
