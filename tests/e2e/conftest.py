"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.telegram_rig import TelegramRig


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[TelegramRig]:
    """The whole bot on Telegram (the stand-in), started and stopped around a test."""
    rig = TelegramRig(tmp_path)
    await rig.start()
    try:
        yield rig
    finally:
        await rig.stop()


@pytest.fixture
async def mixed(tmp_path: Path) -> AsyncIterator[TelegramRig]:
    """The example gemeente on both platforms: Telegram and Signal, each its stand-in."""
    rig = TelegramRig(tmp_path, signal=True)
    await rig.start()
    try:
        yield rig
    finally:
        await rig.stop()
