"""Aanmeldingen (sign-ups) and the invites that admit a resident to their buurtgroep.

The seed's path: a resident signs up, the regiegroep receives it, it is routed to the
buurtgroep of the address, and that group's eigenaar admits the resident. Admission issues
a single-use, expiring invite; the resident redeems it on their platform.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.domain.model import Locale
from buurtbot.core.ids import BuurtId, GemeenteId, GroupId, PersonId, Platform, PlatformIdentity

AanmeldingId = str

#: Letters and digits that cannot be mistaken for each other on a phone screen.
_ID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_aanmelding_id() -> AanmeldingId:
    """A short code a beheerder can type: ``/admit K7M2QX``."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(6))


class Channel(enum.StrEnum):
    WEB = "web"
    BOT = "bot"


class AanmeldingState(enum.StrEnum):
    RECEIVED = "received"  # in, not yet routed (manual routing configured)
    ROUTED = "routed"  # with the eigenaar of the buurtgroep
    WAITING = "waiting"  # no buurtgroep for the address yet: on the buurt's waiting list
    UNROUTABLE = "unroutable"  # the address is outside every buurt: the regiegroep decides
    ADMITTED = "admitted"  # an invite was issued
    DECLINED = "declined"
    JOINED = "joined"  # the invite was redeemed


@dataclass(frozen=True, slots=True)
class Aanmelding:
    """One sign-up. Address details are kept only until admission (then: the buurt only)."""

    id: AanmeldingId
    gemeente_id: GemeenteId
    created_at: datetime
    name: str
    locale: Locale
    channel: Channel
    adult_confirmed: bool
    lives_or_works_here: bool
    rules_accepted: bool
    postcode: str | None = None
    house_number: str | None = None
    street: str | None = None
    #: E.164, only when the resident gave a phone number (Signal groups add numbers).
    phone: str | None = None
    #: The platform the resident will contact the bot on, when no phone number was given.
    contact_platform: Platform | None = None
    #: The account the resident signed up from (the bot dialogue).
    identity: PlatformIdentity | None = None
    buurt_id: BuurtId | None = None
    group_id: GroupId | None = None
    state: AanmeldingState = AanmeldingState.RECEIVED
    state_changed_at: datetime | None = None
    decided_by: PersonId | None = None
    decline_reason: str = ""
    person_id: PersonId | None = None
    reminders_sent: int = 0


def hash_token(token: str) -> str:
    """Invites are stored as this hash only: a leaked database admits nobody."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_invite_token() -> str:
    """160 random bits as 32 characters of ``A-Za-z0-9_-``: fits a Telegram deep link."""
    return secrets.token_urlsafe(20)[:32]


@dataclass(frozen=True, slots=True)
class Invite:
    token_hash: str
    aanmelding_id: AanmeldingId
    gemeente_id: GemeenteId
    group_id: GroupId
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    used_by: PlatformIdentity | None = None
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
