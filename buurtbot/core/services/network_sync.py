"""Applying a network file to storage, without losing what the bot did since.

The file is declarative for what it states and silent about the rest:

- The network (gemeente, kernen, buurten, groups) becomes exactly the file's; parts the file
  no longer has are archived by the repository, never deleted.
- Persons the file names get its name, roles and accounts. An account on a platform the file
  does not mention is kept (linked in the bot later); the file's ``locale`` is applied when
  given, otherwise the language the person chose in the bot stays.
- Every group role the file states is applied through :class:`Roster`, so the invariants
  hold (a changed eigenaar is a transfer). Of the roles the file does *not* state, only those
  that came from the file are undone: such a beheerder becomes lid and stays a member.
  Members the bot admitted, and beheerders the bot appointed, are kept.
- Persons dropped from the file stay (they may be members through the bot) but lose the
  gemeente roles the file gave them.

Applying the same file twice changes nothing the second time. The caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from buurtbot.core.domain.model import (
    Group,
    GroupKind,
    GroupRole,
    Locale,
    Membership,
    Person,
    RoleSource,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.networkspec import NetworkSpec, PersonSpec
from buurtbot.core.domain.roster import Roster
from buurtbot.core.ids import GemeenteId, PersonId, PlatformIdentity
from buurtbot.core.ports import UnitOfWork

__all__ = ["NetworkSyncError", "SyncReport", "apply_network"]

FILE = RoleSource.NETWORK_FILE
_SHOWN_NAMES = 8

_PLURALS = {
    "gemeente": "gemeenten",
    "kern": "kernen",
    "buurt": "buurten",
    "group": "groups",
    "person": "persons",
    "membership": "memberships",
    "role": "roles",
}


class NetworkSyncError(Exception):
    """The file cannot be applied to what is stored; nothing was changed."""

    def __init__(self, gemeente_id: GemeenteId, problems: list[str]) -> None:
        self.gemeente_id = gemeente_id
        self.problems = problems
        super().__init__(
            f"cannot apply the network file of {gemeente_id}:\n  " + "\n  ".join(problems)
        )


@dataclass(slots=True)
class SyncReport:
    """What applying one network file changed, by kind: names of what was added, updated,
    archived. Kinds: gemeente, kern, buurt, group, person, membership, role."""

    gemeente_id: GemeenteId
    gemeente_name: str
    added: dict[str, list[str]] = field(default_factory=dict)
    updated: dict[str, list[str]] = field(default_factory=dict)
    archived: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.added, self.updated, self.archived))

    def count(self, what: str, kind: str) -> int:
        """How many of ``kind`` (``"buurt"``) were ``what`` (``"added"``, ``"archived"``...)."""
        table: dict[str, list[str]] = getattr(self, what)
        return len(table.get(kind, []))

    def record(self, what: str, kind: str, name: str) -> None:
        """Note that ``kind`` ``name`` was ``what`` (``"added"``, ``"updated"``, ``"archived"``)."""
        table: dict[str, list[str]] = getattr(self, what)
        table.setdefault(kind, []).append(name)

    def __str__(self) -> str:
        head = f"{self.gemeente_name} ({self.gemeente_id})"
        if not self.changed:
            return f"{head}: no changes" + "".join(f"\n  note: {n}" for n in self.notes)
        lines = [f"{head}:"]
        for what in ("added", "updated", "archived"):
            table: dict[str, list[str]] = getattr(self, what)
            for kind in _PLURALS:
                names = table.get(kind)
                if not names:
                    continue
                noun = kind if len(names) == 1 else _PLURALS[kind]
                shown = ", ".join(names[:_SHOWN_NAMES])
                more = f" and {len(names) - _SHOWN_NAMES} more" if len(names) > _SHOWN_NAMES else ""
                lines.append(f"  {what} {len(names)} {noun}: {shown}{more}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def apply_network(uow: UnitOfWork, spec: NetworkSpec) -> SyncReport:
    """Bring storage in line with ``spec`` (see the module docstring); the caller commits.

    Raises :class:`NetworkSyncError` before changing anything when an account the file
    gives already belongs to someone else.
    """
    report = SyncReport(spec.gemeente_id, spec.network.gemeente.name)
    adopted = _check_identities(uow, spec, report)
    _sync_network(uow, spec.network, report)
    _sync_persons(uow, spec, adopted, report)
    _sync_memberships(uow, spec, report)
    return report


# ---------------------------------------------------------------------------------------------
def _check_identities(
    uow: UnitOfWork, spec: NetworkSpec, report: SyncReport
) -> dict[PersonId, Locale | None]:
    """Refuse accounts owned by other people; take over those of strangers met in private.

    Someone who talked to the bot before the file listed them is stored without gemeente
    and membership: their account moves to the file's person (with their language choice).
    Returns the language each such file person inherits.
    """
    problems: list[str] = []
    moves: dict[PersonId, tuple[Person, set[PlatformIdentity]]] = {}
    inherits: dict[PersonId, Locale | None] = {}
    handles = {ps.handle for ps in spec.persons}
    for ps in spec.persons:
        pid = spec.person_id(ps.handle)
        for identity in sorted(ps.identities, key=str):
            owner = uow.persons.by_identity(identity)
            if owner is None or owner.id == pid:
                continue
            if _is_stranger(uow, owner):
                moves.setdefault(owner.id, (owner, set()))[1].add(identity)
                inherits.setdefault(pid, owner.locale)
                continue
            where = f"gemeente {owner.gemeente_id}" if owner.gemeente_id else "no gemeente"
            hint = ""
            if owner.gemeente_id == spec.gemeente_id and owner.handle not in handles:
                hint = (
                    f'; handle "{owner.handle}" is no longer in the file: a handle cannot be '
                    "renamed, keep the old one"
                )
            problems.append(
                f'person "{ps.handle}": the {identity.platform} account {identity.user_ref} '
                f"already belongs to {owner.display_name or owner.id} ({owner.id}, {where})" + hint
            )
    if problems:
        raise NetworkSyncError(spec.gemeente_id, problems)
    for owner, identities in moves.values():
        uow.persons.save(replace(owner, identities=owner.identities - identities))
        report.notes.append(
            f"{len(identities)} account(s) moved from {owner.id} (known only from a private "
            "chat) to the person the file names"
        )
    return inherits


def _is_stranger(uow: UnitOfWork, person: Person) -> bool:
    return (
        person.gemeente_id is None
        and person.handle is None
        and not uow.memberships.of_person(person.id)
    )


# ---------------------------------------------------------------------------------------------
def _sync_network(uow: UnitOfWork, network: Network, report: SyncReport) -> None:
    old = uow.networks.get(network.gemeente.id)
    if old is None:
        report.record("added", "gemeente", network.gemeente.name)
    elif old.gemeente != network.gemeente:
        report.record("updated", "gemeente", network.gemeente.name)
    _compare(report, "kern", old.kernen if old else (), network.kernen)
    _compare(report, "buurt", old.buurten if old else (), network.buurten)
    _compare(report, "group", old.groups if old else (), network.groups)
    if old != network:
        uow.networks.save(network)


def _compare(report: SyncReport, kind: str, old: Sequence[_Named], new: Sequence[_Named]) -> None:
    before = {part.id: part for part in old}
    after = {part.id: part for part in new}
    for part in new:
        if part.id not in before:
            report.record("added", kind, part.name)
        elif before[part.id] != part:
            report.record("updated", kind, part.name)
    for part in old:
        if part.id not in after:
            report.record("archived", kind, part.name)


class _Named(Protocol):
    """Kernen, buurten and groups, as far as the report needs them."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


