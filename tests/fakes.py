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
  unique constraint would; so does a write that a concurrent commit made break a rule, such
  as a second block in force), while unrelated writes from overlapping units of work merge.
- Like a database, the fakes refuse what constraints would refuse: an identity owned by two
  persons, a duplicate handle in a gemeente, memberships of an unknown group or person.
- Nothing is ever deleted from the network: parts a saved network lacks are archived
  (:attr:`FakeState.archived_groups` etc.) and come back if a later save has them again.
- Outbox ids come from a store-wide sequence, so they are unique even across rollbacks.
  ``attempts`` counts failed tries (:meth:`FakeOutbox.retry` adds one). Only the oldest
  pending item of each chat can be claimed, so a chat's messages go out in order even when
  one of them is retried later.
- The flow stores (meldingen, escalations, warnings, blocks, audit, dialogues, nudges) keep
  the SQL rules: references to an unknown gemeente, group (archived ones are known) or
  person raise :class:`KeyError` as a foreign key would; a second melding in one message, a
  second escalation of one source message (forwards excepted), a reused outbox key of a
  delivery, or a second block in force raise :class:`ValueError`. A delivery's state is
  read from its outbox record. Audit ids come from a store-wide sequence like outbox ids.
  ``escalations.record_follow_up`` and ``mark_police_reminded`` answer ``False`` when it
  was done already, so two units of work doing it to one escalation cannot both commit.
  :meth:`FakePersonRepository.delete` erases a person as the SQL repository does: it clears
  what no foreign key reaches (a "112 called" name, waiting choices, outbox items naming
  them), then :meth:`FakeState.forget_person` mimics the database's ``ON DELETE`` rules.
- Sign-ups (aanmeldingen, invites, attempts) keep the SQL rules too. ``invites.use`` answers
  ``False`` for a used or revoked invite, so two units of work redeeming one invite cannot
  both commit: the second commit raises :class:`FakeConflict`.
- The bot's own state (``bot_state``) refuses an empty key or one longer than the column
  (:class:`ValueError`); two units of work writing one key both commit, the later one wins,
  as with the SQL upsert.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Generic, Literal, TypeVar

