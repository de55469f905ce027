"""The permission matrix: every command × every role × own group / other group / no group.

The expected table is written out by hand below; a change of policy must change it too.
Columns: own buurtgroep, other buurtgroep, own coordinatorengroep, other coordinatorengroep,
own regiegroep, other regiegroep, private chat (no group), a chat outside the network.
Inside each column one character per role, in this order:
  ? unknown person, l lid, m mede-beheerder, e eigenaar,
  c coordinator, h hoofdcoordinator, k contactpersoon, p politie.
"""

from __future__ import annotations

import pytest

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import GemeenteRole, GroupRole
from buurtbot.core.policy import GRANTS, Actor, Place, Refusal, decide

MATRIX = """
start      YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
help       YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
rules      YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
language   YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
whoami     YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
chatid     YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
cancel     YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY YYYYYYYY
melding    .YYYYYYY ........ ........ ........ ........ ........ ........ ........
112        .YYYYYYY ........ ........ ........ ........ ........ ........ ........
escalate   ..YY.... ........ ........ ........ ........ ........ ........ ........
forward    ........ ........ ........ ........ .....YY. ........ ........ ........
followup   ..YY.... ........ ........ ........ .....YYY ........ ..YYYYYY ........
warn       ..YY.... ........ ........ ........ .....YY. ........ ........ ........
warns      .YYYYYYY ........ ........ ........ .....YYY ........ .YYYYYYY ........
unwarn     ..YY.... ........ ........ ........ .....YY. ........ ........ ........
remove     ..YY.... ........ ........ ........ .....YY. ........ ........ ........
unblock    ........ ........ ........ ........ .....YY. ........ ........ ........
log        ........ ........ ........ ........ .....YYY ........ .....YYY ........
signup     ........ ........ ........ ........ ........ ........ YYYYYYYY ........
pending    ........ ........ ........ ........ ........ ........ ...Y.Y.. ........
admit      ........ ........ ........ ........ ........ ........ ...Y.Y.. ........
decline    ........ ........ ........ ........ ........ ........ ...Y.Y.. ........
route      ........ ........ ........ ........ .....Y.. ........ .....Y.. ........
coadmin    ...Y.... ........ ........ ........ .....Y.. ........ ........ ........
transfer   ...Y.... ........ ........ ........ .....Y.. ........ ........ ........
mydata     ........ ........ ........ ........ ........ ........ .YYYYYYY ........
forgetme   ........ ........ ........ ........ ........ ........ .YYYYYYY ........
status     ........ ........ ........ ........ .....YY. ........ .....YY. ........
dashboard  ........ ........ ........ ........ ........ ........ .....YYY ........
"""

ROLES = "?lmechkp"
COLUMNS = [
    (Place.BUURTGROEP, True),
    (Place.BUURTGROEP, False),
    (Place.COORDINATORENGROEP, True),
    (Place.COORDINATORENGROEP, False),
    (Place.REGIEGROEP, True),
    (Place.REGIEGROEP, False),
    (Place.PRIVATE, False),
    (Place.UNKNOWN_CHAT, False),
]
_GROUP_ROLE = {"l": GroupRole.LID, "m": GroupRole.MEDE_BEHEERDER, "e": GroupRole.EIGENAAR}
_GEMEENTE_ROLE = {
    "c": GemeenteRole.COORDINATOR,
    "h": GemeenteRole.HOOFDCOORDINATOR,
    "k": GemeenteRole.CONTACTPERSOON,
    "p": GemeenteRole.POLITIE,
}


def actor_for(role: str, place: Place, own: bool) -> Actor:
    """The person with ``role`` in a chat at ``place`` that is (or is not) their own group.

    In their own group a lid/mede-beheerder/eigenaar has that role in a buurtgroep and is a
    plain member of the other kinds of group; gemeente roles are members there as lid.
    """
    if role == "?":
        return Actor()
    group_role = _GROUP_ROLE.get(role)
    roles = {_GEMEENTE_ROLE[role]} if role in _GEMEENTE_ROLE else set()
    if group_role is not None and group_role.is_beheerder:
        roles.add(GemeenteRole.COORDINATOR)
    in_group = None
    if own and place not in (Place.PRIVATE, Place.UNKNOWN_CHAT):
        in_group = group_role if group_role and place is Place.BUURTGROEP else GroupRole.LID
    return Actor(
        known=True,
        group_role=in_group,
        gemeente_roles=frozenset(roles),
        owns_buurtgroep=role == "e",
    )


def expected() -> dict[Command, list[str]]:
    table: dict[Command, list[str]] = {}
    for line in MATRIX.strip().splitlines():
        name, *cells = line.split()
        table[Command(name)] = cells
    return table


def test_the_matrix_covers_every_command() -> None:
    assert set(expected()) == set(Command)


CASES = [
    (command, place, own, role) for command in Command for place, own in COLUMNS for role in ROLES
]


@pytest.mark.parametrize(("command", "place", "own", "role"), CASES)
def test_permission_matrix(command: Command, place: Place, own: bool, role: str) -> None:
    column = COLUMNS.index((place, own))
    allowed = expected()[command][column][ROLES.index(role)] == "Y"
    decision = decide(command, place, actor_for(role, place, own))
    assert decision.allowed is allowed
    assert (decision.refusal is None) is allowed


def test_a_command_without_grants_is_denied_everywhere() -> None:
    """Deny by default: removing a command's grants must lock it, not open it."""
    saved = GRANTS.pop(Command.ESCALATE)
    try:
        for place in Place:
            assert not decide(Command.ESCALATE, place, actor_for("e", place, True)).allowed
    finally:
        GRANTS[Command.ESCALATE] = saved


@pytest.mark.parametrize(
    ("command", "place", "actor", "refusal"),
    [
        (Command.ESCALATE, Place.PRIVATE, Actor(known=True), Refusal.WRONG_PLACE),
        (Command.ESCALATE, Place.BUURTGROEP, Actor(), Refusal.UNKNOWN_PERSON),
        (Command.ESCALATE, Place.BUURTGROEP, Actor(known=True), Refusal.NOT_A_MEMBER),
        (
            Command.ESCALATE,
            Place.BUURTGROEP,
            Actor(known=True, group_role=GroupRole.LID),
            Refusal.NOT_A_BEHEERDER,
        ),
        (
            Command.TRANSFER,
            Place.BUURTGROEP,
            Actor(known=True, group_role=GroupRole.MEDE_BEHEERDER),
            Refusal.NOT_THE_EIGENAAR,
        ),
        (
            Command.FORWARD,
            Place.REGIEGROEP,
            Actor(
                known=True,
                group_role=GroupRole.LID,
                gemeente_roles=frozenset({GemeenteRole.POLITIE}),
            ),
            Refusal.NOT_ALLOWED,
        ),
    ],
)
def test_refusals_say_why(command: Command, place: Place, actor: Actor, refusal: Refusal) -> None:
    assert decide(command, place, actor).refusal is refusal


def test_wrong_place_names_the_places_where_it_works() -> None:
    decision = decide(Command.FORWARD, Place.BUURTGROEP, Actor(known=True))
    assert decision.places == (Place.REGIEGROEP,)
