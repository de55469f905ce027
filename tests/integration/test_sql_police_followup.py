"""Storage of the police feedback loop: finding an escalation by a short id, recording its
follow-up, the reminder's query and its record, on SQLite and PostgreSQL.

The tests above the "SQL only" line use the ports alone, so they are the contract:
``tests/unit/test_fakes.py`` runs them again on the in-memory fakes. The tests below it look
at the database itself: the index the reminder's query reads, the migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, inspect

from buurtbot.adapters.sql import (
    SqlUnitOfWork,
    current_revision,
    downgrade,
    make_session_factory,
    upgrade,
)
from buurtbot.adapters.sql.orm import POLICE_DELIVERY_INDEX
from buurtbot.adapters.sql.repositories import police_due_statement
from buurtbot.core.actions import SendText
from buurtbot.core.domain.escalation import Escalation, Target, TargetKind
from buurtbot.core.domain.model import Person
from buurtbot.core.ids import ChatRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.services import jobs
from buurtbot.core.services.handlers.followup import clean_note
from tests.integration.test_sql_flows_storage import (
    ANNA,
    BERT,
    BG_A,
    BG_B,
    H_REGIE,
    MSG_A,
    MSG_B,
    NETWORK_G,
    PERSONS,
    PIET,
    REGIE,
    T0,
    H,
    delivery,
    escalation,
)
from tests.integration.test_sql_flows_storage import stored as stored
from tests.world import TRANSLATORS, FixedClock

UowFactory = Callable[[], UnitOfWork]
HOUR = timedelta(hours=1)
PIET_CHAT = ChatRef(Platform.TELEGRAM, "55", private=True)
POLICE = Target(TargetKind.POLITIE, person_id=PIET)
TO_REGIE = Target(TargetKind.REGIE, group_id=REGIE.id)


def add_escalation(
    uow: UnitOfWork, eid: str, *, police: bool, at_hours: float = 0, **changes: object
) -> Escalation:
    """An escalation made ``at_hours`` after T0, to the regiegroep and, with ``police``, to
    Piet the police liaison (queued at the same moment)."""
    at = T0 + timedelta(hours=at_hours)
    source = replace(MSG_A, message_id=f"msg-{eid}")
    e = escalation(eid, escalated_at=at, source_message=source, **changes)
    uow.escalations.add(e)
    deliveries = [replace(delivery(TO_REGIE, REGIE.chat, f"{eid}:regie", eid), queued_at=at)]
    if police:
        deliveries.append(replace(delivery(POLICE, PIET_CHAT, f"{eid}:piet", eid), queued_at=at))
    uow.escalations.add_deliveries(deliveries)
    return e


# -- finding by a short id ------------------------------------------------------------------------
def test_an_id_prefix_matches_literally_newest_first_in_every_gemeente(
    stored: UowFactory,
) -> None:
    with stored() as uow:
        add_escalation(uow, "abcd1111aaaa", police=True)
        add_escalation(uow, "abcd2222bbbb", police=False, at_hours=1)
        add_escalation(uow, "ab_d3333cccc", police=False, at_hours=2)
        h = escalation(
            "abcd4444dddd",
            gemeente_id=H,
            source_group=H_REGIE.id,
            source_message=MSG_B,
            escalated_by=PersonId("h:hans"),
            escalated_at=T0,
        )
        uow.escalations.add(h)  # fmt: skip
        uow.commit()
    with stored() as uow:
        found = uow.escalations.with_id_prefix("abcd", 10)
        # Newest first; at the same moment the higher id first.
        assert [e.id for e in found] == ["abcd2222bbbb", "abcd4444dddd", "abcd1111aaaa"]
        assert {e.gemeente_id for e in found} == {BG_A.gemeente_id, H}
        assert [e.id for e in uow.escalations.with_id_prefix("abcd2", 10)] == ["abcd2222bbbb"]
        assert [e.id for e in uow.escalations.with_id_prefix("abcd1111aaaa", 10)] == [
            "abcd1111aaaa"
        ]
        # Wildcards of LIKE are plain characters here.
        assert [e.id for e in uow.escalations.with_id_prefix("ab_d", 10)] == ["ab_d3333cccc"]
        assert uow.escalations.with_id_prefix("%", 10) == []
        assert uow.escalations.with_id_prefix("abc%", 10) == []
        assert uow.escalations.with_id_prefix("", 10) == []
        assert len(uow.escalations.with_id_prefix("abcd", 2)) == 2
        assert uow.escalations.with_id_prefix("abcd", 0) == []
        assert uow.escalations.with_id_prefix("zzzz", 10) == []


# -- the follow-up ----------------------------------------------------------------------------
def test_a_follow_up_is_recorded_once_and_reads_back(stored: UowFactory) -> None:
    note, _ = clean_note(["wijkagent", "sprak", "de", "bestuurder", "aan", "—", "🚗"])
    with stored() as uow:
        e = add_escalation(uow, "e1", police=True)
        assert e.followed_up_at is None
        assert uow.escalations.record_follow_up("e1", at=T0 + HOUR, by=ANNA, note=note)
        uow.commit()
    with stored() as uow:
        back = uow.escalations.get("e1")
        assert back is not None
        assert back.followed_up_at == T0 + HOUR
        assert back.followed_up_at.tzinfo is not None
        assert back.followed_up_by == ANNA
        assert back.follow_up_note == note
        assert back.police_reminded_at is None
        # The first follow-up stays.
        assert not uow.escalations.record_follow_up("e1", at=T0 + 2 * HOUR, by=BERT, note="x")
        uow.commit()
    with stored() as uow:
        back = uow.escalations.get("e1")
        assert back is not None
        assert (back.followed_up_by, back.follow_up_note) == (ANNA, note)
        assert [e.id for e in uow.escalations.recent(BG_A.gemeente_id, 10)] == ["e1"]


def test_a_follow_up_without_a_note_and_its_mistakes(stored: UowFactory) -> None:
    with stored() as uow:
        add_escalation(uow, "e1", police=True)
        assert uow.escalations.record_follow_up("e1", at=T0, by=BERT, note="")
        with pytest.raises(KeyError):
            uow.escalations.record_follow_up("nope", at=T0, by=ANNA, note="")
        uow.commit()
    with stored() as uow:
        back = uow.escalations.get("e1")
        assert back is not None
        assert back.follow_up_note == ""
        assert back.followed_up_by == BERT
    with stored() as uow:
        add_escalation(uow, "e2", police=True)
        with pytest.raises(KeyError):
            uow.escalations.record_follow_up("e2", at=T0, by=PersonId("g:nobody"), note="")


def test_an_escalation_added_with_its_follow_up_reads_back_whole(stored: UowFactory) -> None:
    whole = escalation(
        "e1",
        followed_up_at=T0 + HOUR,
        followed_up_by=BERT,
        follow_up_note="afgehandeld",
        police_reminded_at=T0 + 30 * HOUR,
    )
    with stored() as uow:
        uow.escalations.add(whole)
        uow.commit()
    with stored() as uow:
        assert uow.escalations.get("e1") == whole


def test_erasing_who_followed_up_keeps_the_follow_up_without_them(stored: UowFactory) -> None:
    with stored() as uow:
        add_escalation(uow, "e1", police=True)
        uow.escalations.record_follow_up("e1", at=T0, by=BERT, note="klaar")
        uow.commit()
    with stored() as uow:
        uow.persons.delete(BERT)
        uow.commit()
    with stored() as uow:
        back = uow.escalations.get("e1")
        assert back is not None
        assert back.followed_up_at == T0
        assert back.followed_up_by is None
        assert back.follow_up_note == "klaar"
        assert back.escalated_by == ANNA


# -- the reminder's query and record --------------------------------------------------------------
def test_only_open_police_escalations_of_the_gemeente_are_due(stored: UowFactory) -> None:
    with stored() as uow:
        uow.persons.save(Person(PersonId("g:kees"), BG_A.gemeente_id, "Kees"))
        add_escalation(uow, "due-old", police=True, at_hours=0)
        add_escalation(uow, "due-new", police=True, at_hours=1)
        add_escalation(uow, "no-police", police=False, at_hours=0)
        add_escalation(uow, "too-recent", police=True, at_hours=10)
        add_escalation(uow, "followed", police=True, at_hours=0)
        uow.escalations.record_follow_up("followed", at=T0, by=ANNA, note="")
        add_escalation(uow, "reminded", police=True, at_hours=0)
        assert uow.escalations.mark_police_reminded("reminded", T0 + HOUR)
        # Two liaisons: still one escalation.
        e = add_escalation(uow, "two-liaisons", police=True, at_hours=2)
        kees = Target(TargetKind.POLITIE, person_id=PersonId("g:kees"))
        uow.escalations.add_delivery(
            replace(delivery(kees, ChatRef(Platform.SIGNAL, "+31612345678", private=True),
                             "two:kees", e.id), queued_at=e.escalated_at)
        )  # fmt: skip
        # Escalated long ago to the neighbours, to the police only lately.
        late = add_escalation(uow, "police-late", police=False, at_hours=0)
        uow.escalations.add_delivery(
            replace(delivery(POLICE, PIET_CHAT, "late:piet", late.id), queued_at=T0 + 9 * HOUR)
        )
        # Another gemeente's.
        h = escalation("h-police", gemeente_id=H, source_group=H_REGIE.id, source_message=MSG_B,
                       escalated_by=PersonId("h:hans"), escalated_at=T0)  # fmt: skip
        uow.escalations.add(h)
        uow.escalations.add_delivery(delivery(POLICE, PIET_CHAT, "h:piet", h.id))
        uow.commit()
    with stored() as uow:
        due = uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0 + 5 * HOUR, 100)
        assert [e.id for e in due] == ["due-old", "due-new", "two-liaisons"]
        assert [e.id for e in uow.escalations.police_unfollowed_before(H, T0 + HOUR, 100)] == [
            "h-police"
        ]
        later = uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0 + 11 * HOUR, 100)
        assert [e.id for e in later] == [
            "due-old",
            "police-late",
            "due-new",
            "two-liaisons",
            "too-recent",
        ]
        limited = uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0 + 11 * HOUR, 2)
        assert [e.id for e in limited] == ["due-old", "police-late"]
        assert uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0, 100) == []
        assert uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0 + 99 * HOUR, 0) == []


def test_a_reminder_is_recorded_once(stored: UowFactory) -> None:
    with stored() as uow:
        add_escalation(uow, "e1", police=True)
        assert uow.escalations.mark_police_reminded("e1", T0 + 49 * HOUR)
        assert not uow.escalations.mark_police_reminded("e1", T0 + 50 * HOUR)
        with pytest.raises(KeyError):
            uow.escalations.mark_police_reminded("nope", T0)
        uow.commit()
    with stored() as uow:
        assert not uow.escalations.mark_police_reminded("e1", T0 + 51 * HOUR)
        back = uow.escalations.get("e1")
        assert back is not None
        assert back.police_reminded_at == T0 + 49 * HOUR
        assert uow.escalations.police_unfollowed_before(BG_A.gemeente_id, T0 + 99 * HOUR, 9) == []


def test_the_reminder_job_sends_once(stored: UowFactory) -> None:
    anna_chat = PlatformIdentity(Platform.TELEGRAM, "100")
    with stored() as uow:
        anna = uow.persons.get(ANNA)
        assert anna is not None
        uow.persons.save(replace(anna, identities=frozenset({anna_chat})))
        add_escalation(uow, "e-anna", police=True)
        add_escalation(uow, "e-bert", police=True, escalated_by=BERT, at_hours=0.5)
        uow.commit()
    ctx = jobs.JobContext(stored, TRANSLATORS, FixedClock(T0 + 47 * HOUR))
    assert not jobs.police_followup_reminders(ctx).changed
    ctx = jobs.JobContext(stored, TRANSLATORS, FixedClock(T0 + 49 * HOUR))
    report = jobs.police_followup_reminders(ctx)
    assert report.counts == {"beheerder": 1, "regie": 1}  # Bert has no account to write to
    assert not jobs.police_followup_reminders(ctx).changed
    with stored() as uow:
        items = {i.key: i.action for i in uow.outbox.due(T0 + 50 * HOUR, 100)}
    to_anna = items["police-followup:e-anna"]
    to_regie = items["police-followup:e-bert"]
    assert isinstance(to_anna, SendText)
    assert isinstance(to_regie, SendText)
    assert to_anna.chat == ChatRef.private_with(anna_chat)
    assert to_regie.chat == REGIE.chat
    assert BG_B.name not in to_anna.text.plain


# ---------------------------------------------------------------------------------------------
# SQL only
# ---------------------------------------------------------------------------------------------
def _plan(engine: Engine, gemeente_id: str, before: datetime) -> str:
    """How the database runs the reminder's query, with its parameters as the app binds them."""
    compiled = police_due_statement(gemeente_id, before, 10).compile(dialect=engine.dialect)
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            values = [compiled.params[name] for name in compiled.positiontup or ()]
            values = [v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in values]
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", tuple(values)).all()
            return "\n".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: as if they were large
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).all()
        return "\n".join(str(r[0]) for r in rows)


