"""A conversation in progress between the bot and one person in one chat (a guided flow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from buurtbot.core.ids import ChatRef, PersonId


@dataclass(frozen=True, slots=True)
class Dialogue:
    """Where a person is in a guided flow. ``data`` holds the answers so far (strings only,
    so it stores as JSON); ``expires_at`` ends a flow someone walked away from."""

    chat: ChatRef
    person: PersonId
    flow: str
    step: str
    started_at: datetime
    expires_at: datetime
    data: dict[str, str] = field(default_factory=dict)
