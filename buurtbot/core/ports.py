"""The ports of the core: what it needs from chat platforms, storage and time.

Adapters implement these. Each abstract method's docstring is the contract an
implementation must keep; tests pin the exact set of abstract methods.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import TracebackType
from typing import Self

from buurtbot.core.actions import Action, DeliveryResult
from buurtbot.core.domain.aanmelding import (
    Aanmelding,
    AanmeldingId,
    AanmeldingState,
    Invite,
)
from buurtbot.core.domain.audit import AuditEntry
from buurtbot.core.domain.dashboard import DashboardAccess
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.escalation import Escalation, EscalationDelivery, EscalationId
from buurtbot.core.domain.melding import Melding, MeldingId
from buurtbot.core.domain.model import GemeenteRole, Membership, Person
from buurtbot.core.domain.moderation import Block, Warning, WarningId
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.weekly_chart import WeeklyChart
from buurtbot.core.events import InboundEvent
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    MessageRef,
    PersonId,
    Platform,
    PlatformIdentity,
)

EventSink = Callable[[InboundEvent], Awaitable[None]]


# ---------------------------------------------------------------------------------------------
# Chat platforms
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RateLimits:
    """How fast the platform lets a bot send; the outbox relay keeps under these.

    ``overall_per_second``: all chats together. ``per_chat_per_second``: one chat.
    ``per_group_per_minute``: one group chat (private chats are not limited by this).
    """

    overall_per_second: float = 30.0
    per_chat_per_second: float = 1.0
    per_group_per_minute: float = 20.0


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can do. The core reads these and adapts; it never probes by failing.

    ``buttons``: inline buttons under a message (otherwise numbered replies are used).
    ``invite_links``: the bot can create join links. ``join_requests``: joins can wait for
    the bot's approval. ``add_members``: the bot can add an account directly.
    ``remove_members``, ``delete_messages``, ``edit_messages``, ``admin_rights``: as named.
    ``send_files``: the bot can send a document (a file with a name) in a chat.
    ``send_images``: the bot can send a picture (a PNG image) that the chat shows as one.
    ``max_text_length``: the longest text one message may carry.
    ``rate_limits``: how fast the bot may send there.
    """

    buttons: bool = False
    invite_links: bool = False
    join_requests: bool = False
    add_members: bool = False
    remove_members: bool = False
    delete_messages: bool = False
    edit_messages: bool = False
    admin_rights: bool = False
    send_files: bool = False
    send_images: bool = False
    max_text_length: int = 4096
    rate_limits: RateLimits = field(default_factory=RateLimits)


class PlatformUnavailable(Exception):
    """:meth:`ChatPort.initialize` cannot get the platform going (a rejected token, no answer
    after retries). The message says what to fix, without secrets."""


class DeliveryError(Exception):
    """Base of the failures :meth:`ChatPort.perform` may raise."""


class TransientDeliveryError(DeliveryError):
    """Try again later: rate limits, timeouts, 5xx. ``retry_after`` in seconds, if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help: the bot was removed from the chat, the chat does not exist."""


class HealthProblem(StrEnum):
    """What keeps the bot from doing its work in one chat (a right it lacks there)."""

    NOT_MEMBER = "not-member"  # the bot is not in the chat (or the chat does not exist)
    NOT_ADMIN = "not-admin"  # the bot is a plain member: cannot manage the group
    CANNOT_INVITE = "cannot-invite"  # no right to create invite links / approve join requests
    CANNOT_REMOVE = "cannot-remove"  # no right to remove (ban) members
    CANNOT_PROMOTE = "cannot-promote"  # no right to give beheerders admin rights
    CANNOT_DELETE = "cannot-delete"  # no right to delete messages
    CANNOT_READ = "cannot-read"  # privacy mode on and not admin: the bot sees only commands


@dataclass(frozen=True, slots=True)
class ChatHealth:
    """The problems of the bot in one chat."""

    chat: ChatRef
    problems: tuple[HealthProblem, ...]


