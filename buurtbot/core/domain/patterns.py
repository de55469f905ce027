"""Patterns across buurten: a new escalation that resembles another buurt's recent one.

When a beheerder escalates, the regiegroep is told if the same licence plate, or a very
similar signalement, was escalated from another buurt of the gemeente shortly before: one
car seen in two villages on one night is worth knowing about. Only escalations count,
never the groups' ordinary messages.

What counts as the same, deliberately simple so that the regiegroep can see why:

* **Licence plate.** A plate found (by :func:`~buurtbot.core.domain.kenteken.find_plates`)
  in the escalated text, or the plate of the melding's vehicle, compared in canonical form
  (``12 gzb 8`` and ``12-GZB-8`` are the same plate).
* **Vehicle.** Colour, make and type all given in both meldingen, and equal after
  normalising (case, punctuation, spacing, and a few spellings: ``VW`` is ``Volkswagen``,
  ``grey`` is ``grijs``).
* **Person.** The words of the two descriptions (gender, height, clothing, particulars;
  lower case, without punctuation and filler words like ``met`` or ``and``), at least
  :data:`MIN_PERSON_WORDS` each, overlap by at least :data:`PERSON_SIMILARITY` (Jaccard:
  shared words divided by all words).

Escalations from the same buurt never match each other: that buurt knows already.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from buurtbot.core.domain.escalation import Escalation
from buurtbot.core.domain.kenteken import find_plates, normalise_plate
from buurtbot.core.domain.melding import Melding, PersonDescription, VehicleDescription
from buurtbot.core.ids import BuurtId

#: Jaccard overlap from which two person descriptions are "very similar".
PERSON_SIMILARITY = 0.6
#: Fewer words than this say too little to compare (``man``, ``donkere jas``).
MIN_PERSON_WORDS = 3

#: Filler words left out of a person description before comparing (Dutch and English).
# fmt: off
_FILLER = frozenset({
    "de", "het", "een", "en", "met", "in", "op", "van", "aan", "bij", "of", "te",
    "the", "a", "an", "and", "with", "on", "at", "or",
})
# fmt: on
#: Spellings that mean the same for a vehicle (after lower-casing).
_SAME = {
    "vw": "volkswagen",
    "mercedes benz": "mercedes",
    "grey": "grijs",
    "gray": "grijs",
    "grijze": "grijs",
    "zwarte": "zwart",
    "witte": "wit",
    "rode": "rood",
    "blauwe": "blauw",
    "black": "zwart",
    "white": "wit",
    "red": "rood",
    "blue": "blauw",
}
_WORD = re.compile(r"[^\W_]+(?:[.,][0-9]+)?")


class MatchKind(enum.StrEnum):
    PLATE = "plate"
    VEHICLE = "vehicle"
    PERSON = "person"


@dataclass(frozen=True, slots=True)
class Sighting:
    """An escalation with what is known of it: the buurt it came from and its melding."""

    escalation: Escalation
    buurt_id: BuurtId | None
    melding: Melding | None = None


@dataclass(frozen=True, slots=True)
class PatternMatch:
    """``earlier`` resembles the new escalation; ``what`` says how, for people to read:
    the plate (``12-GZB-8``), or the new melding's vehicle or person as typed."""

    earlier: Sighting
    kind: MatchKind
    what: str
    #: For a person: the gender as the melding keeps it (``man``, ``woman``, ``unknown``),
    #: left out of ``what`` so that the text can word it in the reader's language.
    gender: str | None = None


def plates_of(sighting: Sighting) -> frozenset[str]:
    """The valid plates of an escalation, canonical: in its text and its melding's vehicle."""
    found = {m.plate.value for m in find_plates(sighting.escalation.text) if m.plate}
    vehicle = sighting.melding.vehicle if sighting.melding else None
    if vehicle is not None:
        for typed in (vehicle.plate, vehicle.plate_as_typed):
            plate = normalise_plate(typed) if typed else None
            if plate is not None:
                found.add(plate.value)
    return frozenset(found)


