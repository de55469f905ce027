"""SqlNetworkRepository: exact round trip, archiving instead of deleting, chat lookup."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine

from buurtbot.adapters.sql import NetworkCache, SqlUnitOfWork, make_session_factory
from buurtbot.core.domain.model import Gemeente, GroupKind, GroupRole, Kern, Membership, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.postcode import PostcodeRange
from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, KernId, PersonId, Platform

UowFactory = Callable[[], SqlUnitOfWork]
GEMEENTE = GemeenteId("hof-van-twente")  # the sample network's (conftest.py)


def _save(uow_factory: UowFactory, network: Network) -> None:
    with uow_factory() as uow:
        uow.networks.save(network)
        uow.commit()


def test_a_saved_network_reads_back_equal(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    with uow_factory() as uow:
        back = uow.networks.get(GEMEENTE)
        assert back == network
        assert uow.networks.all() == [network]
        assert uow.networks.get(GemeenteId("elders")) is None
    assert back is not None
    # The routing index is rebuilt from the stored postcode ranges.
    buurt = back.route("7472 ab")
    assert buurt is not None
    assert buurt.id == "goor-centrum"
    assert back.buurt(buurt.id) == network.buurt(buurt.id)


def test_saving_twice_changes_nothing(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    _save(uow_factory, network)
    with uow_factory() as uow:
        assert uow.networks.all() == [network]


def test_parts_dropped_from_the_network_are_archived_not_deleted(
    uow_factory: UowFactory, network: Network
) -> None:
    _save(uow_factory, network)
    with uow_factory() as uow:
        uow.persons.save(Person(PersonId("p1"), GEMEENTE, "Anna"))
        uow.memberships.replace_group(
            GroupId("bg-delden-zuid"),
            [Membership(GroupId("bg-delden-zuid"), PersonId("p1"), GroupRole.EIGENAAR)],
        )
        uow.commit()

    smaller = replace(
        network,
        gemeente=replace(network.gemeente, name="Gemeente Hof van Twente"),
        kernen=(replace(network.kernen[0], name="Goor (stad)"),),
        buurten=network.buurten[:2],
        groups=network.groups[:4],
    )
    _save(uow_factory, smaller)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == smaller
        assert uow.networks.find_group(ChatRef(Platform.TELEGRAM, "-1003")) is None
        # The archived group's members are still on record.
        kept = uow.memberships.of_group(GroupId("bg-delden-zuid"))
        assert [m.person_id for m in kept] == ["p1"]
        assert uow.memberships.of_person(PersonId("p1")) == kept

    _save(uow_factory, network)  # the file brings Delden back
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == network
        assert [m.group_id for m in uow.memberships.of_person(PersonId("p1"))] == ["bg-delden-zuid"]


def test_changed_parts_are_updated(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    centrum = network.buurten[0]
    changed = replace(
        network,
        gemeente=Gemeente(GEMEENTE, "HvT", timezone="Europe/Brussels"),
        buurten=(
            replace(
                centrum,
                name="Centrum",
                kern_id=KernId("delden"),
                postcodes=(PostcodeRange.parse("7471AA-7471BZ"),),
                streets=frozenset(),
                adjacent=frozenset(),
            ),
            *network.buurten[1:],
        ),
        groups=tuple(
            replace(g, name=g.name.upper(), locale=None) for g in reversed(network.groups)
        ),
    )
    _save(uow_factory, changed)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == changed


def test_find_group_by_chat(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    with uow_factory() as uow:
        found = uow.networks.find_group(ChatRef(Platform.SIGNAL, "group.bm9vcmQ="))
        assert found == (network, "bg-goor-noord")
        # The same id on another platform, or as a private chat, is another chat.
        assert uow.networks.find_group(ChatRef(Platform.TELEGRAM, "group.bm9vcmQ=")) is None
        assert uow.networks.find_group(ChatRef(Platform.TELEGRAM, "-1001", private=True)) is None
        assert uow.networks.find_group(ChatRef(Platform.TELEGRAM, "-999")) is None


def test_gemeenten_are_separate_and_ordered(uow_factory: UowFactory, network: Network) -> None:
    other_id = GemeenteId("enschede")
    # Kern and buurt ids only need to be unique within their gemeente.
    other = Network(
        Gemeente(other_id, "Enschede"),
        kernen=(Kern(KernId("goor"), other_id, "Goor-achtig"),),
        buurten=(replace(network.buurten[0], gemeente_id=other_id),),
        groups=(
            replace(
                network.groups[2],
                id=GroupId("enschede-centrum"),
                gemeente_id=other_id,
                chat=ChatRef(Platform.TELEGRAM, "-2001"),
            ),
        ),
    )
    _save(uow_factory, network)
    _save(uow_factory, other)
    with uow_factory() as uow:
        assert uow.networks.all() == [other, network]
        assert uow.networks.find_group(ChatRef(Platform.TELEGRAM, "-2001")) == (
            other,
            "enschede-centrum",
        )
        assert uow.networks.get(GEMEENTE) == network


def test_chats_can_move_between_groups(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    a, b = network.groups[2], network.groups[4]
    swapped = replace(
        network,
        groups=(
            *network.groups[:2],
            replace(a, chat=b.chat),
            network.groups[3],
            replace(b, chat=a.chat),
        ),
    )
    _save(uow_factory, swapped)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == swapped
        assert uow.networks.find_group(a.chat) == (swapped, b.id)


def test_conflicts_are_refused_and_leave_the_transaction_usable(
    uow_factory: UowFactory, network: Network
) -> None:
    _save(uow_factory, network)
    other_id = GemeenteId("enschede")
    regie = network.groups[0]
    steals_chat = Network(
        Gemeente(other_id, "Enschede"),
        (),
        (),
        (replace(regie, id=GroupId("enschede-regie"), gemeente_id=other_id),),
    )
    steals_id = replace(
        steals_chat,
        groups=(replace(regie, gemeente_id=other_id, chat=ChatRef(Platform.TELEGRAM, "-9")),),
    )
    duplicate_chat = replace(network, groups=(*network.groups, replace(regie, id=GroupId("x"))))
    private = replace(
        network, groups=(replace(regie, chat=ChatRef(Platform.TELEGRAM, "5", private=True)),)
    )
    with uow_factory() as uow:
        for bad, message in [
            (steals_chat, "chats of another gemeente"),
            (steals_id, "another gemeente"),
            (duplicate_chat, "duplicate chat"),
            (private, "private"),
        ]:
            with pytest.raises(ValueError, match=message):
                uow.networks.save(bad)
        uow.networks.save(replace(network, groups=network.groups[1:]))
        uow.commit()
    with uow_factory() as uow:
        assert uow.networks.all() == [replace(network, groups=network.groups[1:])]


def test_a_renamed_group_takes_over_the_chat(uow_factory: UowFactory, network: Network) -> None:
    """The old group is archived with its members; the new id gets the chat. Renaming back
    restores the old group."""
    _save(uow_factory, network)
    regie = network.groups[0]
    with uow_factory() as uow:
        uow.persons.save(Person(PersonId("p1"), GEMEENTE, "Anna"))
        uow.memberships.replace_group(regie.id, [Membership(regie.id, PersonId("p1"))])
        uow.commit()
    renamed = replace(network, groups=(replace(regie, id=GroupId("regie-2")), *network.groups[1:]))
    _save(uow_factory, renamed)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == renamed
        assert uow.networks.find_group(regie.chat) == (renamed, "regie-2")
        assert [m.person_id for m in uow.memberships.of_group(regie.id)] == ["p1"]
    _save(uow_factory, network)
    with uow_factory() as uow:
        assert uow.networks.get(GEMEENTE) == network
        assert uow.networks.find_group(regie.chat) == (network, "regie")


def test_another_gemeente_may_take_over_an_archived_group(
    uow_factory: UowFactory, network: Network
) -> None:
    _save(uow_factory, network)
    delden = network.groups[4]
    _save(uow_factory, replace(network, groups=network.groups[:4]))  # Delden-Zuid archived
    other_id = GemeenteId("enschede")
    other = Network(
        Gemeente(other_id, "Enschede"),
        (),
        (),
        (
            replace(delden, gemeente_id=other_id, buurt_id=None, kind=GroupKind.REGIE),
            replace(
                network.groups[2],
                id=GroupId("enschede-x"),
                gemeente_id=other_id,
                buurt_id=None,
                kind=GroupKind.COORDINATOREN,
                chat=ChatRef(Platform.TELEGRAM, "-5000"),
            ),
        ),
    )
    _save(uow_factory, other)
    with uow_factory() as uow:
        assert uow.networks.get(other_id) == other
        assert uow.networks.find_group(delden.chat) == (other, delden.id)
        assert uow.networks.get(GEMEENTE) == replace(network, groups=network.groups[:4])
        # Hof van Twente cannot have it back while Enschede uses it.
        with pytest.raises(ValueError, match="another gemeente"):
            uow.networks.save(network)


def test_kinds_survive(uow_factory: UowFactory, network: Network) -> None:
    _save(uow_factory, network)
    with uow_factory() as uow:
        back = uow.networks.get(GEMEENTE)
    assert back is not None
    assert [g.id for g in back.groups_of_kind(GroupKind.BUURT)] == [
        "bg-goor-centrum",
        "bg-goor-noord",
        "bg-delden-zuid",
    ]


def test_a_cached_network_is_reloaded_after_another_unit_of_work_saves(
    migrated_engine: Engine, network: Network
) -> None:
    """Units of work sharing a cache see a save made elsewhere (another process, its own cache)."""
    sessions = make_session_factory(migrated_engine)
    cache = NetworkCache()
    with SqlUnitOfWork(sessions, network_cache=cache) as uow:
        uow.networks.save(network)
        uow.commit()
    with SqlUnitOfWork(sessions, network_cache=cache) as uow:
        first = uow.networks.get(network.gemeente.id)
        again = uow.networks.get(network.gemeente.id)
    assert first == network
    assert again is first  # served from the cache
    renamed = replace(network, gemeente=replace(network.gemeente, name="Hof van Twente (nieuw)"))
    with SqlUnitOfWork(sessions) as other:
        other.networks.save(renamed)
        other.commit()
    with SqlUnitOfWork(sessions, network_cache=cache) as uow:
        fresh = uow.networks.get(network.gemeente.id)
        found = uow.networks.find_group(network.groups[0].chat)
    assert fresh == renamed
    assert found is not None
    assert found[0].gemeente.name == "Hof van Twente (nieuw)"
