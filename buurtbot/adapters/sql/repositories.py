"""SQL implementations of the core's storage ports, on one SQLAlchemy session each.

Write methods flush before returning, so a constraint violation surfaces at the call that
caused it, and the unit of work's commit only makes durable what already went through.
What the core can get wrong (an identity or handle of someone else, a chat of another
gemeente's group, an unknown person or group) is checked first and raised as
:class:`ValueError` or :class:`KeyError`, which leaves the transaction usable; a database
error would not. The rules match the in-memory fakes in ``tests/fakes.py``.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, func, or_, select, true, tuple_, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from buurtbot.adapters.sql.orm import (
    OUTBOX_STATES,
    POLICE_DELIVERY_WHERE,
    AanmeldingRow,
    AttemptRow,
    AuditRow,
    BlockRow,
    BotStateRow,
    BuurtRow,
    DialogueRow,
    EscalationDeliveryRow,
    EscalationRow,
    GemeenteRoleRow,
    GemeenteRow,
    GroupRow,
    InviteRow,
    KernRow,
    MeldingRow,
    MembershipRow,
    NudgeRow,
    OutboxRow,
    PendingChoiceRow,
    PersonIdentityRow,
    PersonRow,
    ProcessedEventRow,
    WarningRow,
)
from buurtbot.adapters.sql.serialization import action_from_json, action_kind, action_to_json
from buurtbot.core.actions import Action
from buurtbot.core.domain.aanmelding import (
    Aanmelding,
    AanmeldingId,
    AanmeldingState,
    Channel,
    Invite,
)
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.escalation import (
    DeliveryState,
    Escalation,
    EscalationDelivery,
    EscalationId,
    EscalationRule,
    Scope,
    Target,
    TargetKind,
)
from buurtbot.core.domain.melding import (
    Called112,
    Melding,
    MeldingId,
    PersonDescription,
    VehicleDescription,
)
from buurtbot.core.domain.model import (
    Buurt,
    Gemeente,
    GemeenteRole,
    GemeenteSettings,
    Group,
    GroupKind,
    GroupRole,
    Kern,
    Locale,
    Membership,
    Person,
    RoleSource,
)
from buurtbot.core.domain.moderation import Block, Warning, WarningId, WarningReason
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.postcode import PostcodeRange
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    KernId,
    MessageRef,
    PersonId,
    Platform,
    PlatformIdentity,
)
from buurtbot.core.ports import (
    AanmeldingRepository,
    Attempts,
    AuditLog,
    BlockRepository,
    BotStateRepository,
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
    WarningRepository,
)

#: Where an archived group's chat goes when another group takes the chat over (its real
#: chat comes back from the network file if the group is ever restored).
PARKED_PLATFORM = "~parked"

#: How long a worker owns the items :meth:`SqlOutbox.due` hands it. It must outlast the
#: longest an item stays in a relay's hands: held for a rate-limit slot (the relay's
#: ``hold_seconds``, 5 s) plus one send (the adapters' request timeout, 20 s). It is also how
#: long the items a killed process had in hand wait before another process sends them.
DEFAULT_OUTBOX_LEASE = timedelta(seconds=30)


def _insert_ignoring_conflict(
    session: Session, row: type[Any], index: list[str], **values: Any
) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``; ``True`` when the row was inserted.

    Atomic on both databases: when another transaction inserted the same key and has not
    committed yet, PostgreSQL waits for it and then reports the conflict, so a duplicate
    never slips through a check-then-insert race (SQLite's ``BEGIN IMMEDIATE`` already
    serialises writers).
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(row)
        .values(**values)
        .on_conflict_do_nothing(index_elements=index)
        .returning(getattr(row, index[0]))
    )
    return session.execute(stmt).first() is not None


def _insert_all_ignoring_conflicts(
    session: Session,
    row: type[Any],
    index: list[str],
    rows: Sequence[dict[str, Any]],
    *,
    match: str,
) -> list[bool]:
    """:func:`_insert_ignoring_conflict` for many rows in few statements; one flag per row.

    ``match`` names a column whose value tells the rows apart (the flags are matched by
    it); a value repeated within ``rows`` counts once, for its first row."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    column = getattr(row, match)
    # One statement with the rows as parameters: SQLAlchemy sends them in batches of
    # multi-row INSERTs ("insertmanyvalues") and compiles the statement once.
    stmt = insert(row).on_conflict_do_nothing(index_elements=index).returning(column)
    inserted: set[Any] = set(session.scalars(stmt, list(rows)))
    flags = []
    for values in rows:
        flags.append(values[match] in inserted)
        inserted.discard(values[match])
    return flags


