"""The regie dashboard with 100,000 escalations across 500 buurten, against the same page
with 1,000 escalations.

Two SQLite files hold the same generated network (500 buurten in 25 kernen, each buurt with
a Telegram buurtgroep, a regiegroep and a hoofdcoordinator) and differ only in how many
escalations they hold: spread uniformly over the last 180 days across every buurtgroep,
categories cycling over the gemeente's, each with its melding, about a tenth of those with
112 called. The rows go in with SQLAlchemy Core in batches (the repositories would take
minutes), then ``ANALYZE`` runs if :data:`ANALYZE` is set.

Each page is requested through the real ASGI application (the dashboard's routes inside
the sign-up form's application, as in production) with Starlette's ``TestClient``, signed in
as the hoofdcoordinator. Server time is taken around the ASGI call, so it holds the session
check, the read model's queries, the map and the rendering, but not the test client. The two
databases are interleaved request by request (machines here are noisy); the baseline is the
1k database in the same run. Goal: p95(100k) / p95(1k) <= 3 per page, i.e. indexed queries
that stop at their page, no full scans.

The statements the read model issues for each page are captured while one request runs and
shown with SQLite's ``EXPLAIN QUERY PLAN``, each timed on its own in both databases.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event, insert, text
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory
from buurtbot.adapters.sql.orm import EscalationRow, MeldingRow
from buurtbot.adapters.sql.repositories import NetworkCache
from buurtbot.bootstrap import prepare_database, web_application
from buurtbot.core.domain.melding import DEFAULT_CATEGORIES
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import GemeenteId, PersonId
from buurtbot.core.services.dashboard import issue_link
from buurtbot.locales import load_all
from tests.world import FixedClock

T = TypeVar("T")

SMALL = 1_000
LARGE = 100_000
KERNEN = 25
BUURTEN = 500
#: Escalations are spread over this many days before :data:`NOW`.
DAYS = 180
CALLED_112 = 0.10
BATCH = 5_000
#: Run ``ANALYZE`` after filling. Off: buurtbot never runs it, and it does not help here
#: (with statistics SQLite counts by a skip-scan of ix_escalation_source_group_time, still
#: with a table lookup per row, and sorts the kern table instead of walking it newest first).
ANALYZE = False
WARMUP = 2
#: Interleaved rounds (each requests every page from both databases): up to ROUNDS, but
#: no more once MEASURE_BUDGET_S is spent (at least MIN_ROUNDS), to keep the run short.
ROUNDS = 60
MIN_ROUNDS = 20
MEASURE_BUDGET_S = 60.0
GOAL = 3.0
#: Executions of each captured statement when timing it on its own.
STATEMENT_REPEATS = 5

GEMEENTE = GemeenteId("bench")
HOOFD = "hoofd"
#: The moment the dashboard looks from (a fixed clock, as in the web tests).
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
CATEGORIES = tuple(DEFAULT_CATEGORIES)
#: The kern and buurt the filtered pages ask for.
KERN = "k7"
BUURT = "k7-b3"


@dataclass(frozen=True)
class Page:
    name: str
    path: str


PAGES = (
    Page("map (default: 30 days, gemeente)", "/dashboard"),
    Page("table: kern + category, 90 d", f"/dashboard?kern={KERN}&category=inbraak&period=90"),
    Page("table: buurt, 365 d, page 2", f"/dashboard?buurt={BUURT}&period=365&page=2"),
    Page(
        "CSV: buurt + category, 90 d",
        f"/dashboard/export.csv?buurt={BUURT}&category=inbraak&period=90",
    ),
)


# -- the data ------------------------------------------------------------------------------------
def group_number(kern: int, buurt: int) -> int:
    return (kern - 1) * (BUURTEN // KERNEN) + buurt


def network_toml() -> str:
    """:data:`BUURTEN` buurten in :data:`KERNEN` kernen (``k<k>-b<j>``), each with a
    buurtgroep ``g<n>`` and its eigenaar ``e<n>``; a regiegroep with the hoofdcoordinator."""
    per_kern = BUURTEN // KERNEN
    lines = [
        "[gemeente]",
        f'id = "{GEMEENTE}"',
        'name = "Benchmark"',
        'timezone = "Europe/Amsterdam"',
        'locale = "nl"',
        f"retention_days = {DAYS + 30}",
    ]
    for k in range(1, KERNEN + 1):
        lines += ["", "[[kern]]", f'id = "k{k}"', f'name = "Kern {k}"']
    for k in range(1, KERNEN + 1):
        for b in range(1, per_kern + 1):
            n = group_number(k, b)
            lines += [
                "",
                "[[buurt]]",
                f'id = "k{k}-b{b}"',
                f'kern = "k{k}"',
                f'name = "Buurt {b} in kern {k}"',
                "",
                "[[group]]",
                f'id = "g{n}"',
                'kind = "buurt"',
                f'buurt = "k{k}-b{b}"',
                'platform = "telegram"',
                f'chat_id = "-100{n}"',
                f'name = "Buurtgroep {n}"',
                f'eigenaar = "e{n}"',
                "",
                "[[person]]",
                f'handle = "e{n}"',
                f'name = "Eigenaar {n}"',
                f'telegram = "{10_000 + n}"',
            ]
    lines += [
        "",
        "[[group]]",
        'id = "regie"',
        'kind = "regie"',
        'platform = "telegram"',
        f'chat_id = "-100{BUURTEN + 1}"',
        'name = "Regiegroep"',
        f'leden = ["{HOOFD}"]',
        "",
        "[[person]]",
        f'handle = "{HOOFD}"',
        'name = "Hoofd"',
        'telegram = "9999"',
        'roles = ["hoofdcoordinator"]',
    ]
    return "\n".join(lines) + "\n"


def fill(url: str, count: int, seed: int) -> tuple[float, float]:
    """Put ``count`` escalations (each with its melding) in; the seconds that took, and
    the seconds ``ANALYZE`` took (0 without :data:`ANALYZE`)."""
    rng = random.Random(seed)
    span = DAYS * 86_400
    engine = make_engine(url)
    t0 = time.perf_counter()
    try:
        with engine.begin() as conn:
            for start in range(0, count, BATCH):
                meldingen: list[dict[str, Any]] = []
                escalations: list[dict[str, Any]] = []
                for i in range(start, min(start + BATCH, count)):
                    n = rng.randrange(BUURTEN) + 1
                    group = f"{GEMEENTE}:g{n}"
                    chat = f"-100{n}"
                    at = NOW - timedelta(seconds=rng.uniform(0, span))
                    category = CATEGORIES[i % len(CATEGORIES)]
                    called = rng.random() < CALLED_112
                    melding_id = f"m{i:07d}{secrets.token_hex(3)}"
                    meldingen.append(
                        {
                            "id": melding_id,
                            "gemeente_id": GEMEENTE,
                            "group_id": group,
                            "created_at": at,
                            "reporter_id": None,
                            "category": category,
                            "message_platform": "telegram",
                            "message_chat_id": chat,
                            "message_private": False,
                            "message_id": str(i),
                            "called_112_by": None,
                            "called_112_by_name": "Eva" if called else None,
                            "called_112_at": at + timedelta(minutes=3) if called else None,
                            "structured": False,
                        }
                    )
                    escalations.append(
                        {
                            "id": f"e{i:07d}{secrets.token_hex(3)}",
                            "gemeente_id": GEMEENTE,
                            "source_group": group,
                            "source_platform": "telegram",
                            "source_chat_id": chat,
                            "source_private": False,
                            "source_message_id": str(i),
                            "text": f"Verdachte situatie nummer {i} bij de achterdeur, "
                            "twee personen, donkere kleding",
                            "escalated_by": f"{GEMEENTE}:e{n}",
                            "escalated_at": at,
                            "scope": "default" if i % 4 else "kern",
                            "category": category,
                            "melding_id": melding_id,
                            "forwarded_from": None,
                        }
                    )
                conn.execute(insert(MeldingRow), meldingen)
                conn.execute(insert(EscalationRow), escalations)
        filled = time.perf_counter()
        if ANALYZE:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        return filled - t0, time.perf_counter() - filled
    finally:
        engine.dispose()


# -- the site -----------------------------------------------------------------------------------
class _Timed:
    """ASGI middleware keeping the duration of the last request's application call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        t0 = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = time.perf_counter() - t0


