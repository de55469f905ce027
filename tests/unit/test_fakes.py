"""The in-memory storage fakes keep the transaction contract the service tests rely on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from buurtbot.core.actions import SendText
from buurtbot.core.domain.model import Gemeente, Group, GroupKind, Membership, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, PersonId, Platform, PlatformIdentity
from buurtbot.core.text import RichText
from tests.fakes import FakeConflict, FakeStore, FakeUnitOfWork, IdentityTaken, fake_uow_factory

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
GID = GemeenteId("g")
ANNA = Person(
    PersonId("g:anna"),
    GID,
    "Anna",
    identities=frozenset({PlatformIdentity(Platform.TELEGRAM, "1")}),
)
CHAT_A = ChatRef(Platform.TELEGRAM, "-100")
CHAT_B = ChatRef(Platform.SIGNAL, "group.b")


def send(chat: ChatRef, text: str) -> SendText:
    return SendText(chat=chat, text=RichText.of(text))


def network(*groups: Group) -> Network:
    return Network(Gemeente(GID, "G"), (), (), groups)


def test_work_left_without_commit_changes_nothing() -> None:
    store = FakeStore()
    with fake_uow_factory(store)() as uow:
        uow.persons.save(ANNA)
        uow.events.claim("e1", T0)
        assert uow.persons.get(ANNA.id) == ANNA  # visible inside the unit of work
    assert store.state.persons == {}
    assert store.state.events == {}
    assert store.commits == 0


def test_commit_makes_work_visible_to_the_next_unit_of_work() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        uow.persons.save(ANNA)
        uow.commit()
        assert uow.committed == 1
    with factory() as uow:
        assert uow.persons.by_identity(PlatformIdentity(Platform.TELEGRAM, "1")) == ANNA
    assert store.commits == 1


def test_rollback_after_commit_keeps_the_commit_and_drops_later_work() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    uow.events.claim("e1", T0)
    uow.commit()
    uow.events.claim("e2", T0)
    uow.rollback()
    assert set(store.state.events) == {"e1"}
    assert uow.events.claim("e2", T0) is True  # gone with the rollback


def test_claiming_an_event_twice_is_refused_and_a_racing_claim_cannot_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    first, second = factory(), factory()
    assert first.events.claim("e1", T0) is True
    assert first.events.claim("e1", T0) is False
    assert second.events.claim("e1", T0) is True  # has not seen the first's claim yet
    first.commit()
    with pytest.raises(FakeConflict):
        second.commit()
    assert store.commits == 1


def test_overlapping_units_of_work_with_unrelated_writes_both_commit() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    first, second = factory(), factory()
    first.events.claim("e1", T0)
    second.events.claim("e2", T0)
    first.commit()
    second.commit()
    assert set(store.state.events) == {"e1", "e2"}


def test_an_identity_belongs_to_one_person() -> None:
    uow = FakeUnitOfWork(FakeStore())
    uow.persons.save(ANNA)
    with pytest.raises(IdentityTaken):
        uow.persons.save(Person(PersonId("g:bert"), GID, "Bert", identities=ANNA.identities))


def test_saving_a_network_archives_dropped_groups_and_keeps_their_members() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    group = Group(GroupId("g:a"), GID, GroupKind.REGIE, CHAT_A, "A")
    uow.networks.save(network(group))
    uow.persons.save(ANNA)
    uow.memberships.replace_group(group.id, [Membership(group.id, ANNA.id)])
    uow.networks.save(network())
    uow.commit()
    assert store.state.archived_groups == {group.id: group}
    assert uow.networks.find_group(CHAT_A) is None
    assert uow.memberships.of_group(group.id) == [Membership(group.id, ANNA.id)]


def test_outbox_keys_are_idempotent_and_a_rolled_back_add_is_gone() -> None:
    store = FakeStore()
    factory = fake_uow_factory(store)
    with factory() as uow:
        assert uow.outbox.add(send(CHAT_A, "1"), key="k1", at=T0) is True
        assert uow.outbox.add(send(CHAT_A, "again"), key="k1", at=T0) is False
        uow.commit()
    with factory() as uow:
        uow.outbox.add(send(CHAT_A, "2"), key="k2", at=T0)
    assert [r.key for r in store.state.outbox.values()] == ["k1"]


def test_outbox_hands_out_one_item_per_chat_in_order_and_holds_later_ones_behind_a_retry() -> None:
    store = FakeStore(claim_seconds=30)
    uow = FakeUnitOfWork(store)
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    uow.outbox.add(send(CHAT_A, "a2"), key="a2", at=T0)
    uow.outbox.add(send(CHAT_B, "b1"), key="b1", at=T0)
    first = uow.outbox.due(T0, limit=10)
    assert [i.key for i in first] == ["a1", "b1"]
    assert uow.outbox.due(T0, limit=10) == []  # claimed, and a2 waits behind a1
    uow.outbox.retry(first[0].id, T0 + timedelta(minutes=5), "timeout")
    uow.outbox.delivered(first[1].id, T0)
    assert uow.outbox.due(T0 + timedelta(minutes=1), limit=10) == []  # a2 still behind a1
    again = uow.outbox.due(T0 + timedelta(minutes=5), limit=10)
    assert [(i.key, i.attempts) for i in again] == [("a1", 1)]


def test_an_outbox_claim_lapses_so_another_worker_can_take_the_item() -> None:
    uow = FakeUnitOfWork(FakeStore(claim_seconds=30))
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    assert len(uow.outbox.due(T0, limit=1)) == 1
    assert uow.outbox.due(T0 + timedelta(seconds=29), limit=1) == []
    assert [i.key for i in uow.outbox.due(T0 + timedelta(seconds=30), limit=1)] == ["a1"]


def test_dead_items_stay_for_inspection_and_do_not_block_their_chat() -> None:
    store = FakeStore()
    uow = FakeUnitOfWork(store)
    uow.outbox.add(send(CHAT_A, "a1"), key="a1", at=T0)
    uow.outbox.add(send(CHAT_A, "a2"), key="a2", at=T0)
    (item,) = uow.outbox.due(T0, limit=1)
    uow.outbox.dead(item.id, "chat gone")
    assert [i.key for i in uow.outbox.due(T0, limit=5)] == ["a2"]
    uow.commit()
    assert store.state.outbox[item.id].state == "dead"
    assert store.state.outbox[item.id].last_error == "chat gone"
