"""Storage of the regie dashboard: its sign-in links and sessions, and its read model.

The read model answers with aggregates and pages, never whole tables. The map (a count
per buurtgroep) and the timeline (a count per day) read only ``ix_escalation_overview``,
which holds every column they look at, so a count touches the index entries of the chosen
period and nothing else; each returns at most a row per group or per day. The table walks
the same index newest first and stops at its page.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, cast, delete, func, select
from sqlalchemy.orm import Session
from sqlalchemy.types import Date

from buurtbot.adapters.sql.orm import (
    DashboardAccessRow,
    EscalationRow,
    GroupRow,
    MeldingRow,
    MembershipRow,
)
from buurtbot.core.domain.dashboard import AccessKind, DashboardAccess
from buurtbot.core.domain.escalation import EscalationId
from buurtbot.core.domain.model import GroupRole
from buurtbot.core.ids import GemeenteId, GroupId, PersonId
from buurtbot.core.ports import (
    DashboardAccessRepository,
    EscalationQuery,
    EscalationSummary,
    OverviewQueries,
)

_BEHEERDER_ROLES = (GroupRole.EIGENAAR.value, GroupRole.MEDE_BEHEERDER.value)


class SqlDashboardAccess(DashboardAccessRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, access: DashboardAccess) -> None:
        self._session.add(
            DashboardAccessRow(
                token_hash=access.token_hash,
                kind=access.kind.value,
                person_id=access.person_id,
                gemeente_id=access.gemeente_id,
                created_at=access.created_at,
                expires_at=access.expires_at,
            )
        )
        self._session.flush()

    def take_link(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        row = self._session.get(DashboardAccessRow, token_hash)
        if row is None or row.kind != AccessKind.LINK.value:
            return None
        # The delete decides a race: only the request whose delete removed the row wins.
        gone = self._session.execute(
            delete(DashboardAccessRow).where(DashboardAccessRow.token_hash == token_hash)
        )
        access = _access(row)
        self._session.expunge(row)
        if gone.rowcount != 1 or not access.valid_at(now):  # type: ignore[attr-defined]
            return None
        return access

    def session(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        row = self._session.get(DashboardAccessRow, token_hash)
        if row is None or row.kind != AccessKind.SESSION.value:
            return None
        access = _access(row)
        return access if access.valid_at(now) else None

    def end(self, token_hash: str) -> None:
        self._session.execute(
            delete(DashboardAccessRow).where(DashboardAccessRow.token_hash == token_hash)
        )

    def of_person(self, person_id: PersonId, now: datetime) -> list[DashboardAccess]:
        rows = self._session.scalars(
            select(DashboardAccessRow)
            .where(DashboardAccessRow.person_id == person_id)
            .where(DashboardAccessRow.expires_at > now)
            .order_by(DashboardAccessRow.created_at, DashboardAccessRow.token_hash)
        )
        return [_access(r) for r in rows]

    def delete_expired(self, now: datetime) -> int:
        result = self._session.execute(
            delete(DashboardAccessRow).where(DashboardAccessRow.expires_at <= now)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _access(row: DashboardAccessRow) -> DashboardAccess:
    return DashboardAccess(
        token_hash=row.token_hash,
        kind=AccessKind(row.kind),
        person_id=PersonId(row.person_id),
        gemeente_id=GemeenteId(row.gemeente_id),
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class SqlOverview(OverviewQueries):
    def __init__(self, session: Session) -> None:
        self._session = session

    def counts_per_group(self, query: EscalationQuery) -> dict[GroupId, int]:
        stmt = (
            select(EscalationRow.source_group, func.count())
            .where(*_conditions(query, query.since, query.until))
            .group_by(EscalationRow.source_group)
        )
        return {GroupId(g): int(n) for g, n in self._session.execute(_with_112(stmt, query))}

    def counts_per_day(self, query: EscalationQuery, timezone: str) -> dict[date, int]:
        """One grouped query per stretch of constant UTC offset (a month has at most two:
        the clocks change twice a year), so days are the gemeente's own, on any database."""
        counts: dict[date, int] = {}
        for start, end, offset in _offset_stretches(query.since, query.until, timezone):
            day = _local_day(self._session, offset)
            stmt = select(day, func.count()).where(*_conditions(query, start, end)).group_by(day)
            for value, n in self._session.execute(_with_112(stmt, query)):
                counts[_as_date(value)] = counts.get(_as_date(value), 0) + int(n)
        return counts

    def escalations(
        self, query: EscalationQuery, *, limit: int, offset: int = 0
    ) -> list[EscalationSummary]:
        if limit <= 0:
            return []
        stmt = (
            select(
                EscalationRow.id,
                EscalationRow.escalated_at,
                EscalationRow.source_group,
                EscalationRow.scope,
                EscalationRow.category,
                EscalationRow.text,
                MeldingRow.called_112_at,
            )
            .outerjoin(MeldingRow, MeldingRow.id == EscalationRow.melding_id)
            .where(*_conditions(query, query.since, query.until))
            .order_by(EscalationRow.escalated_at.desc(), EscalationRow.id.desc())
            .limit(limit)
            .offset(max(offset, 0))
        )
        if query.called_112 is not None:
            stmt = stmt.where(_called_112(query.called_112))
        return [
            EscalationSummary(
                id=EscalationId(r.id),
                escalated_at=r.escalated_at,
                source_group=GroupId(r.source_group),
                scope=r.scope,
                category=r.category,
                text=r.text,
                called_112_at=r.called_112_at,
            )
            for r in self._session.execute(stmt)
        ]

    def group_sizes(self, gemeente_id: GemeenteId) -> dict[GroupId, tuple[int, int]]:
        beheerder = case((MembershipRow.role.in_(_BEHEERDER_ROLES), 1), else_=0)
        rows = self._session.execute(
            select(MembershipRow.group_id, func.count(), func.sum(beheerder))
            .join(GroupRow, GroupRow.id == MembershipRow.group_id)
            .where(GroupRow.gemeente_id == gemeente_id)
            .group_by(MembershipRow.group_id)
        )
        return {GroupId(g): (int(n), int(b or 0)) for g, n, b in rows}