@dataclass
class _Site:
    engine: Engine
    client: TestClient
    timed: _Timed
    #: Statements captured while :attr:`capturing` is set: (SQL, parameters).
    statements: list[tuple[str, Any]] = field(default_factory=list)
    capturing: bool = False

    def get(self, path: str) -> float:
        response = self.client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
        return self.timed.last

    def capture(self, path: str) -> list[tuple[str, Any]]:
        self.statements = []
        self.capturing = True
        try:
            self.get(path)
        finally:
            self.capturing = False
        return self.statements


@contextmanager
def _site(url: str) -> Iterator[_Site]:
    """The sign-up form's application with the dashboard's routes, wired as in production
    (one database thread, one network cache), signed in as the hoofdcoordinator."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    networks = NetworkCache()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-db")
    clock = FixedClock(NOW)

    def run_blocking(fn: Callable[[], T]) -> Awaitable[T]:
        return asyncio.get_running_loop().run_in_executor(executor, fn)

    def uow() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, network_cache=networks)

    app = web_application(uow, run_blocking, Translators(load_all()), clock)
    timed = _Timed(app)
    try:
        with TestClient(timed, base_url="http://testserver") as client:
            site = _Site(engine, client, timed)

            @event.listens_for(engine, "before_cursor_execute")
            def _capture(*args: Any) -> None:
                _conn, _cursor, statement, parameters, _context, _many = args
                if site.capturing:
                    site.statements.append((statement, parameters))

            with uow() as u:
                token = issue_link(u, PersonId(f"{GEMEENTE}:{HOOFD}"), GEMEENTE, clock.now())
                u.commit()
            shown = client.get(f"/dashboard/login?token={token}")
            csrf = re.search(r'name="csrf" value="([^"]+)"', shown.text)
            assert csrf is not None, shown.text[:300]
            done = client.post(
                "/dashboard/login",
                data={"token": token, "csrf": csrf.group(1), "lang": "nl"},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text[:300]
            yield site
    finally:
        executor.shutdown(wait=True)
        engine.dispose()


# -- measuring ----------------------------------------------------------------------------------
def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


@dataclass(frozen=True)
class PageResult:
    page: Page
    small: list[float]
    large: list[float]

    @property
    def ratio(self) -> float:
        return p95(self.large) / p95(self.small)


@dataclass(frozen=True)
class Statement:
    """One statement a page issues that reads the escalation table, as run on its own."""

    page: Page
    summary: str
    #: ``EXPLAIN QUERY PLAN`` on the 100k database.
    plan: list[str]
    small_s: float
    large_s: float
    small_rows: int
    large_rows: int

    @property
    def full_scan(self) -> bool:
        """A scan of the whole table or of a whole index that is not covering."""
        return any(
            re.match(r"SCAN escalation\b", line) and "COVERING INDEX" not in line
            for line in self.plan
        )


@dataclass(frozen=True)
class Result:
    pages: list[PageResult]
    statements: list[Statement]
    network_s: float
    small_fill_s: float
    large_fill_s: float
    analyze_s: float
    rounds: int
    #: The other SELECTs of one map request (session, viewer, network check), 100k database.
    other_sql_s: float

    def sql_s(self, page: Page, large: bool) -> float:
        return sum((s.large_s if large else s.small_s) for s in self.statements if s.page is page)


def _summary(sql: str) -> str:
    flat = " ".join(sql.split())
    if "count(" in flat:
        kind = "count per group and day"
    elif "LIMIT" in flat:
        kind = "table page"
    else:
        kind = "other"
    filters = [
        name
        for name, marker in (
            ("groups IN", "source_group IN"),
            ("category", "escalation.category ="),
            ("called_112", "called_112_at IS"),
        )
        if marker in flat
    ]
    return kind + (f" ({', '.join(filters)})" if filters else "")


def _plan(engine: Engine, sql: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        cursor = conn.connection.cursor()
        try:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, parameters)
            return [row[3] for row in cursor.fetchall()]
        finally:
            cursor.close()


def _time(engine: Engine, sql: str, parameters: Any) -> tuple[float, int]:
    """The median time of ``sql`` run on its own, and how many rows it returns."""
    with engine.connect() as conn:
        cursor = conn.connection.cursor()
        try:
            times = []
            rows = 0
            for _ in range(STATEMENT_REPEATS):
                t0 = time.perf_counter()
                cursor.execute(sql, parameters)
                rows = len(cursor.fetchall())
                times.append(time.perf_counter() - t0)
            return statistics.median(times), rows
        finally:
            cursor.close()


def _reads_escalations(sql: str) -> bool:
    return "FROM escalation" in sql


def _statements(small: _Site, large: _Site) -> tuple[list[Statement], float]:
    """Each page's escalation statements, captured from one request to each database."""
    found: list[Statement] = []
    other_s = 0.0
    for page in PAGES:
        small_reads = [s for s in small.capture(page.path) if _reads_escalations(s[0])]
        captured = large.capture(page.path)
        if page is PAGES[0]:
            other_s = sum(
                _time(large.engine, sql, params)[0]
                for sql, params in captured
                if not _reads_escalations(sql) and sql.lstrip().upper().startswith("SELECT")
            )
        large_reads = [s for s in captured if _reads_escalations(s[0])]
        for (sql, params), (_, small_params) in zip(large_reads, small_reads, strict=True):
            small_s, small_rows = _time(small.engine, sql, small_params)
            large_s, large_rows = _time(large.engine, sql, params)
            found.append(
                Statement(
                    page=page,
                    summary=_summary(sql),
                    plan=_plan(large.engine, sql, params),
                    small_s=small_s,
                    large_s=large_s,
                    small_rows=small_rows,
                    large_rows=large_rows,
                )
            )
    return found, other_s


