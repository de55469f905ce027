"""The regie dashboard over HTTP on a real SQLite database with the example network, for
the web tests and the browser tests: seeded escalations and a way to sign in."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from starlette.applications import Starlette

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory
from buurtbot.bootstrap import prepare_database, web_application
from buurtbot.core.domain.escalation import Escalation, EscalationId, Scope
from buurtbot.core.domain.melding import Called112, Melding, MeldingId
from buurtbot.core.domain.network import Network
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, MessageRef, PersonId
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.services.dashboard import issue_link
from buurtbot.locales import load_all
from tests.world import FixedClock

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hof-van-twente.toml"
GEMEENTE = GemeenteId("hof-van-twente")
#: The moment the tests look from: Sunday 29 November 2026, 10:00 in Goor.
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Seeded:
    """One escalation to put in: ``days_ago`` before :data:`NOW`, from ``buurt``'s group."""

    buurt: str
    days_ago: float
    text: str = "Verdachte auto in de straat"
    category: str | None = "verdacht-voertuig"
    called_112: bool = False


#: The data set of the web and browser tests, with its counts per buurt (last 30 days).
SEED: tuple[Seeded, ...] = (
    Seeded("goor-centrum", 0.1, "Twee mannen bij de achterdeur <script>alert(1)</script>",
           "inbraak", called_112=True),
    Seeded("goor-centrum", 1, "Grijze Golf 12-GZB-8, bel Henk op 06 1234 5678"),
    Seeded("goor-centrum", 3, "=HYPERLINK(\"http://evil\")", "overig"),
    Seeded("goor-west", 2, "Ladder tegen de gevel", "inbraak"),
    Seeded("goor-west", 12, "Iemand probeert deuren", "verdachte-persoon"),
    Seeded("delden-stad", 5, "Bekraste auto's", "vandalisme"),
    Seeded("markelo-dorp", 20, "Busje rijdt rondjes"),
    Seeded("markelo-dorp", 45, "Oud: buiten de 30 dagen"),
)  # fmt: skip
COUNTS_30_DAYS = {"goor-centrum": 3, "goor-west": 2, "delden-stad": 1, "markelo-dorp": 1}


def seed(
    uow: UnitOfWork, network: Network, items: tuple[Seeded, ...] = SEED, *, now: datetime = NOW
) -> list[str]:
    """Store ``items`` as escalations (with a melding for each), dated back from ``now``;
    their ids, in order."""
    ids: list[str] = []
    for number, item in enumerate(items):
        [group] = network.buurtgroepen_of(item.buurt)  # type: ignore[arg-type]
        at = now - timedelta(days=item.days_ago)
        melding = Melding(
            id=MeldingId(f"m{number:04d}{secrets.token_hex(4)}"),
            gemeente_id=GEMEENTE,
            group_id=group.id,
            created_at=at,
            category=item.category,
            called_112=Called112(at=at + timedelta(minutes=2), by=None, by_name="Eva")
            if item.called_112
            else None,
        )
        uow.meldingen.save(melding)
        escalation = Escalation(
            id=EscalationId(f"e{number:04d}{secrets.token_hex(6)}"),
            gemeente_id=GEMEENTE,
            source_group=GroupId(group.id),
            source_message=MessageRef(
                ChatRef(group.chat.platform, group.chat.chat_id), f"{number}-{secrets.token_hex(4)}"
            ),
            text=item.text,
            escalated_by=PersonId(f"{GEMEENTE}:anna"),
            escalated_at=at,
            scope=Scope.DEFAULT,
            category=item.category,
            melding_id=melding.id,
        )
        uow.escalations.add(escalation)
        ids.append(escalation.id)
    return ids


@dataclass
class Site:
    app: Starlette
    clock: FixedClock
    uow: Callable[[], SqlUnitOfWork]
    network: Network

    def link(self, handle: str) -> str:
        """A fresh sign-in link's path for ``handle`` (as /dashboard would send it)."""
        with self.uow() as uow:
            token = issue_link(uow, PersonId(f"{GEMEENTE}:{handle}"), GEMEENTE, self.clock.now())
            uow.commit()
        return f"/dashboard/login?token={token}"


@contextmanager
def dashboard_site(tmp_path: Path, *, secure: bool = False) -> Iterator[Site]:
    """The web application (form and dashboard) on a new database with :data:`SEED`."""
    url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    prepare_database(url, [EXAMPLE])
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    executor = ThreadPoolExecutor(max_workers=1)
    clock = FixedClock(NOW)

    def run_blocking(fn: Callable[[], T]) -> Awaitable[T]:
        return asyncio.get_running_loop().run_in_executor(executor, fn)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions)

    app = web_application(uow, run_blocking, Translators(load_all()), clock, secure=secure)
    with uow() as u:
        [network] = u.networks.all()
        seed(u, network)
        u.commit()
    try:
        yield Site(app, clock, uow, network)
    finally:
        executor.shutdown()
        engine.dispose()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page[:500]
    return found.group(1)
