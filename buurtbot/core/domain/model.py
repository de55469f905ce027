"""Entities and value objects of the network: gemeente, kern, buurt, group, person, membership."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from buurtbot.core.domain.escalation import DEFAULT_RULES, EscalationRule
from buurtbot.core.domain.melding import DEFAULT_CATEGORIES
from buurtbot.core.domain.postcode import PostcodeRange
from buurtbot.core.ids import (
    BuurtId,
    ChatRef,
    GemeenteId,
    GroupId,
    KernId,
    PersonId,
    Platform,
    PlatformIdentity,
)


class Locale(enum.StrEnum):
    """The languages buurtbot speaks. Dutch is the default everywhere."""

    NL = "nl"
    EN = "en"

    @classmethod
    def parse(cls, value: str | None) -> Locale | None:
        """Accept ``nl``, ``NL``, ``en-GB``, ``nl_BE`` and the like; ``None`` for anything else."""
        if not value:
            return None
        head = value.strip().replace("_", "-").split("-", 1)[0].lower()
        try:
            return cls(head)
        except ValueError:
            return None


class GroupKind(enum.StrEnum):
    BUURT = "buurt"
    COORDINATOREN = "coordinatoren"
    REGIE = "regie"


class GroupRole(enum.StrEnum):
    """A person's role inside one group."""

    LID = "lid"
    MEDE_BEHEERDER = "mede-beheerder"
    EIGENAAR = "eigenaar"

    @property
    def is_beheerder(self) -> bool:
        return self is not GroupRole.LID


class GemeenteRole(enum.StrEnum):
    """A person's role across the whole gemeente, independent of any one group."""

    COORDINATOR = "coordinator"
    HOOFDCOORDINATOR = "hoofdcoordinator"
    CONTACTPERSOON = "contactpersoon"
    POLITIE = "politie"


class RoleSource(enum.StrEnum):
    """Where a membership role came from: reloading the network file only touches its own."""

    NETWORK_FILE = "network"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class GemeenteSettings:
    """A gemeente's choices, from its network file. The defaults follow the seed."""

    warning_threshold: int = 3
    warning_expiry_days: int = 90
    retention_days: int = 180
    max_mede_beheerders: int = 3
    #: How long a "112 was called" counts for a melding.
    called_112_window_minutes: int = 120
    #: Tell the group (briefly) when a member is warned.
    group_warning_notice: bool = True
    #: Nudge people privately when they post thanks or emoji-only chatter in a buurtgroep.
    chatter_nudge: bool = False
    categories: tuple[str, ...] = DEFAULT_CATEGORIES
    escalation_rules: tuple[EscalationRule, ...] = DEFAULT_RULES
    #: Words the gemeente adds to the packaged list of cursing and slurs.
    extra_flagged_words: tuple[str, ...] = ()
    #: How long an invite to a buurtgroep stays valid.
    invite_valid_days: int = 7
    #: Send each sign-up straight to the eigenaar of its buurtgroep (else the
    #: hoofdcoordinator routes every sign-up with /route).
    auto_route: bool = True
    #: How far back an escalation is compared with the gemeente's earlier ones (same plate,
    #: similar signalement) to alert the regiegroep to a pattern across buurten.
    pattern_window_hours: int = 24
    #: Remind the escalating beheerder to check with the wijkagent when an escalation marked
    #: for the police has no follow-up (``/followup``) after so many hours; 0: never.
    police_followup_hours: int = 48


@dataclass(frozen=True, slots=True)
class Gemeente:
    id: GemeenteId
    name: str
    timezone: str = "Europe/Amsterdam"
    default_locale: Locale = Locale.NL
    settings: GemeenteSettings = field(default_factory=GemeenteSettings)


@dataclass(frozen=True, slots=True)
class Kern:
    id: KernId
    gemeente_id: GemeenteId
    name: str


#: A WGS84 position as ``(latitude, longitude)`` in degrees.
LatLon = tuple[float, float]
#: One closed outline, as its points (the first is not repeated at the end).
Ring = tuple[LatLon, ...]


@dataclass(frozen=True, slots=True)
class Buurt:
    """A neighbourhood. ``location`` and ``outline`` are optional geography for the regie
    map only: a point, and polygons given by their outer rings (a MultiPolygon is several
    rings; holes are not kept). They take part in equality - a reload that changes only
    the geography is saved - but not in the hash, so hashing a buurt never walks an
    outline of thousands of points."""

    id: BuurtId
    gemeente_id: GemeenteId
    kern_id: KernId
    name: str
    postcodes: tuple[PostcodeRange, ...] = ()
    streets: frozenset[str] = frozenset()
    adjacent: frozenset[BuurtId] = frozenset()
    location: LatLon | None = field(default=None, hash=False, repr=False)
    outline: tuple[Ring, ...] = field(default=(), hash=False, repr=False)


@dataclass(frozen=True, slots=True)
class Group:
    """A chat group of the network; ``buurt_id`` is set for buurtgroepen only."""

    id: GroupId
    gemeente_id: GemeenteId
    kind: GroupKind
    chat: ChatRef
    name: str
    buurt_id: BuurtId | None = None
    locale: Locale | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the network knows. ``handle`` is the short name a network file uses.

    ``gemeente_id`` is ``None`` for a person met in a private chat before any sign-up: the
    bot then keeps only their platform identity and language choice.
    """

    id: PersonId
    gemeente_id: GemeenteId | None
    display_name: str
    locale: Locale | None = None
    handle: str | None = None
    identities: frozenset[PlatformIdentity] = frozenset()

    def identity_on(self, platform: Platform) -> PlatformIdentity | None:
        """The person's account on ``platform``; the lowest ref when there are several."""
        found = sorted(
            (i for i in self.identities if i.platform is platform), key=lambda i: i.user_ref
        )
        return found[0] if found else None


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: GroupId
    person_id: PersonId
    role: GroupRole = GroupRole.LID
    source: RoleSource = RoleSource.BOT


def effective_gemeente_roles(
    granted: frozenset[GemeenteRole], memberships: list[Membership] | tuple[Membership, ...]
) -> frozenset[GemeenteRole]:
    """Gemeente roles including the derived one: every beheerder is a coordinator.

    Deriving the coordinator role (instead of storing it) makes the rule hold by construction.
    """
    if any(m.role.is_beheerder for m in memberships):
        return granted | {GemeenteRole.COORDINATOR}
    return granted
