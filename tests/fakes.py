"""In-memory implementations of the storage ports, for fast service tests.

Usage::

    store = FakeStore()
    uow_factory = fake_uow_factory(store)        # a UnitOfWorkFactory
    with uow_factory() as uow:
        uow.persons.save(person)
        uow.commit()                             # without this, nothing reaches the store
    assert store.commits == 1
    assert store.state.persons[person.id] == person

How it keeps the contracts of :mod:`buurtbot.core.ports`:

- A unit of work reads a snapshot of the committed :class:`FakeState` taken when it starts
  (and again after each commit or rollback) and writes to that snapshot only.
- Every write is also journalled. :meth:`FakeUnitOfWork.commit` replays the journal on the
  committed state under a lock and swaps it in only if every write gives the same answer as
  it gave inside the unit of work. So two units of work that both claim one event id or
  queue one outbox key cannot both commit (the second raises :class:`FakeConflict`, as a
  unique constraint would), while unrelated writes from overlapping units of work merge.
- Like a database, the fakes refuse what constraints would refuse: an identity owned by two
  persons, a duplicate handle in a gemeente, memberships of an unknown group or person.
- Nothing is ever deleted from the network: parts a saved network lacks are archived
  (:attr:`FakeState.archived_groups` etc.) and come back if a later save has them again.
- Outbox ids come from a store-wide sequence, so they are unique even across rollbacks.
  ``attempts`` counts failed tries (:meth:`FakeOutbox.retry` adds one). Only the oldest
  pending item of each chat can be claimed, so a chat's messages go out in order even when
  one of them is retried later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from buurtbot.core.actions import Action
from buurtbot.core.domain.model import Buurt, GemeenteRole, Group, Kern, Membership, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    KernId,
    PersonId,
    PlatformIdentity,
)
from buurtbot.core.ports import (
    MembershipRepository,
    NetworkRepository,
    Outbox,
    OutboxItem,
    PendingChoice,
    PendingChoices,
    PersonRepository,
    ProcessedEvents,
    UnitOfWork,
)

T = TypeVar("T")
R = TypeVar("R")
OutboxState = Literal["pending", "delivered", "dead"]


class FakeConflict(Exception):
    """A commit lost a race with another unit of work (a unique constraint, in a database)."""


class IdentityTaken(ValueError):
    """A platform identity already belongs to another person."""


@dataclass(frozen=True, slots=True)
class FakeOutboxRecord:
    """One outbox row with everything a test may want to inspect."""

    id: int
    key: str
    action: Action
    created_at: datetime
    due_at: datetime
    attempts: int = 0
    state: OutboxState = "pending"
    claimed_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def as_item(self) -> OutboxItem:
        return OutboxItem(id=self.id, key=self.key, action=self.action, attempts=self.attempts)


@dataclass(slots=True)
class FakeState:
    """Everything stored. Values are immutable, so copying the containers copies the state."""

    networks: dict[GemeenteId, Network] = field(default_factory=dict)
    archived_kernen: dict[tuple[GemeenteId, KernId], Kern] = field(default_factory=dict)
    archived_buurten: dict[tuple[GemeenteId, BuurtId], Buurt] = field(default_factory=dict)
    archived_groups: dict[GroupId, Group] = field(default_factory=dict)
    persons: dict[PersonId, Person] = field(default_factory=dict)
    gemeente_roles: dict[tuple[GemeenteId, PersonId], frozenset[GemeenteRole]] = field(
        default_factory=dict
    )
    memberships: dict[GroupId, dict[PersonId, Membership]] = field(default_factory=dict)
    events: dict[str, datetime] = field(default_factory=dict)
    choices: dict[tuple[ChatRef, PersonId], PendingChoice] = field(default_factory=dict)
    outbox: dict[int, FakeOutboxRecord] = field(default_factory=dict)

    def copy(self) -> FakeState:
        return FakeState(
            networks=dict(self.networks),
            archived_kernen=dict(self.archived_kernen),
            archived_buurten=dict(self.archived_buurten),
            archived_groups=dict(self.archived_groups),
            persons=dict(self.persons),
            gemeente_roles=dict(self.gemeente_roles),
            memberships={g: dict(ms) for g, ms in self.memberships.items()},
            events=dict(self.events),
            choices=dict(self.choices),
            outbox=dict(self.outbox),
        )

    # -- conveniences for assertions --------------------------------------------------------
    def all_memberships(self) -> list[Membership]:
        """Every stored membership, ordered by group and person."""
        return [m for g in sorted(self.memberships) for _, m in sorted(self.memberships[g].items())]

    def pending_actions(self) -> list[Action]:
        """Actions still waiting in the outbox, oldest first."""
        return [
            r.action
            for r in sorted(self.outbox.values(), key=lambda r: r.id)
            if r.state == "pending"
        ]


class FakeStore:
    """The committed state shared by every unit of work of one test.

    ``commits`` counts successful :meth:`FakeUnitOfWork.commit` calls across all of them.
    ``claim_seconds`` is how long an outbox claim lasts before another worker may take it.
    """

    def __init__(self, *, claim_seconds: float = 60.0) -> None:
        self.state = FakeState()
        self.commits = 0
        self.claim_seconds = claim_seconds
        self._lock = threading.Lock()
        self._outbox_seq = 0

    def snapshot(self) -> FakeState:
        with self._lock:
            return self.state.copy()

    def next_outbox_id(self) -> int:
        with self._lock:
            self._outbox_seq += 1
            return self._outbox_seq

    def _apply(self, journal: Sequence[_Write[Any]]) -> None:
        with self._lock:
            candidate = self.state.copy()
            for write in journal:
                again = write.change(candidate)
                if again != write.result:
                    raise FakeConflict(
                        f"{write.name}: gave {write.result!r} inside the unit of work but "
                        f"{again!r} at commit; a concurrent unit of work committed first"
                    )
            self.state = candidate
            self.commits += 1


@dataclass(frozen=True, slots=True)
class _Write(Generic[R]):
    name: str
    change: Callable[[FakeState], R]
    result: R


class FakeUnitOfWork(UnitOfWork):
    """A :class:`UnitOfWork` over a :class:`FakeStore`; ``committed`` counts its own commits."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.committed = 0
        self.rolled_back = 0
        self.state = store.snapshot()
        self._journal: list[_Write[Any]] = []
        self.networks = FakeNetworkRepository(self)
        self.persons = FakePersonRepository(self)
        self.memberships = FakeMembershipRepository(self)
        self.events = FakeProcessedEvents(self)
        self.choices = FakePendingChoices(self)
        self.outbox = FakeOutbox(self)

    @property
    def writes(self) -> list[str]:
        """Names of the writes made since the last commit or rollback (e.g. ``outbox.add(k)``)."""
        return [w.name for w in self._journal]

    def write(self, name: str, change: Callable[[FakeState], T]) -> T:
        """Apply ``change`` to this unit of work's state now and replay it on commit."""
        result = change(self.state)
        self._journal.append(_Write(name, change, result))
        return result

    def commit(self) -> None:
        try:
            self.store._apply(self._journal)
        except BaseException:
            self._reset()
            raise
        self.committed += 1
        self._reset()

    def rollback(self) -> None:
        if self._journal:
            self.rolled_back += 1
        self._reset()

    def _reset(self) -> None:
        self._journal = []
        self.state = self.store.snapshot()


