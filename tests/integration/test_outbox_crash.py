"""Crash safety of the outbox, with real worker processes killed mid-delivery.

A worker (``outbox_worker.py``, the real relay over SQLite or PostgreSQL) POSTs each message
to a recording stand-in server on 127.0.0.1. It is SIGKILLed at random moments while it
delivers, restarted each time, and finally left to finish. Whatever the timing, every
committed message arrives, in its chat's order, and a kill repeats only what was in flight.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.adapters.sql.orm import OutboxRow
from buurtbot.core.actions import SendText
from buurtbot.core.ids import ChatRef, Platform
from buurtbot.core.text import RichText
from tests.integration.outbox_worker import Receipt, StandIn, database

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("outbox_worker.py")
MESSAGES = 200
CHATS = 20
KILLS = 5


def queue(database_url: str) -> dict[str, list[str]]:
    """Queue the messages, round robin over the chats; each chat's texts in queue order."""
    expected: dict[str, list[str]] = defaultdict(list)
    with database(database_url, lease=60) as uow_factory, uow_factory() as uow:
        for n in range(MESSAGES):
            chat = ChatRef(Platform.TELEGRAM, f"-100{n % CHATS:02d}")
            text = f"message {n:03d}"
            uow.outbox.add(
                SendText(chat=chat, text=RichText.of(text)), key=f"crash:{n}", at=datetime.now(UTC)
            )
            expected[chat.chat_id].append(text)
        uow.commit()
    return dict(expected)


def start_worker(database_url: str, standin: StandIn, *options: str) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), database_url, str(standin.port), *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(worker: subprocess.Popen[bytes], timeout: float = 60) -> None:
    try:
        _, stderr = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        _, stderr = worker.communicate()
        pytest.fail(f"the worker did not finish: {stderr.decode()[-2000:]}")
    assert worker.returncode == 0, stderr.decode()[-2000:]


def states(database_url: str) -> dict[str, int]:
    with database(database_url, lease=60) as uow_factory, uow_factory() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        rows = uow.session.execute(
            select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        ).all()
    return {state: int(n) for state, n in rows}


def per_chat(receipts: list[Receipt]) -> dict[str, list[str]]:
    """Each chat's texts in arrival order, a repeat right after itself collapsed (a resend
    after a crash comes straight after the original: the chat's next message waits)."""
    chats: dict[str, list[str]] = defaultdict(list)
    for r in sorted(receipts, key=lambda r: r.at):
        if not chats[r.chat] or chats[r.chat][-1] != r.text:
            chats[r.chat].append(r.text)
    return dict(chats)


def test_killed_workers_lose_nothing_and_repeat_only_what_was_in_flight(
    migrated_url: str,
) -> None:
    """The worker sends one message at a time: a kill repeats at most that one."""
    # One send at a time, so "at most the send in flight repeats" means one per kill;
    # concurrent sending is covered by the two-worker test below.
    concurrency = 1
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    expected = queue(migrated_url)
    # A little network latency before each POST, like a real platform's round trip.
    options = ("--lease", "1", "--concurrency", str(concurrency), "--send-delay", "0.01")
    with StandIn() as standin:
        for kill in range(KILLS):
            worker = start_worker(migrated_url, standin, *options)
            target = standin.count() + rng.randint(3, 20)
            deadline = time.monotonic() + 30
            while standin.count() < target and worker.poll() is None:
                assert time.monotonic() < deadline, f"the worker stalled (seed {seed})"
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.03))  # anywhere in a send-and-record cycle
            assert worker.poll() is None, f"worker finished before kill {kill} (seed {seed})"
            worker.send_signal(signal.SIGKILL)
            worker.communicate()  # reaps it and closes its pipe
        assert standin.count() < MESSAGES, "the kills came too late to matter"
        finish(start_worker(migrated_url, standin, *options))
        receipts = standin.snapshot()

    texts = Counter(r.text for r in receipts)
    assert sorted(texts) == sorted(t for chat in expected.values() for t in chat)
    duplicates = sum(n - 1 for n in texts.values())
    # Only the send in flight at a kill can repeat: at most one per kill.
    assert duplicates <= KILLS * concurrency, f"{duplicates} duplicates (seed {seed})"
    assert max(texts.values()) <= 1 + KILLS
    assert per_chat(receipts) == expected, f"out of order (seed {seed})"
    assert states(migrated_url) == {"delivered": MESSAGES}


def test_two_workers_on_one_outbox_never_send_an_item_twice(migrated_url: str) -> None:
    """Two live workers split the work through storage's claims (``FOR UPDATE SKIP LOCKED``
    on PostgreSQL, serialised writers on SQLite): each message arrives exactly once."""
    expected = queue(migrated_url)
    options = ("--lease", "30", "--batch", "5", "--concurrency", "4", "--send-delay", "0.005")
    with StandIn() as standin:
        workers = [start_worker(migrated_url, standin, *options) for _ in range(2)]
        for worker in workers:
            finish(worker)
        receipts = standin.snapshot()

    texts = Counter(r.text for r in receipts)
    assert sorted(texts) == sorted(t for chat in expected.values() for t in chat)
    assert max(texts.values()) == 1
    assert per_chat(receipts) == expected
    by_worker = Counter(r.worker for r in receipts)
    assert len(by_worker) == 2, by_worker  # both took part
    assert states(migrated_url) == {"delivered": MESSAGES}
