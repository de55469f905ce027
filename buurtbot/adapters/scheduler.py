"""Runs the jobs of :mod:`buurtbot.core.services.jobs` on time, in one process only.

- **APScheduler 3** (:class:`AsyncIOScheduler`) on the application's event loop; each job
  runs on the app's database thread (``run_blocking``) and wakes the outbox relay when it
  queued something. The digest's charts are drawn in a worker thread in between (reading
  what to draw and queueing the result stay on the database thread). Expiring invites,
  reminders (of sign-ups and of police follow-ups) and the waiting list run hourly,
  retention daily, the digest on Mondays at 08:00 Europe/Amsterdam. ``coalesce``,
  ``max_instances=1`` and a large ``misfire_grace_time``: a run that was late (a busy loop,
  a suspended laptop) happens once.
- **Memory job store, on purpose.** The jobs keep their state in our own tables (what was
  revoked, reminded, queued under a digest key) and decide from the data what is due, so a
  persistent APScheduler store would only duplicate that. Instead every job runs once right
  after the scheduler gets the lock (:meth:`JobScheduler.run_missed`): whatever fell due
  while no process was running happens then, once, and a job that had nothing to do does
  nothing. The digest is the one exception: it catches up only when this week's Monday
  08:00 has passed, so a restart early on Monday does not send it early.
- **One scheduling process.** Several processes may share one database (PostgreSQL); only
  the holder of a lock runs jobs: on PostgreSQL a session-level advisory lock
  (``pg_try_advisory_lock``) on a connection kept open for the scheduler's life, on SQLite
  an exclusive ``flock`` on a file next to the database. The others log that and try again
  every ``lock_retry_seconds``; when the holder stops (or dies: the database drops its
  session, the kernel its file lock) the next try succeeds. The jobs are idempotent, so even
  two schedulers would not double a message; the lock only spares the work.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]
from sqlalchemy import Connection, Engine, text

from buurtbot.core.actions import SendImage
from buurtbot.core.services.jobs import (
    JOBS,
    DigestChart,
    JobContext,
    JobReport,
    digest_charts_to_draw,
    draw_digest_charts,
    weekly_digest,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The advisory lock id of the scheduler ("buurtbot" in ASCII, as a 64-bit number).
ADVISORY_LOCK_ID = 0x6275757274626F74
DIGEST_DAY = 0  # Monday
DIGEST_AT = time(8, 0)
SCHEDULE_TIMEZONE = "Europe/Amsterdam"
#: A run missed by less than this still happens (once); the jobs decide what is due anyway.
MISFIRE_GRACE_SECONDS = 7 * 24 * 3600

RunBlocking = Callable[[Callable[[], T]], Awaitable[T]]


# ---------------------------------------------------------------------------------------------
# The lock: who schedules
# ---------------------------------------------------------------------------------------------
class SchedulerLock(abc.ABC):
    """Held by at most one process per database. Blocking calls: run them off the loop."""

    @abc.abstractmethod
    def acquire(self) -> bool:
        """Take the lock if it is free; ``True`` when this object holds it (again)."""

    @abc.abstractmethod
    def release(self) -> None:
        """Give the lock up; safe to call when not held."""

    @property
    @abc.abstractmethod
    def held(self) -> bool: ...


class PostgresAdvisoryLock(SchedulerLock):
    """A session-level advisory lock on a connection of its own, kept while held."""

    def __init__(self, engine: Engine, lock_id: int = ADVISORY_LOCK_ID) -> None:
        self._engine = engine
        self._lock_id = lock_id
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:id)"), {"id": self._lock_id}
            ).scalar()
            conn.commit()  # the lock outlives the transaction; do not sit idle in one
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": self._lock_id})
            conn.commit()
        except Exception:
            log.exception("releasing the scheduler lock failed; closing its connection")
        finally:
            # Closing returns the connection to the pool with the session still alive, so the
            # unlock above is what frees the lock; invalidating makes sure of it on failure.
            with contextlib.suppress(Exception):
                conn.invalidate()
            conn.close()


class FileLock(SchedulerLock):
    """An exclusive ``flock`` on ``path``; the kernel frees it when the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is None:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


class ProcessLock(SchedulerLock):
    """For an in-memory SQLite database: no other process can share it."""

    def __init__(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self) -> bool:
        self._held = True
        return True

    def release(self) -> None:
        self._held = False