def fake_uow_factory(store: FakeStore) -> Callable[[], FakeUnitOfWork]:
    """A :data:`~buurtbot.core.ports.UnitOfWorkFactory` whose units of work share ``store``."""
    return lambda: FakeUnitOfWork(store)


class _Repo:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def _s(self) -> FakeState:
        return self._uow.state


# ---------------------------------------------------------------------------------------------
class FakeNetworkRepository(_Repo, NetworkRepository):
    def all(self) -> list[Network]:
        return [self._s.networks[g] for g in sorted(self._s.networks)]

    def get(self, gemeente_id: GemeenteId) -> Network | None:
        return self._s.networks.get(gemeente_id)

    def find_group(self, chat: ChatRef) -> tuple[Network, GroupId] | None:
        if chat.private:
            return None
        for gid in sorted(self._s.networks):
            network = self._s.networks[gid]
            for group in network.groups:
                if (group.chat.platform, group.chat.chat_id) == (chat.platform, chat.chat_id):
                    return network, group.id
        return None

    def save(self, network: Network) -> None:
        self._uow.write(
            f"networks.save({network.gemeente.id})", lambda s: _save_network(s, network)
        )


def _save_network(s: FakeState, network: Network) -> None:
    gid = network.gemeente.id
    for other_id, other in s.networks.items():
        if other_id == gid:
            continue
        ids = {g.id for g in other.groups}
        chats = {(g.chat.platform, g.chat.chat_id) for g in other.groups}
        for group in network.groups:
            if group.id in ids:
                raise ValueError(f"group id {group.id} is taken by gemeente {other_id}")
            if (group.chat.platform, group.chat.chat_id) in chats:
                raise ValueError(f"chat {group.chat} belongs to gemeente {other_id}")
    old = s.networks.get(gid)
    if old is not None:
        kern_ids = {k.id for k in network.kernen}
        buurt_ids = {b.id for b in network.buurten}
        group_ids = {g.id for g in network.groups}
        for k in old.kernen:
            if k.id not in kern_ids:
                s.archived_kernen[(gid, k.id)] = k
        for b in old.buurten:
            if b.id not in buurt_ids:
                s.archived_buurten[(gid, b.id)] = b
        for g in old.groups:
            if g.id not in group_ids:
                s.archived_groups[g.id] = g
    for k in network.kernen:
        s.archived_kernen.pop((gid, k.id), None)
    for b in network.buurten:
        s.archived_buurten.pop((gid, b.id), None)
    for g in network.groups:
        s.archived_groups.pop(g.id, None)
    s.networks[gid] = network


