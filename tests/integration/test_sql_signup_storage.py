"""Storage of sign-ups: aanmeldingen, invites, attempts, and the gemeente's sign-up settings.

Like ``test_sql_flows_storage``: the tests above the "SQL only" line use the ports alone, so
they are the contract, and ``tests/unit/test_fakes.py`` runs them again on the in-memory
fakes. The tests below it look at the database itself: concurrent redemption of one invite,
what deleting a person row does, a policy stored before the sign-up settings existed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, update

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.adapters.sql.orm import GemeenteRow, PersonRow
from buurtbot.core.domain.aanmelding import (
    Aanmelding,
    AanmeldingState,
    Channel,
    Invite,
    hash_token,
)
from buurtbot.core.domain.model import GemeenteSettings, Locale
from buurtbot.core.ids import BuurtId, GemeenteId, GroupId, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import UnitOfWork
from tests.integration.test_sql_flows_storage import (
    ANNA,
    BERT,
    BG_A,
    BG_B,
    H_REGIE,
    NETWORK_G,
    PIET,
    REGIE,
    G,
    H,
    stored,
)

UowFactory = Callable[[], UnitOfWork]
SqlUowFactory = Callable[[], SqlUnitOfWork]

__all__ = ["stored"]  # the fixture, for the tests here and in tests/unit/test_fakes.py

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
RECEIVED, ROUTED, WAITING = (
    AanmeldingState.RECEIVED,
    AanmeldingState.ROUTED,
    AanmeldingState.WAITING,
)
CARLA = PlatformIdentity(Platform.TELEGRAM, "555")
DIRK = PlatformIdentity(Platform.SIGNAL, "dirk-uuid")


def aanmelding(aid: str = "A1", **changes: object) -> Aanmelding:
    base = Aanmelding(
        id=aid,
        gemeente_id=G,
        created_at=T0,
        name="Carla",
        locale=Locale.NL,
        channel=Channel.WEB,
        adult_confirmed=True,
        lives_or_works_here=True,
        rules_accepted=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def invite(token: str = "t1", aid: str = "A1", **changes: object) -> Invite:
    base = Invite(
        token_hash=hash_token(token),
        aanmelding_id=aid,
        gemeente_id=G,
        group_id=BG_A.id,
        created_at=T0,
        expires_at=T0 + 7 * DAY,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# -- aanmeldingen -----------------------------------------------------------------------------
def test_an_aanmelding_reads_back_equal_and_is_updated(stored: UowFactory) -> None:
    full = aanmelding(
        locale=Locale.EN,
        channel=Channel.BOT,
        adult_confirmed=False,
        postcode="7471AB",
        house_number="12a",
        street="Grotestraat",
        phone="+31612345678",
        contact_platform=Platform.SIGNAL,
        identity=CARLA,
        buurt_id=BuurtId("a"),
        group_id=BG_A.id,
        state=ROUTED,
        state_changed_at=T0 + timedelta(minutes=5),
        person_id=BERT,
        reminders_sent=2,
    )
    minimal = aanmelding("A2")
    with stored() as uow:
        uow.aanmeldingen.save(full)
        uow.aanmeldingen.save(minimal)
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") == full
        assert uow.aanmeldingen.get("A2") == minimal
        assert uow.aanmeldingen.get("nope") is None
        # Admission: the address goes, the decision is recorded.
        admitted = replace(
            full,
            postcode=None,
            house_number=None,
            street=None,
            phone=None,
            state=AanmeldingState.ADMITTED,
            decided_by=ANNA,
            decline_reason="",
        )
        uow.aanmeldingen.save(admitted)
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") == admitted


def test_aanmeldingen_in_state_and_for_group_oldest_first(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding("A3", created_at=T0 + 2 * DAY, state=ROUTED))
        uow.aanmeldingen.save(aanmelding("A1", created_at=T0 + DAY, state=ROUTED, group_id=BG_A.id))
        uow.aanmeldingen.save(aanmelding("A2", created_at=T0, group_id=BG_A.id))
        uow.aanmeldingen.save(aanmelding("A0", created_at=T0 + DAY, state=ROUTED))
        uow.aanmeldingen.save(aanmelding("A4", state=ROUTED, group_id=BG_B.id, state_changed_at=T0))
        uow.aanmeldingen.save(aanmelding("H1", gemeente_id=H, group_id=H_REGIE.id))
        uow.commit()
    with stored() as uow:
        ids = [a.id for a in uow.aanmeldingen.in_state(G, frozenset({ROUTED, RECEIVED}))]
        assert ids == ["A2", "A4", "A0", "A1", "A3"]  # by time, then by id
        assert [a.id for a in uow.aanmeldingen.in_state(G, frozenset({ROUTED}))] == [
            "A4",
            "A0",
            "A1",
            "A3",
        ]
        assert uow.aanmeldingen.in_state(G, frozenset()) == []
        assert uow.aanmeldingen.in_state(G, frozenset({AanmeldingState.JOINED})) == []
        assert [a.id for a in uow.aanmeldingen.in_state(H, frozenset(AanmeldingState))] == ["H1"]
        everything = frozenset(AanmeldingState)
        assert [a.id for a in uow.aanmeldingen.for_group(BG_A.id, everything)] == ["A2", "A1"]
        assert [a.id for a in uow.aanmeldingen.for_group(BG_A.id, frozenset({ROUTED}))] == ["A1"]
        assert uow.aanmeldingen.for_group(REGIE.id, everything) == []


def test_waiting_per_buurt(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding("A1", state=WAITING, buurt_id=BuurtId("a")))
        uow.aanmeldingen.save(aanmelding("A2", state=WAITING, buurt_id=BuurtId("a")))
        uow.aanmeldingen.save(aanmelding("A3", state=WAITING, buurt_id=BuurtId("b")))
        uow.aanmeldingen.save(aanmelding("A4", state=ROUTED, buurt_id=BuurtId("b")))
        uow.aanmeldingen.save(aanmelding("A5", state=AanmeldingState.UNROUTABLE))
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.waiting_per_buurt(G) == {BuurtId("a"): 2, BuurtId("b"): 1}
        assert uow.aanmeldingen.waiting_per_buurt(H) == {}


def test_aanmelding_references_must_be_known(stored: UowFactory) -> None:
    with stored() as uow:
        with pytest.raises(KeyError, match="x"):
            uow.aanmeldingen.save(aanmelding(gemeente_id=GemeenteId("x")))
        with pytest.raises(KeyError, match="nowhere"):
            uow.aanmeldingen.save(aanmelding(buurt_id=BuurtId("nowhere")))
        with pytest.raises(KeyError):  # buurt "a" is G's, not H's
            uow.aanmeldingen.save(aanmelding(gemeente_id=H, buurt_id=BuurtId("a")))
        with pytest.raises(KeyError, match="g:nogroup"):
            uow.aanmeldingen.save(aanmelding(group_id=GroupId("g:nogroup")))
        with pytest.raises(KeyError, match="g:nobody"):
            uow.aanmeldingen.save(aanmelding(person_id=PersonId("g:nobody")))
        with pytest.raises(KeyError, match="g:nobody"):
            uow.aanmeldingen.save(aanmelding(decided_by=PersonId("g:nobody")))
        uow.aanmeldingen.save(aanmelding())  # the unit of work is still usable
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") == aanmelding()


def test_deleting_an_aanmelding_takes_its_invites(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding("A1"))
        uow.aanmeldingen.save(aanmelding("A2"))
        uow.invites.add(invite("t1", "A1"))
        uow.invites.add(invite("t2", "A1", created_at=T0 + DAY))
        uow.invites.add(invite("t3", "A2"))
        uow.commit()
    with stored() as uow:
        uow.aanmeldingen.delete("A1")
        uow.aanmeldingen.delete("unknown")  # nothing to do, no error
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") is None
        assert uow.invites.for_aanmelding("A1") == []
        assert uow.invites.by_hash(hash_token("t1")) is None
        assert uow.aanmeldingen.get("A2") == aanmelding("A2")
        assert uow.invites.for_aanmelding("A2") == [invite("t3", "A2")]


# -- invites ----------------------------------------------------------------------------------
def test_an_invite_reads_back_and_is_used_once(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
        uow.commit()
    h = hash_token("t1")
    with stored() as uow:
        assert uow.invites.by_hash(h) == invite()
        assert uow.invites.by_hash(hash_token("other")) is None
        assert uow.invites.use(h, T0 + DAY, CARLA) is True
        assert uow.invites.use(h, T0 + 2 * DAY, DIRK) is False  # used already
        assert uow.invites.by_hash(h) == invite(used_at=T0 + DAY, used_by=CARLA)
        assert uow.invites.use(hash_token("other"), T0, CARLA) is False
        uow.commit()
    with stored() as uow:
        assert uow.invites.use(h, T0 + 2 * DAY, DIRK) is False
        used = uow.invites.by_hash(h)
        assert used == invite(used_at=T0 + DAY, used_by=CARLA)
        assert not used.usable(T0 + DAY)


def test_a_rolled_back_use_leaves_the_invite_usable(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
        uow.commit()
    with stored() as uow:
        assert uow.invites.use(hash_token("t1"), T0, CARLA) is True
    with stored() as uow:
        assert uow.invites.use(hash_token("t1"), T0, DIRK) is True
        uow.commit()
    with stored() as uow:
        assert uow.invites.by_hash(hash_token("t1")) == invite(used_at=T0, used_by=DIRK)


def test_a_revoked_invite_cannot_be_used(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
        uow.commit()
    h = hash_token("t1")
    with stored() as uow:
        uow.invites.revoke(h, T0 + DAY)
        uow.invites.revoke(h, T0 + 2 * DAY)  # revoking again keeps the first time
        with pytest.raises(KeyError):
            uow.invites.revoke(hash_token("other"), T0)
        uow.commit()
    with stored() as uow:
        assert uow.invites.use(h, T0 + DAY, CARLA) is False
        assert uow.invites.by_hash(h) == invite(revoked_at=T0 + DAY)


def test_invite_mistakes_are_refused(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
        with pytest.raises(ValueError, match="exists"):
            uow.invites.add(invite(created_at=T0 + DAY))
        with pytest.raises(KeyError, match="A9"):
            uow.invites.add(invite("t2", "A9"))
        with pytest.raises(KeyError, match="g:nogroup"):
            uow.invites.add(invite("t2", group_id=GroupId("g:nogroup")))
        with pytest.raises(KeyError, match="x"):
            uow.invites.add(invite("t2", gemeente_id=GemeenteId("x")))
        uow.invites.add(invite("t2"))  # the unit of work is still usable
        uow.commit()
    with stored() as uow:
        assert uow.invites.for_aanmelding("A1") == [invite(), invite("t2")]


def test_the_invites_of_an_aanmelding_oldest_first(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding("A1"))
        uow.aanmeldingen.save(aanmelding("A2"))
        uow.invites.add(invite("late", "A1", created_at=T0 + DAY))
        uow.invites.add(invite("early", "A1", created_at=T0))
        uow.invites.add(invite("other", "A2"))
        uow.commit()
    with stored() as uow:
        found = uow.invites.for_aanmelding("A1")
        assert [i.token_hash for i in found] == [hash_token("early"), hash_token("late")]
        assert uow.invites.for_aanmelding("A9") == []


def test_expired_unused_invites(stored: UowFactory) -> None:
    now = T0 + 10 * DAY
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite("expired-late", expires_at=now - DAY))
        uow.invites.add(invite("expired-early", expires_at=now - 2 * DAY))
        uow.invites.add(invite("expires-now", expires_at=now))
        uow.invites.add(invite("valid", expires_at=now + timedelta(seconds=1)))
        uow.invites.add(invite("used", expires_at=now - DAY))
        uow.invites.add(invite("revoked", expires_at=now - DAY))
        uow.invites.use(hash_token("used"), T0, CARLA)
        uow.invites.revoke(hash_token("revoked"), T0)
        uow.commit()
    with stored() as uow:
        found = [i.token_hash for i in uow.invites.expired_unused(now)]
        expected = ["expired-early", "expired-late", "expires-now"]
        assert found == [hash_token(t) for t in expected]
        assert uow.invites.expired_unused(T0) == []


# -- attempts ---------------------------------------------------------------------------------
def test_attempts_are_counted_per_account_and_kind_since_a_time(stored: UowFactory) -> None:
    with stored() as uow:
        for minutes in (0, 5, 10):
            uow.attempts.record("telegram:555", "bad-token", T0 + timedelta(minutes=minutes))
        uow.attempts.record("telegram:555", "other", T0 + timedelta(minutes=5))
        uow.attempts.record("signal:dirk", "bad-token", T0 + timedelta(minutes=5))
        uow.commit()
    with stored() as uow:
        assert uow.attempts.count("telegram:555", "bad-token", T0) == 3
        assert uow.attempts.count("telegram:555", "bad-token", T0 + timedelta(minutes=5)) == 2
        assert uow.attempts.count("telegram:555", "bad-token", T0 + timedelta(minutes=11)) == 0
        assert uow.attempts.count("telegram:555", "other", T0) == 1
        assert uow.attempts.count("signal:dirk", "bad-token", T0) == 1
        assert uow.attempts.count("nobody", "bad-token", T0) == 0
        uow.attempts.record("nobody", "bad-token", T0)  # rolled back: does not count
    with stored() as uow:
        assert uow.attempts.count("nobody", "bad-token", T0) == 0


def test_rolled_back_signup_writes_leave_nothing(stored: UowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") is None
        assert uow.invites.by_hash(hash_token("t1")) is None


# -- the gemeente's sign-up settings ----------------------------------------------------------
def test_signup_settings_are_stored_with_the_network(uow_factory: UowFactory) -> None:
    settings = GemeenteSettings(invite_valid_days=14, auto_route=False)
    network = replace(NETWORK_G, gemeente=replace(NETWORK_G.gemeente, settings=settings))
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()
    with uow_factory() as uow:
        back = uow.networks.get(G)
        assert back is not None
        assert back.gemeente.settings.invite_valid_days == 14
        assert back.gemeente.settings.auto_route is False
        assert back == network
        uow.networks.save(NETWORK_G)
        uow.commit()
    with uow_factory() as uow:
        back = uow.networks.get(G)
        assert back is not None
        assert back.gemeente.settings == GemeenteSettings()


# ===========================================================================================
# SQL only
# ===========================================================================================
def test_one_invite_redeemed_by_two_transactions_at_once_admits_one(
    stored: SqlUowFactory,
) -> None:
    """Two threads, each in its own transaction, redeem one token at the same moment and
    hold their transaction open a little: exactly one gets ``True``. On PostgreSQL the
    second UPDATE waits for the first's row lock, then finds the invite used; on SQLite the
    second transaction waits at ``BEGIN IMMEDIATE``."""
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding())
        uow.invites.add(invite())
        uow.commit()
    h = hash_token("t1")
    start = threading.Barrier(2)
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def redeem(who: PlatformIdentity) -> None:
        try:
            with stored() as uow:
                start.wait(timeout=10)
                results[who.user_ref] = uow.invites.use(h, T0, who)
                time.sleep(0.2)  # keep the transaction (and its lock) open
                uow.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=redeem, args=(who,)) for who in (CARLA, DIRK)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(results.values()) == [False, True]
    (winner,) = [ref for ref, won in results.items() if won]
    with stored() as uow:
        used = uow.invites.by_hash(h)
        assert used is not None
        assert used.used_by is not None
        assert used.used_by.user_ref == winner


def test_erasing_a_person_erases_their_aanmeldingen_and_invites(stored: SqlUowFactory) -> None:
    with stored() as uow:
        uow.aanmeldingen.save(aanmelding("A1", person_id=PIET, decided_by=ANNA))
        uow.aanmeldingen.save(aanmelding("A2", person_id=BERT, decided_by=PIET))
        uow.invites.add(invite("t1", "A1"))
        uow.invites.add(invite("t2", "A2"))
        uow.commit()
    with stored() as uow:
        uow.session.execute(delete(PersonRow).where(PersonRow.id == PIET))
        uow.commit()
    with stored() as uow:
        assert uow.aanmeldingen.get("A1") is None
        assert uow.invites.by_hash(hash_token("t1")) is None
        assert uow.aanmeldingen.get("A2") == aanmelding("A2", person_id=BERT)  # decided_by gone
        assert uow.invites.for_aanmelding("A2") == [invite("t2", "A2")]


def test_a_policy_stored_before_the_signup_settings_reads_their_defaults(
    stored: SqlUowFactory,
) -> None:
    with stored() as uow:
        uow.session.execute(
            update(GemeenteRow)
            .where(GemeenteRow.id == G)
            .values(policy={"chatter_nudge": True}, revision=GemeenteRow.revision + 1)
        )
        uow.commit()
    with stored() as uow:
        back = uow.networks.get(G)
        assert back is not None
        assert back.gemeente.settings == GemeenteSettings(chatter_nudge=True)