from buurtbot.core.actions import Action
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingId, AanmeldingState, Invite
from buurtbot.core.domain.audit import AuditEntry
from buurtbot.core.domain.dashboard import AccessKind, DashboardAccess
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.escalation import (
    DeliveryState,
    Escalation,
    EscalationDelivery,
    EscalationId,
    TargetKind,
)
from buurtbot.core.domain.melding import Melding, MeldingId
from buurtbot.core.domain.model import Buurt, GemeenteRole, Group, Kern, Membership, Person
from buurtbot.core.domain.moderation import Block, Warning, WarningId
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    KernId,
    MessageRef,
    PersonId,
    PlatformIdentity,
)
from buurtbot.core.ports import (
    AanmeldingRepository,
    Attempts,
    AuditLog,
    BlockRepository,
    BotStateRepository,
    DashboardAccessRepository,
    Dialogues,
    EscalationRepository,
    InviteRepository,
    MeldingRepository,
    MembershipRepository,
    NetworkRepository,
    Nudges,
    Outbox,
    OutboxItem,
    PendingChoice,
    PendingChoices,
    PersonRepository,
    ProcessedEvents,
    UnitOfWork,
    WarningRepository,
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
    message: MessageRef | None = None

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
    meldingen: dict[MeldingId, Melding] = field(default_factory=dict)
    escalations: dict[EscalationId, Escalation] = field(default_factory=dict)
    #: Keyed by (escalation id, target key); the stored ``state`` is ignored on reading.
    deliveries: dict[tuple[EscalationId, str], EscalationDelivery] = field(default_factory=dict)
    warnings: dict[WarningId, Warning] = field(default_factory=dict)
    #: Every block, lifted ones too, in the order they were added.
    blocks: list[Block] = field(default_factory=list)
    #: Audit entries with their ids, in the order they were added.
    audit: list[AuditEntry] = field(default_factory=list)
    dialogues: dict[tuple[ChatRef, PersonId], Dialogue] = field(default_factory=dict)
    nudges: set[tuple[PersonId, str, date]] = field(default_factory=set)
    aanmeldingen: dict[AanmeldingId, Aanmelding] = field(default_factory=dict)
    #: Keyed by token hash.
    invites: dict[str, Invite] = field(default_factory=dict)
    #: (who, kind, at), in the order they were recorded.
    attempts: list[tuple[str, str, datetime]] = field(default_factory=list)
    #: The bot's own state: key -> (value, updated_at).
    bot_state: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    #: Dashboard links and sessions, keyed by token hash.
    dashboard: dict[str, DashboardAccess] = field(default_factory=dict)

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
            meldingen=dict(self.meldingen),
            escalations=dict(self.escalations),
            deliveries=dict(self.deliveries),
            warnings=dict(self.warnings),
            blocks=list(self.blocks),
            audit=list(self.audit),
            dialogues=dict(self.dialogues),
            nudges=set(self.nudges),
            aanmeldingen=dict(self.aanmeldingen),
            invites=dict(self.invites),
            attempts=list(self.attempts),
            bot_state=dict(self.bot_state),
            dashboard=dict(self.dashboard),
        )

    def forget_person(self, person_id: PersonId) -> None:
        """Delete the person as the database's ``ON DELETE`` rules would: what they did
        keeps its record without them (``SET NULL``; a non-optional reference becomes
        ``PersonId("")``), what is about or for them goes (``CASCADE``)."""
        gone = PersonId("")
        self.persons.pop(person_id, None)
        self.dashboard = {h: a for h, a in self.dashboard.items() if a.person_id != person_id}
        self.gemeente_roles = {k: v for k, v in self.gemeente_roles.items() if k[1] != person_id}
        for group_id in list(self.memberships):
            self.memberships[group_id].pop(person_id, None)
            if not self.memberships[group_id]:
                del self.memberships[group_id]
        for mid, m in self.meldingen.items():
            called = m.called_112
            if called is not None and called.by == person_id:
                called = replace(called, by=None)
            reporter = None if m.reporter == person_id else m.reporter
            self.meldingen[mid] = replace(m, reporter=reporter, called_112=called)
        for eid, e in self.escalations.items():
            if e.escalated_by == person_id:
                self.escalations[eid] = replace(e, escalated_by=gone)
        self.deliveries = {
            k: d for k, d in self.deliveries.items() if d.target.person_id != person_id
        }
        self.warnings = {
            wid: (replace(w, by=gone) if w.by == person_id else w)
            for wid, w in self.warnings.items()
            if w.person_id != person_id
        }
        self.blocks = [
            replace(
                b,
                by=None if b.by == person_id else b.by,
                lifted_by=None if b.lifted_by == person_id else b.lifted_by,
            )
            for b in self.blocks
            if b.person_id != person_id
        ]
        self.audit = [
            replace(
                a,
                actor=None if a.actor == person_id else a.actor,
                subject=None if a.subject == person_id else a.subject,
            )
            for a in self.audit
        ]
        self.dialogues = {k: d for k, d in self.dialogues.items() if k[1] != person_id}
        self.nudges = {n for n in self.nudges if n[0] != person_id}
        # Their aanmeldingen go (CASCADE), and with them those aanmeldingen's invites; the
        # beheerder who decided one is forgotten (SET NULL).
        self.aanmeldingen = {
            aid: (replace(a, decided_by=None) if a.decided_by == person_id else a)
            for aid, a in self.aanmeldingen.items()
            if a.person_id != person_id
        }
        self.invites = {
            h: i for h, i in self.invites.items() if i.aanmelding_id in self.aanmeldingen
        }

    # -- reference checks, as foreign keys would make them ---------------------------------
    def require_gemeente(self, gemeente_id: GemeenteId) -> None:
        if gemeente_id not in self.networks:
            raise KeyError(f"unknown gemeente {gemeente_id}")

    def require_group(self, group_id: GroupId | None) -> None:
        if group_id is None or group_id in self.archived_groups:
            return
        if not any(g.id == group_id for n in self.networks.values() for g in n.groups):
            raise KeyError(f"unknown group {group_id}")

    def require_buurt(self, gemeente_id: GemeenteId, buurt_id: BuurtId | None) -> None:
        if buurt_id is None or (gemeente_id, buurt_id) in self.archived_buurten:
            return
        network = self.networks.get(gemeente_id)
        if network is None or not any(b.id == buurt_id for b in network.buurten):
            raise KeyError(f"unknown buurt {buurt_id} in {gemeente_id}")

    def require_persons(self, *person_ids: PersonId | None) -> None:
        missing = sorted({p for p in person_ids if p is not None and p not in self.persons})
        if missing:
            raise KeyError(f"unknown persons: {', '.join(missing)}")

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
        self._audit_seq = 0

    def snapshot(self) -> FakeState:
        with self._lock:
            return self.state.copy()

    def next_outbox_id(self) -> int:
        with self._lock:
            self._outbox_seq += 1
            return self._outbox_seq

    def next_audit_id(self) -> int:
        with self._lock:
            self._audit_seq += 1
            return self._audit_seq

    def _apply(self, journal: Sequence[_Write[Any]]) -> None:
        with self._lock:
            candidate = self.state.copy()
            for write in journal:
                try:
                    again = write.change(candidate)
                except (KeyError, ValueError) as exc:
                    # It went through inside the unit of work: a concurrent commit made it
                    # break a rule since (a database would fail the commit the same way).
                    raise FakeConflict(f"{write.name}: {exc}") from exc
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
        self.meldingen = FakeMeldingRepository(self)
        self.escalations = FakeEscalationRepository(self)
        self.warnings = FakeWarningRepository(self)
        self.blocks = FakeBlockRepository(self)
        self.audit = FakeAuditLog(self)
        self.dialogues = FakeDialogues(self)
        self.nudges = FakeNudges(self)
        self.aanmeldingen = FakeAanmeldingRepository(self)
        self.invites = FakeInviteRepository(self)
        self.attempts = FakeAttempts(self)
        self.bot_state = FakeBotState(self)
        self.dashboard = FakeDashboardAccess(self)

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

    def delete(self, person_id: PersonId) -> None:
        self._uow.write(f"persons.delete({person_id})", lambda s: _delete_person(s, person_id))


