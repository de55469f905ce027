"""The relational schema, as typed declarative models.

Rows are storage shapes, not domain objects: the repositories translate. Group chatter is
never stored; of a person only what the flows need (a name, a language, platform accounts).
Network parts carry ``active`` because they are archived, never deleted, so that the
members and history of a buurt survive a network file that drops it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

#: Deterministic constraint names, so a later migration can name what it alters or drops.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = 128  # slugs and generated ids
REF = 255  # platform ids: chat ids, user refs (Signal group ids are long)
NAME = 255

OUTBOX_STATES = ("pending", "delivered", "dead")
#: The partial index of deliveries to a police liaison; a query must repeat the condition
#: literally (not as a bound parameter) for the database to see that the index applies.
POLICE_DELIVERY_INDEX = "ix_escalation_delivery_politie"
POLICE_DELIVERY_WHERE = "target_kind = 'politie'"


class UTCDateTime(TypeDecorator[datetime]):
    """An aware timestamp stored in UTC, read back aware in UTC on every database.

    PostgreSQL keeps ``timestamptz`` but returns it in the session's zone; SQLite has no
    zone at all and would return naive values. Naive input is refused: a naive time in the
    database is a bug that shows up hours later.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


# -- the network ---------------------------------------------------------------------------
class GemeenteRow(Base):
    __tablename__ = "gemeente"

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    timezone: Mapped[str] = mapped_column(String(64))
    default_locale: Mapped[str] = mapped_column(String(16))
    warning_threshold: Mapped[int] = mapped_column(Integer)
    warning_expiry_days: Mapped[int] = mapped_column(Integer)
    retention_days: Mapped[int] = mapped_column(Integer)
    max_mede_beheerders: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped by every save of the network, so cached snapshots can be checked cheaply.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The settings that are read whole and never queried (112 window, notices, categories,
    # escalation rules, flagged words), as one JSON object; a missing key means the default.
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, server_default=sql_text("'{}'"))


class KernRow(Base):
    """A kern; ids are unique within their gemeente only (two gemeenten may have 'centrum')."""

    __tablename__ = "kern"

    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME))
    # The part's place in the network as saved, so that it reads back exactly as saved.
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BuurtRow(Base):
    """A buurt. Postcode ranges (as text), streets and adjacent buurt ids are JSON lists:
    they are only ever read whole, together with the network."""

    __tablename__ = "buurt"
    __table_args__ = (
        ForeignKeyConstraint(
            ["gemeente_id", "kern_id"], ["kern.gemeente_id", "kern.id"], ondelete="CASCADE"
        ),
    )

    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    kern_id: Mapped[str] = mapped_column(String(ID))
    name: Mapped[str] = mapped_column(String(NAME))
    postcodes: Mapped[list[Any]] = mapped_column(JSON)
    streets: Mapped[list[Any]] = mapped_column(JSON)
    adjacent: Mapped[list[Any]] = mapped_column(JSON)
    #: Optional geography for the regie map: ``[lat, lon]``, and the outline as a list of
    #: rings of ``[lat, lon]`` points; SQL ``NULL`` (not JSON ``null``) when there is none.
    location: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    outline: Mapped[list[Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class GroupRow(Base):
    """A chat group. Group ids are global (memberships refer to them alone); a chat belongs
    to one group, archived or not."""

    __tablename__ = "chat_group"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id"),
        ForeignKeyConstraint(
            ["gemeente_id", "buurt_id"], ["buurt.gemeente_id", "buurt.id"], ondelete="CASCADE"
        ),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(REF))
    name: Mapped[str] = mapped_column(String(NAME))
    buurt_id: Mapped[str | None] = mapped_column(String(ID))
    locale: Mapped[str | None] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# -- people --------------------------------------------------------------------------------
class PersonRow(Base):
    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("gemeente_id", "handle"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(NAME))
    locale: Mapped[str | None] = mapped_column(String(16))
    handle: Mapped[str | None] = mapped_column(String(ID))


class PersonIdentityRow(Base):
    """A platform account; the primary key makes an account belong to one person only."""

    __tablename__ = "person_identity"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_ref: Mapped[str] = mapped_column(String(REF), primary_key=True)
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )


class GemeenteRoleRow(Base):
    """A granted gemeente role. The derived coordinator role of beheerders is not stored."""

    __tablename__ = "gemeente_role"

    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class MembershipRow(Base):
    __tablename__ = "membership"

    group_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))


