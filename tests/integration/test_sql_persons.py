"""SqlPersonRepository and SqlMembershipRepository."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from buurtbot.adapters.sql import SqlUnitOfWork
from buurtbot.core.domain.model import (
    Gemeente,
    GemeenteRole,
    GroupRole,
    Locale,
    Membership,
    Person,
    RoleSource,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import GemeenteId, GroupId, PersonId, Platform, PlatformIdentity

UowFactory = Callable[[], SqlUnitOfWork]
GEMEENTE = GemeenteId("hof-van-twente")  # the sample network's (conftest.py)

TG_ANNA = PlatformIdentity(Platform.TELEGRAM, "1001")
SIG_ANNA = PlatformIdentity(Platform.SIGNAL, "+31600000001")
TG_BERT = PlatformIdentity(Platform.TELEGRAM, "1002")

ANNA = Person(
    PersonId("p-anna"),
    GEMEENTE,
    "Anna de Vries",
    locale=Locale.EN,
    handle="anna",
    identities=frozenset({TG_ANNA, SIG_ANNA}),
)

BERT = Person(PersonId("p-bert"), GEMEENTE, "Bert", identities=frozenset({TG_BERT}))


@pytest.fixture
def uow(uow_factory: UowFactory, network: Network) -> UowFactory:
    """A factory on a database that holds the sample network."""
    with uow_factory() as u:
        u.networks.save(network)
        u.networks.save(Network(Gemeente(GemeenteId("enschede"), "Enschede"), (), (), ()))
        u.commit()
    return uow_factory


def test_save_and_find_a_person(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(BERT)
        u.persons.save(ANNA)
        u.commit()
    with uow() as u:
        assert u.persons.get(ANNA.id) == ANNA
        assert u.persons.by_identity(SIG_ANNA) == ANNA
        assert u.persons.by_identity(TG_BERT) == BERT
        assert u.persons.by_identity(PlatformIdentity(Platform.SIGNAL, "1001")) is None
        assert u.persons.by_handle(GEMEENTE, "anna") == ANNA
        assert u.persons.by_handle(GemeenteId("enschede"), "anna") is None
        assert u.persons.in_gemeente(GEMEENTE) == [ANNA, BERT]
        assert u.persons.in_gemeente(GemeenteId("enschede")) == []
        assert u.persons.get(PersonId("nobody")) is None


def test_an_update_replaces_fields_and_identities(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(ANNA)
        u.commit()
    moved = replace(
        ANNA,
        gemeente_id=GemeenteId("enschede"),
        display_name="Anna",
        locale=None,
        handle=None,
        identities=frozenset({SIG_ANNA, PlatformIdentity(Platform.CONSOLE, "anna")}),
    )
    with uow() as u:
        u.persons.save(moved)
        u.commit()
    with uow() as u:
        assert u.persons.get(ANNA.id) == moved
        assert u.persons.by_identity(TG_ANNA) is None
        assert u.persons.by_handle(GEMEENTE, "anna") is None
        assert u.persons.in_gemeente(GEMEENTE) == []
        assert u.persons.in_gemeente(GemeenteId("enschede")) == [moved]


def test_a_person_met_in_a_private_chat_has_no_gemeente(uow: UowFactory) -> None:
    stranger = Person(PersonId("p-x"), None, "X", locale=Locale.NL, identities=frozenset({TG_BERT}))
    with uow() as u:
        u.persons.save(stranger)
        u.commit()
    with uow() as u:
        assert u.persons.by_identity(TG_BERT) == stranger
        assert u.persons.in_gemeente(GEMEENTE) == []


def test_an_identity_belongs_to_one_person(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(ANNA)
        with pytest.raises(ValueError, match="another person"):
            u.persons.save(replace(BERT, identities=frozenset({TG_BERT, SIG_ANNA})))
        # Handing the account over takes two explicit steps.
        u.persons.save(replace(ANNA, identities=frozenset({TG_ANNA})))
        u.persons.save(replace(BERT, identities=frozenset({TG_BERT, SIG_ANNA})))
        u.commit()
    with uow() as u:
        owner = u.persons.by_identity(SIG_ANNA)
        assert owner is not None
        assert owner.id == BERT.id


def test_a_handle_is_unique_within_a_gemeente(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(ANNA)
        with pytest.raises(ValueError, match="handle"):
            u.persons.save(replace(BERT, handle="anna"))
        u.persons.save(replace(BERT, gemeente_id=GemeenteId("enschede"), handle="anna"))
        u.commit()
    with uow() as u:
        anna = u.persons.by_handle(GemeenteId("enschede"), "anna")
        assert anna is not None
        assert anna.id == BERT.id


def test_gemeente_roles_are_replaced_as_a_set(uow: UowFactory) -> None:
    both = frozenset({GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON})
    with uow() as u:
        u.persons.save(ANNA)
        assert u.persons.gemeente_roles(GEMEENTE, ANNA.id) == frozenset()
        u.persons.set_gemeente_roles(GEMEENTE, ANNA.id, both)
        u.persons.set_gemeente_roles(
            GemeenteId("enschede"), ANNA.id, frozenset({GemeenteRole.POLITIE})
        )
        u.commit()
    with uow() as u:
        assert u.persons.gemeente_roles(GEMEENTE, ANNA.id) == both
        u.persons.set_gemeente_roles(
            GEMEENTE, ANNA.id, frozenset({GemeenteRole.CONTACTPERSOON, GemeenteRole.COORDINATOR})
        )
        u.commit()
    with uow() as u:
        assert u.persons.gemeente_roles(GEMEENTE, ANNA.id) == {
            GemeenteRole.CONTACTPERSOON,
            GemeenteRole.COORDINATOR,
        }
        u.persons.set_gemeente_roles(GEMEENTE, ANNA.id, frozenset())
        u.commit()
    with uow() as u:
        assert u.persons.gemeente_roles(GEMEENTE, ANNA.id) == frozenset()
        assert u.persons.gemeente_roles(GemeenteId("enschede"), ANNA.id) == {GemeenteRole.POLITIE}


# -- memberships ---------------------------------------------------------------------------
CENTRUM = GroupId("bg-goor-centrum")
NOORD = GroupId("bg-goor-noord")
CAROL = Person(PersonId("p-carol"), GEMEENTE, "Carol")


def test_replace_group_makes_the_stored_memberships_exact(uow: UowFactory) -> None:
    first = [
        Membership(CENTRUM, CAROL.id, GroupRole.LID, RoleSource.BOT),
        Membership(CENTRUM, ANNA.id, GroupRole.EIGENAAR, RoleSource.NETWORK_FILE),
        Membership(CENTRUM, BERT.id, GroupRole.MEDE_BEHEERDER, RoleSource.NETWORK_FILE),
    ]
    with uow() as u:
        for p in (ANNA, BERT, CAROL):
            u.persons.save(p)
        u.memberships.replace_group(CENTRUM, first)
        u.memberships.replace_group(NOORD, [Membership(NOORD, BERT.id)])
        u.commit()
    with uow() as u:
        assert u.memberships.of_group(CENTRUM) == sorted(first, key=lambda m: m.person_id)
        second = [
            Membership(CENTRUM, BERT.id, GroupRole.EIGENAAR, RoleSource.BOT),
            Membership(CENTRUM, CAROL.id, GroupRole.LID, RoleSource.BOT),
        ]
        u.memberships.replace_group(CENTRUM, second)
        u.commit()
    with uow() as u:
        assert u.memberships.of_group(CENTRUM) == second
        assert u.memberships.of_group(NOORD) == [Membership(NOORD, BERT.id)]
        assert u.memberships.of_person(BERT.id) == [second[0], Membership(NOORD, BERT.id)]
        assert u.memberships.of_person(ANNA.id) == []
        u.memberships.replace_group(CENTRUM, [])
        u.commit()
    with uow() as u:
        assert u.memberships.of_group(CENTRUM) == []
        assert u.memberships.of_group(NOORD) == [Membership(NOORD, BERT.id)]


def test_unknown_groups_and_persons_are_refused(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(ANNA)
        with pytest.raises(KeyError, match="nope"):
            u.memberships.replace_group(GroupId("nope"), [])
        with pytest.raises(KeyError, match="p-ghost"):
            u.memberships.replace_group(
                CENTRUM, [Membership(CENTRUM, ANNA.id), Membership(CENTRUM, PersonId("p-ghost"))]
            )
        with pytest.raises(KeyError, match="p-ghost"):
            u.persons.set_gemeente_roles(
                GEMEENTE, PersonId("p-ghost"), frozenset({GemeenteRole.POLITIE})
            )
        # Nothing reached the database, so the transaction goes on.
        u.memberships.replace_group(CENTRUM, [Membership(CENTRUM, ANNA.id)])
        u.commit()
    with uow() as u:
        assert u.memberships.of_group(CENTRUM) == [Membership(CENTRUM, ANNA.id)]


def test_replace_group_refuses_foreign_or_repeated_memberships(uow: UowFactory) -> None:
    with uow() as u:
        u.persons.save(ANNA)
        with pytest.raises(ValueError, match="passed for group"):
            u.memberships.replace_group(CENTRUM, [Membership(NOORD, ANNA.id)])
        with pytest.raises(ValueError, match="twice"):
            u.memberships.replace_group(
                CENTRUM,
                [Membership(CENTRUM, ANNA.id), Membership(CENTRUM, ANNA.id, GroupRole.EIGENAAR)],
            )
        assert u.memberships.of_group(CENTRUM) == []
