"""Sign-ups: aanmeldingen, the invites that admit a resident, attempts for rate limiting.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

Written out in full (no imports from the ORM), like 0001 and 0002. Constraint names follow
``orm.NAMING_CONVENTION``. An aanmelding is about the resident: its ``person_id`` is
``CASCADE`` (erasing the person erases their sign-ups, and their invites with them); the
beheerder who decided is ``SET NULL``. The gemeente's new settings (``invite_valid_days``,
``auto_route``) live in the existing ``gemeente.policy`` JSON: no column changes.

Downgrade drops the three new tables only (children first); no other table is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=128), nullable=nullable)


def _short(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _time(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _bool(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False)


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
    op.create_table(
        "aanmelding",
        _id("id"),
        _id("gemeente_id"),
        _time("created_at"),
        _short("name", 255),
        _short("locale", 16),
        _short("channel", 16),
        _bool("adult_confirmed"),
        _bool("lives_or_works_here"),
        _bool("rules_accepted"),
        _short("postcode", 16, nullable=True),
        _short("house_number", 32, nullable=True),
        _short("street", 255, nullable=True),
        _short("phone", 32, nullable=True),
        _short("contact_platform", 32, nullable=True),
        _short("platform", 32, nullable=True),
        _short("user_ref", 255, nullable=True),
        _id("buurt_id", nullable=True),
        _id("group_id", nullable=True),
        _short("state", 16),
        _time("state_changed_at", nullable=True),
        _id("decided_by", nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=False),
        _id("person_id", nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        _fk("aanmelding", "gemeente_id", "gemeente", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["gemeente_id", "buurt_id"],
            ["buurt.gemeente_id", "buurt.id"],
            name=op.f("fk_aanmelding_gemeente_id_buurt_id_buurt"),
            ondelete="CASCADE",
        ),
        _fk("aanmelding", "group_id", "chat_group", "SET NULL"),
        _fk("aanmelding", "decided_by", "person", "SET NULL"),
        _fk("aanmelding", "person_id", "person", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aanmelding")),
    )
    _index("aanmelding", "decided_by")
    _index("aanmelding", "person_id")
    _index("aanmelding", "gemeente_id", "state", "created_at")
    _index("aanmelding", "group_id", "state", "created_at")
    _index("aanmelding", "platform", "user_ref")

    op.create_table(
        "invite",
        _short("token_hash", 64),
        _id("aanmelding_id"),
        _id("gemeente_id"),
        _id("group_id"),
        _time("created_at"),
        _time("expires_at"),
        _time("used_at", nullable=True),
        _short("used_by_platform", 32, nullable=True),
        _short("used_by_ref", 255, nullable=True),
        _time("revoked_at", nullable=True),
        _fk("invite", "aanmelding_id", "aanmelding", "CASCADE"),
        _fk("invite", "gemeente_id", "gemeente", "CASCADE"),
        _fk("invite", "group_id", "chat_group", "CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_invite")),
    )
    _index("invite", "aanmelding_id")
    _index("invite", "group_id")
    _index("invite", "expires_at")

    op.create_table(
        "attempt",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        _short("who", 255),
        _short("kind", 64),
        _time("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt")),
    )
    _index("attempt", "who", "kind", "at")


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes with it. No other table
    # is rebuilt, so no SQLite cascade can reach the rows of the older tables.
    for table in ("attempt", "invite", "aanmelding"):
        op.drop_table(table)