def _delete_person(s: FakeState, person_id: PersonId) -> None:
    """What the SQL repository does: clear what no foreign key reaches, then let the
    ``ON DELETE`` rules (:meth:`FakeState.forget_person`) do the rest."""
    person = s.persons.get(person_id)
    if person is None:
        return
    for mid, m in s.meldingen.items():
        if m.called_112 is not None and m.called_112.by == person_id:
            s.meldingen[mid] = replace(m, called_112=replace(m.called_112, by_name=""))
    for eid, e in s.escalations.items():  # no foreign key reaches who followed up
        if e.followed_up_by == person_id:
            s.escalations[eid] = replace(e, followed_up_by=None)
    s.choices = {k: c for k, c in s.choices.items() if k[1] != person_id}
    needles = {person.id, *(i.user_ref for i in person.identities)} | (
        {person.display_name.strip()} if person.display_name.strip() else set()
    )
    s.outbox = {
        i: r
        for i, r in s.outbox.items()
        if not any(n in r.key or n in repr(r.action) for n in needles)
    }
    s.forget_person(person_id)


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

    def delivered(self, item_id: int, at: datetime, message: MessageRef | None = None) -> None:
        def change(s: FakeState) -> None:
            record = _record(s, item_id)
            if message is not None and message.chat != record.action.chat:
                raise ValueError(
                    f"message {message.message_id} is in {message.chat}, not in the chat of "
                    f"outbox item {item_id}"
                )
            s.outbox[item_id] = replace(
                record,
                state="delivered",
                delivered_at=at,
                claimed_until=None,
                message=message if message is not None else record.message,
            )

        self._uow.write(f"outbox.delivered({item_id})", change)

    def sent_message(self, key: str) -> MessageRef | None:
        record = _by_key(self._s, key)
        return record.message if record is not None else None

    def key_of_message(self, message: MessageRef) -> str | None:
        return next(
            (
                r.key
                for r in sorted(self._s.outbox.values(), key=lambda r: r.id)
                if r.message == message
            ),
            None,
        )

    def state(self, key: str) -> str | None:
        record = _by_key(self._s, key)
        return record.state if record is not None else None

    def release(self, item_id: int, at: datetime) -> None:
        self._update(item_id, due_at=at, claimed_until=None)

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

    def counts(self) -> dict[str, int]:
        found = {"pending": 0, "delivered": 0, "dead": 0}
        for record in self._s.outbox.values():
            found[record.state] += 1
        return found

    def delete_delivered_before(self, before: datetime) -> int:
        def change(s: FakeState) -> int:
            gone = [
                i for i, r in s.outbox.items() if r.state != "pending" and r.created_at < before
            ]
            for i in gone:
                del s.outbox[i]
            return len(gone)

        return self._uow.write("outbox.delete_delivered_before", change)

    def _update(self, item_id: int, **changes: Any) -> None:
        def change(s: FakeState) -> None:
            s.outbox[item_id] = replace(_record(s, item_id), **changes)

        self._uow.write(f"outbox.update({item_id})", change)


