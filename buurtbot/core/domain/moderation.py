"""Warnings, removals and blocks: keeping the house rules."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from buurtbot.core.ids import GemeenteId, GroupId, PersonId

WarningId = str


class WarningReason(enum.StrEnum):
    """The house rule a warning is about (what the beheerder types after ``/warn``)."""

    LANGUAGE = "language"
    OFF_TOPIC = "off-topic"
    OWN_HANDS = "own-hands"
    PHOTO = "photo"
    PRIVATE = "private"
    OTHER = "other"

    @classmethod
    def parse(cls, word: str) -> WarningReason | None:
        return _REASON_WORDS.get(word.strip().lower())


_REASON_WORDS = {
    "language": WarningReason.LANGUAGE,
    "taal": WarningReason.LANGUAGE,
    "taalgebruik": WarningReason.LANGUAGE,
    "off-topic": WarningReason.OFF_TOPIC,
    "offtopic": WarningReason.OFF_TOPIC,
    "chat": WarningReason.OFF_TOPIC,
    "kletsen": WarningReason.OFF_TOPIC,
    "own-hands": WarningReason.OWN_HANDS,
    "vigilante": WarningReason.OWN_HANDS,
    "eigenrechter": WarningReason.OWN_HANDS,
    "eigen-rechter": WarningReason.OWN_HANDS,
    "photo": WarningReason.PHOTO,
    "foto": WarningReason.PHOTO,
    "private": WarningReason.PRIVATE,
    "prive": WarningReason.PRIVATE,
    "privé": WarningReason.PRIVATE,
    "other": WarningReason.OTHER,
    "overig": WarningReason.OTHER,
    "anders": WarningReason.OTHER,
}


@dataclass(frozen=True, slots=True)
class Warning:
    id: WarningId
    gemeente_id: GemeenteId
    person_id: PersonId
    group_id: GroupId
    reason: WarningReason
    note: str
    by: PersonId
    at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True, slots=True)
class Block:
    """A person may not join any group of the gemeente until the regiegroep lifts this."""

    gemeente_id: GemeenteId
    person_id: PersonId
    at: datetime
    reason: str
    by: PersonId | None = None
    lifted_at: datetime | None = None
    lifted_by: PersonId | None = None

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


# -- policy: which warnings count ---------------------------------------------------------------


def active_warnings(warnings: Iterable[Warning], now: datetime) -> list[Warning]:
    """The warnings that still count at ``now``, newest first.

    A warning counts until (not including) its ``expires_at`` and never once revoked. Ties
    in time are ordered by id, so the answer does not depend on the storage's order.
    """
    return sorted((w for w in warnings if w.active(now)), key=lambda w: (w.at, w.id), reverse=True)


def latest_active(warnings: Iterable[Warning], now: datetime) -> Warning | None:
    """The newest warning that still counts: the one ``/unwarn`` withdraws."""
    active = active_warnings(warnings, now)
    return active[0] if active else None


def threshold_reached(warnings: Iterable[Warning], now: datetime, threshold: int) -> bool:
    """Whether the active warnings reach the gemeente's threshold (removal and block).

    A threshold below 1 is refused rather than read as "remove everyone".
    """
    if threshold < 1:
        raise ValueError(f"warning threshold must be at least 1, not {threshold}")
    return len(active_warnings(warnings, now)) >= threshold


def expiry_for(at: datetime, days: int) -> datetime:
    """When a warning given at ``at`` stops counting: ``days`` days later.

    The core's clock is UTC, so this is plain elapsed time (24-hour days) and a warning
    lasts equally long across a change to or from summer time.
    """
    if days < 1:
        raise ValueError(f"warning expiry must be at least 1 day, not {days}")
    return at + timedelta(days=days)
