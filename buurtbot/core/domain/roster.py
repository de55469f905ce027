"""The roster of one group: who is in it and in which role, with the invariants of the seed.

A buurtgroep has exactly one eigenaar (who admits new members) and at most a configured
number of mede-beheerders. Every change goes through this aggregate so the rules cannot be
bypassed by a flow that forgets them.
"""

from __future__ import annotations

from collections.abc import Iterable

from buurtbot.core.domain.errors import RosterError, RosterProblem
from buurtbot.core.domain.model import Group, GroupKind, GroupRole, Membership, RoleSource
from buurtbot.core.ids import PersonId


class Roster:
    def __init__(
        self, group: Group, memberships: Iterable[Membership], *, max_mede_beheerders: int
    ) -> None:
        self.group = group
        self.max_mede_beheerders = max_mede_beheerders
        self._members: dict[PersonId, Membership] = {m.person_id: m for m in memberships}

    # -- queries ---------------------------------------------------------------------------
    def role_of(self, person: PersonId) -> GroupRole | None:
        m = self._members.get(person)
        return m.role if m else None

    @property
    def memberships(self) -> tuple[Membership, ...]:
        return tuple(sorted(self._members.values(), key=lambda m: m.person_id))

    @property
    def eigenaar(self) -> PersonId | None:
        owners = [p for p, m in self._members.items() if m.role is GroupRole.EIGENAAR]
        return owners[0] if len(owners) == 1 else None

    @property
    def beheerders(self) -> tuple[PersonId, ...]:
        return tuple(sorted(p for p, m in self._members.items() if m.role.is_beheerder))

    def count(self, role: GroupRole) -> int:
        return sum(1 for m in self._members.values() if m.role is role)

    def check(self) -> None:
        """Raise :class:`RosterError` when the roster breaks an invariant."""
        if self.group.kind is not GroupKind.BUURT:
            if self.count(GroupRole.EIGENAAR) or self.count(GroupRole.MEDE_BEHEERDER):
                raise RosterError(RosterProblem.NOT_A_BUURTGROEP, self.group.id)
            return
        owners = self.count(GroupRole.EIGENAAR)
        if owners == 0:
            raise RosterError(RosterProblem.NO_EIGENAAR, self.group.id)
        if owners > 1:
            raise RosterError(RosterProblem.SEVERAL_EIGENAREN, self.group.id)
        if self.count(GroupRole.MEDE_BEHEERDER) > self.max_mede_beheerders:
            raise RosterError(RosterProblem.TOO_MANY_MEDE_BEHEERDERS, self.group.id)

    # -- changes ---------------------------------------------------------------------------
    def admit(self, person: PersonId, *, source: RoleSource = RoleSource.BOT) -> bool:
        """Add ``person`` as lid; ``False`` when they were a member already."""
        if person in self._members:
            return False
        self._members[person] = Membership(self.group.id, person, GroupRole.LID, source)
        return True

    def set_role(
        self, person: PersonId, role: GroupRole, *, source: RoleSource = RoleSource.BOT
    ) -> None:
        """Give ``person`` (a member, or admitted now) ``role``, keeping the invariants."""
        self._require_buurtgroep_for(role)
        current = self.role_of(person)
        if current is role:
            return
        if current is GroupRole.EIGENAAR:
            raise RosterError(RosterProblem.EIGENAAR_MUST_TRANSFER, person)
        if role is GroupRole.EIGENAAR and self.eigenaar is not None:
            raise RosterError(RosterProblem.ALREADY_EIGENAAR, self.eigenaar)
        if (
            role is GroupRole.MEDE_BEHEERDER
            and self.count(GroupRole.MEDE_BEHEERDER) >= self.max_mede_beheerders
        ):
            raise RosterError(RosterProblem.TOO_MANY_MEDE_BEHEERDERS, self.group.id)
        self._members[person] = Membership(self.group.id, person, role, source)

    def transfer_ownership(self, to: PersonId, *, source: RoleSource = RoleSource.BOT) -> None:
        """Make ``to`` the eigenaar; the old one stays as mede-beheerder when there is room."""
        self._require_buurtgroep_for(GroupRole.EIGENAAR)
        old = self.eigenaar
        if old == to:
            return
        was = self.role_of(to)
        self._members[to] = Membership(self.group.id, to, GroupRole.EIGENAAR, source)
        if old is not None:
            room = self.count(GroupRole.MEDE_BEHEERDER) < self.max_mede_beheerders
            keep = GroupRole.MEDE_BEHEERDER if room or was is GroupRole.MEDE_BEHEERDER else None
            self._members[old] = Membership(
                self.group.id, old, keep or GroupRole.LID, self._members[old].source
            )

    def step_down(self, person: PersonId) -> None:
        """A mede-beheerder becomes a lid again; an eigenaar must hand over first."""
        current = self.role_of(person)
        if current is None:
            raise RosterError(RosterProblem.NOT_A_MEMBER, person)
        if current is GroupRole.EIGENAAR:
            raise RosterError(RosterProblem.EIGENAAR_MUST_TRANSFER, person)
        self._members[person] = Membership(self.group.id, person, GroupRole.LID, RoleSource.BOT)

    def remove(self, person: PersonId) -> bool:
        """Take ``person`` out of the group; ``False`` when they were not in it."""
        current = self.role_of(person)
        if current is None:
            return False
        if current is GroupRole.EIGENAAR:
            raise RosterError(RosterProblem.EIGENAAR_MUST_TRANSFER, person)
        del self._members[person]
        return True

    def _require_buurtgroep_for(self, role: GroupRole) -> None:
        if role.is_beheerder and self.group.kind is not GroupKind.BUURT:
            raise RosterError(RosterProblem.NOT_A_BUURTGROEP, self.group.id)