# -----------------------------------------------------------------------------------------
# The network
# -----------------------------------------------------------------------------------------
class NetworkCache:
    """Network snapshots shared by all units of work of one database, checked by revision.

    Handling an event needs the sender's network; loading it costs a handful of queries,
    checking that a cached one is current costs one. Every save bumps the gemeente's
    revision, so a snapshot is never used after another process changed the network.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._networks: dict[str, tuple[int, Network]] = {}

    def get(self, gemeente_id: str, revision: int) -> Network | None:
        with self._lock:
            cached = self._networks.get(gemeente_id)
        return cached[1] if cached is not None and cached[0] == revision else None

    def put(self, gemeente_id: str, revision: int, network: Network) -> None:
        with self._lock:
            self._networks[gemeente_id] = (revision, network)


class SqlNetworkRepository(NetworkRepository):
    def __init__(self, session: Session, cache: NetworkCache | None = None) -> None:
        self._session = session
        self._cache = cache or NetworkCache()

    def all(self) -> list[Network]:
        ids = self._session.scalars(
            select(GemeenteRow.id).where(GemeenteRow.active.is_(true())).order_by(GemeenteRow.id)
        ).all()
        return [n for n in (self.get(GemeenteId(i)) for i in ids) if n is not None]

    def get(self, gemeente_id: GemeenteId) -> Network | None:
        current = self._session.execute(
            select(GemeenteRow.revision, GemeenteRow.active).where(GemeenteRow.id == gemeente_id)
        ).first()
        if current is None or not current.active:
            return None
        return self._current(gemeente_id, current.revision)

    def _current(self, gemeente_id: GemeenteId, revision: int) -> Network | None:
        """The network at ``revision``: from the cache, or loaded (and cached)."""
        cached = self._cache.get(gemeente_id, revision)
        if cached is not None:
            return cached
        network = self._load(gemeente_id)
        if network is not None:
            self._cache.put(gemeente_id, revision, network)
        return network

    def _load(self, gemeente_id: GemeenteId) -> Network | None:
        row = self._session.get(GemeenteRow, gemeente_id)
        if row is None or not row.active:
            return None
        s = self._session
        kernen = s.scalars(
            select(KernRow)
            .where(KernRow.gemeente_id == gemeente_id, KernRow.active.is_(true()))
            .order_by(KernRow.position, KernRow.id)
        )
        buurten = s.scalars(
            select(BuurtRow)
            .where(BuurtRow.gemeente_id == gemeente_id, BuurtRow.active.is_(true()))
            .order_by(BuurtRow.position, BuurtRow.id)
        )
        groups = s.scalars(
            select(GroupRow)
            .where(GroupRow.gemeente_id == gemeente_id, GroupRow.active.is_(true()))
            .order_by(GroupRow.position, GroupRow.id)
        )
        return Network(
            gemeente=_gemeente_from(row),
            kernen=tuple(Kern(KernId(k.id), gemeente_id, k.name) for k in kernen),
            buurten=tuple(_buurt_from(b) for b in buurten),
            groups=tuple(_group_from(g) for g in groups),
        )

    def find_group(self, chat: ChatRef) -> tuple[Network, GroupId] | None:
        if chat.private:
            return None
        # One statement finds the group and its gemeente's revision: this runs for every
        # message in every group.
        row = self._session.execute(
            select(GroupRow.id, GroupRow.gemeente_id, GemeenteRow.revision)
            .join(GemeenteRow, GemeenteRow.id == GroupRow.gemeente_id)
            .where(
                GroupRow.platform == chat.platform.value,
                GroupRow.chat_id == chat.chat_id,
                GroupRow.active.is_(true()),
                GemeenteRow.active.is_(true()),
            )
        ).one_or_none()
        if row is None:
            return None
        network = self._current(GemeenteId(row.gemeente_id), row.revision)
        return (network, GroupId(row.id)) if network is not None else None

    def save(self, network: Network) -> None:
        """Upsert the gemeente and its parts; parts missing from ``network`` are archived.

        Group ids are global and a chat belongs to one group: a group id or chat of another
        gemeente's active group raises :class:`ValueError`, as do duplicates inside
        ``network`` and a group in a private chat. An archived group gives way: its id moves
        to the gemeente that reuses it, its chat to the group that now has it.
        """
        g = network.gemeente
        gid = g.id
        self._check(network)
        s = self._session

        gemeente = s.get(GemeenteRow, gid)
        if gemeente is None:
            gemeente = GemeenteRow(id=gid)
            s.add(gemeente)
        gemeente.name = g.name
        gemeente.timezone = g.timezone
        gemeente.default_locale = g.default_locale.value
        gemeente.warning_threshold = g.settings.warning_threshold
        gemeente.warning_expiry_days = g.settings.warning_expiry_days
        gemeente.retention_days = g.settings.retention_days
        gemeente.max_mede_beheerders = g.settings.max_mede_beheerders
        gemeente.policy = policy_to_json(g.settings)
        gemeente.active = True
        gemeente.revision = (gemeente.revision or 0) + 1
        # Flush level by level: parents exist before the children that refer to them.
        s.flush()

        kern_rows = {r.id: r for r in s.scalars(select(KernRow).where(KernRow.gemeente_id == gid))}
        for pos, kern in enumerate(network.kernen):
            kern_row = kern_rows.pop(kern.id, None)
            if kern_row is None:
                kern_row = KernRow(gemeente_id=gid, id=kern.id)
                s.add(kern_row)
            kern_row.name, kern_row.position, kern_row.active = kern.name, pos, True
        s.flush()

        buurt_rows = {
            r.id: r for r in s.scalars(select(BuurtRow).where(BuurtRow.gemeente_id == gid))
        }
        for pos, buurt in enumerate(network.buurten):
            buurt_row = buurt_rows.pop(buurt.id, None)
            if buurt_row is None:
                buurt_row = BuurtRow(gemeente_id=gid, id=buurt.id)
                s.add(buurt_row)
            buurt_row.kern_id = buurt.kern_id
            buurt_row.name = buurt.name
            buurt_row.postcodes = [str(r) for r in buurt.postcodes]
            buurt_row.streets = sorted(buurt.streets)
            buurt_row.adjacent = sorted(buurt.adjacent)
            buurt_row.location = list(buurt.location) if buurt.location else None
            buurt_row.outline = [[list(p) for p in ring] for ring in buurt.outline] or None
            buurt_row.position, buurt_row.active = pos, True
        s.flush()

        group_rows = {
            r.id: r for r in s.scalars(select(GroupRow).where(GroupRow.gemeente_id == gid))
        }
        # Archived groups of other gemeenten whose ids the network reuses move over.
        for moved in self._held(network, by_id=True):
            group_rows[moved.id] = moved
        # A chat passes from one group to another (a renamed or archived group, a swap):
        # park the current holders first, or the unique constraint would fail mid-flush.
        wanted: dict[str, tuple[str, str]] = {
            g.id: (g.chat.platform.value, g.chat.chat_id) for g in network.groups
        }
        parked = [h for h in self._held(network) if wanted.get(h.id) != (h.platform, h.chat_id)]
        for holder in parked:
            holder.platform, holder.chat_id = PARKED_PLATFORM, holder.id
        if parked:
            s.flush()
        for pos, grp in enumerate(network.groups):
            group_row = group_rows.pop(grp.id, None)
            if group_row is None:
                group_row = GroupRow(id=grp.id)
                s.add(group_row)
            group_row.gemeente_id = gid
            group_row.kind = grp.kind.value
            group_row.platform = grp.chat.platform.value
            group_row.chat_id = grp.chat.chat_id
            group_row.name = grp.name
            group_row.buurt_id = grp.buurt_id
            group_row.locale = grp.locale.value if grp.locale else None
            group_row.position, group_row.active = pos, True

        archived: list[KernRow | BuurtRow | GroupRow] = [
            *kern_rows.values(),
            *buurt_rows.values(),
            *group_rows.values(),
        ]
        for part_row in archived:
            part_row.active = False
        s.flush()

    def _held(self, network: Network, *, by_id: bool = False) -> list[GroupRow]:
        """Stored groups outside this gemeente with the network's group ids (``by_id``), or
        stored groups of any gemeente holding one of the network's chats."""
        if not network.groups:
            return []
        if by_id:
            where = and_(
                GroupRow.id.in_([g.id for g in network.groups]),
                GroupRow.gemeente_id != network.gemeente.id,
            )
        else:
            chats = [(g.chat.platform.value, g.chat.chat_id) for g in network.groups]
            where = tuple_(GroupRow.platform, GroupRow.chat_id).in_(chats)
        return list(self._session.scalars(select(GroupRow).where(where).order_by(GroupRow.id)))

    def _check(self, network: Network) -> None:
        gid = network.gemeente.id
        for what, ids in (
            ("kern", [k.id for k in network.kernen]),
            ("buurt", [b.id for b in network.buurten]),
            ("group", [g.id for g in network.groups]),
            ("chat", [str(g.chat) for g in network.groups]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"duplicate {what} in the network of {gid}")
        parts: list[Kern | Buurt | Group] = [*network.kernen, *network.buurten, *network.groups]
        for part in parts:
            if part.gemeente_id != gid:
                raise ValueError(f"{part.id} belongs to {part.gemeente_id}, not {gid}")
        private = [g.id for g in network.groups if g.chat.private]
        if private:
            raise ValueError(f"groups in a private chat: {', '.join(private)}")
        # Only another gemeente's *active* groups are off limits; archived ones give way.
        taken_ids = [r.id for r in self._held(network, by_id=True) if r.active]
        if taken_ids:
            raise ValueError(f"group ids of another gemeente: {', '.join(taken_ids)}")
        wanted = {(g.chat.platform.value, g.chat.chat_id): g.id for g in network.groups}
        taken_chats = [
            f"{r.platform}:{r.chat_id} (group {r.id} of {r.gemeente_id})"
            for r in self._held(network)
            if r.active and r.gemeente_id != gid and wanted[(r.platform, r.chat_id)] != r.id
        ]
        if taken_chats:
            raise ValueError(f"chats of another gemeente's groups: {', '.join(taken_chats)}")


def _gemeente_from(row: GemeenteRow) -> Gemeente:
    return Gemeente(
        id=GemeenteId(row.id),
        name=row.name,
        timezone=row.timezone,
        default_locale=Locale(row.default_locale),
        settings=policy_from_json(
            row.policy,
            GemeenteSettings(
                warning_threshold=row.warning_threshold,
                warning_expiry_days=row.warning_expiry_days,
                retention_days=row.retention_days,
                max_mede_beheerders=row.max_mede_beheerders,
            ),
        ),
    )


def policy_to_json(settings: GemeenteSettings) -> dict[str, Any]:
    """The settings kept in ``gemeente.policy``: read whole with the network, never queried.

    Rules keep their order; a rule's targets are a sorted list (they are a set).
    """
    return {
        "called_112_window_minutes": settings.called_112_window_minutes,
        "group_warning_notice": settings.group_warning_notice,
        "chatter_nudge": settings.chatter_nudge,
        "categories": list(settings.categories),
        "escalation_rules": [
            {
                "scope": rule.scope.value,
                "targets": sorted(t.value for t in rule.targets),
                "category": rule.category,
            }
            for rule in settings.escalation_rules
        ],
        "extra_flagged_words": list(settings.extra_flagged_words),
        "invite_valid_days": settings.invite_valid_days,
        "auto_route": settings.auto_route,
        "pattern_window_hours": settings.pattern_window_hours,
        "police_followup_hours": settings.police_followup_hours,
    }


def policy_from_json(data: Mapping[str, Any] | None, base: GemeenteSettings) -> GemeenteSettings:
    """``base`` with the settings stored in ``data``; a missing key keeps ``base``'s value
    (a gemeente stored before the policy existed gets the defaults)."""
    data = data or {}
    changes: dict[str, Any] = {}
    for number in (
        "called_112_window_minutes",
        "invite_valid_days",
        "pattern_window_hours",
        "police_followup_hours",
    ):
        if number in data:
            changes[number] = int(data[number])
    for flag in ("group_warning_notice", "chatter_nudge", "auto_route"):
        if flag in data:
            changes[flag] = bool(data[flag])
    if "categories" in data:
        changes["categories"] = tuple(str(c) for c in data["categories"])
    if "escalation_rules" in data:
        changes["escalation_rules"] = tuple(
            EscalationRule(
                scope=Scope(r["scope"]),
                targets=frozenset(TargetKind(t) for t in r["targets"]),
                category=r.get("category"),
            )
            for r in data["escalation_rules"]
        )
    if "extra_flagged_words" in data:
        changes["extra_flagged_words"] = tuple(str(w) for w in data["extra_flagged_words"])
    return replace(base, **changes)


def _buurt_from(row: BuurtRow) -> Buurt:
    return Buurt(
        id=BuurtId(row.id),
        gemeente_id=GemeenteId(row.gemeente_id),
        kern_id=KernId(row.kern_id),
        name=row.name,
        postcodes=tuple(PostcodeRange.parse(p) for p in row.postcodes),
        streets=frozenset(str(s) for s in row.streets),
        adjacent=frozenset(BuurtId(str(a)) for a in row.adjacent),
        location=(float(row.location[0]), float(row.location[1])) if row.location else None,
        outline=tuple(
            tuple((float(lat), float(lon)) for lat, lon in ring) for ring in row.outline or ()
        ),
    )


def _group_from(row: GroupRow) -> Group:
    return Group(
        id=GroupId(row.id),
        gemeente_id=GemeenteId(row.gemeente_id),
        kind=GroupKind(row.kind),
        chat=ChatRef(Platform(row.platform), row.chat_id),
        name=row.name,
        buurt_id=BuurtId(row.buurt_id) if row.buurt_id is not None else None,
        locale=Locale(row.locale) if row.locale else None,
    )


# -----------------------------------------------------------------------------------------
# People
# -----------------------------------------------------------------------------------------
class SqlPersonRepository(PersonRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, person_id: PersonId) -> Person | None:
        row = self._session.get(PersonRow, person_id)
        return self._person_from(row) if row is not None else None

    def by_identity(self, identity: PlatformIdentity) -> Person | None:
        # One statement for the person and all their accounts: this runs for every message.
        owner = (
            select(PersonIdentityRow.person_id)
            .where(
                PersonIdentityRow.platform == identity.platform.value,
                PersonIdentityRow.user_ref == identity.user_ref,
            )
            .scalar_subquery()
        )
        found = self._session.execute(
            select(PersonRow, PersonIdentityRow.platform, PersonIdentityRow.user_ref)
            .join(PersonIdentityRow, PersonIdentityRow.person_id == PersonRow.id)
            .where(PersonRow.id == owner)
        ).all()
        if not found:
            return None
        accounts = frozenset(
            PlatformIdentity(Platform(platform), user_ref) for _, platform, user_ref in found
        )
        return _person(found[0][0], accounts)

    def by_handle(self, gemeente_id: GemeenteId, handle: str) -> Person | None:
        row = self._session.scalars(
            select(PersonRow).where(
                PersonRow.gemeente_id == gemeente_id, PersonRow.handle == handle
            )
        ).one_or_none()
        return self._person_from(row) if row is not None else None

    def in_gemeente(self, gemeente_id: GemeenteId) -> list[Person]:
        rows = self._session.scalars(
            select(PersonRow).where(PersonRow.gemeente_id == gemeente_id).order_by(PersonRow.id)
        ).all()
        identities = self._identities_of([r.id for r in rows])
        return [_person(r, identities.get(r.id, frozenset())) for r in rows]

    def save(self, person: Person) -> None:
        """Upsert ``person`` and make its stored identities exactly ``person.identities``.

        Raises :class:`ValueError` when one of the identities belongs to another person or
        the handle is taken in the gemeente: moving an account between people is a decision
        for the caller (save the other person without it first), never a side effect.
        """
        s = self._session
        if person.identities:
            owners = s.execute(
                select(
                    PersonIdentityRow.platform,
                    PersonIdentityRow.user_ref,
                    PersonIdentityRow.person_id,
                ).where(
                    tuple_(PersonIdentityRow.platform, PersonIdentityRow.user_ref).in_(
                        [(i.platform.value, i.user_ref) for i in person.identities]
                    ),
                    PersonIdentityRow.person_id != person.id,
                )
            ).all()
            if owners:
                listed = ", ".join(f"{p}:{u} (person {o})" for p, u, o in owners)
                raise ValueError(f"identities of another person: {listed}")
        if person.handle is not None and person.gemeente_id is not None:
            holder = s.scalar(
                select(PersonRow.id).where(
                    PersonRow.gemeente_id == person.gemeente_id,
                    PersonRow.handle == person.handle,
                    PersonRow.id != person.id,
                )
            )
            if holder is not None:
                raise ValueError(f"handle {person.handle!r} belongs to person {holder}")

        row = s.get(PersonRow, person.id)
        if row is None:
            row = PersonRow(id=person.id)
            s.add(row)
        row.gemeente_id = person.gemeente_id
        row.display_name = person.display_name
        row.locale = person.locale.value if person.locale else None
        row.handle = person.handle
        s.flush()

        wanted = {(i.platform.value, i.user_ref) for i in person.identities}
        stored = {
            (r.platform, r.user_ref): r
            for r in s.scalars(
                select(PersonIdentityRow).where(PersonIdentityRow.person_id == person.id)
            )
        }
        for key, identity_row in stored.items():
            if key not in wanted:
                s.delete(identity_row)
        for platform, user_ref in wanted - stored.keys():
            s.add(PersonIdentityRow(platform=platform, user_ref=user_ref, person_id=person.id))
        s.flush()

    def gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId
    ) -> frozenset[GemeenteRole]:
        roles = self._session.scalars(
            select(GemeenteRoleRow.role).where(
                GemeenteRoleRow.gemeente_id == gemeente_id, GemeenteRoleRow.person_id == person_id
            )
        )
        return frozenset(GemeenteRole(r) for r in roles)

    def with_gemeente_role(self, gemeente_id: GemeenteId, role: GemeenteRole) -> list[PersonId]:
        ids = self._session.scalars(
            select(GemeenteRoleRow.person_id)
            .where(GemeenteRoleRow.gemeente_id == gemeente_id, GemeenteRoleRow.role == role.value)
            .order_by(GemeenteRoleRow.person_id)
        )
        return [PersonId(i) for i in ids]

    def set_gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId, roles: frozenset[GemeenteRole]
    ) -> None:
        """Make the person's stored roles in the gemeente exactly ``roles``.

        Raises :class:`KeyError` for an unknown person.
        """
        s = self._session
        _require_persons(s, [person_id])
        s.execute(
            delete(GemeenteRoleRow).where(
                GemeenteRoleRow.gemeente_id == gemeente_id,
                GemeenteRoleRow.person_id == person_id,
                GemeenteRoleRow.role.not_in([r.value for r in roles]),
            )
        )
        have = self.gemeente_roles(gemeente_id, person_id)
        for role in roles - have:
            s.add(GemeenteRoleRow(gemeente_id=gemeente_id, person_id=person_id, role=role.value))
        s.flush()

    def delete(self, person_id: PersonId) -> None:
        """Erase the person. The schema's ``ON DELETE`` rules do most of it (``SET NULL``
        where a row records what they did, ``CASCADE`` where it is about them); what no
        foreign key reaches is cleared here first: the name kept with a "112 called" status,
        who recorded a police follow-up, waiting choices, and outbox items addressed to them
        or naming them."""
        s = self._session
        person = self.get(person_id)
        if person is None:
            return
        s.flush()
        s.execute(
            update(MeldingRow)
            .where(MeldingRow.called_112_by == person_id)
            .values(called_112_by_name=None)
            .execution_options(synchronize_session=False)
        )
        s.execute(  # no foreign key reaches it (see the escalation table)
            update(EscalationRow)
            .where(EscalationRow.followed_up_by == person_id)
            .values(followed_up_by=None)
            .execution_options(synchronize_session=False)
        )
        s.execute(
            delete(PendingChoiceRow)
            .where(PendingChoiceRow.person_id == person_id)
            .execution_options(synchronize_session=False)
        )
        needles = _traces_of(person)
        gone = [
            row_id
            for row_id, key, chat_id, payload in s.execute(
                select(OutboxRow.id, OutboxRow.key, OutboxRow.chat_id, OutboxRow.payload)
            )
            if _mentions(needles, key, chat_id, json.dumps(payload, ensure_ascii=False))
        ]
        for chunk in range(0, len(gone), 500):
            s.execute(
                delete(OutboxRow)
                .where(OutboxRow.id.in_(gone[chunk : chunk + 500]))
                .execution_options(synchronize_session=False)
            )
        s.execute(
            delete(PersonRow)
            .where(PersonRow.id == person_id)
            .execution_options(synchronize_session=False)
        )
        s.expire_all()  # rows the database changed by its ON DELETE rules

    def _identities_of(self, person_ids: Sequence[str]) -> dict[str, frozenset[PlatformIdentity]]:
        found: dict[str, set[PlatformIdentity]] = {}
        if person_ids:
            for r in self._session.scalars(
                select(PersonIdentityRow).where(PersonIdentityRow.person_id.in_(person_ids))
            ):
                found.setdefault(r.person_id, set()).add(
                    PlatformIdentity(Platform(r.platform), r.user_ref)
                )
        return {k: frozenset(v) for k, v in found.items()}

    def _person_from(self, row: PersonRow) -> Person:
        return _person(row, self._identities_of([row.id]).get(row.id, frozenset()))


