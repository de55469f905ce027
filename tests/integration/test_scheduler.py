"""The scheduler: one process holds the lock (PostgreSQL advisory lock, SQLite file lock),
missed jobs run once after a restart, and the retention deletes work on real databases."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from buurtbot.adapters.scheduler import (
    FileLock,
    JobScheduler,
    PostgresAdvisoryLock,
    SchedulerLock,
    digest_due,
    lock_for,
)
from buurtbot.adapters.sql import make_engine
from buurtbot.core.actions import SendText
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.escalation import Escalation, Scope
from buurtbot.core.domain.melding import Melding
from buurtbot.core.domain.model import Person
from buurtbot.core.domain.moderation import Warning, WarningReason
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.weekly_chart import WeeklyChart
from buurtbot.core.ids import GroupId, MessageRef, PersonId
from buurtbot.core.ports import Capabilities, ChartRenderer
from buurtbot.core.services import jobs
from buurtbot.core.text import RichText
from tests.images import tiny_png
from tests.integration.conftest import GEMEENTE, UowFactory
from tests.world import TRANSLATORS, FixedClock, World

T = TypeVar("T")


async def inline(fn: Callable[[], T]) -> T:
    """``run_blocking`` for tests: the work runs on a worker thread, like the app's."""
    return await asyncio.to_thread(fn)


# -- the lock -------------------------------------------------------------------------------
def test_only_one_lock_holder_and_the_next_takes_over(migrated_url: str) -> None:
    """Two engines stand for two processes sharing the database."""
    first_engine, second_engine = make_engine(migrated_url), make_engine(migrated_url)
    first, second = lock_for(first_engine), lock_for(second_engine)
    try:
        expected = PostgresAdvisoryLock if migrated_url.startswith("postgresql") else FileLock
        assert isinstance(first, expected)
        assert isinstance(second, expected)
        assert first.acquire()
        assert first.held
        assert first.acquire()  # holding it again is fine
        assert not second.acquire()
        assert not second.held
        first.release()
        first.release()  # twice is harmless
        assert second.acquire()
        assert not first.acquire()
        second.release()
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def _scheduler(world: World, lock: SchedulerLock, woken: list[int] | None = None) -> JobScheduler:
    ctx = jobs.JobContext(world.uow_factory, TRANSLATORS, world.clock)
    return JobScheduler(
        ctx, lock, inline, (lambda: woken.append(1)) if woken is not None else lambda: None
    )


async def test_the_process_without_the_lock_runs_no_jobs_until_the_holder_stops(
    migrated_url: str,
) -> None:
    world = World()
    world.clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # a Monday, after 08:00 NL
    engines: list[Engine] = [make_engine(migrated_url), make_engine(migrated_url)]
    a = _scheduler(world, lock_for(engines[0]))
    b = _scheduler(world, lock_for(engines[1]))
    try:
        await a.start()
        await b.start()
        assert a.holds_lock
        assert not b.holds_lock
        assert [r.job for r in a.reports] == list(jobs.JOBS)  # caught up on start
        assert await b.run("digest") is None
        assert b.reports == []

        await a.stop()
        assert await b.try_lock()
        assert [r.job for r in b.reports] == list(jobs.JOBS)
        assert not any(r.changed for r in b.reports)  # a already did this week's work
    finally:
        await a.stop()
        await b.stop()
        for engine in engines:
            engine.dispose()


# -- missed jobs after a restart --------------------------------------------------------------
async def test_a_job_missed_while_down_runs_once_after_a_restart(tmp_path: Any) -> None:
    world = World()
    world.clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday
    lock_path = tmp_path / "buurtbot.db.scheduler.lock"
    woken: list[int] = []

    before = _scheduler(world, FileLock(lock_path), woken)
    await before.start()
    digests = [r for r in world.store.state.outbox.values() if r.key.startswith("digest:")]
    assert len(digests) == 1
    assert woken
    await before.stop()

    world.clock.advance(days=8)  # down over the next Monday's digest time
    woken.clear()
    after = _scheduler(world, FileLock(lock_path), woken)
    await after.start()
    try:
        digests = [r for r in world.store.state.outbox.values() if r.key.startswith("digest:")]
        assert len(digests) == 2  # the missed one, once
        assert [r.counts.get("sent") for r in after.reports if r.job == "digest"] == [1]
        assert woken
        await after.run_missed()  # running again (a coalesced late run) changes nothing
        assert not any(r.changed for r in after.reports[len(jobs.JOBS) :])
    finally:
        await after.stop()