def run() -> Result:
    with tempfile.TemporaryDirectory(prefix="buurtbot-bench-") as tmp:
        base = Path(tmp) / "network.db"
        network = base.with_suffix(".toml")
        network.write_text(network_toml(), encoding="utf-8")
        t0 = time.perf_counter()
        prepare_database(f"sqlite:///{base}", [network])
        network_s = time.perf_counter() - t0
        urls = {}
        for count in (SMALL, LARGE):
            path = Path(tmp) / f"escalations-{count}.db"
            shutil.copyfile(base, path)  # the engine is disposed: no WAL left beside it
            urls[count] = f"sqlite:///{path}"
        small_fill_s, _ = fill(urls[SMALL], SMALL, seed=1)
        large_fill_s, analyze_s = fill(urls[LARGE], LARGE, seed=2)
        times: dict[tuple[int, Page], list[float]] = {}
        with _site(urls[SMALL]) as small, _site(urls[LARGE]) as large:
            sites = {SMALL: small, LARGE: large}
            for page in PAGES:
                for site in sites.values():
                    for _ in range(WARMUP):
                        site.get(page.path)
            started = time.perf_counter()
            rounds = 0
            while rounds < ROUNDS and (
                rounds < MIN_ROUNDS or time.perf_counter() - started < MEASURE_BUDGET_S
            ):
                order = (SMALL, LARGE) if rounds % 2 else (LARGE, SMALL)
                for page in PAGES:
                    for count in order:
                        times.setdefault((count, page), []).append(sites[count].get(page.path))
                rounds += 1
            statements, other_s = _statements(small, large)
    return Result(
        pages=[PageResult(page, times[(SMALL, page)], times[(LARGE, page)]) for page in PAGES],
        statements=statements,
        network_s=network_s,
        small_fill_s=small_fill_s,
        large_fill_s=large_fill_s,
        analyze_s=analyze_s,
        rounds=rounds,
        other_sql_s=other_s,
    )


