"""Who may run which command where. Deny by default: a command is allowed only by a grant.

The decision depends on three things: the command, the place (which kind of chat, if any),
and the actor's roles there. It is a pure function so it can be tested exhaustively.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import GemeenteRole, GroupRole


class Place(enum.StrEnum):
    PRIVATE = "private"
    BUURTGROEP = "buurtgroep"
    COORDINATORENGROEP = "coordinatorengroep"
    REGIEGROEP = "regiegroep"
    UNKNOWN_CHAT = "unknown-chat"


class Refusal(enum.StrEnum):
    """Why a command was refused; each has a localised explanation."""

    WRONG_PLACE = "wrong-place"
    UNKNOWN_PERSON = "unknown-person"
    NOT_A_MEMBER = "not-a-member"
    NOT_A_BEHEERDER = "not-a-beheerder"
    NOT_THE_EIGENAAR = "not-the-eigenaar"
    NOT_ALLOWED = "not-allowed"


@dataclass(frozen=True, slots=True)
class Actor:
    """A person's standing in the chat a command came from.

    ``group_role`` is their role in this chat's group (``None``: not a member);
    ``gemeente_roles`` are effective roles in the chat's gemeente (coordinator derived);
    ``owns_buurtgroep``: eigenaar of some buurtgroep of the gemeente.
    """

    known: bool = False
    group_role: GroupRole | None = None
    gemeente_roles: frozenset[GemeenteRole] = frozenset()
    owns_buurtgroep: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    refusal: Refusal | None = None
    places: tuple[Place, ...] = ()

    @classmethod
    def allow(cls) -> Decision:
        return cls(True)


class Who(enum.Enum):
    """The requirement a grant puts on the actor."""

    ANYONE = "anyone"
    KNOWN = "known"
    MEMBER = "member"
    BEHEERDER = "beheerder"
    EIGENAAR = "eigenaar"
    EIGENAAR_OR_HOOFDCOORDINATOR = "eigenaar-or-hoofdcoordinator"
    REGIE = "regie"  # hoofdcoordinator, contactpersoon or politie
    REGIE_STAFF = "regie-staff"  # hoofdcoordinator or contactpersoon
    BEHEERDER_OR_REGIE = "beheerder-or-regie"  # a beheerder anywhere in the gemeente, or regie
    HOOFDCOORDINATOR = "hoofdcoordinator"
    MEMBER_REGIE = "member-regie"
    MEMBER_REGIE_STAFF = "member-regie-staff"
    MEMBER_HOOFDCOORDINATOR = "member-hoofdcoordinator"


_REGIE = frozenset(
    {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
)
_REGIE_STAFF = frozenset({GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON})
_HOOFD = frozenset({GemeenteRole.HOOFDCOORDINATOR})
_BEHEERDER_OR_REGIE = _REGIE | {GemeenteRole.COORDINATOR}  # every beheerder is a coordinator

P = Place
EVERYWHERE = (P.PRIVATE, P.BUURTGROEP, P.COORDINATORENGROEP, P.REGIEGROEP, P.UNKNOWN_CHAT)
NETWORK_CHATS = (P.PRIVATE, P.BUURTGROEP, P.COORDINATORENGROEP, P.REGIEGROEP)

#: The grants. A command is allowed at a place when the actor meets the grant's requirement.
GRANTS: dict[Command, dict[Place, Who]] = {
    Command.START: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.HELP: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.RULES: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.LANGUAGE: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.WHOAMI: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.CHATID: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.CANCEL: dict.fromkeys(EVERYWHERE, Who.ANYONE),
    Command.SIGNUP: {P.PRIVATE: Who.ANYONE},
    Command.MYDATA: {P.PRIVATE: Who.KNOWN},
    Command.FORGETME: {P.PRIVATE: Who.KNOWN},
    Command.MELDING: {P.BUURTGROEP: Who.MEMBER},
    Command.CALLED_112: {P.BUURTGROEP: Who.MEMBER},
    Command.ESCALATE: {P.BUURTGROEP: Who.BEHEERDER},
    Command.WARN: {P.BUURTGROEP: Who.BEHEERDER, P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    Command.REMOVE: {P.BUURTGROEP: Who.BEHEERDER, P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    Command.UNWARN: {P.BUURTGROEP: Who.BEHEERDER, P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    Command.WARNS: {P.PRIVATE: Who.KNOWN, P.BUURTGROEP: Who.MEMBER, P.REGIEGROEP: Who.MEMBER_REGIE},
    Command.FORWARD: {P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    # Which escalation: the handler checks (its own buurtgroep's; privately, a beheerder's own).
    Command.FOLLOWUP: {
        P.BUURTGROEP: Who.BEHEERDER,
        P.PRIVATE: Who.BEHEERDER_OR_REGIE,
        P.REGIEGROEP: Who.MEMBER_REGIE,
    },
    Command.UNBLOCK: {P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    Command.LOG: {P.PRIVATE: Who.REGIE, P.REGIEGROEP: Who.MEMBER_REGIE},
    Command.STATUS: {P.PRIVATE: Who.REGIE_STAFF, P.REGIEGROEP: Who.MEMBER_REGIE_STAFF},
    Command.DASHBOARD: {P.PRIVATE: Who.REGIE},
    Command.PENDING: {P.PRIVATE: Who.EIGENAAR_OR_HOOFDCOORDINATOR},
    Command.ADMIT: {P.PRIVATE: Who.EIGENAAR_OR_HOOFDCOORDINATOR},
    Command.DECLINE: {P.PRIVATE: Who.EIGENAAR_OR_HOOFDCOORDINATOR},
    Command.ROUTE: {P.PRIVATE: Who.HOOFDCOORDINATOR, P.REGIEGROEP: Who.MEMBER_HOOFDCOORDINATOR},
    Command.COADMIN: {P.BUURTGROEP: Who.EIGENAAR, P.REGIEGROEP: Who.MEMBER_HOOFDCOORDINATOR},
    Command.TRANSFER: {P.BUURTGROEP: Who.EIGENAAR, P.REGIEGROEP: Who.MEMBER_HOOFDCOORDINATOR},
}


def decide(command: Command, place: Place, actor: Actor) -> Decision:
    """Allow or refuse ``command`` for ``actor`` at ``place``; refusals say why."""
    grants = GRANTS.get(command, {})
    who = grants.get(place)
    if who is None:
        return Decision(False, Refusal.WRONG_PLACE, tuple(p for p in Place if p in grants))
    refusal = _unmet(who, actor)
    return Decision.allow() if refusal is None else Decision(False, refusal)


def _unmet(who: Who, actor: Actor) -> Refusal | None:
    roles = actor.gemeente_roles
    member = actor.group_role is not None
    if who is Who.ANYONE:
        return None
    if not actor.known:
        return Refusal.UNKNOWN_PERSON
    match who:
        case Who.KNOWN:
            return None
        case Who.MEMBER:
            return None if member else Refusal.NOT_A_MEMBER
        case Who.BEHEERDER:
            if not member:
                return Refusal.NOT_A_MEMBER
            assert actor.group_role is not None
            return None if actor.group_role.is_beheerder else Refusal.NOT_A_BEHEERDER
        case Who.EIGENAAR:
            if not member:
                return Refusal.NOT_A_MEMBER
            return None if actor.group_role is GroupRole.EIGENAAR else Refusal.NOT_THE_EIGENAAR
        case Who.EIGENAAR_OR_HOOFDCOORDINATOR:
            ok = actor.owns_buurtgroep or GemeenteRole.HOOFDCOORDINATOR in roles
            return None if ok else Refusal.NOT_THE_EIGENAAR
        case Who.REGIE:
            return None if roles & _REGIE else Refusal.NOT_ALLOWED
        case Who.REGIE_STAFF:
            return None if roles & _REGIE_STAFF else Refusal.NOT_ALLOWED
        case Who.BEHEERDER_OR_REGIE:
            return None if roles & _BEHEERDER_OR_REGIE else Refusal.NOT_ALLOWED
        case Who.HOOFDCOORDINATOR:
            return None if roles & _HOOFD else Refusal.NOT_ALLOWED
        case Who.MEMBER_REGIE | Who.MEMBER_REGIE_STAFF | Who.MEMBER_HOOFDCOORDINATOR:
            if not member:
                return Refusal.NOT_A_MEMBER
            wanted = {
                Who.MEMBER_REGIE: _REGIE,
                Who.MEMBER_REGIE_STAFF: _REGIE_STAFF,
                Who.MEMBER_HOOFDCOORDINATOR: _HOOFD,
            }[who]
            return None if roles & wanted else Refusal.NOT_ALLOWED
    return Refusal.NOT_ALLOWED  # pragma: no cover - every Who is matched above
