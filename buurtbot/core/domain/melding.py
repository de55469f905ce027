"""Meldingen: reports of suspicious situations, with their signalement and 112 status.

A structured melding is made with ``/melding``; a resident's free-text message becomes a
melding only when someone acts on it (``/112``, ``/escalate``), and then only its message
reference is kept, never its text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from buurtbot.core.ids import GemeenteId, GroupId, MessageRef, PersonId

MeldingId = str

#: The categories of the seed; a gemeente may configure its own list in the network file.
DEFAULT_CATEGORIES: tuple[str, ...] = (
    "inbraak",
    "verdachte-persoon",
    "verdacht-voertuig",
    "vandalisme",
    "overig",
)


class SignalementKind(enum.StrEnum):
    PERSON = "person"
    VEHICLE = "vehicle"


@dataclass(frozen=True, slots=True)
class PersonDescription:
    """What a witness saw of a person; every field optional, free text as typed."""

    gender: str | None = None
    height: str | None = None
    clothing: str | None = None
    particulars: str | None = None


@dataclass(frozen=True, slots=True)
class VehicleDescription:
    """What a witness saw of a vehicle. ``plate`` is normalised when it is a valid Dutch
    plate; ``plate_as_typed`` keeps what was typed when it is not (pointed out, not refused)."""

    colour: str | None = None
    make: str | None = None
    type: str | None = None
    plate: str | None = None
    plate_as_typed: str | None = None


@dataclass(frozen=True, slots=True)
class Called112:
    """Someone said that 112 was called for this melding."""

    by: PersonId | None
    by_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Melding:
    id: MeldingId
    gemeente_id: GemeenteId
    group_id: GroupId
    created_at: datetime
    reporter: PersonId | None = None
    category: str | None = None
    where: str | None = None
    when: str | None = None
    person: PersonDescription | None = None
    vehicle: VehicleDescription | None = None
    #: The message the melding lives in: the bot's post of a guided melding, or the
    #: resident's own message for a free-text one.
    message: MessageRef | None = None
    called_112: Called112 | None = None
    structured: bool = field(default=False)

    def called_within(self, now: datetime, window: timedelta) -> Called112 | None:
        """The 112 call, while it still counts (within ``window`` of being reported)."""
        if self.called_112 is not None and now - self.called_112.at <= window:
            return self.called_112
        return None