def _require_persons(session: Session, person_ids: Iterable[str]) -> None:
    """Raise :class:`KeyError` naming persons not stored (before a foreign key would fail
    at flush and spoil the transaction)."""
    wanted = set(person_ids)
    if not wanted:
        return
    found = set(session.scalars(select(PersonRow.id).where(PersonRow.id.in_(wanted))))
    if wanted - found:
        raise KeyError(f"unknown persons: {', '.join(sorted(wanted - found))}")


def _person(row: PersonRow, identities: frozenset[PlatformIdentity]) -> Person:
    return Person(
        id=PersonId(row.id),
        gemeente_id=GemeenteId(row.gemeente_id) if row.gemeente_id is not None else None,
        display_name=row.display_name,
        locale=Locale(row.locale) if row.locale else None,
        handle=row.handle,
        identities=identities,
    )


# -----------------------------------------------------------------------------------------
# Memberships
# -----------------------------------------------------------------------------------------
class SqlMembershipRepository(MembershipRepository):
    def __init__(self, session: Session) -> None:
        self._session = session

    def of_group(self, group_id: GroupId) -> list[Membership]:
        rows = self._session.scalars(
            select(MembershipRow)
            .where(MembershipRow.group_id == group_id)
            .order_by(MembershipRow.person_id)
        )
        return [_membership(r) for r in rows]

    def of_person(self, person_id: PersonId) -> list[Membership]:
        """Every membership of the person, ordered by group id; archived groups included
        (the network tells which groups are current)."""
        rows = self._session.scalars(
            select(MembershipRow)
            .where(MembershipRow.person_id == person_id)
            .order_by(MembershipRow.group_id)
        )
        return [_membership(r) for r in rows]

    def replace_group(self, group_id: GroupId, memberships: Sequence[Membership]) -> None:
        """Make the group's stored memberships exactly ``memberships``.

        Raises :class:`ValueError` for a membership of another group or a person listed
        twice, :class:`KeyError` for an unknown group (archived is known) or person.
        """
        wanted: dict[str, Membership] = {}
        for m in memberships:
            if m.group_id != group_id:
                raise ValueError(f"membership of {m.group_id} passed for group {group_id}")
            if m.person_id in wanted:
                raise ValueError(f"person {m.person_id} listed twice for group {group_id}")
            wanted[m.person_id] = m
        s = self._session
        if s.get(GroupRow, group_id) is None:
            raise KeyError(f"unknown group {group_id}")
        _require_persons(s, wanted)
        stored = {
            r.person_id: r
            for r in s.scalars(select(MembershipRow).where(MembershipRow.group_id == group_id))
        }
        for person_id, old in stored.items():
            if person_id not in wanted:
                s.delete(old)
        for person_id, m in wanted.items():
            row = stored.get(person_id)
            if row is None:
                row = MembershipRow(group_id=group_id, person_id=person_id)
                s.add(row)
            row.role, row.source = m.role.value, m.source.value
        s.flush()


