"""buurtbot on Telegram against the stand-in Bot API server on 127.0.0.1.

1. Per-update overhead. Stand-ins of the same kind, in the same run, feed N updates to
   - the baseline: a bare python-telegram-bot ``Application`` (its own polling ``Updater``)
     with one handler that only replies;
   - buurtbot as ``buurtbot run`` builds it (SQLite, the example network, every flow),
     once with plain messages in a buurtgroep and once with ``/escalate`` replies.
   Time is from the first update queued to the last one done: for the baseline the N-th
   reply arriving, for buurtbot Telegram being told the N-th update is handled (buurtbot
   confirms an update only after its transaction committed). Both run side by side and take
   turns in rounds; the medians are compared. Goal: ≤ 2x for plain messages.
2. Fan-out. One escalation reaching 500 Telegram groups, at Telegram's limits, through the
   real adapter: time from the ``/escalate`` update to the last copy, against the bound
   500 / 30 s, and the stand-in's count of limit violations. Goals: ≤ 1.05x, 0 violations.

Usage: ``.venv/bin/python benchmarks/telegram_bot.py``.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from buurtbot.bootstrap import App, build_app, example_network_path, prepare_database
from buurtbot.config.settings import Settings
from tests.fanout_network import EIGENAAR_BASE, chat_id, fanout_network
from tests.standins.telegram_api import TelegramStandIn

CENTRUM = -1001000000001
DAAN, ANNA = 700123857, 700100100
FANOUT_GROUPS = 500
TELEGRAM_RATE = 30.0


@dataclass(frozen=True)
class Overhead:
    updates: int
    bare_s: float
    plain_s: float
    escalate_s: float

    def ratio(self, seconds: float) -> float:
        return seconds / self.bare_s


@dataclass(frozen=True)
class Fanout:
    targets: int
    seconds: float
    violations: int

    @property
    def bound_s(self) -> float:
        return self.targets / TELEGRAM_RATE


async def _until(condition: Callable[[], bool], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        await asyncio.sleep(0.001)


def _group_standin(standin: TelegramStandIn, chats: list[int]) -> None:
    rights = {"can_manage_chat": True, "can_invite_users": True,
              "can_restrict_members": True, "can_promote_members": True}  # fmt: skip
    for chat in chats:
        standin.add_chat(chat)
        standin.set_bot_rights(chat, **rights)


# -- the baseline ---------------------------------------------------------------------------
class Bare:
    """A bare python-telegram-bot application: one handler that only replies."""

    def __init__(self, standin: TelegramStandIn) -> None:
        async def reply(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_message is not None
            await update.effective_message.reply_text("ok")

        self.standin = standin
        self.app = Application.builder().token(standin.token).base_url(standin.base_url).build()
        self.app.add_handler(MessageHandler(filters.TEXT, reply))

    async def start(self) -> None:
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0, timeout=1)

    async def stop(self) -> None:
        assert self.app.updater is not None
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()

    async def round(self, n: int) -> float:
        start = len(self.standin.sent)
        t0 = time.perf_counter()
        for i in range(n):
            self.standin.push_message(CENTRUM, DAAN, f"Bericht {i} over de buurt")
        await _until(lambda: len(self.standin.sent) - start >= n)
        return time.perf_counter() - t0


# -- buurtbot -------------------------------------------------------------------------------
@dataclass
class Running:
    """The application as ``buurtbot run`` builds it, running in a task of this loop."""

    app: App
    task: asyncio.Task[None]


async def _booted(standin: TelegramStandIn, database_url: str, network: Path) -> Running:
    prepare_database(database_url, [network])
    app = build_app(
        Settings(
            database_url=database_url,
            telegram_token=standin.token,
            telegram_base_url=standin.base_url,
        )
    )
    running = Running(app, asyncio.create_task(app.run()))
    polls = sum(1 for name, _ in standin.calls if name == "getupdates")
    await _until(lambda: sum(1 for name, _ in standin.calls if name == "getupdates") > polls)
    return running


async def _halt(running: Running) -> None:
    running.app.request_stop()
    await running.task
    running.app.close()


async def _handled(standin: TelegramStandIn, last_update_id: int) -> None:
    await _until(lambda: standin.confirmed_offset > last_update_id)


async def _plain_round(standin: TelegramStandIn, n: int) -> tuple[float, list[int]]:
    """``n`` plain messages in a buurtgroep; the time until buurtbot has handled the last."""
    ids = []
    t0 = time.perf_counter()
    for i in range(n):
        update = standin.push_message(CENTRUM, DAAN, f"Bericht {i} over de buurt")
        ids.append(int(update["message"]["message_id"]))
    await _handled(standin, int(update["update_id"]))
    return time.perf_counter() - t0, ids


async def _escalate_round(standin: TelegramStandIn, ids: list[int]) -> float:
    t0 = time.perf_counter()
    for message_id in ids:
        update = standin.push_message(CENTRUM, ANNA, "/escalate", reply_to=message_id)
    await _handled(standin, int(update["update_id"]))
    return time.perf_counter() - t0


def overhead(n: int = 300, rounds: int = 5) -> Overhead:
    """Both sides run side by side and take turns, ``rounds`` rounds of ``n / rounds``
    updates each; the medians are compared (the machine's noise hits both alike)."""

    async def main() -> Overhead:
        per_round = n // rounds
        bare_times: list[float] = []
        plain_times: list[float] = []
        escalate_times: list[float] = []
        with tempfile.TemporaryDirectory(prefix="buurtbot-bench-") as tmp:
            bare_standin, standin = TelegramStandIn(), TelegramStandIn()
            await bare_standin.start()
            await standin.start()
            _group_standin(bare_standin, [CENTRUM])
            _group_standin(standin, [CENTRUM, -1001000000003, -1001000000005,
                                     -1001000000007, -1001000000099])  # fmt: skip
            bare = Bare(bare_standin)
            await bare.start()
            example = example_network_path()
            assert example is not None
            running = await _booted(standin, f"sqlite:///{Path(tmp) / 'overhead.db'}", example)
            try:
                await bare.round(20)  # warm-up, both
                await _plain_round(standin, 20)
                plain_ids: list[list[int]] = []
                for _ in range(rounds):
                    bare_times.append(await bare.round(per_round))
                    plain, ids = await _plain_round(standin, per_round)
                    plain_times.append(plain)
                    plain_ids.append(ids)
                # Escalations last: their copies keep the relay busy for minutes afterwards
                # (Telegram's 20 a minute per group), which must not slow the rounds above.
                for ids in plain_ids:
                    escalate_times.append(await _escalate_round(standin, ids))
            finally:
                await _halt(running)
                await bare.stop()
                await bare_standin.stop()
                await standin.stop()
        return Overhead(
            per_round,
            statistics.median(bare_times),
            statistics.median(plain_times),
            statistics.median(escalate_times),
        )

    return asyncio.run(main())


def fanout(groups: int = FANOUT_GROUPS) -> Fanout:
    async def main() -> Fanout:
        with tempfile.TemporaryDirectory(prefix="buurtbot-bench-") as tmp:
            network = Path(tmp) / "fanout.toml"
            network.write_text(fanout_network(groups), encoding="utf-8")
            standin = TelegramStandIn()
            await standin.start()
            _group_standin(standin, [chat_id(n) for n in range(1, groups + 2)])
            running = await _booted(standin, f"sqlite:///{Path(tmp) / 'fanout.db'}", network)
            try:
                # Let the start-up rights check finish: it is not part of an escalation.
                await _until(
                    lambda: sum(1 for c, _ in standin.calls if c == "getchatmember") > groups
                )
                await asyncio.sleep(1.0)
                targets = {chat_id(n) for n in range(2, groups + 2)}
                source = standin.push_message(chat_id(1), 77_001, "Verdachte bestelbus")
                start = len(standin.sent)
                t0 = time.perf_counter()
                standin.push_message(
                    chat_id(1), EIGENAAR_BASE + 1, "/escalate",
                    reply_to=int(source["message"]["message_id"]),
                )  # fmt: skip

                def arrived() -> int:
                    return len({m.chat_id for m in standin.sent[start:]} & targets)

                await _until(lambda: arrived() >= len(targets))
                seconds = time.perf_counter() - t0
            finally:
                await _halt(running)
                await standin.stop()
        return Fanout(len(targets), seconds, standin.violations)

    return asyncio.run(main())


def report_overhead(result: Overhead) -> str:
    per = 1000 / result.updates
    return (
        f"Telegram per-update overhead against the stand-in (median of 5 alternating rounds "
        f"of {result.updates} updates)\n"
        f"  baseline (bare PTB handler that replies): {result.bare_s * per:6.2f} ms per update\n"
        f"  buurtbot, plain buurtgroep messages:      {result.plain_s * per:6.2f} ms per update"
        f"  ratio {result.ratio(result.plain_s):.2f}x (goal <= 2)\n"
        f"  buurtbot, /escalate replies:              {result.escalate_s * per:6.2f} ms per update"
        f"  ratio {result.ratio(result.escalate_s):.2f}x"
    )


def report_fanout(result: Fanout) -> str:
    return (
        f"Telegram fan-out: one escalation to {result.targets} groups through the adapter\n"
        f"  baseline (theoretical bound {TELEGRAM_RATE:.0f} msg/s): {result.bound_s:6.2f} s\n"
        f"  through buurtbot:                        {result.seconds:6.2f} s"
        f"  ratio {result.seconds / result.bound_s:.3f}x (goal <= 1.05)\n"
        f"  limit violations: {result.violations} (goal 0)"
    )


if __name__ == "__main__":
    print(report_overhead(overhead()))
    print(report_fanout(fanout()))
