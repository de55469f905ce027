"""The initial schema: network, people, memberships, processed events, choices, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written out in full (no imports from the ORM), so it keeps producing this schema however
the models change later. Constraint names follow ``orm.NAMING_CONVENTION``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=128), nullable=nullable)


def _ref(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=255), nullable=False)


def _name(name: str) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=255), nullable=False)


def _short(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _int(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


def _json(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=False)


def upgrade() -> None:
    # -- the network -----------------------------------------------------------------------
    op.create_table(
        "gemeente",
        _id("id"),
        _name("name"),
        _short("timezone", 64),
        _short("default_locale", 16),
        _int("warning_threshold"),
        _int("warning_expiry_days"),
        _int("retention_days"),
        _int("max_mede_beheerders"),
        _bool("active"),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gemeente")),
    )
    op.create_table(
        "kern",
        _id("gemeente_id"),
        _id("id"),
        _name("name"),
        _int("position"),
        _bool("active"),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_kern_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gemeente_id", "id", name=op.f("pk_kern")),
    )
    op.create_table(
        "buurt",
        _id("gemeente_id"),
        _id("id"),
        _id("kern_id"),
        _name("name"),
        _json("postcodes"),
        _json("streets"),
        _json("adjacent"),
        _int("position"),
        _bool("active"),
        sa.ForeignKeyConstraint(
            ["gemeente_id", "kern_id"],
            ["kern.gemeente_id", "kern.id"],
            name=op.f("fk_buurt_gemeente_id_kern_id_kern"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_buurt_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gemeente_id", "id", name=op.f("pk_buurt")),
    )
    op.create_table(
        "chat_group",
        _id("id"),
        _id("gemeente_id"),
        _short("kind", 32),
        _short("platform", 32),
        _ref("chat_id"),
        _name("name"),
        _id("buurt_id", nullable=True),
        _short("locale", 16, nullable=True),
        _int("position"),
        _bool("active"),
        sa.ForeignKeyConstraint(
            ["gemeente_id", "buurt_id"],
            ["buurt.gemeente_id", "buurt.id"],
            name=op.f("fk_chat_group_gemeente_id_buurt_id_buurt"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_chat_group_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_group")),
        sa.UniqueConstraint("platform", "chat_id", name=op.f("uq_chat_group_platform_chat_id")),
    )
    op.create_index(op.f("ix_chat_group_gemeente_id"), "chat_group", ["gemeente_id"])

    # -- people ----------------------------------------------------------------------------
    op.create_table(
        "person",
        _id("id"),
        _id("gemeente_id", nullable=True),
        _name("display_name"),
        _short("locale", 16, nullable=True),
        _id("handle", nullable=True),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_person_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
        sa.UniqueConstraint("gemeente_id", "handle", name=op.f("uq_person_gemeente_id_handle")),
    )
    op.create_index(op.f("ix_person_gemeente_id"), "person", ["gemeente_id"])
    op.create_table(
        "person_identity",
        _short("platform", 32),
        _ref("user_ref"),
        _id("person_id"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_identity_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("platform", "user_ref", name=op.f("pk_person_identity")),
    )
    op.create_index(op.f("ix_person_identity_person_id"), "person_identity", ["person_id"])
    op.create_table(
        "gemeente_role",
        _id("gemeente_id"),
        _id("person_id"),
        _short("role", 32),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_gemeente_role_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_gemeente_role_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("gemeente_id", "person_id", "role", name=op.f("pk_gemeente_role")),
    )
    op.create_index(op.f("ix_gemeente_role_person_id"), "gemeente_role", ["person_id"])
    op.create_table(
        "membership",
        _id("group_id"),
        _id("person_id"),
        _short("role", 32),
        _short("source", 32),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["chat_group.id"],
            name=op.f("fk_membership_group_id_chat_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_membership_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "person_id", name=op.f("pk_membership")),
    )
    op.create_index(op.f("ix_membership_person_id"), "membership", ["person_id"])

    # -- delivery and dialogue state -------------------------------------------------------
    op.create_table(
        "processed_event",
        _ref("event_id"),
        _time("processed_at"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
    )
    op.create_index(op.f("ix_processed_event_processed_at"), "processed_event", ["processed_at"])
    op.create_table(
        "pending_choice",
        _short("platform", 32),
        _ref("chat_id"),
        _bool("private"),
        _id("person_id"),
        _json("options"),
        _time("created_at"),
        sa.PrimaryKeyConstraint(
            "platform", "chat_id", "private", "person_id", name=op.f("pk_pending_choice")
        ),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _ref("key"),
        _short("platform", 32),
        _ref("chat_id"),
        _bool("private"),
        _short("kind", 32),
        _json("payload"),
        _time("created_at"),
        _time("due_at"),
        _int("attempts"),
        _time("claimed_until", nullable=True),
        _short("state", 16),
        sa.Column("last_error", sa.Text(), nullable=True),
        _time("delivered_at", nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'dead')", name=op.f("ck_outbox_state")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index(op.f("ix_outbox_state_due_at"), "outbox", ["state", "due_at"])
    op.create_index(
        op.f("ix_outbox_platform_chat_id_private_id"),
        "outbox",
        ["platform", "chat_id", "private", "id"],
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes with it.
    for table in (
        "outbox",
        "pending_choice",
        "processed_event",
        "membership",
        "gemeente_role",
        "person_identity",
        "person",
        "chat_group",
        "buurt",
        "kern",
        "gemeente",
    ):
        op.drop_table(table)