def _membership(row: MembershipRow) -> Membership:
    return Membership(
        group_id=GroupId(row.group_id),
        person_id=PersonId(row.person_id),
        role=GroupRole(row.role),
        source=RoleSource(row.source),
    )


# -----------------------------------------------------------------------------------------
# Processed events and pending choices
# -----------------------------------------------------------------------------------------
class SqlProcessedEvents(ProcessedEvents):
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, event_id: str, at: datetime) -> bool:
        """Record ``event_id``; ``False`` when it is recorded already.

        An insert that ignores conflicts decides, not a read: when another transaction
        claimed the same id and has not committed, this call waits for it and returns
        ``False`` once it commits (``True`` if it rolls back). So a duplicate never raises
        and never gets through twice.
        """
        return _insert_ignoring_conflict(
            self._session, ProcessedEventRow, ["event_id"], event_id=event_id, processed_at=at
        )


class SqlPendingChoices(PendingChoices):
    def __init__(self, session: Session) -> None:
        self._session = session

    def put(self, choice: PendingChoice) -> None:
        key = self._key(choice.chat, choice.person)
        row = self._session.get(PendingChoiceRow, key)
        if row is None:
            row = PendingChoiceRow(
                platform=key[0], chat_id=key[1], private=key[2], person_id=key[3]
            )
            self._session.add(row)
        row.options = list(choice.options)
        row.created_at = choice.created_at
        self._session.flush()

    def take(self, chat: ChatRef, person: PersonId) -> PendingChoice | None:
        row = self._session.get(PendingChoiceRow, self._key(chat, person))
        if row is None:
            return None
        choice = PendingChoice(
            chat=chat,
            person=person,
            options=tuple(str(o) for o in row.options),
            created_at=row.created_at,
        )
        self._session.delete(row)
        self._session.flush()
        return choice

    @staticmethod
    def _key(chat: ChatRef, person: PersonId) -> tuple[str, str, bool, str]:
        return (chat.platform.value, chat.chat_id, chat.private, person)


# -----------------------------------------------------------------------------------------
# Outbox
# -----------------------------------------------------------------------------------------
def _outbox_values(action: Action, key: str, at: datetime) -> dict[str, Any]:
    chat = action.chat
    return {
        "key": key,
        "platform": chat.platform.value,
        "chat_id": chat.chat_id,
        "private": chat.private,
        "kind": action_kind(action),
        "payload": action_to_json(action),
        "created_at": at,
        "due_at": at,
        "attempts": 0,
        "state": "pending",
    }


