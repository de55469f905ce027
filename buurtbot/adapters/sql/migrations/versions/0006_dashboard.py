"""The regie dashboard: sign-in links and sessions, the indexes of its read model, and
the optional geography of a buurt (a point and an outline, for the map).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

Written out in full (no imports from the ORM), like the earlier revisions. Downgrade
drops what upgrade made and touches nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ORIGINALS = sa.text("forwarded_from IS NULL")


def upgrade() -> None:
    op.create_table(
        "dashboard_access",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("gemeente_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gemeente_id"],
            ["gemeente.id"],
            name=op.f("fk_dashboard_access_gemeente_id_gemeente"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_dashboard_access_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_dashboard_access")),
    )
    for column in ("person_id", "gemeente_id", "expires_at"):
        op.create_index(
            op.f(f"ix_dashboard_access_{column}"), "dashboard_access", [column], unique=False
        )
    op.create_index(
        "ix_escalation_overview",
        "escalation",
        ["gemeente_id", "escalated_at", "source_group", "category", "melding_id", "forwarded_from"],
        unique=False,
        sqlite_where=_ORIGINALS,
        postgresql_where=_ORIGINALS,
    )
    op.create_index(
        "ix_escalation_source_group_time",
        "escalation",
        ["source_group", "escalated_at", "category", "melding_id", "forwarded_from"],
        unique=False,
    )
    op.add_column("buurt", sa.Column("location", sa.JSON(), nullable=True))
    op.add_column("buurt", sa.Column("outline", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("buurt", "outline")
    op.drop_column("buurt", "location")
    op.drop_index("ix_escalation_source_group_time", table_name="escalation")
    op.drop_index("ix_escalation_overview", table_name="escalation")
    for column in ("expires_at", "gemeente_id", "person_id"):
        op.drop_index(op.f(f"ix_dashboard_access_{column}"), table_name="dashboard_access")
    op.drop_table("dashboard_access")