@dataclass(frozen=True, slots=True)
class PlatformHealth:
    """One check of the bot's rights on a platform. ``chats``: only the chats with problems
    (a chat that is not listed is in order).

    Where the platform can tell, also whether the bot receives: ``receiving`` (``None``: the
    platform cannot tell; ``False``: not receiving right now, since ``down_since`` where
    known) and ``gaps``, the periods (start, end) without receiving since the process
    started, oldest first: messages sent to the bot then may be lost. Every gap of the
    process is reported each time; the core works out which ones are new.
    ``held_back``: the platform is refusing the bot's messages for now (rate limited, or a
    captcha to solve); they wait in the outbox.
    """

    platform: Platform
    checked_at: datetime
    bot_username: str | None
    chats: tuple[ChatHealth, ...]
    receiving: bool | None = None
    gaps: tuple[tuple[datetime, datetime], ...] = ()
    down_since: datetime | None = None
    held_back: bool = False


class ChatPort(abc.ABC):
    """One chat platform, seen from the core.

    Lifecycle: :meth:`initialize` (check credentials, learn the bot's own identity), then
    :meth:`start` (begin delivering events to the sink), :meth:`stop` (stop receiving; must
    return promptly and leave no task running). All methods run on the application's one
    event loop; an implementation must not start or stop loops of its own.
    """

    platform: Platform
    capabilities: Capabilities
    #: The bot's own username on the platform, known after :meth:`initialize` (``None``
    #: before, and on a platform without usernames).
    bot_username: str | None = None
    #: How people reach the bot here (a Telegram ``@username``, a Signal number), known
    #: after :meth:`initialize`; ``None`` where there is nothing to tell.
    bot_address: str | None = None

    @abc.abstractmethod
    async def initialize(self) -> None:
        """Connect and verify the configuration. Raise with a clear message when unusable."""

    @abc.abstractmethod
    async def start(self, sink: EventSink) -> None:
        """Start receiving. Every platform update becomes one neutral event passed to ``sink``.

        Must not block: receiving runs in the background until :meth:`stop`.
        An event the sink raised on is logged, not lost silently, and does not stop receiving.
        """

    @abc.abstractmethod
    async def stop(self) -> None:
        """Stop receiving and release connections. Safe to call twice."""

    @abc.abstractmethod
    async def perform(self, action: Action) -> DeliveryResult:
        """Carry out one action on the platform.

        Raise :class:`TransientDeliveryError` when a later try may succeed and
        :class:`PermanentDeliveryError` when it cannot. Must not retry by itself: the outbox
        decides when to try again. Must not raise for an action the capabilities allow.
        """

    async def check_health(self, chats: Sequence[ChatRef]) -> PlatformHealth | None:
        """Check the bot's rights in ``chats`` (the network's chats on this platform).

        Lists only the chats with problems; a chat the bot cannot see is ``NOT_MEMBER``, not
        an exception. ``None`` (the default): the platform has nothing to check. Called
        after :meth:`initialize`; the result goes to :meth:`BuurtBot.record_health`.
        """
        return None


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------
class ChartRenderer(abc.ABC):
    """Draws the charts the core describes as data (the weekly digest's)."""

    @abc.abstractmethod
    def weekly_counts_png(self, chart: WeeklyChart) -> bytes:
        """``chart`` as a PNG image: a line per series over its weeks, with its title, axis
        labels and legend; the ``empty_note`` where it has nothing to show.

        The same chart gives the same bytes. Called from the scheduled jobs, off the event
        loop, possibly from several threads at once. May raise: the caller goes on without.
        """