class SqlOutbox(Outbox):
    """The outbox table. ``lease`` is how long :meth:`due` reserves an item for its worker;
    after that the item is handed out again (the worker is presumed dead)."""

    def __init__(self, session: Session, *, lease: timedelta = DEFAULT_OUTBOX_LEASE) -> None:
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._session = session
        self._lease = lease

    def add(self, action: Action, *, key: str, at: datetime) -> bool:
        return _insert_ignoring_conflict(
            self._session, OutboxRow, ["key"], **_outbox_values(action, key, at)
        )

    def add_all(self, items: Sequence[tuple[Action, str]], *, at: datetime) -> list[bool]:
        rows = [_outbox_values(action, key, at) for action, key in items]
        return _insert_all_ignoring_conflicts(self._session, OutboxRow, ["key"], rows, match="key")

    def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Claim up to ``limit`` due items, oldest (first queued) first, one per chat.

        Only the oldest pending item of a chat can be claimed; the next one follows when it
        is delivered or given up on. So a chat's messages go out in the order they were
        queued, even when one is retried later, and a worker never holds two items of one
        chat it could send out of order. On PostgreSQL the rows are locked with
        ``FOR UPDATE SKIP LOCKED``: concurrent workers split the work and never claim the
        same row. SQLite serialises writers already (``BEGIN IMMEDIATE``).
        """
        if limit <= 0:
            return []
        s = self._session
        older = aliased(OutboxRow)
        has_older_pending = exists().where(
            older.platform == OutboxRow.platform,
            older.chat_id == OutboxRow.chat_id,
            older.private == OutboxRow.private,
            older.state == "pending",
            older.id < OutboxRow.id,
        )
        stmt = (
            select(OutboxRow)
            .where(
                OutboxRow.state == "pending",
                OutboxRow.due_at <= now,
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until <= now),
                ~has_older_pending,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
            # Rows this session saw before may be stale; the locked ones must not be.
            .execution_options(populate_existing=True)
        )
        if s.get_bind().dialect.name == "postgresql":
            # A row another worker has locked is skipped; the rows after it in its chat are
            # not claimable anyway, since that row is still pending.
            stmt = stmt.with_for_update(skip_locked=True, of=OutboxRow)
        rows = list(s.scalars(stmt))
        for r in rows:
            r.claimed_until = now + self._lease
        s.flush()
        return [
            OutboxItem(id=r.id, key=r.key, action=action_from_json(r.payload), attempts=r.attempts)
            for r in rows
        ]

    def delivered(self, item_id: int, at: datetime, message: MessageRef | None = None) -> None:
        """Mark the item delivered; ``message`` (in the item's own chat: that is where the
        platform put it) is kept so the message can be edited or recognised later.

        Raises :class:`KeyError` for an unknown item and :class:`ValueError` for a message
        in another chat, before changing anything.
        """
        values: dict[str, Any] = {
            "state": "delivered",
            "delivered_at": at,
            "claimed_until": None,
        }
        if message is not None:
            chat = self._session.execute(
                select(OutboxRow.platform, OutboxRow.chat_id, OutboxRow.private).where(
                    OutboxRow.id == item_id
                )
            ).one_or_none()
            if chat is None:
                raise KeyError(f"no outbox item {item_id}")
            if _chat(chat.platform, chat.chat_id, chat.private) != message.chat:
                raise ValueError(
                    f"message {message.message_id} is in {message.chat}, not in the chat of "
                    f"outbox item {item_id}"
                )
            values["message_id"] = message.message_id
        self._set(item_id, **values)

    def sent_message(self, key: str) -> MessageRef | None:
        row = self._session.execute(
            select(
                OutboxRow.platform, OutboxRow.chat_id, OutboxRow.private, OutboxRow.message_id
            ).where(OutboxRow.key == key, OutboxRow.message_id.is_not(None))
        ).one_or_none()
        if row is None or row.message_id is None:
            return None
        return MessageRef(_chat(row.platform, row.chat_id, row.private), row.message_id)

    def key_of_message(self, message: MessageRef) -> str | None:
        """The key of the first item that became ``message`` (an edit of it, if one is
        recorded with the same message, comes later and does not shadow it)."""
        return self._session.scalar(
            select(OutboxRow.key)
            .where(
                OutboxRow.platform == message.chat.platform.value,
                OutboxRow.chat_id == message.chat.chat_id,
                OutboxRow.private == message.chat.private,
                OutboxRow.message_id == message.message_id,
            )
            .order_by(OutboxRow.id)
            .limit(1)
        )

    def state(self, key: str) -> str | None:
        return self._session.scalar(select(OutboxRow.state).where(OutboxRow.key == key))

    def retry(self, item_id: int, at: datetime, error: str) -> None:
        self._set(
            item_id,
            attempts=OutboxRow.attempts + 1,
            due_at=at,
            claimed_until=None,
            last_error=error,
        )

    def release(self, item_id: int, at: datetime) -> None:
        """Release the claim; due again at ``at``. ``attempts`` and the last error stay."""
        self._set(item_id, due_at=at, claimed_until=None)

    def dead(self, item_id: int, error: str) -> None:
        """Give up; the item and its error stay for inspection. ``attempts`` counts retries
        only, so it is left as it is."""
        self._set(item_id, state="dead", claimed_until=None, last_error=error)

    def counts(self) -> dict[str, int]:
        """One ``GROUP BY`` over the state (the ``state, due_at`` index covers it)."""
        found = dict.fromkeys(OUTBOX_STATES, 0)
        rows = self._session.execute(
            select(OutboxRow.state, func.count()).group_by(OutboxRow.state)
        ).all()
        for state, n in rows:
            found[state] = int(n)
        return found

    def delete_delivered_before(self, before: datetime) -> int:
        result = self._session.execute(
            delete(OutboxRow)
            .where(OutboxRow.state.in_(("delivered", "dead")), OutboxRow.created_at < before)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    def _set(self, item_id: int, **values: Any) -> None:
        result = self._session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id).values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise KeyError(f"no outbox item {item_id}")


# -----------------------------------------------------------------------------------------
# Meldingen, escalations, moderation, audit, dialogues, nudges
# -----------------------------------------------------------------------------------------
#: What a person reference reads back as after the person was erased ("forget me"), where
#: the domain type has no ``None``: the row keeps its record, the person is gone
#: (``ON DELETE SET NULL``). Falsy, so ``if escalation.escalated_by:`` reads naturally.
FORGOTTEN_PERSON = PersonId("")


def _require_gemeente(session: Session, gemeente_id: str) -> None:
    if session.scalar(select(GemeenteRow.id).where(GemeenteRow.id == gemeente_id)) is None:
        raise KeyError(f"unknown gemeente {gemeente_id}")


def _require_groups(session: Session, group_ids: Iterable[str | None]) -> None:
    """Raise :class:`KeyError` naming groups not stored (archived groups are stored)."""
    wanted = {g for g in group_ids if g is not None}
    if not wanted:
        return
    found = set(session.scalars(select(GroupRow.id).where(GroupRow.id.in_(wanted))))
    if wanted - found:
        raise KeyError(f"unknown groups: {', '.join(sorted(wanted - found))}")


def _persons(*ids: str | None) -> list[str]:
    return [i for i in ids if i is not None]


def _chat(platform: str, chat_id: str, private: bool) -> ChatRef:
    return ChatRef(Platform(platform), chat_id, private)


def _person_or_forgotten(person_id: str | None) -> PersonId:
    return PersonId(person_id) if person_id is not None else FORGOTTEN_PERSON


def _optional_person(person_id: str | None) -> PersonId | None:
    return PersonId(person_id) if person_id is not None else None


def _text_fields(description: PersonDescription | VehicleDescription) -> dict[str, Any]:
    return dataclasses.asdict(description)


class SqlMeldingRepository(MeldingRepository):
    """Meldingen. The message a melding lives in is unique among meldingen."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def save(self, melding: Melding) -> None:
        """Insert or update. Raises :class:`KeyError` for an unknown gemeente, group or
        person and :class:`ValueError` when another melding lives in the same message."""
        s = self._session
        _require_gemeente(s, melding.gemeente_id)
        _require_groups(s, [melding.group_id])
        called = melding.called_112
        _require_persons(s, _persons(melding.reporter, called.by if called else None))
        message = melding.message
        if message is not None:
            other = s.scalar(
                select(MeldingRow.id).where(*self._at(message), MeldingRow.id != melding.id)
            )
            if other is not None:
                raise ValueError(f"melding {other} already lives in message {message.message_id}")
        row = s.get(MeldingRow, melding.id)
        if row is None:
            row = MeldingRow(id=melding.id)
            s.add(row)
        row.gemeente_id = melding.gemeente_id
        row.group_id = melding.group_id
        row.created_at = melding.created_at
        row.reporter_id = melding.reporter
        row.category = melding.category
        row.place = melding.where
        row.time_seen = melding.when
        row.person_description = _text_fields(melding.person) if melding.person else None
        row.vehicle_description = _text_fields(melding.vehicle) if melding.vehicle else None
        row.message_platform = message.chat.platform.value if message else None
        row.message_chat_id = message.chat.chat_id if message else None
        row.message_private = message.chat.private if message else None
        row.message_id = message.message_id if message else None
        row.called_112_by = called.by if called else None
        row.called_112_by_name = called.by_name if called else None
        row.called_112_at = called.at if called else None
        row.structured = melding.structured
        s.flush()

    def get(self, melding_id: MeldingId) -> Melding | None:
        row = self._session.get(MeldingRow, melding_id)
        return _melding(row) if row is not None else None

    def by_message(self, message: MessageRef) -> Melding | None:
        row = self._session.scalars(select(MeldingRow).where(*self._at(message))).first()
        return _melding(row) if row is not None else None

    def latest_in_group(self, group_id: GroupId, since: datetime) -> Melding | None:
        row = self._session.scalars(
            select(MeldingRow)
            .where(MeldingRow.group_id == group_id, MeldingRow.created_at >= since)
            .order_by(MeldingRow.created_at.desc(), MeldingRow.id.desc())
            .limit(1)
        ).first()
        return _melding(row) if row is not None else None

    def reported_by(self, person_id: PersonId) -> list[Melding]:
        rows = self._session.scalars(
            select(MeldingRow)
            .where(MeldingRow.reporter_id == person_id)
            .order_by(MeldingRow.created_at, MeldingRow.id)
        ).all()
        return [_melding(r) for r in rows]

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Escalations of a deleted melding lose the link by ``ON DELETE SET NULL``."""
        result = self._session.execute(
            delete(MeldingRow)
            .where(MeldingRow.gemeente_id == gemeente_id, MeldingRow.created_at < before)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()
        return _rowcount(result)

    @staticmethod
    def _at(message: MessageRef) -> tuple[Any, ...]:
        return (
            MeldingRow.message_platform == message.chat.platform.value,
            MeldingRow.message_chat_id == message.chat.chat_id,
            MeldingRow.message_private == message.chat.private,
            MeldingRow.message_id == message.message_id,
        )


def _traces_of(person: Person) -> tuple[str, ...]:
    """What identifies a person in free text: id, account references, display name."""
    found = {person.id, *(i.user_ref for i in person.identities)}
    if person.display_name.strip():
        found.add(person.display_name.strip())
    return tuple(sorted(t for t in found if t))


def _mentions(needles: Sequence[str], *haystacks: str | None) -> bool:
    return any(n in h for h in haystacks if h for n in needles)


def _melding(row: MeldingRow) -> Melding:
    message = None
    if row.message_id is not None:
        assert row.message_platform is not None
        assert row.message_chat_id is not None
        message = MessageRef(
            _chat(row.message_platform, row.message_chat_id, bool(row.message_private)),
            row.message_id,
        )
    called = None
    if row.called_112_at is not None:
        called = Called112(
            by=_optional_person(row.called_112_by),
            by_name=row.called_112_by_name or "",
            at=row.called_112_at,
        )
    person = row.person_description
    vehicle = row.vehicle_description
    return Melding(
        id=row.id,
        gemeente_id=GemeenteId(row.gemeente_id),
        group_id=GroupId(row.group_id),
        created_at=row.created_at,
        reporter=_optional_person(row.reporter_id),
        category=row.category,
        where=row.place,
        when=row.time_seen,
        person=PersonDescription(**person) if person is not None else None,
        vehicle=VehicleDescription(**vehicle) if vehicle is not None else None,
        message=message,
        called_112=called,
        structured=row.structured,
    )


#: An escalation delivery's state, from its outbox item's state.
_DELIVERY_STATES = {
    "pending": DeliveryState.QUEUED,
    "delivered": DeliveryState.DELIVERED,
    "dead": DeliveryState.FAILED,
}


class SqlEscalationRepository(EscalationRepository):
    """Escalations and their deliveries.

    A message is escalated from its own buurtgroep once: the source message is unique among
    escalations that are not forwards (a partial unique index). Forwards down from the
    regiegroep (``forwarded_from`` set) may share a source; :meth:`by_source` never returns
    them. A delivery's state is not stored but read from the outbox item with its key.
    An erased escalator reads back as :data:`FORGOTTEN_PERSON`.
    """

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, escalation: Escalation) -> None:
        """Raises :class:`ValueError` for a known id or an already escalated source message,
        :class:`KeyError` for an unknown gemeente, group, person, melding or forwarded
        escalation."""
        s = self._session
        e = escalation
        if s.get(EscalationRow, e.id) is not None:
            raise ValueError(f"escalation {e.id} exists already")
        _require_gemeente(s, e.gemeente_id)
        _require_groups(s, [e.source_group])
        _require_persons(s, [e.escalated_by])
        if e.melding_id is not None and s.get(MeldingRow, e.melding_id) is None:
            raise KeyError(f"unknown melding {e.melding_id}")
        if e.forwarded_from is not None and s.get(EscalationRow, e.forwarded_from) is None:
            raise KeyError(f"unknown escalation {e.forwarded_from}")
        if e.forwarded_from is None:
            earlier = self.by_source(e.source_message)
            if earlier is not None:
                raise ValueError(
                    f"message {e.source_message.message_id} was escalated already ({earlier.id})"
                )
        m = e.source_message
        s.add(
            EscalationRow(
                id=e.id,
                gemeente_id=e.gemeente_id,
                source_group=e.source_group,
                source_platform=m.chat.platform.value,
                source_chat_id=m.chat.chat_id,
                source_private=m.chat.private,
                source_message_id=m.message_id,
                text=e.text,
                escalated_by=e.escalated_by,
                escalated_at=e.escalated_at,
                scope=e.scope.value,
                category=e.category,
                melding_id=e.melding_id,
                forwarded_from=e.forwarded_from,
                followed_up_at=e.followed_up_at,
                followed_up_by=e.followed_up_by,
                follow_up_note=e.follow_up_note or None,
                police_reminded_at=e.police_reminded_at,
            )
        )
        s.flush()

    def get(self, escalation_id: EscalationId) -> Escalation | None:
        row = self._session.get(EscalationRow, escalation_id)
        return _escalation(row) if row is not None else None

    def by_source(self, message: MessageRef) -> Escalation | None:
        row = self._session.scalars(
            select(EscalationRow).where(
                EscalationRow.source_platform == message.chat.platform.value,
                EscalationRow.source_chat_id == message.chat.chat_id,
                EscalationRow.source_message_id == message.message_id,
                EscalationRow.source_private == message.chat.private,
                EscalationRow.forwarded_from.is_(None),
            )
        ).first()
        return _escalation(row) if row is not None else None

    def for_melding(self, melding_id: MeldingId) -> list[Escalation]:
        """The melding's escalations, oldest first."""
        rows = self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.melding_id == melding_id)
            .order_by(EscalationRow.escalated_at, EscalationRow.id)
        )
        return [_escalation(r) for r in rows]

    def add_delivery(self, delivery: EscalationDelivery) -> bool:
        """Record a delivery (its ``state`` is ignored: the outbox has it); ``False`` when
        the escalation has this target already.

        Raises :class:`ValueError` for a target that names no group or person (or both)
        and for an outbox key another delivery has; :class:`KeyError` for an unknown
        escalation, group or person.
        """
        return self.add_deliveries([delivery])[0]

    def add_deliveries(self, deliveries: Sequence[EscalationDelivery]) -> list[bool]:
        """:meth:`add_delivery` for many, checked and inserted in a handful of statements;
        nothing is written when one of them is refused."""
        if not deliveries:
            return []
        s = self._session
        for d in deliveries:
            if (d.target.group_id is None) == (d.target.person_id is None):
                raise ValueError(f"a target is one group or one person, got {d.target}")
        escalations = {d.escalation_id for d in deliveries}
        found = set(s.scalars(select(EscalationRow.id).where(EscalationRow.id.in_(escalations))))
        if escalations - found:
            raise KeyError(f"unknown escalation {', '.join(sorted(escalations - found))}")
        _require_groups(s, [d.target.group_id for d in deliveries])
        _require_persons(s, _persons(*(d.target.person_id for d in deliveries)))
        keys = {d.outbox_key for d in deliveries}
        holders = {
            key: (escalation, target)
            for key, escalation, target in s.execute(
                select(
                    EscalationDeliveryRow.outbox_key,
                    EscalationDeliveryRow.escalation_id,
                    EscalationDeliveryRow.target_key,
                ).where(EscalationDeliveryRow.outbox_key.in_(keys))
            )
        }
        for d in deliveries:
            holder = holders.get(d.outbox_key)
            if holder is not None and holder != (d.escalation_id, d.target.key):
                raise ValueError(
                    f"outbox key {d.outbox_key!r} is a delivery of escalation {holder[0]}"
                )
        rows = [
            {
                "escalation_id": d.escalation_id,
                "target_key": d.target.key,
                "target_kind": d.target.kind.value,
                "group_id": d.target.group_id,
                "person_id": d.target.person_id,
                "platform": d.chat.platform.value,
                "chat_id": d.chat.chat_id,
                "private": d.chat.private,
                "outbox_key": d.outbox_key,
                "queued_at": d.queued_at,
            }
            for d in deliveries
        ]
        # Told apart by outbox key: one per delivery (the check above made sure).
        return _insert_all_ignoring_conflicts(
            s, EscalationDeliveryRow, ["escalation_id", "target_key"], rows, match="outbox_key"
        )

    def deliveries(self, escalation_id: EscalationId) -> list[EscalationDelivery]:
        """The deliveries in the order they were queued (then by target); ``state`` from the
        outbox item with the same key: pending is queued, dead is failed, and an item not
        (or no longer) in the outbox counts as queued."""
        rows = self._session.execute(
            select(EscalationDeliveryRow, OutboxRow.state)
            .outerjoin(OutboxRow, OutboxRow.key == EscalationDeliveryRow.outbox_key)
            .where(EscalationDeliveryRow.escalation_id == escalation_id)
            .order_by(EscalationDeliveryRow.queued_at, EscalationDeliveryRow.target_key)
        ).all()
        return [
            EscalationDelivery(
                escalation_id=EscalationId(r.escalation_id),
                target=Target(
                    TargetKind(r.target_kind),
                    group_id=GroupId(r.group_id) if r.group_id is not None else None,
                    person_id=_optional_person(r.person_id),
                ),
                chat=_chat(r.platform, r.chat_id, r.private),
                outbox_key=r.outbox_key,
                queued_at=r.queued_at,
                state=_DELIVERY_STATES.get(state or "pending", DeliveryState.QUEUED),
            )
            for r, state in rows
        ]

    def by_outbox_key(self, key: str) -> Escalation | None:
        row = self._session.scalars(
            select(EscalationRow)
            .join(EscalationDeliveryRow, EscalationDeliveryRow.escalation_id == EscalationRow.id)
            .where(EscalationDeliveryRow.outbox_key == key)
        ).first()
        return _escalation(row) if row is not None else None

    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[Escalation]:
        if limit <= 0:
            return []
        rows = self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.gemeente_id == gemeente_id)
            .order_by(EscalationRow.escalated_at.desc(), EscalationRow.id.desc())
            .limit(limit)
        )
        return [_escalation(r) for r in rows]

    def original_times_since(
        self, gemeente_id: GemeenteId, since: datetime
    ) -> list[tuple[GroupId, datetime]]:
        """Two columns of the rows the (gemeente_id, escalated_at) index finds."""
        rows = self._session.execute(
            select(EscalationRow.source_group, EscalationRow.escalated_at)
            .where(
                EscalationRow.gemeente_id == gemeente_id,
                EscalationRow.escalated_at >= since,
                EscalationRow.forwarded_from.is_(None),
            )
            .order_by(EscalationRow.escalated_at, EscalationRow.id)
        )
        return [(GroupId(group), at) for group, at in rows]

    def with_id_prefix(self, prefix: str, limit: int) -> list[Escalation]:
        if limit <= 0 or not prefix:
            return []
        rows = self._session.scalars(
            select(EscalationRow)
            .where(EscalationRow.id.startswith(prefix, autoescape=True))
            .order_by(EscalationRow.escalated_at.desc(), EscalationRow.id.desc())
            .limit(limit)
        )
        return [_escalation(r) for r in rows]

    def record_follow_up(
        self, escalation_id: EscalationId, *, at: datetime, by: PersonId, note: str
    ) -> bool:
        """One conditional ``UPDATE``: of two racing follow-ups, the second finds it set."""
        s = self._session
        _require_persons(s, [by])
        result = s.execute(
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.followed_up_at.is_(None))
            .values(followed_up_at=at, followed_up_by=by, follow_up_note=note or None)
        )
        if _rowcount(result) == 1:
            return True
        if s.get(EscalationRow, escalation_id) is None:
            raise KeyError(f"unknown escalation {escalation_id}")
        return False

    def police_unfollowed_before(
        self, gemeente_id: GemeenteId, before: datetime, limit: int
    ) -> list[Escalation]:
        """Read through the partial index of police deliveries (its condition is repeated
        literally, so that both databases see that it applies)."""
        if limit <= 0:
            return []
        rows = self._session.scalars(police_due_statement(gemeente_id, before, limit))
        return [_escalation(r) for r in rows]

    def mark_police_reminded(self, escalation_id: EscalationId, at: datetime) -> bool:
        """One conditional ``UPDATE``: of two racing runs, the second finds it set."""
        s = self._session
        result = s.execute(
            update(EscalationRow)
            .where(EscalationRow.id == escalation_id, EscalationRow.police_reminded_at.is_(None))
            .values(police_reminded_at=at)
        )
        if _rowcount(result) == 1:
            return True
        if s.get(EscalationRow, escalation_id) is None:
            raise KeyError(f"unknown escalation {escalation_id}")
        return False

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Deliveries go by ``ON DELETE CASCADE``, forwards keep their row (``SET NULL``)."""
        result = self._session.execute(
            delete(EscalationRow)
            .where(EscalationRow.gemeente_id == gemeente_id, EscalationRow.escalated_at < before)
            .execution_options(synchronize_session=False)
        )
        self._session.expire_all()
        return _rowcount(result)


def police_due_statement(gemeente_id: str, before: datetime, limit: int) -> Select[Any]:
    """The reminder's query (:meth:`SqlEscalationRepository.police_unfollowed_before`)."""
    police = (
        select(EscalationDeliveryRow.escalation_id)
        .where(
            sql_text(f"escalation_delivery.{POLICE_DELIVERY_WHERE}"),
            EscalationDeliveryRow.queued_at < before,
        )
        .scalar_subquery()
    )
    return (
        select(EscalationRow)
        .where(
            EscalationRow.id.in_(police),
            EscalationRow.gemeente_id == gemeente_id,
            EscalationRow.followed_up_at.is_(None),
            EscalationRow.police_reminded_at.is_(None),
        )
        .order_by(EscalationRow.escalated_at, EscalationRow.id)
        .limit(limit)
    )


