"""10,000 console messages through the core on SQLite, against a parsing-only baseline.

Both loops read the same console lines and build the same neutral events (console line
parsing, command parsing, event construction). The baseline stops there; the measured loop
also hands every event to the bot service, which claims the event id, resolves the sender
and their roles, runs the flow and queues its replies in the outbox — one SQLite
transaction per message, as in production.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from buurtbot.adapters.console.mapping import ChatLine, parse_line
from buurtbot.adapters.sql.engine import make_engine
from buurtbot.adapters.sql.migrate import upgrade
from buurtbot.adapters.sql.repositories import NetworkCache
from buurtbot.adapters.sql.uow import SqlUnitOfWork, make_session_factory
from buurtbot.config.network_file import load_network_file
from buurtbot.core.commands import parse_command_text
from buurtbot.core.events import CommandReceived, InboundEvent, MessageReceived, Sender
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.network_sync import apply_network
from buurtbot.locales import load_all

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hof-van-twente.toml"

#: What residents type: mostly chatter and reports (not stored, not answered), some commands.
LINES = [
    "Verdachte auto bij de school, grijze Golf",
    "Dank je, ik kijk even",
    "Twee mannen met zaklampen in de achtertuinen",
    "/regels",
    "/hulp",
    "/wiebenik",
    "/escaleer",
    "/taal nl",
]
WEIGHTS = [40, 20, 20, 5, 5, 4, 3, 3]


@dataclass(frozen=True)
class Result:
    messages: int
    baseline_s: float
    core_s: float

    @property
    def ratio(self) -> float:
        return self.core_s / self.baseline_s


def make_events(
    lines: list[tuple[str, str, str]], run: str, started: datetime
) -> list[InboundEvent]:
    """The console adapter's work for each line: parse it and build the neutral event."""
    events: list[InboundEvent] = []
    for n, (person_id, chat_ref, raw) in enumerate(lines):
        parsed = parse_line(raw)
        assert isinstance(parsed, ChatLine)
        chat = CHATS[chat_ref]
        message = MessageRef(chat, str(n))
        sender = Sender(identity=PlatformIdentity(Platform.CONSOLE, person_id))
        common = {"event_id": f"bench:{run}:{n}", "chat": chat, "sender": sender, "at": started}
        command = parse_command_text(parsed.text)
        if command is None:
            events.append(MessageReceived(**common, message=message, text=parsed.text))  # type: ignore[arg-type]
        else:
            events.append(
                CommandReceived(**common, message=message, name=command.name, args=command.args)  # type: ignore[arg-type]
            )
    return events


CHATS: dict[str, object] = {}


def run(count: int = 10_000, seed: int = 7) -> Result:
    spec = load_network_file(EXAMPLE)
    rng = random.Random(seed)
    members = [
        (m.person_id, str(m.group_id))
        for m in spec.memberships
        if (g := spec.network.group(m.group_id)) is not None and g.kind.value == "buurt"
    ]
    for group in spec.network.groups:
        CHATS[str(group.id)] = group.chat
    lines = [(*rng.choice(members), text) for text in rng.choices(LINES, weights=WEIGHTS, k=count)]
    with tempfile.TemporaryDirectory(prefix="buurtbot-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_session_factory(engine)
        networks = NetworkCache()

        def uow_factory() -> UnitOfWork:
            return SqlUnitOfWork(sessions, network_cache=networks)

        with uow_factory() as uow:
            apply_network(uow, spec)
            uow.commit()
        bot = BuurtBot(uow_factory, Translators(load_all()))
        started = datetime.now(UTC)
        # Warm up both paths (imports, caches, the SQLite page cache) outside the timing.
        for event in make_events(lines[:200], "warmup", started):
            bot.handle(event)

        t0 = time.perf_counter()
        make_events(lines, "baseline", started)
        baseline = time.perf_counter() - t0

        t0 = time.perf_counter()
        for event in make_events(lines, "core", started):
            bot.handle(event)
        core = time.perf_counter() - t0
        engine.dispose()
    return Result(count, baseline, core)


def report(result: Result) -> str:
    return (
        f"console messages through the core on SQLite: {result.messages} messages\n"
        f"  baseline (parsing only): {result.messages / result.baseline_s:,.0f} msg/s\n"
        f"  through the core:        {result.messages / result.core_s:,.0f} msg/s\n"
        f"  ratio core/baseline:     {result.ratio:,.1f}x the time"
    )
