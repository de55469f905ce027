"""The dashboard's storage on SQLite and PostgreSQL: links and sessions, and the read model
(counts per local day, the filtered table, group sizes)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from buurtbot.adapters.sql import SqlUnitOfWork, make_engine, make_session_factory
from buurtbot.adapters.sql.migrate import upgrade
from buurtbot.core.domain.dashboard import AccessKind, DashboardAccess
from buurtbot.core.domain.melding import Called112
from buurtbot.core.domain.model import GroupRole, Membership, RoleSource
from buurtbot.core.ids import GroupId, MessageRef
from buurtbot.core.ports import EscalationQuery
from tests.integration.test_sql_flows_storage import (
    ANNA,
    BERT,
    BG_A,
    BG_B,
    MSG_A,
    PIET,
    G,
    UowFactory,
    escalation,
    melding,
    store_two_gemeenten,
)

# Sunday 29 March 2026: the clocks go forward at 01:00 UTC (02:00 -> 03:00 in Amsterdam).
DST = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
ZONE = "Europe/Amsterdam"


@pytest.fixture
def stored(uow_factory: UowFactory) -> UowFactory:
    return store_two_gemeenten(uow_factory)


def access(token_hash: str, kind: AccessKind, at: datetime, minutes: int = 10) -> DashboardAccess:
    return DashboardAccess(token_hash, kind, PIET, G, at, at + timedelta(minutes=minutes))


def query(since: datetime, until: datetime, **changes: object) -> EscalationQuery:
    return replace(EscalationQuery(G, since, until), **changes)  # type: ignore[arg-type]


def put(uow_factory: UowFactory, *items: tuple[str, GroupId, datetime, str | None, bool]) -> None:
    """Escalations ``(id, group, at, category, 112 called)``, each with its own melding."""
    with uow_factory() as uow:
        for eid, group, at, category, called in items:
            m = melding(f"m-{eid}", group_id=group, created_at=at, category=category)
            if called:
                m = replace(m, called_112=Called112(by=None, by_name="Eva", at=at))
            uow.meldingen.save(m)
            source = MessageRef(BG_A.chat if group == BG_A.id else BG_B.chat, eid)
            uow.escalations.add(
                escalation(eid, source_group=group, source_message=source, escalated_at=at,
                           category=category, melding_id=m.id)
            )  # fmt: skip
        uow.commit()


# -- links and sessions ---------------------------------------------------------------------
def test_a_link_is_taken_once_and_only_while_valid(stored: UowFactory) -> None:
    t0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with stored() as uow:
        uow.dashboard.add(access("a" * 64, AccessKind.LINK, t0))
        uow.dashboard.add(access("b" * 64, AccessKind.LINK, t0))
        uow.dashboard.add(access("c" * 64, AccessKind.SESSION, t0, minutes=480))
        uow.commit()
    with stored() as uow:
        taken = uow.dashboard.take_link("a" * 64, t0 + timedelta(minutes=5))
        assert taken is not None
        assert taken.person_id == PIET
        assert taken.kind is AccessKind.LINK
        assert uow.dashboard.take_link("a" * 64, t0 + timedelta(minutes=5)) is None
        assert uow.dashboard.take_link("c" * 64, t0) is None  # a session is no link
        assert uow.dashboard.take_link("b" * 64, t0 + timedelta(minutes=10)) is None  # expired
        uow.commit()
    with stored() as uow:
        assert uow.dashboard.take_link("b" * 64, t0) is None  # an expired take spends it too
        assert uow.dashboard.session("c" * 64, t0 + timedelta(hours=7)) is not None
        assert uow.dashboard.session("c" * 64, t0 + timedelta(hours=8)) is None
        assert uow.dashboard.session("a" * 64, t0) is None


def test_two_units_of_work_racing_for_one_link_give_it_to_one(stored: UowFactory) -> None:
    t0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with stored() as uow:
        uow.dashboard.add(access("d" * 64, AccessKind.LINK, t0))
        uow.commit()
    first, second = stored(), stored()
    with first, second:
        got_first = first.dashboard.take_link("d" * 64, t0)
        first.commit()
        got_second = second.dashboard.take_link("d" * 64, t0)
        second.commit()
    assert (got_first is None) != (got_second is None)


def test_ending_expiry_and_forgetting_remove_access(stored: UowFactory) -> None:
    t0 = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with stored() as uow:
        uow.dashboard.add(access("e" * 64, AccessKind.SESSION, t0, minutes=480))
        uow.dashboard.add(access("f" * 64, AccessKind.LINK, t0))
        uow.dashboard.add(replace(access("g" * 64, AccessKind.SESSION, t0, 480), person_id=ANNA))
        uow.commit()
    with stored() as uow:
        uow.dashboard.end("e" * 64)
        uow.dashboard.end("unknown")
        assert uow.dashboard.delete_expired(t0 + timedelta(minutes=11)) == 1
        uow.commit()
    with stored() as uow:
        assert uow.dashboard.session("e" * 64, t0) is None
        assert uow.dashboard.session("g" * 64, t0) is not None
        assert [a.token_hash for a in uow.dashboard.of_person(ANNA, t0)] == ["g" * 64]
        assert uow.dashboard.of_person(PIET, t0) == []  # ended, or expired and cleared
        assert uow.dashboard.of_person(ANNA, t0 + timedelta(hours=8)) == []
        uow.persons.delete(ANNA)
        uow.commit()
    with stored() as uow:
        assert uow.dashboard.session("g" * 64, t0) is None


# -- the read model -------------------------------------------------------------------------
def test_days_are_the_gemeentes_own_across_midnight_and_the_clock_change(
    stored: UowFactory,
) -> None:
    put(
        stored,
        ("e1", BG_A.id, datetime(2026, 3, 27, 22, 30, tzinfo=UTC), None, False),  # 23:30 on 27th
        ("e2", BG_A.id, datetime(2026, 3, 27, 23, 30, tzinfo=UTC), None, False),  # 00:30 on 28th
        ("e3", BG_B.id, datetime(2026, 3, 28, 22, 30, tzinfo=UTC), None, False),  # 23:30 on 28th
        ("e4", BG_B.id, DST + timedelta(hours=21, minutes=30), None, False),  # 00:30 on 30th (CEST)
        ("e5", BG_B.id, DST + timedelta(hours=20, minutes=30), None, False),  # 23:30 on 29th
    )
    period = query(datetime(2026, 3, 26, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))
    with stored() as uow:
        per_day = uow.overview.counts_per_day(period, ZONE)
        only_b = uow.overview.counts_per_day(replace(period, groups=frozenset({BG_B.id})), ZONE)
        per_group = uow.overview.counts_per_group(period)
    assert per_day == {
        date(2026, 3, 27): 1,
        date(2026, 3, 28): 2,
        date(2026, 3, 29): 1,
        date(2026, 3, 30): 1,
    }
    assert only_b == {date(2026, 3, 28): 1, date(2026, 3, 29): 1, date(2026, 3, 30): 1}
    assert per_group == {BG_A.id: 2, BG_B.id: 3}


def test_counts_and_table_follow_every_filter_and_skip_forwards(stored: UowFactory) -> None:
    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    put(
        stored,
        ("a1", BG_A.id, t0, "inbraak", True),
        ("a2", BG_A.id, t0 + timedelta(hours=1), "overig", False),
        ("b1", BG_B.id, t0 + timedelta(hours=2), "inbraak", False),
        ("b2", BG_B.id, t0 - timedelta(days=40), "inbraak", False),  # before the period
    )
    with stored() as uow:  # a forward of a1 down to buurt B: not a new escalation
        uow.escalations.add(
            escalation("fw", source_group=BG_B.id, source_message=MSG_A, escalated_at=t0,
                       forwarded_from="a1")
        )  # fmt: skip
        uow.commit()
    since, until = t0 - timedelta(days=30), t0 + timedelta(days=1)

    def ids(**changes: object) -> list[str]:
        with stored() as uow:
            return [
                e.id for e in uow.overview.escalations(query(since, until, **changes), limit=10)
            ]

    def total(**changes: object) -> int:
        """Counted per day and per group, which must agree."""
        with stored() as uow:
            chosen = query(since, until, **changes)
            by_day = sum(uow.overview.counts_per_day(chosen, ZONE).values())
            by_group = sum(uow.overview.counts_per_group(chosen).values())
        assert by_day == by_group
        return by_day

    assert ids() == ["b1", "a2", "a1"]
    assert total() == 3
    assert ids(groups=frozenset({BG_A.id})) == ["a2", "a1"]
    assert total(groups=frozenset({BG_A.id})) == 2
    assert ids(category="inbraak") == ["b1", "a1"]
    assert total(category="inbraak") == 2
    assert ids(called_112=True) == ["a1"]
    assert total(called_112=True) == 1
    assert ids(called_112=False) == ["b1", "a2"]
    assert total(called_112=False) == 2
    assert ids(groups=frozenset()) == []
    assert total(groups=frozenset()) == 0
    with stored() as uow:
        [a1] = uow.overview.escalations(query(since, until, called_112=True), limit=10)
        assert a1.called_112_at == t0
        assert a1.category == "inbraak"
        assert a1.source_group == BG_A.id
        paged = uow.overview.escalations(query(since, until), limit=2, offset=2)
        assert [e.id for e in paged] == ["a1"]


def test_group_sizes_count_members_and_beheerders(stored: UowFactory) -> None:
    with stored() as uow:
        uow.memberships.replace_group(
            BG_A.id,
            [
                Membership(BG_A.id, ANNA, GroupRole.EIGENAAR, RoleSource.NETWORK_FILE),
                Membership(BG_A.id, BERT, GroupRole.LID, RoleSource.BOT),
                Membership(BG_A.id, PIET, GroupRole.MEDE_BEHEERDER, RoleSource.BOT),
            ],
        )
        uow.memberships.replace_group(
            BG_B.id, [Membership(BG_B.id, BERT, GroupRole.LID, RoleSource.BOT)]
        )
        uow.commit()
    with stored() as uow:
        assert uow.overview.group_sizes(G) == {BG_A.id: (3, 2), BG_B.id: (1, 0)}


@pytest.mark.parametrize("timezone", ["Europe/Amsterdam", "America/New_York", "UTC"])
def test_every_escalation_is_counted_once_whatever_the_zone(
    stored: UowFactory, timezone: str
) -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    put(
        stored,
        *[(f"x{i}", BG_A.id, start + timedelta(hours=7 * i), None, False) for i in range(200)],
    )
    with stored() as uow:
        found = uow.overview.counts_per_day(query(start, start + timedelta(days=70)), timezone)
    assert sum(found.values()) == 200


def test_sqlite_answers_the_counts_from_an_index_alone(tmp_path: Path) -> None:
    """The read model's speed rests on its query plans: counts read only a covering index
    (the gemeente's, or the chosen groups'), and nothing scans the escalation table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'plans.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    statements: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if "FROM escalation" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    store_two_gemeenten(lambda: SqlUnitOfWork(sessions))
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    everywhere = query(t0, t0 + timedelta(days=30), category="inbraak")
    # A kern of 20 buurtgroepen: where the planner once took the forwards' index instead.
    groups = frozenset({BG_A.id, BG_B.id} | {GroupId(f"g:bg-{n}") for n in range(18)})
    chosen = replace(everywhere, groups=groups)
    with SqlUnitOfWork(sessions) as uow:
        for q in (everywhere, chosen):
            uow.overview.counts_per_group(q)
            uow.overview.counts_per_day(q, ZONE)
            uow.overview.escalations(q, limit=50)
    plans: list[str] = []
    with engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plans.append(" | ".join(str(r[-1]) for r in rows))
    engine.dispose()
    assert len(plans) == 6
    for plan in plans:
        assert "SCAN escalation" not in plan, plan
    counts = [p for s, p in zip(statements, plans, strict=True) if "count(" in s[0]]
    assert len(counts) == 4
    for plan in counts:
        assert "USING COVERING INDEX ix_escalation_" in plan, plan
    for (statement, _), plan in zip(statements, plans, strict=True):
        if "source_group IN" in statement:
            assert "ix_escalation_source_group_time" in plan, plan
        else:
            assert "ix_escalation_overview" in plan, plan