def _escalation(row: EscalationRow) -> Escalation:
    return Escalation(
        id=EscalationId(row.id),
        gemeente_id=GemeenteId(row.gemeente_id),
        source_group=GroupId(row.source_group),
        source_message=MessageRef(
            _chat(row.source_platform, row.source_chat_id, row.source_private),
            row.source_message_id,
        ),
        text=row.text,
        escalated_by=_person_or_forgotten(row.escalated_by),
        escalated_at=row.escalated_at,
        scope=Scope(row.scope),
        category=row.category,
        melding_id=row.melding_id,
        forwarded_from=row.forwarded_from,
        followed_up_at=row.followed_up_at,
        followed_up_by=_optional_person(row.followed_up_by),
        follow_up_note=row.follow_up_note or "",
        police_reminded_at=row.police_reminded_at,
    )


class SqlWarningRepository(WarningRepository):
    """Warnings; an erased beheerder who gave one reads back as :data:`FORGOTTEN_PERSON`."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, warning: Warning) -> None:
        """Raises :class:`ValueError` for a known id, :class:`KeyError` for an unknown
        gemeente, group or person."""
        s = self._session
        w = warning
        if s.get(WarningRow, w.id) is not None:
            raise ValueError(f"warning {w.id} exists already")
        _require_gemeente(s, w.gemeente_id)
        _require_groups(s, [w.group_id])
        _require_persons(s, [w.person_id, w.by])
        s.add(
            WarningRow(
                id=w.id,
                gemeente_id=w.gemeente_id,
                person_id=w.person_id,
                group_id=w.group_id,
                reason=w.reason.value,
                note=w.note,
                by_id=w.by,
                at=w.at,
                expires_at=w.expires_at,
                revoked_at=w.revoked_at,
            )
        )
        s.flush()

    def of_person(self, gemeente_id: GemeenteId, person_id: PersonId) -> list[Warning]:
        rows = self._session.scalars(
            select(WarningRow)
            .where(WarningRow.gemeente_id == gemeente_id, WarningRow.person_id == person_id)
            .order_by(WarningRow.at.desc(), WarningRow.id.desc())
        )
        return [
            Warning(
                id=WarningId(r.id),
                gemeente_id=GemeenteId(r.gemeente_id),
                person_id=PersonId(r.person_id),
                group_id=GroupId(r.group_id),
                reason=WarningReason(r.reason),
                note=r.note,
                by=_person_or_forgotten(r.by_id),
                at=r.at,
                expires_at=r.expires_at,
                revoked_at=r.revoked_at,
            )
            for r in rows
        ]

    def revoke(self, warning_id: WarningId, at: datetime) -> None:
        """Revoke the warning; revoking it again keeps the first time. :class:`KeyError`
        for an unknown warning."""
        row = self._session.get(WarningRow, warning_id)
        if row is None:
            raise KeyError(f"unknown warning {warning_id}")
        if row.revoked_at is None:
            row.revoked_at = at
            self._session.flush()

    def delete_lapsed_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        result = self._session.execute(
            delete(WarningRow)
            .where(
                WarningRow.gemeente_id == gemeente_id,
                or_(
                    WarningRow.expires_at < before,
                    and_(WarningRow.revoked_at.is_not(None), WarningRow.revoked_at < before),
                ),
            )
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)


class SqlBlockRepository(BlockRepository):
    """Blocks, kept after they are lifted. At most one block per person and gemeente is in
    force: checked here (a :class:`ValueError`) and by a partial unique index (which also
    stops two transactions that add one at the same time)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def in_force(self, gemeente_id: GemeenteId, person_id: PersonId) -> Block | None:
        row = self._in_force(gemeente_id, person_id)
        return _block(row) if row is not None else None

    def add(self, block: Block) -> None:
        """Record ``block`` (a lifted one too, as history). Raises :class:`ValueError` when
        it is in force and another one is, :class:`KeyError` for an unknown gemeente or
        person."""
        s = self._session
        b = block
        _require_gemeente(s, b.gemeente_id)
        _require_persons(s, _persons(b.person_id, b.by, b.lifted_by))
        if b.in_force and self._in_force(b.gemeente_id, b.person_id) is not None:
            raise ValueError(f"{b.person_id} is blocked in {b.gemeente_id} already")
        s.add(
            BlockRow(
                gemeente_id=b.gemeente_id,
                person_id=b.person_id,
                at=b.at,
                reason=b.reason,
                by_id=b.by,
                lifted_at=b.lifted_at,
                lifted_by_id=b.lifted_by,
            )
        )
        s.flush()

    def lift(
        self, gemeente_id: GemeenteId, person_id: PersonId, at: datetime, by: PersonId | None
    ) -> bool:
        """Lift the block in force; ``False`` when there is none. :class:`KeyError` for an
        unknown ``by``."""
        _require_persons(self._session, _persons(by))
        row = self._in_force(gemeente_id, person_id)
        if row is None:
            return False
        row.lifted_at, row.lifted_by_id = at, by
        self._session.flush()
        return True

    def _in_force(self, gemeente_id: str, person_id: str) -> BlockRow | None:
        return self._session.scalars(
            select(BlockRow).where(
                BlockRow.gemeente_id == gemeente_id,
                BlockRow.person_id == person_id,
                BlockRow.lifted_at.is_(None),
            )
        ).first()


