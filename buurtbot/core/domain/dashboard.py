"""Access to the regie dashboard: one-time sign-in links and the sessions they start.

Both are bearer tokens, so both are stored only as their SHA-256 hash (a copy of the
database lets nobody in). A link is single use and short-lived because it travels through
a chat; a session lives in an HttpOnly cookie and ends on sign-out, on expiry, or the
moment its person no longer holds a regie role (checked on every request, not here).
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from buurtbot.core.domain.aanmelding import hash_token
from buurtbot.core.domain.model import GemeenteRole
from buurtbot.core.ids import GemeenteId, PersonId

#: A sign-in link works this long after it was sent, and once.
LINK_VALID = timedelta(minutes=10)
#: A session ends this long after sign-in, whatever happens in between.
SESSION_VALID = timedelta(hours=8)
#: Who may see the dashboard: the regiegroep's staff and the police liaison.
DASHBOARD_ROLES = frozenset(
    {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
)
#: ``secrets.token_urlsafe(32)``: 256 random bits in 43 characters of ``A-Za-z0-9_-``.
TOKEN_LENGTH = 43
_TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class AccessKind(enum.StrEnum):
    LINK = "link"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class DashboardAccess:
    """A link or a session of ``person_id`` for the dashboard of ``gemeente_id``."""

    token_hash: str
    kind: AccessKind
    person_id: PersonId
    gemeente_id: GemeenteId
    created_at: datetime
    expires_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return self.created_at - timedelta(minutes=1) <= now < self.expires_at


def new_access_token() -> str:
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> bool:
    """Whether ``token`` could be one of ours; anything else is refused without a look-up."""
    return token is not None and len(token) == TOKEN_LENGTH and _TOKEN_ALPHABET.issuperset(token)


def access_hash(token: str) -> str:
    return hash_token(token)