# ---------------------------------------------------------------------------------------------
# Storage
# ---------------------------------------------------------------------------------------------
class NetworkRepository(abc.ABC):
    """The gemeenten with their kernen, buurten and groups."""

    @abc.abstractmethod
    def all(self) -> list[Network]:
        """Every gemeente's network (active parts only), ordered by gemeente id."""

    @abc.abstractmethod
    def get(self, gemeente_id: GemeenteId) -> Network | None:
        """One gemeente's network, or ``None``."""

    @abc.abstractmethod
    def find_group(self, chat: ChatRef) -> tuple[Network, GroupId] | None:
        """The network and group that ``chat`` belongs to, or ``None`` for an unknown chat."""

    @abc.abstractmethod
    def save(self, network: Network) -> None:
        """Insert or update the network. Parts missing from it are archived, never deleted,
        so members and history of a buurt survive a network file that drops it."""


class PersonRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, person_id: PersonId) -> Person | None: ...

    @abc.abstractmethod
    def by_identity(self, identity: PlatformIdentity) -> Person | None:
        """The person owning this platform account, or ``None``."""

    @abc.abstractmethod
    def by_handle(self, gemeente_id: GemeenteId, handle: str) -> Person | None: ...

    @abc.abstractmethod
    def in_gemeente(self, gemeente_id: GemeenteId) -> list[Person]:
        """Everyone of the gemeente, ordered by id."""

    @abc.abstractmethod
    def save(self, person: Person) -> None:
        """Insert or update, identities included. An identity belongs to one person only."""

    @abc.abstractmethod
    def gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId
    ) -> frozenset[GemeenteRole]:
        """The roles granted (stored), without derived ones."""

    def with_gemeente_role(self, gemeente_id: GemeenteId, role: GemeenteRole) -> list[PersonId]:
        """Everyone granted ``role`` (stored, not derived) in the gemeente, ordered by id.

        One query where storage allows; this default asks person by person."""
        return [
            p.id
            for p in self.in_gemeente(gemeente_id)
            if role in self.gemeente_roles(gemeente_id, p.id)
        ]

    @abc.abstractmethod
    def set_gemeente_roles(
        self, gemeente_id: GemeenteId, person_id: PersonId, roles: frozenset[GemeenteRole]
    ) -> None: ...

    @abc.abstractmethod
    def delete(self, person_id: PersonId) -> None:
        """Erase the person; rows that record what they did keep the record without them
        (pseudonymised), rows about them go.

        Besides the person, their identities, roles and memberships: the name kept with a
        "112 called" status they gave is cleared, their waiting choices go, and so does every
        outbox item addressed to them or naming them (their id, an account or their name),
        so the messages about them do not outlive them. Queue what must still reach them
        (a last confirmation, a removal) after this call. Nothing happens for an unknown id.
        """


class MembershipRepository(abc.ABC):
    @abc.abstractmethod
    def of_group(self, group_id: GroupId) -> list[Membership]:
        """The group's memberships, ordered by person id."""

    @abc.abstractmethod
    def of_person(self, person_id: PersonId) -> list[Membership]:
        """Every membership of a person, in any gemeente."""

    @abc.abstractmethod
    def replace_group(self, group_id: GroupId, memberships: Sequence[Membership]) -> None:
        """Make the stored memberships of ``group_id`` exactly ``memberships``."""


class ProcessedEvents(abc.ABC):
    """The ids of inbound events already handled, so that a replay changes state once."""

    @abc.abstractmethod
    def claim(self, event_id: str, at: datetime) -> bool:
        """Record ``event_id``; ``False`` when it was recorded before (by any process).

        The record becomes permanent with the unit of work's commit, together with the
        state the event changed.
        """


@dataclass(frozen=True, slots=True)
class PendingChoice:
    """Options offered as numbered replies, waiting for one person's answer in one chat."""

    chat: ChatRef
    person: PersonId
    options: tuple[str, ...]
    created_at: datetime


class PendingChoices(abc.ABC):
    @abc.abstractmethod
    def put(self, choice: PendingChoice) -> None:
        """Store ``choice``, replacing an earlier one of the same person in the same chat."""

    @abc.abstractmethod
    def take(self, chat: ChatRef, person: PersonId) -> PendingChoice | None:
        """Remove and return the waiting choice, or ``None``."""


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    key: str
    action: Action
    attempts: int