def _conditions(
    query: EscalationQuery, since: datetime, until: datetime
) -> list[ColumnElement[bool]]:
    """The query's filters, for escalations in ``[since, until)``.

    Without chosen groups they match ``ix_escalation_overview`` (partial on originals).
    With chosen groups they must lead SQLite (which has no statistics) to the groups' own
    index, ``ix_escalation_source_group_time``: the gemeente is left out (a group belongs
    to one gemeente), and "original" is asked in a form no index answers, or the planner
    takes ``forwarded_from IS NULL`` for a selective look-up in the forwards' index.
    """
    period = [EscalationRow.escalated_at >= since, EscalationRow.escalated_at < until]
    found: list[ColumnElement[bool]]
    if query.groups is None:
        found = [
            EscalationRow.gemeente_id == query.gemeente_id,
            EscalationRow.forwarded_from.is_(None),
            *period,
        ]
    else:
        found = [
            EscalationRow.source_group.in_(sorted(query.groups)),
            func.coalesce(EscalationRow.forwarded_from, "") == "",
            *period,
        ]
    if query.category is not None:
        found.append(EscalationRow.category == query.category)
    return found


def _with_112(stmt: Any, query: EscalationQuery) -> Any:
    """Join the meldingen only when the 112 status is asked for: the plain count stays
    inside the covering index."""
    if query.called_112 is None:
        return stmt
    return stmt.outerjoin(MeldingRow, MeldingRow.id == EscalationRow.melding_id).where(
        _called_112(query.called_112)
    )


def _called_112(called: bool) -> ColumnElement[bool]:
    if called:
        return MeldingRow.called_112_at.is_not(None)
    return MeldingRow.called_112_at.is_(None)


def _local_day(session: Session, offset: timedelta) -> ColumnElement[Any]:
    """The calendar day of ``escalated_at`` at a fixed UTC ``offset``."""
    minutes = int(offset.total_seconds() // 60)
    if session.get_bind().dialect.name == "sqlite":
        # Stored as ``YYYY-MM-DD HH:MM:SS`` in UTC: SQLite's date() shifts and cuts it.
        return func.date(EscalationRow.escalated_at, f"{minutes:+d} minutes")
    shifted = func.timezone("UTC", EscalationRow.escalated_at) + func.make_interval(
        0, 0, 0, 0, 0, minutes
    )
    return cast(shifted, Date)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _offset_stretches(
    since: datetime, until: datetime, timezone: str
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Split ``[since, until)`` where ``timezone``'s UTC offset changes (the clocks go
    forward or back), each stretch with its offset. Walked a day at a time; a change is
    bisected to the microsecond."""
    zone = ZoneInfo(timezone)

    def offset_at(moment: datetime) -> timedelta:
        return moment.astimezone(zone).utcoffset() or timedelta(0)

    day = timedelta(days=1)
    start = since
    while start < until:
        offset = offset_at(start)
        end = start
        while end < until and offset_at(min(end + day, until)) == offset:
            end = min(end + day, until)
        if end < until:
            low, high = end, min(end + day, until)  # the offset changes in (low, high]
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if offset_at(middle) == offset:
                    low = middle
                else:
                    high = middle
            end = high
        yield start, end, offset
        start = end