async def test_the_digest_chart_is_drawn_while_the_database_thread_is_free(
    tmp_path: Any,
) -> None:
    """The database thread serves every chat: drawing (a second or more) must not hold it."""
    world = World()
    world.clock.at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday
    database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")

    async def on_database(fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(database, fn)

    class Probe(ChartRenderer):
        def __init__(self) -> None:
            self.threads: list[str] = []

        def weekly_counts_png(self, chart: WeeklyChart) -> bytes:
            self.threads.append(threading.current_thread().name)
            # On the database thread this would wait for itself (and time out).
            database.submit(lambda: None).result(timeout=5)
            return tiny_png(640, 360)

    probe = Probe()
    platform = world.group("regie").chat.platform
    ctx = jobs.JobContext(
        world.uow_factory,
        TRANSLATORS,
        world.clock,
        {platform: Capabilities(send_images=True)},
        charts=probe,
    )
    scheduler = JobScheduler(ctx, FileLock(tmp_path / "x.lock"), on_database)
    try:
        await scheduler.start()
        [digest] = [r for r in scheduler.reports if r.job == "digest"]
        assert digest.counts == {"sent": 1, "charts": 1}
        assert len(probe.threads) == 1
        assert not probe.threads[0].startswith("database")
        keys = {r.key for r in world.store.state.outbox.values() if r.key.startswith("digest:")}
        assert keys == {"digest:hof-van-twente:2026-W49", "digest:hof-van-twente:2026-W49:chart"}
        assert await scheduler.run("digest") is not None  # again: nothing drawn or queued
        assert len(probe.threads) == 1
    finally:
        await scheduler.stop()
        database.shutdown()


async def test_the_schedule_is_coalesced_and_the_digest_is_monday_at_eight(tmp_path: Any) -> None:
    world = World()
    scheduler = _scheduler(world, FileLock(tmp_path / "x.lock"))
    await scheduler.start()
    try:
        inner = scheduler._scheduler
        assert inner is not None
        by_id = {job.id: job for job in inner.get_jobs()}
        assert set(by_id) >= set(jobs.JOBS)
        for name in jobs.JOBS:
            assert by_id[name].coalesce
            assert by_id[name].max_instances == 1
            assert by_id[name].misfire_grace_time >= 24 * 3600
        fire = by_id["digest"].trigger.get_next_fire_time(
            None, datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
        )
        assert (fire.weekday(), fire.hour, fire.minute) == (0, 8, 0)
        assert str(fire.tzinfo) == "Europe/Amsterdam"
    finally:
        await scheduler.stop()


def test_the_digest_catches_up_only_after_monday_eight() -> None:
    assert not digest_due(datetime(2026, 11, 30, 6, 59, tzinfo=UTC))  # Mon 07:59 NL
    assert digest_due(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # Mon 08:00 NL
    assert digest_due(datetime(2026, 12, 6, 22, 0, tzinfo=UTC))  # Sunday night


# -- retention on the real databases ----------------------------------------------------------
def test_retention_deletes_on_sql(uow_factory: UowFactory, network: Network) -> None:
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    days = network.gemeente.settings.retention_days
    old, recent = now - timedelta(days=days + 1), now - timedelta(days=days - 1)
    group = network.group(GroupId("bg-goor-centrum"))
    assert group is not None
    anna, eva = PersonId("anna"), PersonId("eva")
    with uow_factory() as uow:
        uow.networks.save(network)
        for pid in (anna, eva):
            uow.persons.save(Person(pid, GEMEENTE, pid.title()))
        for name, at in (("old", old), ("recent", recent)):
            uow.meldingen.save(Melding(f"m-{name}", GEMEENTE, group.id, at))
            uow.escalations.add(
                Escalation(f"e-{name}", GEMEENTE, group.id, MessageRef(group.chat, name),
                           "text", anna, at, Scope.DEFAULT, melding_id=f"m-{name}")
            )  # fmt: skip
            uow.audit.add(AuditEntry(GEMEENTE, at, AuditAction.WARNED, anna, eva, group.id))
            uow.warnings.add(
                Warning(
                    f"w-{name}",
                    GEMEENTE,
                    eva,
                    group.id,
                    WarningReason.OTHER,
                    "",
                    anna,
                    at - timedelta(days=1),
                    at,
                )
            )
            uow.outbox.add(
                SendText(chat=group.chat, text=RichText.of(name)), key=f"k-{name}", at=at
            )
        uow.outbox.add(SendText(chat=group.chat, text=RichText.of("p")), key="k-pending", at=old)
        uow.commit()
    with uow_factory() as uow:
        for item in uow.outbox.due(now, 10):
            if item.key != "k-pending":
                uow.outbox.delivered(item.id, now)
        uow.commit()
    with uow_factory() as uow:  # the oldest of each chat goes first: deliver the rest now
        for item in uow.outbox.due(now + timedelta(minutes=5), 10):
            if item.key != "k-pending":
                uow.outbox.delivered(item.id, now)
        uow.commit()

    ctx = jobs.JobContext(uow_factory, TRANSLATORS, FixedClock(now))
    report = jobs.retention(ctx)
    assert report.counts["escalations"] == 1
    assert report.counts["meldingen"] == 1
    assert report.counts["audit"] == 1
    assert report.counts["warnings"] == 1
    with uow_factory() as uow:
        assert uow.meldingen.get("m-old") is None
        assert uow.meldingen.get("m-recent")
        assert uow.escalations.get("e-old") is None
        recent_escalation = uow.escalations.get("e-recent")
        assert recent_escalation is not None
        assert recent_escalation.melding_id == "m-recent"
        assert [e.at for e in uow.audit.recent(GEMEENTE, 10)] == [recent]
        assert [w.id for w in uow.warnings.of_person(GEMEENTE, eva)] == ["w-recent"]
        assert uow.outbox.state("k-pending") == "pending"
        assert uow.outbox.state("k-recent") == "delivered"
    assert not jobs.retention(ctx).changed


def test_deleting_a_melding_keeps_its_escalation_without_the_link(
    uow_factory: UowFactory, network: Network
) -> None:
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    group = network.group(GroupId("bg-goor-centrum"))
    assert group is not None
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.persons.save(Person(PersonId("anna"), GEMEENTE, "Anna"))
        uow.meldingen.save(Melding("m-1", GEMEENTE, group.id, now - timedelta(days=10)))
        uow.escalations.add(
            Escalation("e-1", GEMEENTE, group.id, MessageRef(group.chat, "1"), "text",
                       PersonId("anna"), now, Scope.DEFAULT, melding_id="m-1")
        )  # fmt: skip
        uow.commit()
    with uow_factory() as uow:
        assert uow.meldingen.delete_before(GEMEENTE, now - timedelta(days=1)) == 1
        uow.commit()
    with uow_factory() as uow:
        kept = uow.escalations.get("e-1")
        assert kept is not None
        assert kept.melding_id is None