# ---------------------------------------------------------------------------------------------
def _sync_persons(
    uow: UnitOfWork,
    spec: NetworkSpec,
    inherited: Mapping[PersonId, Locale | None],
    report: SyncReport,
) -> None:
    gid = spec.gemeente_id
    for ps in spec.persons:
        pid = spec.person_id(ps.handle)
        existing = uow.persons.get(pid)
        person = _person_from(gid, pid, ps, existing, inherited.get(pid))
        if existing is None:
            uow.persons.save(person)
            report.record("added", "person", ps.display_name)
        elif existing != person:
            uow.persons.save(person)
            report.record(
                "updated", "person", f"{ps.display_name} ({_what_changed(existing, person)})"
            )
        roles = uow.persons.gemeente_roles(gid, pid)
        if roles != ps.gemeente_roles:
            uow.persons.set_gemeente_roles(gid, pid, ps.gemeente_roles)
            if existing is None:
                report.record("added", "role", f"{ps.display_name}: {_roles(ps.gemeente_roles)}")
            else:
                change = f"{_roles(roles)} → {_roles(ps.gemeente_roles)}"
                report.record("updated", "role", f"{ps.display_name}: {change}")
    in_file = {spec.person_id(ps.handle) for ps in spec.persons}
    for person in uow.persons.in_gemeente(gid):
        from_file = person.handle is not None and person.id == spec.person_id(person.handle)
        if not from_file or person.id in in_file:
            continue
        roles = uow.persons.gemeente_roles(gid, person.id)
        if roles:
            uow.persons.set_gemeente_roles(gid, person.id, frozenset())
            report.record(
                "updated",
                "role",
                f"{person.display_name}: {_roles(roles)} → none (no longer in the file)",
            )


def _person_from(
    gid: GemeenteId,
    pid: PersonId,
    ps: PersonSpec,
    existing: Person | None,
    inherited_locale: Locale | None,
) -> Person:
    named = {i.platform for i in ps.identities}
    kept = {i for i in existing.identities if i.platform not in named} if existing else set()
    if ps.locale is not None:
        locale: Locale | None = ps.locale
    elif existing is not None and existing.locale is not None:
        locale = existing.locale
    else:
        locale = inherited_locale
    return Person(
        id=pid,
        gemeente_id=gid,
        display_name=ps.display_name,
        locale=locale,
        handle=ps.handle,
        identities=frozenset(ps.identities | kept),
    )