def _record(s: FakeState, item_id: int) -> FakeOutboxRecord:
    try:
        return s.outbox[item_id]
    except KeyError:
        raise KeyError(f"unknown outbox item {item_id}") from None


def _by_key(s: FakeState, key: str) -> FakeOutboxRecord | None:
    return next((r for r in s.outbox.values() if r.key == key), None)


# ---------------------------------------------------------------------------------------------
class FakeMeldingRepository(_Repo, MeldingRepository):
    def save(self, melding: Melding) -> None:
        def change(s: FakeState) -> None:
            s.require_gemeente(melding.gemeente_id)
            s.require_group(melding.group_id)
            called = melding.called_112
            s.require_persons(melding.reporter, called.by if called else None)
            if melding.message is not None:
                for other in s.meldingen.values():
                    if other.id != melding.id and other.message == melding.message:
                        raise ValueError(f"melding {other.id} already lives in that message")
            s.meldingen[melding.id] = melding

        self._uow.write(f"meldingen.save({melding.id})", change)

    def get(self, melding_id: MeldingId) -> Melding | None:
        return self._s.meldingen.get(melding_id)

    def by_message(self, message: MessageRef) -> Melding | None:
        return next((m for m in self._s.meldingen.values() if m.message == message), None)

    def latest_in_group(self, group_id: GroupId, since: datetime) -> Melding | None:
        found = [
            m
            for m in self._s.meldingen.values()
            if m.group_id == group_id and m.created_at >= since
        ]
        return max(found, key=lambda m: (m.created_at, m.id), default=None)

    def reported_by(self, person_id: PersonId) -> list[Melding]:
        found = [m for m in self._s.meldingen.values() if m.reporter == person_id]
        return sorted(found, key=lambda m: (m.created_at, m.id))

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Escalations of a deleted melding lose the link, as ``ON DELETE SET NULL``."""

        def change(s: FakeState) -> int:
            gone = {
                mid
                for mid, m in s.meldingen.items()
                if m.gemeente_id == gemeente_id and m.created_at < before
            }
            for mid in gone:
                del s.meldingen[mid]
            for eid, e in s.escalations.items():
                if e.melding_id in gone:
                    s.escalations[eid] = replace(e, melding_id=None)
            return len(gone)

        return self._uow.write(f"meldingen.delete_before({gemeente_id})", change)


# ---------------------------------------------------------------------------------------------
_DELIVERY_STATES = {
    "pending": DeliveryState.QUEUED,
    "delivered": DeliveryState.DELIVERED,
    "dead": DeliveryState.FAILED,
}


class FakeEscalationRepository(_Repo, EscalationRepository):
    def add(self, escalation: Escalation) -> None:
        e = escalation

        def change(s: FakeState) -> None:
            if e.id in s.escalations:
                raise ValueError(f"escalation {e.id} exists already")
            s.require_gemeente(e.gemeente_id)
            s.require_group(e.source_group)
            s.require_persons(e.escalated_by)
            if e.melding_id is not None and e.melding_id not in s.meldingen:
                raise KeyError(f"unknown melding {e.melding_id}")
            if e.forwarded_from is not None and e.forwarded_from not in s.escalations:
                raise KeyError(f"unknown escalation {e.forwarded_from}")
            if e.forwarded_from is None and _source(s, e.source_message) is not None:
                raise ValueError(f"message {e.source_message.message_id} was escalated already")
            s.escalations[e.id] = e

        self._uow.write(f"escalations.add({e.id})", change)

    def get(self, escalation_id: EscalationId) -> Escalation | None:
        return self._s.escalations.get(escalation_id)

    def by_source(self, message: MessageRef) -> Escalation | None:
        return _source(self._s, message)

    def for_melding(self, melding_id: MeldingId) -> list[Escalation]:
        return sorted(
            (e for e in self._s.escalations.values() if e.melding_id == melding_id),
            key=lambda e: (e.escalated_at, e.id),
        )

    def add_delivery(self, delivery: EscalationDelivery) -> bool:
        return self.add_deliveries([delivery])[0]

    def add_deliveries(self, deliveries: Sequence[EscalationDelivery]) -> list[bool]:
        """All checked before any is recorded, as the SQL one does."""

        def check(s: FakeState, d: EscalationDelivery) -> None:
            target = d.target
            if (target.group_id is None) == (target.person_id is None):
                raise ValueError(f"a target is one group or one person, got {target}")
            if d.escalation_id not in s.escalations:
                raise KeyError(f"unknown escalation {d.escalation_id}")
            if (d.escalation_id, target.key) in s.deliveries:
                return
            s.require_group(target.group_id)
            s.require_persons(target.person_id)
            if any(other.outbox_key == d.outbox_key for other in s.deliveries.values()):
                raise ValueError(f"outbox key {d.outbox_key!r} is another delivery's")

        def change(s: FakeState) -> list[bool]:
            for d in deliveries:
                check(s, d)
            added = []
            for d in deliveries:
                key = (d.escalation_id, d.target.key)
                added.append(key not in s.deliveries)
                s.deliveries.setdefault(key, replace(d, state=DeliveryState.QUEUED))
            return added

        keys = ",".join(d.outbox_key for d in deliveries)
        return self._uow.write(f"escalations.add_deliveries({keys})", change)

    def deliveries(self, escalation_id: EscalationId) -> list[EscalationDelivery]:
        found = sorted(
            (d for (e, _), d in self._s.deliveries.items() if e == escalation_id),
            key=lambda d: (d.queued_at, d.target.key),
        )
        out: list[EscalationDelivery] = []
        for d in found:
            record = _by_key(self._s, d.outbox_key)
            state = _DELIVERY_STATES[record.state] if record is not None else DeliveryState.QUEUED
            out.append(replace(d, state=state))
        return out

    def by_outbox_key(self, key: str) -> Escalation | None:
        for (escalation_id, _), d in self._s.deliveries.items():
            if d.outbox_key == key:
                return self._s.escalations.get(escalation_id)
        return None

    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[Escalation]:
        found = sorted(
            (e for e in self._s.escalations.values() if e.gemeente_id == gemeente_id),
            key=lambda e: (e.escalated_at, e.id),
            reverse=True,
        )
        return found[: max(limit, 0)]

    def original_times_since(
        self, gemeente_id: GemeenteId, since: datetime
    ) -> list[tuple[GroupId, datetime]]:
        found = sorted(
            (
                e
                for e in self._s.escalations.values()
                if e.gemeente_id == gemeente_id
                and e.escalated_at >= since
                and e.forwarded_from is None
            ),
            key=lambda e: (e.escalated_at, e.id),
        )
        return [(e.source_group, e.escalated_at) for e in found]

    def with_id_prefix(self, prefix: str, limit: int) -> list[Escalation]:
        if not prefix:
            return []
        found = sorted(
            (e for e in self._s.escalations.values() if e.id.startswith(prefix)),
            key=lambda e: (e.escalated_at, e.id),
            reverse=True,
        )
        return found[: max(limit, 0)]

    def record_follow_up(
        self, escalation_id: EscalationId, *, at: datetime, by: PersonId, note: str
    ) -> bool:
        def change(s: FakeState) -> bool:
            e = s.escalations.get(escalation_id)
            if e is None:
                raise KeyError(f"unknown escalation {escalation_id}")
            s.require_persons(by)
            if e.followed_up_at is not None:
                return False
            s.escalations[escalation_id] = replace(
                e, followed_up_at=at, followed_up_by=by, follow_up_note=note
            )
            return True

        return self._uow.write(f"escalations.record_follow_up({escalation_id})", change)

    def police_unfollowed_before(
        self, gemeente_id: GemeenteId, before: datetime, limit: int
    ) -> list[Escalation]:
        police = {
            eid
            for (eid, _), d in self._s.deliveries.items()
            if d.target.kind is TargetKind.POLITIE and d.queued_at < before
        }
        found = sorted(
            (
                e
                for e in self._s.escalations.values()
                if e.id in police
                and e.gemeente_id == gemeente_id
                and e.followed_up_at is None
                and e.police_reminded_at is None
            ),
            key=lambda e: (e.escalated_at, e.id),
        )
        return found[: max(limit, 0)]

    def mark_police_reminded(self, escalation_id: EscalationId, at: datetime) -> bool:
        def change(s: FakeState) -> bool:
            e = s.escalations.get(escalation_id)
            if e is None:
                raise KeyError(f"unknown escalation {escalation_id}")
            if e.police_reminded_at is not None:
                return False
            s.escalations[escalation_id] = replace(e, police_reminded_at=at)
            return True

        return self._uow.write(f"escalations.mark_police_reminded({escalation_id})", change)

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Deliveries go (``CASCADE``); forwards of a deleted one lose the link."""

        def change(s: FakeState) -> int:
            gone = {
                eid
                for eid, e in s.escalations.items()
                if e.gemeente_id == gemeente_id and e.escalated_at < before
            }
            for eid in gone:
                del s.escalations[eid]
            s.deliveries = {k: d for k, d in s.deliveries.items() if k[0] not in gone}
            for eid, e in s.escalations.items():
                if e.forwarded_from in gone:
                    s.escalations[eid] = replace(e, forwarded_from=None)
            return len(gone)

        return self._uow.write(f"escalations.delete_before({gemeente_id})", change)