def _normal(text: str | None) -> str:
    words = " ".join(_WORD.findall((text or "").casefold().replace("-", " ")))
    return _SAME.get(words, words)


def same_vehicle(a: VehicleDescription | None, b: VehicleDescription | None) -> bool:
    """Colour, make and type all known in both, and the same after normalising."""
    if a is None or b is None:
        return False
    left = (_normal(a.colour), _normal(a.make), _normal(a.type))
    right = (_normal(b.colour), _normal(b.make), _normal(b.type))
    return all(left) and left == right


def person_words(person: PersonDescription | None) -> frozenset[str]:
    """The normalised words of a person description, without filler words."""
    if person is None:
        return frozenset()
    text = " ".join(
        f for f in (person.gender, person.height, person.clothing, person.particulars) if f
    )
    return frozenset(w for w in _WORD.findall(text.casefold()) if w not in _FILLER)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Shared words divided by all words; 0 for two empty sets."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def similar_person(a: PersonDescription | None, b: PersonDescription | None) -> bool:
    """At least :data:`MIN_PERSON_WORDS` words each, overlapping by :data:`PERSON_SIMILARITY`."""
    left, right = person_words(a), person_words(b)
    if len(left) < MIN_PERSON_WORDS or len(right) < MIN_PERSON_WORDS:
        return False
    return jaccard(left, right) >= PERSON_SIMILARITY


def describe_vehicle(vehicle: VehicleDescription) -> str:
    return " ".join(p.strip() for p in (vehicle.colour, vehicle.make, vehicle.type) if p)


def describe_person(person: PersonDescription) -> str:
    """The description as typed, without the gender (see :attr:`PatternMatch.gender`)."""
    parts = (person.height, person.clothing, person.particulars)
    return ", ".join(p.strip() for p in parts if p and p.strip())


def match(new: Sighting, other: Sighting) -> PatternMatch | None:
    """How ``other`` resembles ``new`` (a shared plate first), or ``None``."""
    shared = sorted(plates_of(new) & plates_of(other))
    if shared:
        return PatternMatch(other, MatchKind.PLATE, ", ".join(shared))
    mine = new.melding
    theirs = other.melding
    if mine is None or theirs is None:
        return None
    if mine.vehicle is not None and same_vehicle(mine.vehicle, theirs.vehicle):
        return PatternMatch(other, MatchKind.VEHICLE, describe_vehicle(mine.vehicle))
    if mine.person is not None and similar_person(mine.person, theirs.person):
        person = mine.person
        return PatternMatch(other, MatchKind.PERSON, describe_person(person), person.gender)
    return None


def find_patterns(
    new: Sighting, earlier: Iterable[Sighting], *, window: timedelta
) -> list[PatternMatch]:
    """The escalations of ``earlier`` that resemble ``new``, oldest first: from another
    buurt, made within ``window`` before it, and not forwards of another escalation."""
    if new.buurt_id is None:
        return []
    at = new.escalation.escalated_at
    found = []
    for other in earlier:
        e = other.escalation
        if (
            e.id == new.escalation.id
            or e.forwarded_from is not None
            or other.buurt_id is None
            or other.buurt_id == new.buurt_id
            or not at - window <= e.escalated_at <= at
        ):
            continue
        resemblance = match(new, other)
        if resemblance is not None:
            found.append(resemblance)
    return sorted(found, key=lambda m: (m.earlier.escalation.escalated_at, m.earlier.escalation.id))


def pattern_key(new: Escalation, matches: Iterable[PatternMatch]) -> str:
    """The outbox key of the alert: ``pattern:<id>:<id>`` for the new escalation and its
    newest match, sorted. An escalation is checked once, when it is made, so each pair of
    escalations is alerted at most once; the key keeps a retried event from repeating it."""
    newest = max(
        matches, key=lambda m: (m.earlier.escalation.escalated_at, m.earlier.escalation.id)
    )
    first, second = sorted((new.id, newest.earlier.escalation.id))
    return f"pattern:{first}:{second}"