class Outbox(abc.ABC):
    """Actions waiting to be performed. Written in the same transaction as the state change."""

    @abc.abstractmethod
    def add(self, action: Action, *, key: str, at: datetime) -> bool:
        """Queue ``action`` under the idempotency ``key``; ``False`` if that key was queued."""

    def add_all(self, items: Sequence[tuple[Action, str]], *, at: datetime) -> list[bool]:
        """Queue each ``(action, key)`` as :meth:`add` would; one flag per item, in order.

        An implementation may do this in one statement (an escalation queues hundreds)."""
        return [self.add(action, key=key, at=at) for action, key in items]

    @abc.abstractmethod
    def due(self, now: datetime, limit: int) -> list[OutboxItem]:
        """Claim up to ``limit`` items due at ``now``, oldest first, in order per chat.

        A claimed item is not handed to another worker until its claim lapses.
        """

    @abc.abstractmethod
    def delivered(self, item_id: int, at: datetime, message: MessageRef | None = None) -> None:
        """Mark the item done; ``message`` is the platform's reference of what was sent."""

    @abc.abstractmethod
    def sent_message(self, key: str) -> MessageRef | None:
        """The platform message a delivered item became (to edit it later), or ``None``."""

    @abc.abstractmethod
    def key_of_message(self, message: MessageRef) -> str | None:
        """The key of the item that became ``message`` (a reply to the bot's own post)."""

    @abc.abstractmethod
    def state(self, key: str) -> str | None:
        """``pending``, ``delivered`` or ``dead`` for the item queued under ``key``."""

    @abc.abstractmethod
    def retry(self, item_id: int, at: datetime, error: str) -> None:
        """Release the claim and make the item due again at ``at``."""

    @abc.abstractmethod
    def release(self, item_id: int, at: datetime) -> None:
        """Release the claim without counting a failed try; the item is due again at ``at``.

        For an item the worker did not try (its chat must wait for a rate limit or the
        platform's retry-after, no adapter runs for its platform): waiting is not failing,
        so it never brings the item closer to being given up.
        """

    @abc.abstractmethod
    def dead(self, item_id: int, error: str) -> None:
        """Give up on the item; it stays for inspection."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]:
        """How many items are in each state: ``pending``, ``delivered`` and ``dead``, every
        state present (0 when there is none). For ``/status``."""

    @abc.abstractmethod
    def delete_delivered_before(self, before: datetime) -> int:
        """Delete delivered and dead items queued before ``before``; how many went.

        For retention: a sent item's copy of the text must not outlive the data it came
        from. Pending items are never deleted. Their keys become free again, so a job that
        queues under a key must also keep its own record of what it did.
        """


class MeldingRepository(abc.ABC):
    @abc.abstractmethod
    def save(self, melding: Melding) -> None:
        """Insert or update (a melding changes when 112 is reported)."""

    @abc.abstractmethod
    def get(self, melding_id: MeldingId) -> Melding | None: ...

    @abc.abstractmethod
    def by_message(self, message: MessageRef) -> Melding | None:
        """The melding living in ``message``, or ``None``."""

    @abc.abstractmethod
    def latest_in_group(self, group_id: GroupId, since: datetime) -> Melding | None:
        """The newest melding of the group created at or after ``since``."""

    @abc.abstractmethod
    def reported_by(self, person_id: PersonId) -> list[Melding]:
        """The meldingen the person reported, oldest first (for showing them their data)."""

    @abc.abstractmethod
    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Delete the gemeente's meldingen created before ``before``; how many went.

        Escalations of a deleted melding stay, without the link (retention)."""


class EscalationRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, escalation: Escalation) -> None: ...

    @abc.abstractmethod
    def get(self, escalation_id: EscalationId) -> Escalation | None: ...

    @abc.abstractmethod
    def by_source(self, message: MessageRef) -> Escalation | None:
        """The escalation of ``message`` (escalated from its own buurtgroep), or ``None``."""

    @abc.abstractmethod
    def for_melding(self, melding_id: MeldingId) -> list[Escalation]: ...

    @abc.abstractmethod
    def add_delivery(self, delivery: EscalationDelivery) -> bool:
        """Record a delivery; ``False`` when the escalation already has this target."""

    def add_deliveries(self, deliveries: Sequence[EscalationDelivery]) -> list[bool]:
        """Record each delivery as :meth:`add_delivery` would; one flag per delivery.

        An implementation may do this in one statement (an escalation has hundreds)."""
        return [self.add_delivery(d) for d in deliveries]

    @abc.abstractmethod
    def deliveries(self, escalation_id: EscalationId) -> list[EscalationDelivery]:
        """The escalation's deliveries, their ``state`` read from the outbox item's state."""

    @abc.abstractmethod
    def by_outbox_key(self, key: str) -> Escalation | None:
        """The escalation a delivery with this outbox key belongs to."""

    @abc.abstractmethod
    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[Escalation]:
        """The newest escalations of the gemeente, newest first."""

    @abc.abstractmethod
    def original_times_since(
        self, gemeente_id: GemeenteId, since: datetime
    ) -> list[tuple[GroupId, datetime]]:
        """The source group and time of each of the gemeente's escalations made at or after
        ``since`` that is not a forward (``forwarded_from`` is ``None``), oldest first.

        Only these two values, for counting (the digest's chart): no text is read."""

    @abc.abstractmethod
    def with_id_prefix(self, prefix: str, limit: int) -> list[Escalation]:
        """Escalations of any gemeente whose id starts with ``prefix`` (a short id as people
        type it), at most ``limit``, newest first. ``prefix`` is matched literally."""

    @abc.abstractmethod
    def record_follow_up(
        self, escalation_id: EscalationId, *, at: datetime, by: PersonId, note: str
    ) -> bool:
        """Record the police follow-up; ``False`` when the escalation has one already (the
        first stays). Raises :class:`KeyError` for an unknown escalation or person."""

    @abc.abstractmethod
    def police_unfollowed_before(
        self, gemeente_id: GemeenteId, before: datetime, limit: int
    ) -> list[Escalation]:
        """The gemeente's escalations marked for the police (a delivery to a police liaison)
        before ``before``, without a follow-up and not reminded of it: at most ``limit``,
        oldest first."""

    @abc.abstractmethod
    def mark_police_reminded(self, escalation_id: EscalationId, at: datetime) -> bool:
        """Record that the missing follow-up was reminded of; ``False`` when it was already
        (the first time stays). Raises :class:`KeyError` for an unknown escalation."""

    @abc.abstractmethod
    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Delete the gemeente's escalations made before ``before``, their text and their
        deliveries with them; how many went. Forwards of one stay, without the link."""


class WarningRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, warning: Warning) -> None: ...

    @abc.abstractmethod
    def of_person(self, gemeente_id: GemeenteId, person_id: PersonId) -> list[Warning]:
        """All warnings of the person in the gemeente (revoked and expired too), newest first."""

    @abc.abstractmethod
    def revoke(self, warning_id: WarningId, at: datetime) -> None: ...

    @abc.abstractmethod
    def delete_lapsed_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Delete the gemeente's warnings that stopped counting (expired or revoked) before
        ``before``; how many went. A warning that still counts is never deleted."""


class BlockRepository(abc.ABC):
    @abc.abstractmethod
    def in_force(self, gemeente_id: GemeenteId, person_id: PersonId) -> Block | None:
        """The block that keeps the person out of the gemeente's groups, or ``None``."""

    @abc.abstractmethod
    def add(self, block: Block) -> None:
        """Record a block; a person has at most one block in force per gemeente."""

    @abc.abstractmethod
    def lift(
        self, gemeente_id: GemeenteId, person_id: PersonId, at: datetime, by: PersonId | None
    ) -> bool:
        """Lift the block in force; ``False`` when there was none."""