def lock_for(engine: Engine) -> SchedulerLock:
    """The right lock for the database behind ``engine``."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresAdvisoryLock(engine)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return FileLock(database.with_name(database.name + ".scheduler.lock"))
    return ProcessLock()


# ---------------------------------------------------------------------------------------------
# The scheduler
# ---------------------------------------------------------------------------------------------
def digest_due(now: datetime, timezone: str = SCHEDULE_TIMEZONE) -> bool:
    """Whether this week's digest time (Monday 08:00 local) has passed at ``now``."""
    local = now.astimezone(ZoneInfo(timezone))
    monday = (local - timedelta(days=local.weekday())).date()
    return local >= datetime.combine(monday + timedelta(DIGEST_DAY), DIGEST_AT, local.tzinfo)


class JobScheduler:
    """Owns an :class:`AsyncIOScheduler` and the lock; call :meth:`start` on the app's loop."""

    def __init__(
        self,
        ctx: JobContext,
        lock: SchedulerLock,
        run_blocking: RunBlocking[Any],
        wake: Callable[[], None] = lambda: None,
        *,
        timezone: str = SCHEDULE_TIMEZONE,
        lock_retry_seconds: float = 60.0,
    ) -> None:
        self.ctx = ctx
        self.lock = lock
        self._run_blocking = run_blocking
        self._wake = wake
        self._timezone = timezone
        self._lock_retry = lock_retry_seconds
        self._scheduler: AsyncIOScheduler | None = None
        #: What ran, newest last (for logs and tests).
        self.reports: list[JobReport] = []

    @property
    def holds_lock(self) -> bool:
        return self.lock.held

    async def start(self) -> None:
        """Schedule the jobs, take the lock if free, and catch up on what was missed."""
        tz = ZoneInfo(self._timezone)
        scheduler = AsyncIOScheduler(
            timezone=tz,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        hourly = IntervalTrigger(hours=1, timezone=tz)
        scheduler.add_job(self.run, hourly, args=["expire-invites"], id="expire-invites")
        scheduler.add_job(self.run, hourly, args=["remind-pending"], id="remind-pending")
        scheduler.add_job(self.run, hourly, args=["route-waiting"], id="route-waiting")
        scheduler.add_job(self.run, hourly, args=["police-followup"], id="police-followup")
        scheduler.add_job(
            self.run, IntervalTrigger(days=1, timezone=tz), args=["retention"], id="retention"
        )
        scheduler.add_job(
            self.run,
            CronTrigger(
                day_of_week="mon", hour=DIGEST_AT.hour, minute=DIGEST_AT.minute, timezone=tz
            ),
            args=["digest"],
            id="digest",
        )
        scheduler.add_job(
            self.try_lock,
            IntervalTrigger(seconds=self._lock_retry, timezone=tz),
            id="scheduler-lock",
        )
        scheduler.start()
        self._scheduler = scheduler
        await self.try_lock()

    async def stop(self) -> None:
        """Stop scheduling and give the lock to the next process. Safe to call twice."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if self.lock.held:
            await self._run_blocking(self.lock.release)

    async def try_lock(self) -> bool:
        """Take the lock if free; on getting it, run what was missed. ``True`` when held."""
        if self.lock.held:
            return True
        try:
            got = bool(await self._run_blocking(self.lock.acquire))
        except Exception:
            log.exception("could not ask for the scheduler lock; trying again later")
            return False
        if not got:
            log.info("another process runs the scheduled jobs; retrying in %ss", self._lock_retry)
            return False
        log.info("this process runs the scheduled jobs")
        await self.run_missed()
        return True

    async def run_missed(self) -> None:
        """Run every job once: each does what fell due while nobody ran it (or nothing)."""
        for name in JOBS:
            if name == "digest" and not digest_due(self.ctx.clock.now(), self._timezone):
                continue
            await self.run(name)

    async def run(self, name: str) -> JobReport | None:
        """Run one job on the database thread, if this process holds the lock."""
        if not self.lock.held:
            log.debug("%s skipped: another process schedules", name)
            return None
        job = JOBS[name]
        try:
            if name == "digest":
                report: JobReport = await self._digest()
            else:
                report = await self._run_blocking(lambda: job(self.ctx))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduled job %s failed; it runs again at its next time", name)
            return None
        self.reports.append(report)
        if report.changed:
            log.info("%s: %s", name, dict(report.counts))
            self._wake()
        return report

    async def _digest(self) -> JobReport:
        """The digest, its charts drawn in a worker thread in between: drawing takes a second
        or more, and the database thread it would otherwise hold up serves every chat."""
        ctx = self.ctx
        charts: dict[str, SendImage] | None = None
        if ctx.charts is not None:
            todo: list[DigestChart] = await self._run_blocking(lambda: digest_charts_to_draw(ctx))
            charts = await asyncio.to_thread(draw_digest_charts, ctx.charts, todo) if todo else {}
        report: JobReport = await self._run_blocking(lambda: weekly_digest(ctx, charts))
        return report