def _block(row: BlockRow) -> Block:
    return Block(
        gemeente_id=GemeenteId(row.gemeente_id),
        person_id=PersonId(row.person_id),
        at=row.at,
        reason=row.reason,
        by=_optional_person(row.by_id),
        lifted_at=row.lifted_at,
        lifted_by=_optional_person(row.lifted_by_id),
    )


class SqlAuditLog(AuditLog):
    """The audit log. Entries get ids in the order they are added (an id given is ignored);
    an erased actor or subject reads back as ``None``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, entry: AuditEntry) -> None:
        """Raises :class:`KeyError` for an unknown gemeente, group or person."""
        s = self._session
        _require_gemeente(s, entry.gemeente_id)
        _require_groups(s, [entry.group_id])
        _require_persons(s, _persons(entry.actor, entry.subject))
        s.add(
            AuditRow(
                gemeente_id=entry.gemeente_id,
                at=entry.at,
                action=entry.action.value,
                actor_id=entry.actor,
                subject_id=entry.subject,
                group_id=entry.group_id,
                reason=entry.reason,
                detail=dict(entry.detail),
            )
        )
        s.flush()

    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[AuditEntry]:
        """Newest (by time, then by id) first."""
        if limit <= 0:
            return []
        rows = self._session.scalars(
            select(AuditRow)
            .where(AuditRow.gemeente_id == gemeente_id)
            .order_by(AuditRow.at.desc(), AuditRow.id.desc())
            .limit(limit)
        )
        return [
            AuditEntry(
                gemeente_id=GemeenteId(r.gemeente_id),
                at=r.at,
                action=AuditAction(r.action),
                actor=_optional_person(r.actor_id),
                subject=_optional_person(r.subject_id),
                group_id=GroupId(r.group_id) if r.group_id is not None else None,
                reason=r.reason,
                detail={str(k): str(v) for k, v in r.detail.items()},
                id=r.id,
            )
            for r in rows
        ]

    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        result = self._session.execute(
            delete(AuditRow)
            .where(AuditRow.gemeente_id == gemeente_id, AuditRow.at < before)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)


class SqlDialogues(Dialogues):
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, chat: ChatRef, person: PersonId) -> Dialogue | None:
        row = self._session.get(DialogueRow, self._key(chat, person))
        if row is None:
            return None
        return Dialogue(
            chat=chat,
            person=person,
            flow=row.flow,
            step=row.step,
            started_at=row.started_at,
            expires_at=row.expires_at,
            data={str(k): str(v) for k, v in row.data.items()},
        )

    def put(self, dialogue: Dialogue) -> None:
        """Store, replacing the person's dialogue in the chat. :class:`KeyError` for an
        unknown person."""
        s = self._session
        _require_persons(s, [dialogue.person])
        key = self._key(dialogue.chat, dialogue.person)
        row = s.get(DialogueRow, key)
        if row is None:
            row = DialogueRow(platform=key[0], chat_id=key[1], private=key[2], person_id=key[3])
            s.add(row)
        row.flow, row.step = dialogue.flow, dialogue.step
        row.started_at, row.expires_at = dialogue.started_at, dialogue.expires_at
        row.data = dict(dialogue.data)
        s.flush()

    def drop(self, chat: ChatRef, person: PersonId) -> None:
        """Forget the dialogue; nothing happens when there is none."""
        platform, chat_id, private, person_id = self._key(chat, person)
        self._session.execute(
            delete(DialogueRow).where(
                DialogueRow.platform == platform,
                DialogueRow.chat_id == chat_id,
                DialogueRow.private == private,
                DialogueRow.person_id == person_id,
            )
        )

    @staticmethod
    def _key(chat: ChatRef, person: PersonId) -> tuple[str, str, bool, str]:
        return (chat.platform.value, chat.chat_id, chat.private, person)


class SqlNudges(Nudges):
    def __init__(self, session: Session) -> None:
        self._session = session

    def first_today(self, person: PersonId, kind: str, day: date) -> bool:
        """Like :meth:`SqlProcessedEvents.claim`: an insert ignoring conflicts decides, so
        two workers never both nudge. :class:`KeyError` for an unknown person."""
        _require_persons(self._session, [person])
        return _insert_ignoring_conflict(
            self._session,
            NudgeRow,
            ["person_id", "kind", "day"],
            person_id=person,
            kind=kind,
            day=day,
        )


# -----------------------------------------------------------------------------------------
# Sign-ups, invites, attempts
# -----------------------------------------------------------------------------------------
class SqlAanmeldingRepository(AanmeldingRepository):
    """Aanmeldingen. Erasing the person an aanmelding is linked to erases it too
    (``ON DELETE CASCADE``); :meth:`delete` erases one that is linked to nobody yet."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def save(self, aanmelding: Aanmelding) -> None:
        """Insert or update. Raises :class:`KeyError` for an unknown gemeente, buurt (of
        the gemeente; archived ones are known), group or person."""
        s = self._session
        a = aanmelding
        _require_gemeente(s, a.gemeente_id)
        if a.buurt_id is not None and s.get(BuurtRow, (a.gemeente_id, a.buurt_id)) is None:
            raise KeyError(f"unknown buurt {a.buurt_id} in {a.gemeente_id}")
        _require_groups(s, [a.group_id])
        _require_persons(s, _persons(a.decided_by, a.person_id))
        row = s.get(AanmeldingRow, a.id)
        if row is None:
            row = AanmeldingRow(id=a.id)
            s.add(row)
        row.gemeente_id = a.gemeente_id
        row.created_at = a.created_at
        row.name = a.name
        row.locale = a.locale.value
        row.channel = a.channel.value
        row.adult_confirmed = a.adult_confirmed
        row.lives_or_works_here = a.lives_or_works_here
        row.rules_accepted = a.rules_accepted
        row.postcode = a.postcode
        row.house_number = a.house_number
        row.street = a.street
        row.phone = a.phone
        row.contact_platform = a.contact_platform.value if a.contact_platform else None
        row.platform = a.identity.platform.value if a.identity else None
        row.user_ref = a.identity.user_ref if a.identity else None
        row.buurt_id = a.buurt_id
        row.group_id = a.group_id
        row.state = a.state.value
        row.state_changed_at = a.state_changed_at
        row.decided_by = a.decided_by
        row.decline_reason = a.decline_reason
        row.person_id = a.person_id
        row.reminders_sent = a.reminders_sent
        s.flush()

    def get(self, aanmelding_id: AanmeldingId) -> Aanmelding | None:
        row = self._session.get(AanmeldingRow, aanmelding_id)
        return _aanmelding(row) if row is not None else None

    def in_state(
        self, gemeente_id: GemeenteId, states: frozenset[AanmeldingState]
    ) -> list[Aanmelding]:
        return self._where(AanmeldingRow.gemeente_id == gemeente_id, states)

    def for_group(self, group_id: GroupId, states: frozenset[AanmeldingState]) -> list[Aanmelding]:
        return self._where(AanmeldingRow.group_id == group_id, states)

    def waiting_per_buurt(self, gemeente_id: GemeenteId) -> dict[BuurtId, int]:
        """Buurten without anyone waiting are left out."""
        rows = self._session.execute(
            select(AanmeldingRow.buurt_id, func.count())
            .where(
                AanmeldingRow.gemeente_id == gemeente_id,
                AanmeldingRow.state == AanmeldingState.WAITING.value,
                AanmeldingRow.buurt_id.is_not(None),
            )
            .group_by(AanmeldingRow.buurt_id)
        ).all()
        return {BuurtId(buurt): int(n) for buurt, n in rows if buurt is not None}

    def delete(self, aanmelding_id: AanmeldingId) -> None:
        """Erase the aanmelding and its invites; nothing happens when there is none."""
        s = self._session
        s.execute(delete(InviteRow).where(InviteRow.aanmelding_id == aanmelding_id))
        s.execute(delete(AanmeldingRow).where(AanmeldingRow.id == aanmelding_id))

    def _where(self, where: Any, states: frozenset[AanmeldingState]) -> list[Aanmelding]:
        """Oldest first (then by id)."""
        if not states:
            return []
        rows = self._session.scalars(
            select(AanmeldingRow)
            .where(where, AanmeldingRow.state.in_(sorted(st.value for st in states)))
            .order_by(AanmeldingRow.created_at, AanmeldingRow.id)
        )
        return [_aanmelding(r) for r in rows]