def _source(s: FakeState, message: MessageRef) -> Escalation | None:
    return next(
        (
            e
            for e in s.escalations.values()
            if e.source_message == message and e.forwarded_from is None
        ),
        None,
    )


# ---------------------------------------------------------------------------------------------
class FakeWarningRepository(_Repo, WarningRepository):
    def add(self, warning: Warning) -> None:
        w = warning

        def change(s: FakeState) -> None:
            if w.id in s.warnings:
                raise ValueError(f"warning {w.id} exists already")
            s.require_gemeente(w.gemeente_id)
            s.require_group(w.group_id)
            s.require_persons(w.person_id, w.by)
            s.warnings[w.id] = w

        self._uow.write(f"warnings.add({w.id})", change)

    def of_person(self, gemeente_id: GemeenteId, person_id: PersonId) -> list[Warning]:
        return sorted(
            (
                w
                for w in self._s.warnings.values()
                if w.gemeente_id == gemeente_id and w.person_id == person_id
            ),
            key=lambda w: (w.at, w.id),
            reverse=True,
        )

    def revoke(self, warning_id: WarningId, at: datetime) -> None:
        def change(s: FakeState) -> None:
            warning = s.warnings.get(warning_id)
            if warning is None:
                raise KeyError(f"unknown warning {warning_id}")
            if warning.revoked_at is None:
                s.warnings[warning_id] = replace(warning, revoked_at=at)

        self._uow.write(f"warnings.revoke({warning_id})", change)

    def delete_lapsed_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        def change(s: FakeState) -> int:
            gone = [
                wid
                for wid, w in s.warnings.items()
                if w.gemeente_id == gemeente_id
                and (w.expires_at < before or (w.revoked_at is not None and w.revoked_at < before))
            ]
            for wid in gone:
                del s.warnings[wid]
            return len(gone)

        return self._uow.write(f"warnings.delete_lapsed_before({gemeente_id})", change)