def _what_changed(old: Person, new: Person) -> str:
    parts = [
        label
        for label, a, b in (
            ("name", old.display_name, new.display_name),
            ("language", old.locale, new.locale),
            ("accounts", old.identities, new.identities),
            ("gemeente", old.gemeente_id, new.gemeente_id),
            ("handle", old.handle, new.handle),
        )
        if a != b
    ]
    return ", ".join(parts)


def _roles(roles: Iterable[object]) -> str:
    return ", ".join(sorted(map(str, roles))) or "none"


# ---------------------------------------------------------------------------------------------
def _sync_memberships(uow: UnitOfWork, spec: NetworkSpec, report: SyncReport) -> None:
    limit = spec.network.gemeente.settings.max_mede_beheerders
    names: dict[PersonId, str] = {spec.person_id(p.handle): p.display_name for p in spec.persons}

    def name(pid: PersonId) -> str:
        if pid not in names:
            found = uow.persons.get(pid)
            names[pid] = found.display_name if found and found.display_name else pid
        return names[pid]

    for group in spec.network.groups:
        stored = uow.memberships.of_group(group.id)
        stated = {m.person_id: m.role for m in spec.memberships_of(group.id)}
        merged = merge_roles(group, stored, stated, max_mede_beheerders=limit)
        if set(merged) == set(stored):
            continue
        uow.memberships.replace_group(group.id, merged)
        before = {m.person_id: m.role for m in stored}
        for m in merged:
            old = before.get(m.person_id)
            if old is None:
                report.record(
                    "added", "membership", f"{name(m.person_id)} in {group.name} ({m.role})"
                )
            elif old is not m.role:
                report.record(
                    "updated",
                    "membership",
                    f"{name(m.person_id)} in {group.name}: {old} → {m.role}",
                )


def merge_roles(
    group: Group,
    stored: Sequence[Membership],
    stated: Mapping[PersonId, GroupRole],
    *,
    max_mede_beheerders: int,
) -> list[Membership]:
    """The group's memberships after applying the roles a file states (see module docstring).

    Pure, so the rules can be tested without storage. Raises
    :class:`~buurtbot.core.domain.errors.RosterError` only for a ``stated`` that breaks the
    roster's invariants itself (a checked network file never does).
    """
    if group.kind is not GroupKind.BUURT:
        # Other groups have no beheerders; the file only adds members to them.
        kept = {m.person_id: replace(m, role=GroupRole.LID) for m in stored}
        for pid in stated:
            kept[pid] = (
                replace(kept[pid], source=FILE)
                if pid in kept
                else Membership(group.id, pid, GroupRole.LID, FILE)
            )
        return sorted(kept.values(), key=lambda m: m.person_id)

    roster = Roster(group, stored, max_mede_beheerders=max_mede_beheerders)
    source = {m.person_id: m.source for m in stored}

    # 1. Mede-beheerders the file stated as lid, or that came from the file and are gone.
    for m in roster.memberships:
        want = stated.get(m.person_id)
        if m.role is GroupRole.MEDE_BEHEERDER and (
            want is GroupRole.LID or (want is None and m.source is FILE)
        ):
            roster.set_role(m.person_id, GroupRole.LID, source=m.source)

    # 2. The eigenaar: a change is a transfer; the old one stays, as lid unless stated otherwise.
    owner = next((p for p, r in stated.items() if r is GroupRole.EIGENAAR), None)
    if owner is not None and roster.eigenaar != owner:
        old = roster.eigenaar
        roster.transfer_ownership(owner, source=FILE)
        demote = old is not None and stated.get(old) is not GroupRole.MEDE_BEHEERDER
        if old is not None and demote and roster.role_of(old) is not GroupRole.LID:
            roster.set_role(old, GroupRole.LID, source=source.get(old, FILE))

    # 3. Mede-beheerders the file states; the file wins a seat over one the bot appointed.
    for pid in sorted(p for p, r in stated.items() if r is GroupRole.MEDE_BEHEERDER):
        if roster.role_of(pid) is GroupRole.MEDE_BEHEERDER:
            continue
        if roster.count(GroupRole.MEDE_BEHEERDER) >= max_mede_beheerders:
            spare = [
                p
                for p in roster.beheerders
                if roster.role_of(p) is GroupRole.MEDE_BEHEERDER
                and stated.get(p) is not GroupRole.MEDE_BEHEERDER
            ]
            if spare:
                roster.set_role(spare[0], GroupRole.LID, source=source.get(spare[0], FILE))
        roster.set_role(pid, GroupRole.MEDE_BEHEERDER, source=FILE)

    # 4. Leden the file states; they join if they are not in the group yet.
    for pid in sorted(p for p, r in stated.items() if r is GroupRole.LID):
        roster.admit(pid, source=FILE)

    # A role the file states is from now on the file's (so a later file can undo it).
    result = [
        replace(m, source=FILE) if stated.get(m.person_id) is m.role else m
        for m in roster.memberships
    ]
    Roster(group, result, max_mede_beheerders=max_mede_beheerders).check()
    return result