class AuditLog(abc.ABC):
    @abc.abstractmethod
    def add(self, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def recent(self, gemeente_id: GemeenteId, limit: int) -> list[AuditEntry]:
        """The newest entries of the gemeente, newest first, with their ids."""

    @abc.abstractmethod
    def delete_before(self, gemeente_id: GemeenteId, before: datetime) -> int:
        """Delete the gemeente's entries made before ``before``; how many went."""


class Dialogues(abc.ABC):
    @abc.abstractmethod
    def get(self, chat: ChatRef, person: PersonId) -> Dialogue | None:
        """The person's dialogue in the chat, or ``None``. An expired one is returned too:
        the caller knows the time and checks ``expires_at``."""

    @abc.abstractmethod
    def put(self, dialogue: Dialogue) -> None:
        """Store, replacing the person's earlier dialogue in the same chat."""

    @abc.abstractmethod
    def drop(self, chat: ChatRef, person: PersonId) -> None: ...


class Nudges(abc.ABC):
    """Remembers which gentle reminders someone had today, to send each at most once a day."""

    @abc.abstractmethod
    def first_today(self, person: PersonId, kind: str, day: date) -> bool:
        """Record the nudge; ``False`` when the person had this kind of nudge on ``day``."""


class AanmeldingRepository(abc.ABC):
    @abc.abstractmethod
    def save(self, aanmelding: Aanmelding) -> None:
        """Insert or update. Ids are unique across gemeenten."""

    @abc.abstractmethod
    def get(self, aanmelding_id: AanmeldingId) -> Aanmelding | None: ...

    @abc.abstractmethod
    def in_state(
        self, gemeente_id: GemeenteId, states: frozenset[AanmeldingState]
    ) -> list[Aanmelding]:
        """The gemeente's aanmeldingen in one of ``states``, oldest first."""

    @abc.abstractmethod
    def for_group(self, group_id: GroupId, states: frozenset[AanmeldingState]) -> list[Aanmelding]:
        """The aanmeldingen routed to a buurtgroep in one of ``states``, oldest first."""

    @abc.abstractmethod
    def waiting_per_buurt(self, gemeente_id: GemeenteId) -> dict[BuurtId, int]:
        """How many wait (state WAITING) per buurt."""

    @abc.abstractmethod
    def delete(self, aanmelding_id: AanmeldingId) -> None:
        """Erase the aanmelding (and its invites)."""


class InviteRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, invite: Invite) -> None: ...

    @abc.abstractmethod
    def by_hash(self, token_hash: str) -> Invite | None: ...

    @abc.abstractmethod
    def for_aanmelding(self, aanmelding_id: AanmeldingId) -> list[Invite]: ...

    @abc.abstractmethod
    def use(self, token_hash: str, at: datetime, by: PlatformIdentity) -> bool:
        """Mark the invite used, only if it is still unused and unrevoked; ``False`` when
        another redemption got there first. Safe against concurrent redemptions."""

    @abc.abstractmethod
    def revoke(self, token_hash: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def expired_unused(self, now: datetime) -> list[Invite]:
        """Unused, unrevoked invites whose time is up (for the scheduler)."""


class Attempts(abc.ABC):
    """Counts attempts of one kind by one account (bad invite tokens), for rate limiting."""

    @abc.abstractmethod
    def record(self, who: str, kind: str, at: datetime) -> None: ...

    @abc.abstractmethod
    def count(self, who: str, kind: str, since: datetime) -> int: ...


class BotStateRepository(abc.ABC):
    """Small values the bot keeps for itself under a key: a platform's webhook secret
    (``telegram.webhook_secret``), the last health check of a platform (``health.<platform>``).
    """

    #: The longest key; a longer (or empty) one raises :class:`ValueError`.
    MAX_KEY_LENGTH = 100

    @abc.abstractmethod
    def get(self, key: str) -> str | None:
        """The value stored under ``key``, or ``None``."""

    @abc.abstractmethod
    def put(self, key: str, value: str, now: datetime) -> None:
        """Store ``value`` under ``key``, replacing what was there (last writer wins);
        ``now`` is kept as the time of the change."""


class DashboardAccessRepository(abc.ABC):
    """Sign-in links and sessions of the regie dashboard, by the hash of their token."""

    @abc.abstractmethod
    def add(self, access: DashboardAccess) -> None: ...

    @abc.abstractmethod
    def take_link(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        """The unexpired link with this hash, deleted in the same step: of two requests
        racing with one link, at most one gets it."""

    @abc.abstractmethod
    def session(self, token_hash: str, now: datetime) -> DashboardAccess | None:
        """The unexpired session with this hash."""

    @abc.abstractmethod
    def end(self, token_hash: str) -> None:
        """Forget a link or session (sign-out); unknown hashes are ignored."""

    @abc.abstractmethod
    def of_person(self, person_id: PersonId, now: datetime) -> list[DashboardAccess]:
        """The person's unexpired links and sessions, oldest first (for ``/mydata``)."""

    @abc.abstractmethod
    def delete_expired(self, now: datetime) -> int:
        """Forget every link and session that has expired; how many went."""


@dataclass(frozen=True, slots=True)
class EscalationQuery:
    """Which escalations of a gemeente the dashboard shows: original ones (not the
    regiegroep's forwards of them) escalated in ``[since, until)``.

    ``groups``: only from these buurtgroepen (``None``: from all). ``called_112``: only
    those whose melding had (``True``) or had not (``False``) a 112 call.
    """

    gemeente_id: GemeenteId
    since: datetime
    until: datetime
    groups: frozenset[GroupId] | None = None
    category: str | None = None
    called_112: bool | None = None


@dataclass(frozen=True, slots=True)
class EscalationSummary:
    """One row of the dashboard's table; ``called_112_at`` comes from its melding."""

    id: EscalationId
    escalated_at: datetime
    source_group: GroupId
    scope: str
    category: str | None
    text: str
    called_112_at: datetime | None


class OverviewQueries(abc.ABC):
    """Read-only questions of the regie dashboard, each one indexed query however large
    the gemeente's history grows."""

    @abc.abstractmethod
    def counts_per_group(self, query: EscalationQuery) -> dict[GroupId, int]:
        """How many escalations each buurtgroep had (groups without any are left out)."""

    @abc.abstractmethod
    def counts_per_day(self, query: EscalationQuery, timezone: str) -> dict[date, int]:
        """How many escalations there were on each day (in ``timezone``; days without any
        are left out)."""

    @abc.abstractmethod
    def escalations(
        self, query: EscalationQuery, *, limit: int, offset: int = 0
    ) -> list[EscalationSummary]:
        """The escalations, newest first."""

    @abc.abstractmethod
    def group_sizes(self, gemeente_id: GemeenteId) -> dict[GroupId, tuple[int, int]]:
        """Per group of the gemeente: (members, beheerders) the bot knows of."""


class UnitOfWork(abc.ABC):
    """One transaction over all repositories: everything commits together or not at all."""

    networks: NetworkRepository
    persons: PersonRepository
    memberships: MembershipRepository
    events: ProcessedEvents
    choices: PendingChoices
    outbox: Outbox
    meldingen: MeldingRepository
    escalations: EscalationRepository
    warnings: WarningRepository
    blocks: BlockRepository
    audit: AuditLog
    dialogues: Dialogues
    nudges: Nudges
    aanmeldingen: AanmeldingRepository
    invites: InviteRepository
    attempts: Attempts
    bot_state: BotStateRepository
    dashboard: DashboardAccessRepository
    #: Only the SQL unit of work answers these (the dashboard always runs on a database).
    overview: OverviewQueries

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abc.abstractmethod
    def commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None:
        """Undo everything not committed. Called on leaving the ``with`` block, even after a
        commit, where it does nothing."""


UnitOfWorkFactory = Callable[[], UnitOfWork]


class Clock(abc.ABC):
    @abc.abstractmethod
    def now(self) -> datetime:
        """The current time, timezone-aware."""


class SystemClock(Clock):
    def now(self) -> datetime:
        return datetime.now(UTC)