class FakeBlockRepository(_Repo, BlockRepository):
    def in_force(self, gemeente_id: GemeenteId, person_id: PersonId) -> Block | None:
        return next(
            (
                b
                for b in self._s.blocks
                if (b.gemeente_id, b.person_id) == (gemeente_id, person_id) and b.in_force
            ),
            None,
        )

    def add(self, block: Block) -> None:
        def change(s: FakeState) -> None:
            s.require_gemeente(block.gemeente_id)
            s.require_persons(block.person_id, block.by, block.lifted_by)
            if block.in_force and any(
                (b.gemeente_id, b.person_id) == (block.gemeente_id, block.person_id) and b.in_force
                for b in s.blocks
            ):
                raise ValueError(f"{block.person_id} is blocked in {block.gemeente_id} already")
            s.blocks.append(block)

        self._uow.write(f"blocks.add({block.gemeente_id}, {block.person_id})", change)

    def lift(
        self, gemeente_id: GemeenteId, person_id: PersonId, at: datetime, by: PersonId | None
    ) -> bool:
        def change(s: FakeState) -> bool:
            s.require_persons(by)
            for n, b in enumerate(s.blocks):
                if (b.gemeente_id, b.person_id) == (gemeente_id, person_id) and b.in_force:
                    s.blocks[n] = replace(b, lifted_at=at, lifted_by=by)
                    return True
            return False

        return self._uow.write(f"blocks.lift({gemeente_id}, {person_id})", change)