# ---------------------------------------------------------------------------------------------
class FakePersonRepository(_Repo, PersonRepository):
    def get(self, person_id: PersonId) -> Person | None:
        return self._s.persons.get(person_id)

    def by_identity(self, identity: PlatformIdentity) -> Person | None:
        return next((p for p in self._s.persons.values() if identity in p.identities), None)

    def by_handle(self, gemeente_id: GemeenteId, handle: str) -> Person | None:
        return next(
            (
                p
                for p in self._s.persons.values()
                if p.gemeente_id == gemeente_id and p.handle == handle
            ),
            None,
        )

    def in_gemeente(self, gemeente_id: GemeenteId) -> list[Person]:
        return sorted(
            (p for p in self._s.persons.values() if p.gemeente_id == gemeente_id),
            key=lambda p: p.id,
        )

    def save(self, person: Person) -> None:
        self._uow.write(f"persons.save({person.id})", lambda s: _save_person(s, person))

    def gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId
    ) -> frozenset[GemeenteRole]:
        return self._s.gemeente_roles.get((gemeente_id, person_id), frozenset())

    def set_gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId, roles: frozenset[GemeenteRole]
    ) -> None:
        def change(s: FakeState) -> None:
            if person_id not in s.persons:
                raise KeyError(f"unknown person {person_id}")
            if roles:
                s.gemeente_roles[(gemeente_id, person_id)] = frozenset(roles)
            else:
                s.gemeente_roles.pop((gemeente_id, person_id), None)

        self._uow.write(f"persons.set_gemeente_roles({person_id})", change)


def _save_person(s: FakeState, person: Person) -> None:
    for other in s.persons.values():
        if other.id == person.id:
            continue
        taken = other.identities & person.identities
        if taken:
            raise IdentityTaken(f"{min(map(str, taken))} belongs to {other.id}")
        if person.handle is not None and (other.gemeente_id, other.handle) == (
            person.gemeente_id,
            person.handle,
        ):
            raise ValueError(f"handle {person.handle!r} is taken by {other.id}")
    s.persons[person.id] = person