def test_the_reminder_query_reads_the_police_delivery_index(
    stored: UowFactory, migrated_engine: Engine
) -> None:
    with stored() as uow:
        for n in range(20):
            add_escalation(uow, f"e{n}", police=n % 5 == 0, at_hours=n)
        uow.commit()
    sql = str(
        police_due_statement(BG_A.gemeente_id, T0, 10).compile(dialect=migrated_engine.dialect)
    )
    assert "target_kind = 'politie'" in sql  # literally: a bound value would hide the index
    plan = _plan(migrated_engine, BG_A.gemeente_id, T0 + 30 * HOUR)
    assert POLICE_DELIVERY_INDEX in plan, plan


def test_downgrade_to_0004_drops_the_follow_up_and_keeps_the_escalations(
    engine: Engine,
) -> None:
    upgrade(engine)
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        uow.networks.save(NETWORK_G)
        for person in PERSONS:
            if person.gemeente_id == NETWORK_G.gemeente.id:
                uow.persons.save(person)
        add_escalation(uow, "e1", police=True)
        uow.escalations.record_follow_up("e1", at=T0, by=ANNA, note="klaar")
        uow.escalations.mark_police_reminded("e1", T0)
        uow.commit()
    engine.dispose()
    downgrade(engine, "0004")
    assert current_revision(engine) == "0004"
    columns = {c["name"] for c in inspect(engine).get_columns("escalation")}
    assert not columns & {"followed_up_at", "followed_up_by", "follow_up_note",
                          "police_reminded_at"}  # fmt: skip
    assert "text" in columns
    indexes = {i["name"] for i in inspect(engine).get_indexes("escalation_delivery")}
    assert POLICE_DELIVERY_INDEX not in indexes
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM escalation").scalar_one() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM escalation_delivery").scalar_one() == 2

    upgrade(engine, "0005")
    assert current_revision(engine) == "0005"
    indexes = {i["name"] for i in inspect(engine).get_indexes("escalation_delivery")}
    assert POLICE_DELIVERY_INDEX in indexes
    with engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT followed_up_at, followed_up_by, follow_up_note, police_reminded_at "
            "FROM escalation"
        ).one()
    assert tuple(row) == (None, None, None, None)  # kept rows: no follow-up, not reminded
    upgrade(engine)