# -- delivery and dialogue state -----------------------------------------------------------
class ProcessedEventRow(Base):
    __tablename__ = "processed_event"

    event_id: Mapped[str] = mapped_column(String(REF), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(index=True)


class PendingChoiceRow(Base):
    """Options waiting for one person's numbered reply in one chat (no foreign key: it is
    short-lived dialogue state, not part of anyone's record)."""

    __tablename__ = "pending_choice"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(REF), primary_key=True)
    private: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    options: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class OutboxRow(Base):
    """One action to perform. ``key`` makes queuing idempotent; ``claimed_until`` is a
    worker's lease; ``state`` is pending until delivered or given up on (dead).
    ``message_id`` is the platform's id of the message the item became, in the row's chat."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(None, "state", "due_at"),
        Index(None, "platform", "chat_id", "private", "id"),
        Index(None, "platform", "chat_id", "private", "message_id"),
        CheckConstraint(f"state IN {OUTBOX_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    key: Mapped[str] = mapped_column(String(REF), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(REF))
    private: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_until: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(REF))


# -- meldingen, escalations, moderation, audit, dialogues ----------------------------------
# Person references follow what a later erasure ("forget me") must do when it deletes a
# person row: what the person *did* (reported, escalated, warned, lifted, acted in the audit
# log) keeps its record and loses the name (``ON DELETE SET NULL``); what is *about* the
# person or only theirs (warnings and blocks of them, their dialogues and nudges, a private
# escalation copy sent to them) goes with them (``ON DELETE CASCADE``).
class MeldingRow(Base):
    """A melding. The descriptions are JSON objects (read whole, never queried); the message
    it lives in is four columns, unique, so :meth:`by_message` is one index lookup."""

    __tablename__ = "melding"
    __table_args__ = (
        Index(
            "ix_melding_message",
            "message_platform",
            "message_chat_id",
            "message_private",
            "message_id",
            unique=True,
        ),
        Index(None, "group_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    reporter_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str | None] = mapped_column(String(ID))
    place: Mapped[str | None] = mapped_column(Text)
    time_seen: Mapped[str | None] = mapped_column(Text)
    person_description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    vehicle_description: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message_platform: Mapped[str | None] = mapped_column(String(32))
    message_chat_id: Mapped[str | None] = mapped_column(String(REF))
    message_private: Mapped[bool | None] = mapped_column(Boolean)
    message_id: Mapped[str | None] = mapped_column(String(REF))
    called_112_by: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    called_112_by_name: Mapped[str | None] = mapped_column(String(NAME))
    called_112_at: Mapped[datetime | None]
    structured: Mapped[bool] = mapped_column(Boolean)


class EscalationRow(Base):
    """An escalated message. The source message is unique among escalations from their own
    buurtgroep (a partial index: forwards down from the regiegroep may share a source)."""

    __tablename__ = "escalation"
    __table_args__ = (
        Index(
            "ix_escalation_source",
            "source_platform",
            "source_chat_id",
            "source_message_id",
            unique=True,
            sqlite_where=sql_text("forwarded_from IS NULL"),
            postgresql_where=sql_text("forwarded_from IS NULL"),
        ),
        Index(None, "gemeente_id", "escalated_at"),
        # The dashboard's map and timeline count from this index alone (it covers every
        # column they read), and its table pages through it newest first.
        Index(
            "ix_escalation_overview",
            "gemeente_id",
            "escalated_at",
            "source_group",
            "category",
            "melding_id",
            # Not needed to find rows, but the condition's column must be in the index
            # for SQLite to answer from it alone.
            "forwarded_from",
            sqlite_where=sql_text("forwarded_from IS NULL"),
            postgresql_where=sql_text("forwarded_from IS NULL"),
        ),
        # A buurt's or kern's escalations: its table page, and (covering) its day counts.
        Index(
            "ix_escalation_source_group_time",
            "source_group",
            "escalated_at",
            "category",
            "melding_id",
            "forwarded_from",
        ),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    source_group: Mapped[str] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE"), index=True
    )
    source_platform: Mapped[str] = mapped_column(String(32))
    source_chat_id: Mapped[str] = mapped_column(String(REF))
    source_private: Mapped[bool] = mapped_column(Boolean)
    source_message_id: Mapped[str] = mapped_column(String(REF))
    text: Mapped[str] = mapped_column(Text)
    escalated_by: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    escalated_at: Mapped[datetime]
    scope: Mapped[str] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(String(ID))
    melding_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("melding.id", ondelete="SET NULL"), index=True
    )
    forwarded_from: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("escalation.id", ondelete="SET NULL"), index=True
    )
    # The police follow-up (/followup) and the reminder of a missing one. ``followed_up_by``
    # has no foreign key on purpose: SQLite adds one only by rebuilding the table, which
    # would take the deliveries with it; erasing a person clears it explicitly.
    followed_up_at: Mapped[datetime | None]
    followed_up_by: Mapped[str | None] = mapped_column(String(ID))
    follow_up_note: Mapped[str | None] = mapped_column(Text)
    police_reminded_at: Mapped[datetime | None]


class EscalationDeliveryRow(Base):
    """An escalation on its way to one target. Its state is not stored: it is read from the
    outbox row with the same key, so there is one truth about what was delivered."""

    __tablename__ = "escalation_delivery"
    __table_args__ = (
        # The police follow-up reminder's query: the few deliveries to a police liaison, by
        # when they were queued (a partial index: the hundreds to groups are left out).
        Index(
            POLICE_DELIVERY_INDEX,
            "queued_at",
            "escalation_id",
            sqlite_where=sql_text(POLICE_DELIVERY_WHERE),
            postgresql_where=sql_text(POLICE_DELIVERY_WHERE),
        ),
    )

    escalation_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("escalation.id", ondelete="CASCADE"), primary_key=True
    )
    target_key: Mapped[str] = mapped_column(String(REF), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(32))
    group_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(REF))
    private: Mapped[bool] = mapped_column(Boolean)
    outbox_key: Mapped[str] = mapped_column(String(REF), unique=True)
    queued_at: Mapped[datetime]


class WarningRow(Base):
    __tablename__ = "warning"
    __table_args__ = (Index(None, "gemeente_id", "person_id", "at"),)

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    by_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class BlockRow(Base):
    """A block, kept after it is lifted (the history). A partial unique index allows one
    block in force (not lifted) per person and gemeente; both databases support it."""

    __tablename__ = "block"
    __table_args__ = (
        Index(
            "ix_block_in_force",
            "gemeente_id",
            "person_id",
            unique=True,
            sqlite_where=sql_text("lifted_at IS NULL"),
            postgresql_where=sql_text("lifted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )


class AuditRow(Base):
    __tablename__ = "audit"
    __table_args__ = (Index(None, "gemeente_id", "at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    subject_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    group_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DialogueRow(Base):
    """A guided flow in progress: one per person and chat."""

    __tablename__ = "dialogue"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(REF), primary_key=True)
    private: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class NudgeRow(Base):
    """A reminder a person had on a day; the primary key makes it once per kind and day."""

    __tablename__ = "nudge"

    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


# -- sign-ups and invites ------------------------------------------------------------------
# An aanmelding is personal data of the resident who signed up (name, address, phone), so it
# is "about the person": its ``person_id`` is ``ON DELETE CASCADE``, and erasing the person
# row takes their aanmeldingen and, through them, their invites. One not yet linked to a
# person (before admission) is erased with the repository's ``delete``. The beheerder who
# decided is a "who acted" reference: ``SET NULL``.
class AanmeldingRow(Base):
    """A sign-up. The account it came from is two nullable columns (platform, user_ref);
    address fields are nullable because they are cleared on admission."""

    __tablename__ = "aanmelding"
    __table_args__ = (
        ForeignKeyConstraint(
            ["gemeente_id", "buurt_id"], ["buurt.gemeente_id", "buurt.id"], ondelete="CASCADE"
        ),
        Index(None, "gemeente_id", "state", "created_at"),
        Index(None, "group_id", "state", "created_at"),
        Index(None, "platform", "user_ref"),
    )

    id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(NAME))
    locale: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    adult_confirmed: Mapped[bool] = mapped_column(Boolean)
    lives_or_works_here: Mapped[bool] = mapped_column(Boolean)
    rules_accepted: Mapped[bool] = mapped_column(Boolean)
    postcode: Mapped[str | None] = mapped_column(String(16))
    house_number: Mapped[str | None] = mapped_column(String(32))
    street: Mapped[str | None] = mapped_column(String(NAME))
    phone: Mapped[str | None] = mapped_column(String(32))
    contact_platform: Mapped[str | None] = mapped_column(String(32))
    platform: Mapped[str | None] = mapped_column(String(32))
    user_ref: Mapped[str | None] = mapped_column(String(REF))
    buurt_id: Mapped[str | None] = mapped_column(String(ID))
    group_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(16))
    state_changed_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    decline_reason: Mapped[str] = mapped_column(Text)
    person_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    reminders_sent: Mapped[int] = mapped_column(Integer)


class InviteRow(Base):
    """A single-use invite, stored as the hash of its token only. Redeeming it is one
    conditional ``UPDATE`` (unused and unrevoked), so two redemptions cannot both win."""

    __tablename__ = "invite"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    aanmelding_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("aanmelding.id", ondelete="CASCADE"), index=True
    )
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE")
    )
    group_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("chat_group.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]
    used_by_platform: Mapped[str | None] = mapped_column(String(32))
    used_by_ref: Mapped[str | None] = mapped_column(String(REF))
    revoked_at: Mapped[datetime | None]


class AttemptRow(Base):
    """One attempt (a bad invite token) by one account, for rate limiting. No foreign key:
    ``who`` is whatever the caller counts by (an account that may be no person yet)."""

    __tablename__ = "attempt"
    __table_args__ = (Index(None, "who", "kind", "at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    who: Mapped[str] = mapped_column(String(REF))
    kind: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


# -- the bot's own state -------------------------------------------------------------------
BOT_STATE_KEY = 100


class BotStateRow(Base):
    """A small value the bot keeps for itself (a webhook secret, a platform's last health
    check), under a short key. Not about anyone: no foreign keys, nothing personal."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(BOT_STATE_KEY), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class DashboardAccessRow(Base):
    """A sign-in link or session of the regie dashboard, stored as the hash of its token."""

    __tablename__ = "dashboard_access"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    gemeente_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("gemeente.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