# ---------------------------------------------------------------------------------------------
class FakeMembershipRepository(_Repo, MembershipRepository):
    def of_group(self, group_id: GroupId) -> list[Membership]:
        return [m for _, m in sorted(self._s.memberships.get(group_id, {}).items())]

    def of_person(self, person_id: PersonId) -> list[Membership]:
        return [ms[person_id] for g, ms in sorted(self._s.memberships.items()) if person_id in ms]

    def replace_group(self, group_id: GroupId, memberships: Sequence[Membership]) -> None:
        wanted = tuple(memberships)

        def change(s: FakeState) -> None:
            known_groups = {g.id for n in s.networks.values() for g in n.groups}
            if group_id not in known_groups and group_id not in s.archived_groups:
                raise KeyError(f"unknown group {group_id}")
            by_person: dict[PersonId, Membership] = {}
            for m in wanted:
                if m.group_id != group_id:
                    raise ValueError(f"membership of {m.group_id} given for {group_id}")
                if m.person_id not in s.persons:
                    raise KeyError(f"unknown person {m.person_id}")
                if m.person_id in by_person:
                    raise ValueError(f"{m.person_id} listed twice in {group_id}")
                by_person[m.person_id] = m
            if by_person:
                s.memberships[group_id] = by_person
            else:
                s.memberships.pop(group_id, None)

        self._uow.write(f"memberships.replace_group({group_id})", change)


# ---------------------------------------------------------------------------------------------
class FakeProcessedEvents(_Repo, ProcessedEvents):
    def claim(self, event_id: str, at: datetime) -> bool:
        def change(s: FakeState) -> bool:
            if event_id in s.events:
                return False
            s.events[event_id] = at
            return True

        return self._uow.write(f"events.claim({event_id})", change)


class FakePendingChoices(_Repo, PendingChoices):
    def put(self, choice: PendingChoice) -> None:
        def change(s: FakeState) -> None:
            s.choices[(choice.chat, choice.person)] = choice

        self._uow.write("choices.put", change)

    def take(self, chat: ChatRef, person: PersonId) -> PendingChoice | None:
        return self._uow.write("choices.take", lambda s: s.choices.pop((chat, person), None))


# ---------------------------------------------------------------------------------------------
class FakeOutbox(_Repo, Outbox):
    def add(self, action: Action, *, key: str, at: datetime) -> bool:
        item_id = self._uow.store.next_outbox_id()

        def change(s: FakeState) -> bool:
            if any(r.key == key for r in s.outbox.values()):
                return False
            s.outbox[item_id] = FakeOutboxRecord(item_id, key, action, created_at=at, due_at=at)
            return True

        return self._uow.write(f"outbox.add({key})", change)

    def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        lease = timedelta(seconds=self._uow.store.claim_seconds)

        def change(s: FakeState) -> list[OutboxItem]:
            seen_chats: set[ChatRef] = set()
            claimed: list[OutboxItem] = []
            for record in sorted(s.outbox.values(), key=lambda r: r.id):
                if record.state != "pending":
                    continue
                chat = record.action.chat
                if chat in seen_chats:
                    continue  # an older item of this chat goes first
                seen_chats.add(chat)
                free = record.claimed_until is None or record.claimed_until <= now
                if record.due_at <= now and free and len(claimed) < limit:
                    s.outbox[record.id] = replace(record, claimed_until=now + lease)
                    claimed.append(record.as_item())
            return claimed

        return self._uow.write("outbox.due", change)

    def delivered(self, item_id: int, at: datetime) -> None:
        self._update(item_id, state="delivered", delivered_at=at, claimed_until=None)

    def retry(self, item_id: int, at: datetime, error: str) -> None:
        def change(s: FakeState) -> None:
            record = _record(s, item_id)
            s.outbox[item_id] = replace(
                record,
                attempts=record.attempts + 1,
                due_at=at,
                claimed_until=None,
                last_error=error,
            )

        self._uow.write(f"outbox.retry({item_id})", change)

    def dead(self, item_id: int, error: str) -> None:
        self._update(item_id, state="dead", last_error=error, claimed_until=None)

    def _update(self, item_id: int, **changes: Any) -> None:
        def change(s: FakeState) -> None:
            s.outbox[item_id] = replace(_record(s, item_id), **changes)

        self._uow.write(f"outbox.update({item_id})", change)


def _record(s: FakeState, item_id: int) -> FakeOutboxRecord:
    try:
        return s.outbox[item_id]
    except KeyError:
        raise KeyError(f"unknown outbox item {item_id}") from None