def report(result: Result) -> str:
    ms = 1000
    analyze = f"ANALYZE {result.analyze_s:.1f} s" if ANALYZE else "no ANALYZE"
    lines = [
        f"regie dashboard over HTTP on SQLite: {BUURTEN} buurten in {KERNEN} kernen, "
        f"{SMALL:,} vs {LARGE:,} escalations over {DAYS} days",
        f"  building: network {result.network_s:.1f} s; escalations with their meldingen: "
        f"{SMALL:,} in {result.small_fill_s:.1f} s, {LARGE:,} in {result.large_fill_s:.1f} s "
        f"({analyze})",
        f"  server time, ms ({result.rounds} interleaved rounds; 'SQL' = the page's escalation "
        "statements run alone)",
        f"  {'page':34} {'1k med':>7} {'1k p95':>7} {'100k med':>9} {'100k p95':>9} "
        f"{'SQL 1k':>7} {'SQL 100k':>9}  p95 ratio",
    ]
    for p in result.pages:
        lines.append(
            f"  {p.page.name:34} {statistics.median(p.small) * ms:7.1f} "
            f"{p95(p.small) * ms:7.1f} {statistics.median(p.large) * ms:9.1f} "
            f"{p95(p.large) * ms:9.1f} {result.sql_s(p.page, False) * ms:7.1f} "
            f"{result.sql_s(p.page, True) * ms:9.1f}  {p.ratio:6.2f}x (goal <= {GOAL:g})"
        )
    worst = max(result.pages, key=lambda p: p.ratio)
    verdict = "meets" if worst.ratio <= GOAL else "MISSES"
    lines.append(
        f"  worst p95 ratio {worst.ratio:.2f}x ({worst.page.name}): {verdict} the goal <= {GOAL:g}"
    )
    lines.append("  escalation statements (plan on 100k; ms alone and rows returned, 1k -> 100k):")
    for s in result.statements:
        flag = "  FULL SCAN" if s.full_scan else ""
        lines.append(
            f"    [{s.page.name}] {s.summary}: {s.small_s * ms:.1f} -> {s.large_s * ms:.1f} ms, "
            f"{s.small_rows:,} -> {s.large_rows:,} rows{flag}"
        )
        lines.extend(f"        {line}" for line in s.plan)
    scans = sum(s.full_scan for s in result.statements)
    lines.append(
        f"  full scans of escalation: {scans} of {len(result.statements)} statements; "
        f"the other SQL of a map request (session, viewer, network): "
        f"{result.other_sql_s * ms:.2f} ms"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