# ---------------------------------------------------------------------------------------------
class FakeAuditLog(_Repo, AuditLog):
    def add(self, entry: AuditEntry) -> None:
        entry_id = self._uow.store.next_audit_id()

        def change(s: FakeState) -> None:
            s.require_gemeente(entry.gemeente_id)
            s.require_group(entry.group_id)
            s.require_persons(entry.actor, entry.subject)
            s.audit.append(replace(entry, id=entry_id, detail=dict(entry.detail)))

        self._uow.write(f"audit.add({entry.action})", change)

    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[AuditEntry]:
        found = sorted(
            (a for a in self._s.audit if a.gemeente_id == gemeente_id),
            key=lambda a: (a.at, a.id or 0),
            reverse=True,
        )
        return found[: max(limit, 0)]

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        def change(s: FakeState) -> int:
            kept = [a for a in s.audit if not (a.gemeente_id == gemeente_id and a.at < before)]
            gone = len(s.audit) - len(kept)
            s.audit = kept
            return gone

        return self._uow.write(f"audit.delete_before({gemeente_id})", change)


class FakeDialogues(_Repo, Dialogues):
    def get(self, chat: ChatRef, person: PersonId) -> Dialogue | None:
        return self._s.dialogues.get((chat, person))

    def put(self, dialogue: Dialogue) -> None:
        def change(s: FakeState) -> None:
            s.require_persons(dialogue.person)
            s.dialogues[(dialogue.chat, dialogue.person)] = dialogue

        self._uow.write(f"dialogues.put({dialogue.person})", change)

    def drop(self, chat: ChatRef, person: PersonId) -> None:
        def change(s: FakeState) -> None:
            s.dialogues.pop((chat, person), None)

        self._uow.write(f"dialogues.drop({person})", change)


class FakeNudges(_Repo, Nudges):
    def first_today(self, person: PersonId, kind: str, day: date) -> bool:
        def change(s: FakeState) -> bool:
            s.require_persons(person)
            if (person, kind, day) in s.nudges:
                return False
            s.nudges.add((person, kind, day))
            return True

        return self._uow.write(f"nudges.first_today({person}, {kind})", change)


# ---------------------------------------------------------------------------------------------
class FakeAanmeldingRepository(_Repo, AanmeldingRepository):
    def save(self, aanmelding: Aanmelding) -> None:
        a = aanmelding

        def change(s: FakeState) -> None:
            s.require_gemeente(a.gemeente_id)
            s.require_buurt(a.gemeente_id, a.buurt_id)
            s.require_group(a.group_id)
            s.require_persons(a.decided_by, a.person_id)
            s.aanmeldingen[a.id] = a

        self._uow.write(f"aanmeldingen.save({a.id})", change)

    def get(self, aanmelding_id: AanmeldingId) -> Aanmelding | None:
        return self._s.aanmeldingen.get(aanmelding_id)

    def in_state(
        self, gemeente_id: GemeenteId, states: frozenset[AanmeldingState]
    ) -> list[Aanmelding]:
        return _oldest_first(
            a
            for a in self._s.aanmeldingen.values()
            if a.gemeente_id == gemeente_id and a.state in states
        )

    def for_group(self, group_id: GroupId, states: frozenset[AanmeldingState]) -> list[Aanmelding]:
        return _oldest_first(
            a for a in self._s.aanmeldingen.values() if a.group_id == group_id and a.state in states
        )

    def waiting_per_buurt(self, gemeente_id: GemeenteId) -> dict[BuurtId, int]:
        counts: dict[BuurtId, int] = {}
        for a in self._s.aanmeldingen.values():
            if a.gemeente_id == gemeente_id and a.state is AanmeldingState.WAITING and a.buurt_id:
                counts[a.buurt_id] = counts.get(a.buurt_id, 0) + 1
        return counts

    def delete(self, aanmelding_id: AanmeldingId) -> None:
        def change(s: FakeState) -> None:
            s.aanmeldingen.pop(aanmelding_id, None)
            s.invites = {h: i for h, i in s.invites.items() if i.aanmelding_id != aanmelding_id}

        self._uow.write(f"aanmeldingen.delete({aanmelding_id})", change)


def _oldest_first(found: Iterable[Aanmelding]) -> list[Aanmelding]:
    return sorted(found, key=lambda a: (a.created_at, a.id))


