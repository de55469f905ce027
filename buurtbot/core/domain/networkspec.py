"""What a network file declares: one gemeente's network plus the people and roles it names.

A spec is the parsed, validated file and nothing more; applying it to storage (and keeping
what the bot added since) is :mod:`buurtbot.core.services.network_sync`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

from buurtbot.core.domain.model import GemeenteRole, Locale, Membership
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import GemeenteId, GroupId, PersonId, PlatformIdentity


def file_person_id(gemeente_id: GemeenteId, handle: str) -> PersonId:
    """The id of a person a network file names: stable across reloads, unique per gemeente."""
    return PersonId(f"{gemeente_id}:{handle}")


def file_group_id(gemeente_id: GemeenteId, group_slug: str) -> GroupId:
    """The id of a group a network file names.

    Memberships are stored by group id alone, so the id carries the gemeente: two gemeenten
    may both call their steering group ``regie`` without sharing members.
    """
    return GroupId(f"{gemeente_id}:{group_slug}")


@dataclass(frozen=True, slots=True)
class PersonSpec:
    """One ``[[person]]`` of a network file. ``locale`` is ``None`` when the file leaves it open."""

    handle: str
    display_name: str
    locale: Locale | None
    identities: frozenset[PlatformIdentity]
    gemeente_roles: frozenset[GemeenteRole]

    def person_id(self, gemeente_id: GemeenteId) -> PersonId:
        return file_person_id(gemeente_id, self.handle)


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """A whole network file: the network, its people (in file order) and their group roles.

    Every membership here has ``source=RoleSource.NETWORK_FILE``.
    """

    network: Network
    persons: tuple[PersonSpec, ...]
    memberships: tuple[Membership, ...]

    @property
    def gemeente_id(self) -> GemeenteId:
        return self.network.gemeente.id

    def person_id(self, handle: str) -> PersonId:
        return file_person_id(self.gemeente_id, handle)

    def memberships_of(self, group_id: GroupId) -> tuple[Membership, ...]:
        return tuple(m for m in self.memberships if m.group_id == group_id)
