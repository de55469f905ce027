"""The audit log: who did what to whom, where and why. Never the bodies of chatter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from buurtbot.core.ids import GemeenteId, GroupId, PersonId


class AuditAction(enum.StrEnum):
    ESCALATED = "escalated"
    FORWARDED = "forwarded"
    CALLED_112 = "called-112"
    WARNED = "warned"
    UNWARNED = "unwarned"
    REMOVED = "removed"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    JOIN_REFUSED = "join-refused"
    DELIVERY_FAILED = "delivery-failed"
    DASHBOARD_SIGNED_IN = "dashboard-signed-in"
    FOLLOWED_UP = "followed-up"  # the police follow-up of an escalation was recorded


@dataclass(frozen=True, slots=True)
class AuditEntry:
    gemeente_id: GemeenteId
    at: datetime
    action: AuditAction
    actor: PersonId | None = None
    subject: PersonId | None = None
    group_id: GroupId | None = None
    reason: str = ""
    #: Small, structured facts (targets reached, warning count); no message text.
    detail: dict[str, str] = field(default_factory=dict)
    id: int | None = None