def _aanmelding(row: AanmeldingRow) -> Aanmelding:
    identity = None
    if row.platform is not None and row.user_ref is not None:
        identity = PlatformIdentity(Platform(row.platform), row.user_ref)
    return Aanmelding(
        id=row.id,
        gemeente_id=GemeenteId(row.gemeente_id),
        created_at=row.created_at,
        name=row.name,
        locale=Locale(row.locale),
        channel=Channel(row.channel),
        adult_confirmed=row.adult_confirmed,
        lives_or_works_here=row.lives_or_works_here,
        rules_accepted=row.rules_accepted,
        postcode=row.postcode,
        house_number=row.house_number,
        street=row.street,
        phone=row.phone,
        contact_platform=Platform(row.contact_platform) if row.contact_platform else None,
        identity=identity,
        buurt_id=BuurtId(row.buurt_id) if row.buurt_id is not None else None,
        group_id=GroupId(row.group_id) if row.group_id is not None else None,
        state=AanmeldingState(row.state),
        state_changed_at=row.state_changed_at,
        decided_by=_optional_person(row.decided_by),
        decline_reason=row.decline_reason,
        person_id=_optional_person(row.person_id),
        reminders_sent=row.reminders_sent,
    )


class SqlInviteRepository(InviteRepository):
    """Invites, by the hash of their token. :meth:`use` is one conditional ``UPDATE``: on
    PostgreSQL a second redemption waits for the first one's row lock and then finds the
    invite used; SQLite's ``BEGIN IMMEDIATE`` serialises them. Either way one wins."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, invite: Invite) -> None:
        """Raises :class:`ValueError` for a known token hash, :class:`KeyError` for an
        unknown aanmelding, gemeente or group."""
        s = self._session
        i = invite
        if s.get(InviteRow, i.token_hash) is not None:
            raise ValueError("an invite with this token exists already")
        if s.get(AanmeldingRow, i.aanmelding_id) is None:
            raise KeyError(f"unknown aanmelding {i.aanmelding_id}")
        _require_gemeente(s, i.gemeente_id)
        _require_groups(s, [i.group_id])
        s.add(
            InviteRow(
                token_hash=i.token_hash,
                aanmelding_id=i.aanmelding_id,
                gemeente_id=i.gemeente_id,
                group_id=i.group_id,
                created_at=i.created_at,
                expires_at=i.expires_at,
                used_at=i.used_at,
                used_by_platform=i.used_by.platform.value if i.used_by else None,
                used_by_ref=i.used_by.user_ref if i.used_by else None,
                revoked_at=i.revoked_at,
            )
        )
        s.flush()

    def by_hash(self, token_hash: str) -> Invite | None:
        row = self._session.get(InviteRow, token_hash)
        return _invite(row) if row is not None else None

    def for_aanmelding(self, aanmelding_id: AanmeldingId) -> list[Invite]:
        """Oldest first."""
        rows = self._session.scalars(
            select(InviteRow)
            .where(InviteRow.aanmelding_id == aanmelding_id)
            .order_by(InviteRow.created_at, InviteRow.token_hash)
        )
        return [_invite(r) for r in rows]

    def use(self, token_hash: str, at: datetime, by: PlatformIdentity) -> bool:
        """``False`` also for an unknown token. Expiry is the caller's check."""
        result = self._session.execute(
            update(InviteRow)
            .where(
                InviteRow.token_hash == token_hash,
                InviteRow.used_at.is_(None),
                InviteRow.revoked_at.is_(None),
            )
            .values(used_at=at, used_by_platform=by.platform.value, used_by_ref=by.user_ref)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def revoke(self, token_hash: str, at: datetime) -> None:
        """Revoking again keeps the first time. :class:`KeyError` for an unknown token."""
        row = self._session.get(InviteRow, token_hash)
        if row is None:
            raise KeyError("unknown invite")
        if row.revoked_at is None:
            row.revoked_at = at
            self._session.flush()

    def expired_unused(self, now: datetime) -> list[Invite]:
        """Unused, unrevoked invites with ``expires_at <= now``, the earliest first."""
        rows = self._session.scalars(
            select(InviteRow)
            .where(
                InviteRow.used_at.is_(None),
                InviteRow.revoked_at.is_(None),
                InviteRow.expires_at <= now,
            )
            .order_by(InviteRow.expires_at, InviteRow.token_hash)
        )
        return [_invite(r) for r in rows]


def _invite(row: InviteRow) -> Invite:
    used_by = None
    if row.used_by_platform is not None and row.used_by_ref is not None:
        used_by = PlatformIdentity(Platform(row.used_by_platform), row.used_by_ref)
    return Invite(
        token_hash=row.token_hash,
        aanmelding_id=row.aanmelding_id,
        gemeente_id=GemeenteId(row.gemeente_id),
        group_id=GroupId(row.group_id),
        created_at=row.created_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_by=used_by,
        revoked_at=row.revoked_at,
    )


class SqlAttempts(Attempts):
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, who: str, kind: str, at: datetime) -> None:
        self._session.add(AttemptRow(who=who, kind=kind, at=at))
        self._session.flush()

    def count(self, who: str, kind: str, since: datetime) -> int:
        """Attempts at or after ``since``."""
        n = self._session.scalar(
            select(func.count())
            .select_from(AttemptRow)
            .where(AttemptRow.who == who, AttemptRow.kind == kind, AttemptRow.at >= since)
        )
        return int(n or 0)


# -----------------------------------------------------------------------------------------
# The bot's own state
# -----------------------------------------------------------------------------------------
class SqlBotState(BotStateRepository):
    """The ``bot_state`` table. ``put`` is one ``INSERT ... ON CONFLICT DO UPDATE``, so two
    transactions writing one key never fail on the primary key: the later commit wins."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, key: str) -> str | None:
        return self._session.scalar(select(BotStateRow.value).where(BotStateRow.key == key))

    def put(self, key: str, value: str, now: datetime) -> None:
        _check_state_key(key)
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(BotStateRow).values(key=key, value=value, updated_at=now)
        stmt = stmt.on_conflict_do_update(
            index_elements=[BotStateRow.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
        self._session.execute(stmt)


def _check_state_key(key: str) -> None:
    """Refused here, not by the column: SQLite would store a key of any length."""
    if not key or len(key) > BotStateRepository.MAX_KEY_LENGTH:
        raise ValueError(
            f"a bot state key has 1 to {BotStateRepository.MAX_KEY_LENGTH} characters, "
            f"not {len(key)}"
        )


__all__ = [
    "DEFAULT_OUTBOX_LEASE",
    "FORGOTTEN_PERSON",
    "SqlAanmeldingRepository",
    "SqlAttempts",
    "SqlAuditLog",
    "SqlBlockRepository",
    "SqlBotState",
    "SqlDialogues",
    "SqlEscalationRepository",
    "SqlInviteRepository",
    "SqlMeldingRepository",
    "SqlMembershipRepository",
    "SqlNetworkRepository",
    "SqlNudges",
    "SqlOutbox",
    "SqlPendingChoices",
    "SqlPersonRepository",
    "SqlProcessedEvents",
    "SqlWarningRepository",
]


def _rowcount(result: Any) -> int:
    """Rows a bulk ``DELETE`` removed (both drivers report it for plain deletes)."""
    count = getattr(result, "rowcount", None)
    return int(count) if count is not None and count >= 0 else 0