class FakeInviteRepository(_Repo, InviteRepository):
    """Like the SQL one; :meth:`use` answers ``False`` for an invite used or revoked, so two
    units of work redeeming one invite cannot both commit (the second gets
    :class:`FakeConflict`: its answer changes from ``True`` to ``False`` on replay)."""

    def add(self, invite: Invite) -> None:
        i = invite

        def change(s: FakeState) -> None:
            if i.token_hash in s.invites:
                raise ValueError("an invite with this token exists already")
            if i.aanmelding_id not in s.aanmeldingen:
                raise KeyError(f"unknown aanmelding {i.aanmelding_id}")
            s.require_gemeente(i.gemeente_id)
            s.require_group(i.group_id)
            s.invites[i.token_hash] = i

        self._uow.write(f"invites.add({i.aanmelding_id})", change)

    def by_hash(self, token_hash: str) -> Invite | None:
        return self._s.invites.get(token_hash)

    def for_aanmelding(self, aanmelding_id: AanmeldingId) -> list[Invite]:
        return sorted(
            (i for i in self._s.invites.values() if i.aanmelding_id == aanmelding_id),
            key=lambda i: (i.created_at, i.token_hash),
        )

    def use(self, token_hash: str, at: datetime, by: PlatformIdentity) -> bool:
        def change(s: FakeState) -> bool:
            invite = s.invites.get(token_hash)
            if invite is None or invite.used_at is not None or invite.revoked_at is not None:
                return False
            s.invites[token_hash] = replace(invite, used_at=at, used_by=by)
            return True

        return self._uow.write(f"invites.use({token_hash[:8]})", change)

    def revoke(self, token_hash: str, at: datetime) -> None:
        def change(s: FakeState) -> None:
            invite = s.invites.get(token_hash)
            if invite is None:
                raise KeyError("unknown invite")
            if invite.revoked_at is None:
                s.invites[token_hash] = replace(invite, revoked_at=at)

        self._uow.write(f"invites.revoke({token_hash[:8]})", change)

    def expired_unused(self, now: datetime) -> list[Invite]:
        return sorted(
            (
                i
                for i in self._s.invites.values()
                if i.used_at is None and i.revoked_at is None and i.expires_at <= now
            ),
            key=lambda i: (i.expires_at, i.token_hash),
        )


class FakeAttempts(_Repo, Attempts):
    def record(self, who: str, kind: str, at: datetime) -> None:
        def change(s: FakeState) -> None:
            s.attempts.append((who, kind, at))

        self._uow.write(f"attempts.record({kind})", change)

    def count(self, who: str, kind: str, since: datetime) -> int:
        return sum(1 for w, k, at in self._s.attempts if (w, k) == (who, kind) and at >= since)


# ---------------------------------------------------------------------------------------------
class FakeBotState(_Repo, BotStateRepository):
    def get(self, key: str) -> str | None:
        found = self._s.bot_state.get(key)
        return found[0] if found is not None else None

    def put(self, key: str, value: str, now: datetime) -> None:
        if not key or len(key) > BotStateRepository.MAX_KEY_LENGTH:
            raise ValueError(f"a bot state key has 1 to 100 characters, not {len(key)}")

        def change(s: FakeState) -> None:
            s.bot_state[key] = (value, now)

        self._uow.write(f"bot_state.put({key})", change)


class FakeDashboardAccess(_Repo, DashboardAccessRepository):
    def add(self, access: DashboardAccess) -> None:
        def change(s: FakeState) -> None:
            if access.person_id not in s.persons:
                raise KeyError(access.person_id)
            s.dashboard[access.token_hash] = access

        self._uow.write(f"dashboard.add({access.kind})", change)

    def take_link(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        found = self._s.dashboard.get(token_hash)
        if found is None or found.kind is not AccessKind.LINK:
            return None

        def change(s: FakeState) -> None:
            if s.dashboard.pop(token_hash, None) is None:
                raise FakeConflict(f"link {token_hash[:8]} was taken by another unit of work")

        self._uow.write("dashboard.take_link", change)
        return found if found.valid_at(now) else None

    def session(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        found = self._s.dashboard.get(token_hash)
        if found is None or found.kind is not AccessKind.SESSION or not found.valid_at(now):
            return None
        return found

    def end(self, token_hash: str) -> None:
        self._uow.write("dashboard.end", lambda s: s.dashboard.pop(token_hash, None))

    def of_person(self, person_id: PersonId, now: datetime) -> list[DashboardAccess]:
        found = [
            a for a in self._s.dashboard.values() if a.person_id == person_id and a.expires_at > now
        ]
        return sorted(found, key=lambda a: (a.created_at, a.token_hash))

    def delete_expired(self, now: datetime) -> int:
        def change(s: FakeState) -> int:
            gone = [h for h, a in s.dashboard.items() if a.expires_at <= now]
            for token_hash in gone:
                del s.dashboard[token_hash]
            return len(gone)

        return self._uow.write("dashboard.delete_expired", change)
