"""The core flows: meldingen, escalations, warnings, blocks, audit log, dialogues, nudges;
the gemeente's policy settings and the message an outbox item became.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Written out in full (no imports from the ORM), like 0001. Constraint names follow
``orm.NAMING_CONVENTION``. Person references: ``SET NULL`` where the person acted (reporter,
escalated by, warned by, audit actor and subject), ``CASCADE`` where the row is about or for
the person (their warnings, blocks, dialogues, nudges, a private escalation copy to them), so
that erasing a person row keeps the record of what others did and forgets the rest.

The two partial unique indexes (``WHERE ...``) are supported by PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=128), nullable=nullable)


def _ref(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=255), nullable=nullable)


def _short(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _bool(name: str, *, nullable: bool = False) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=nullable)


def _json(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def _serial(name: str) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=True,
        nullable=False,
    )


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def upgrade() -> None:
    # -- additions to existing tables ------------------------------------------------------
    # SQLite adds a NOT NULL column when it has a default, so no table rebuild is needed.
    op.add_column(
        "gemeente", sa.Column("policy", sa.JSON(), server_default=sa.text("'{}'"), nullable=False)
    )
    op.add_column("outbox", _ref("message_id", nullable=True))
    _index("outbox", "platform", "chat_id", "private", "message_id")

    # -- meldingen and escalations ---------------------------------------------------------
    op.create_table(
        "melding",
        _id("id"),
        _id("gemeente_id"),
        _id("group_id"),
        _time("created_at"),
        _id("reporter_id", nullable=True),
        _id("category", nullable=True),
        _text("place", nullable=True),
        _text("time_seen", nullable=True),
        _json("person_description", nullable=True),
        _json("vehicle_description", nullable=True),
        _short("message_platform", 32, nullable=True),
        _ref("message_chat_id", nullable=True),
        _bool("message_private", nullable=True),
        _ref("message_id", nullable=True),
        _id("called_112_by", nullable=True),
        _short("called_112_by_name", 255, nullable=True),
        _time("called_112_at", nullable=True),
        _bool("structured"),
        _fk("melding", "gemeente_id", "gemeente", "CASCADE"),
        _fk("melding", "group_id", "chat_group", "CASCADE"),
        _fk("melding", "reporter_id", "person", "SET NULL"),
        _fk("melding", "called_112_by", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_melding")),
    )
    _index("melding", "gemeente_id")
    _index("melding", "reporter_id")
    _index("melding", "called_112_by")
    _index("melding", "group_id", "created_at")
    op.create_index(
        "ix_melding_message",
        "melding",
        ["message_platform", "message_chat_id", "message_private", "message_id"],
        unique=True,
    )

    op.create_table(
        "escalation",
        _id("id"),
        _id("gemeente_id"),
        _id("source_group"),
        _short("source_platform", 32),
        _ref("source_chat_id"),
        _bool("source_private"),
        _ref("source_message_id"),
        _text("text"),
        _id("escalated_by", nullable=True),
        _time("escalated_at"),
        _short("scope", 32),
        _id("category", nullable=True),
        _id("melding_id", nullable=True),
        _id("forwarded_from", nullable=True),
        _fk("escalation", "gemeente_id", "gemeente", "CASCADE"),
        _fk("escalation", "source_group", "chat_group", "CASCADE"),
        _fk("escalation", "escalated_by", "person", "SET NULL"),
        _fk("escalation", "melding_id", "melding", "SET NULL"),
        _fk("escalation", "forwarded_from", "escalation", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
    )
    _index("escalation", "source_group")
    _index("escalation", "escalated_by")
    _index("escalation", "melding_id")
    _index("escalation", "forwarded_from")
    _index("escalation", "gemeente_id", "escalated_at")
    op.create_index(
        "ix_escalation_source",
        "escalation",
        ["source_platform", "source_chat_id", "source_message_id"],
        unique=True,
        sqlite_where=sa.text("forwarded_from IS NULL"),
        postgresql_where=sa.text("forwarded_from IS NULL"),
    )

    op.create_table(
        "escalation_delivery",
        _id("escalation_id"),
        _ref("target_key"),
        _short("target_kind", 32),
        _id("group_id", nullable=True),
        _id("person_id", nullable=True),
        _short("platform", 32),
        _ref("chat_id"),
        _bool("private"),
        _ref("outbox_key"),
        _time("queued_at"),
        _fk("escalation_delivery", "escalation_id", "escalation", "CASCADE"),
        _fk("escalation_delivery", "group_id", "chat_group", "CASCADE"),
        _fk("escalation_delivery", "person_id", "person", "CASCADE"),
        sa.PrimaryKeyConstraint("escalation_id", "target_key", name=op.f("pk_escalation_delivery")),
        sa.UniqueConstraint("outbox_key", name=op.f("uq_escalation_delivery_outbox_key")),
    )
    _index("escalation_delivery", "group_id")
    _index("escalation_delivery", "person_id")

    # -- moderation ------------------------------------------------------------------------
    op.create_table(
        "warning",
        _id("id"),
        _id("gemeente_id"),
        _id("person_id"),
        _id("group_id"),
        _short("reason", 32),
        _text("note"),
        _id("by_id", nullable=True),
        _time("at"),
        _time("expires_at"),
        _time("revoked_at", nullable=True),
        _fk("warning", "gemeente_id", "gemeente", "CASCADE"),
        _fk("warning", "person_id", "person", "CASCADE"),
        _fk("warning", "group_id", "chat_group", "CASCADE"),
        _fk("warning", "by_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning")),
    )
    _index("warning", "person_id")
    _index("warning", "group_id")
    _index("warning", "by_id")
    _index("warning", "gemeente_id", "person_id", "at")

    op.create_table(
        "block",
        _serial("id"),
        _id("gemeente_id"),
        _id("person_id"),
        _time("at"),
        _text("reason"),
        _id("by_id", nullable=True),
        _time("lifted_at", nullable=True),
        _id("lifted_by_id", nullable=True),
        _fk("block", "gemeente_id", "gemeente", "CASCADE"),
        _fk("block", "person_id", "person", "CASCADE"),
        _fk("block", "by_id", "person", "SET NULL"),
        _fk("block", "lifted_by_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block")),
    )
    _index("block", "person_id")
    _index("block", "by_id")
    _index("block", "lifted_by_id")
    op.create_index(
        "ix_block_in_force",
        "block",
        ["gemeente_id", "person_id"],
        unique=True,
        sqlite_where=sa.text("lifted_at IS NULL"),
        postgresql_where=sa.text("lifted_at IS NULL"),
    )

    # -- audit log, dialogues, nudges ------------------------------------------------------
    op.create_table(
        "audit",
        _serial("id"),
        _id("gemeente_id"),
        _time("at"),
        _short("action", 32),
        _id("actor_id", nullable=True),
        _id("subject_id", nullable=True),
        _id("group_id", nullable=True),
        _text("reason"),
        _json("detail"),
        _fk("audit", "gemeente_id", "gemeente", "CASCADE"),
        _fk("audit", "actor_id", "person", "SET NULL"),
        _fk("audit", "subject_id", "person", "SET NULL"),
        _fk("audit", "group_id", "chat_group", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
    )
    _index("audit", "actor_id")
    _index("audit", "subject_id")
    _index("audit", "gemeente_id", "at", "id")

    op.create_table(
        "dialogue",
        _short("platform", 32),
        _ref("chat_id"),
        _bool("private"),
        _id("person_id"),
        _short("flow", 64),
        _short("step", 64),
        _time("started_at"),
        _time("expires_at"),
        _json("data"),
        _fk("dialogue", "person_id", "person", "CASCADE"),
        sa.PrimaryKeyConstraint(
            "platform", "chat_id", "private", "person_id", name=op.f("pk_dialogue")
        ),
    )
    _index("dialogue", "person_id")

    op.create_table(
        "nudge",
        _id("person_id"),
        _short("kind", 64),
        sa.Column("day", sa.Date(), nullable=False),
        _fk("nudge", "person_id", "person", "CASCADE"),
        sa.PrimaryKeyConstraint("person_id", "kind", "day", name=op.f("pk_nudge")),
    )


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes with it.
    for table in (
        "nudge",
        "dialogue",
        "audit",
        "block",
        "warning",
        "escalation_delivery",
        "escalation",
        "melding",
    ):
        op.drop_table(table)
    op.drop_index(op.f("ix_outbox_platform_chat_id_private_message_id"), table_name="outbox")
    # A plain DROP COLUMN (SQLite has it since 3.35), not a batch rebuild: rebuilding
    # gemeente would drop the old table, and with foreign keys on, SQLite's implicit delete
    # would cascade to every kern, buurt, group and person of the gemeente.
    op.drop_column("outbox", "message_id")
    op.drop_column("gemeente", "policy")
