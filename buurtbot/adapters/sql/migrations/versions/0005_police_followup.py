"""The police feedback loop: an escalation's follow-up, and the reminder of a missing one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-20

Written out in full (no imports from the ORM), like the earlier revisions. Four nullable
columns on ``escalation`` (existing rows: no follow-up, not reminded) and one partial index
on ``escalation_delivery`` for the reminder job's query: the deliveries to a police liaison
by the time they were queued. The gemeente's new setting (``police_followup_hours``) lives in
the existing ``gemeente.policy`` JSON.

``followed_up_by`` has no foreign key: SQLite adds one only by rebuilding ``escalation``,
and dropping the old table would cascade to its deliveries. Erasing a person clears it.

Downgrade drops the index and the four columns with a plain ``DROP COLUMN`` (SQLite has it
since 3.35; no table rebuild, for the same reason); nothing else is touched.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POLICE = "target_kind = 'politie'"


def upgrade() -> None:
    op.add_column("escalation", sa.Column("followed_up_at", sa.DateTime(timezone=True)))
    op.add_column("escalation", sa.Column("followed_up_by", sa.String(length=128)))
    op.add_column("escalation", sa.Column("follow_up_note", sa.Text()))
    op.add_column("escalation", sa.Column("police_reminded_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_escalation_delivery_politie",
        "escalation_delivery",
        ["queued_at", "escalation_id"],
        sqlite_where=sa.text(_POLICE),
        postgresql_where=sa.text(_POLICE),
    )


def downgrade() -> None:
    op.drop_index("ix_escalation_delivery_politie", table_name="escalation_delivery")
    for column in ("police_reminded_at", "follow_up_note", "followed_up_by", "followed_up_at"):
        op.drop_column("escalation", column)
