"""The domain's own rules: postcodes, routing a sign-up to a buurt, adjacency, rosters."""

from __future__ import annotations

import pytest

from buurtbot.core.domain.errors import RosterError, RosterProblem
from buurtbot.core.domain.model import (
    Buurt,
    Gemeente,
    Group,
    GroupKind,
    GroupRole,
    Kern,
    Membership,
    RoleSource,
)
from buurtbot.core.domain.network import Network, normalise_street
from buurtbot.core.domain.postcode import (
    InvalidPostcode,
    PostcodeRange,
    normalise_postcode,
    split_postcode,
)
from buurtbot.core.domain.roster import Roster
from buurtbot.core.ids import BuurtId, ChatRef, GemeenteId, GroupId, KernId, PersonId, Platform

G = GemeenteId("g")
K = KernId("k")


# -- postcodes -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("7471AB", "7471AB"), ("7471 ab", "7471AB"), ("  7471Ab ", "7471AB"), ("1000aa", "1000AA")],
)
def test_a_postcode_is_normalised(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0471AB", "747AB", "74711AB", "7471 A", "7471ABC", "7471-AB", "", "abcd", "7471"],
)
def test_text_that_is_not_a_full_postcode_is_refused(text: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_postcode(text)


@pytest.mark.parametrize("letters", ["SA", "SD", "SS", "sa", "sd", "ss"])
def test_letter_pairs_postnl_never_issues_are_refused(letters: str) -> None:
    with pytest.raises(InvalidPostcode):
        normalise_postcode(f"7471{letters}")


def test_a_bare_area_is_accepted_only_where_asked_for() -> None:
    assert normalise_postcode(" 7471 ", allow_area=True) == "7471"
    with pytest.raises(InvalidPostcode):
        normalise_postcode("7471", allow_area=False)


@pytest.mark.parametrize(
    ("text", "low", "high", "shown"),
    [
        ("7471", "7471AA", "7471ZZ", "7471"),
        ("7471 ab", "7471AB", "7471AB", "7471AB-7471AB"),
        ("7471AA-7472ZZ", "7471AA", "7472ZZ", "7471AA-7472ZZ"),
        ("7471 - 7472", "7471AA", "7472ZZ", "7471AA-7472ZZ"),
        ("7471aa - 7471kz", "7471AA", "7471KZ", "7471AA-7471KZ"),
    ],
)
def test_postcode_ranges_parse_with_free_spacing_and_case(
    text: str, low: str, high: str, shown: str
) -> None:
    rng = PostcodeRange.parse(text)
    assert (rng.low, rng.high, str(rng)) == (low, high, shown)


@pytest.mark.parametrize("text", ["7472-7471", "7471KZ-7471AA", "7471-", "-7471", "7471SS-7472"])
def test_an_invalid_range_is_refused(text: str) -> None:
    with pytest.raises(InvalidPostcode):
        PostcodeRange.parse(text)


def test_range_contains_overlaps_and_areas() -> None:
    rng = PostcodeRange.parse("7471KA-7472BZ")
    assert [rng.contains(c) for c in ("7471KA", "7471ZZ", "7472BZ")] == [True] * 3
    assert [rng.contains(c) for c in ("7471JZ", "7472CA")] == [False] * 2
    assert rng.overlaps(PostcodeRange.parse("7472"))
    assert rng.overlaps(PostcodeRange.parse("7471"))
    assert not rng.overlaps(PostcodeRange.parse("7471AA-7471JZ"))
    assert list(rng.areas()) == [7471, 7472]


# -- routing and adjacency -------------------------------------------------------------------
def buurt(
    bid: str,
    *postcodes: str,
    streets: tuple[str, ...] = (),
    adjacent: tuple[str, ...] = (),
) -> Buurt:
    return Buurt(
        BuurtId(bid),
        G,
        K,
        bid.title(),
        tuple(PostcodeRange.parse(p) for p in postcodes),
        frozenset(streets),
        frozenset(BuurtId(a) for a in adjacent),
    )


NETWORK = Network(
    Gemeente(G, "G"),
    (Kern(K, G, "K"),),
    (
        buurt("centrum", "7471AA-7471KZ", adjacent=("west",)),
        buurt("west", "7471LA-7471ZZ", "7470"),
        buurt("oost", "7472", streets=("Kerkstraat", "Grote Markt")),
        buurt("zuid", "7472", streets=("Molenstraat",), adjacent=("oost",)),
        buurt("dorp", "7491AB"),
    ),
    (),
)


@pytest.mark.parametrize(
    ("postcode", "street", "expected"),
    [
        ("7470 XY", None, "west"),  # a whole area
        ("7471AA", None, "centrum"),  # range edges
        ("7471KZ", None, "centrum"),
        ("7471LA", None, "west"),
        ("7491ab", None, "dorp"),  # a single postcode
        ("7472AB", "kerkstraat", "oost"),  # a shared area: the street decides
        ("7472AB", "  grote   MARKT ", "oost"),
        ("7472AB", "Molenstraat", "zuid"),
        ("7472AB", None, None),  # shared, and no street to decide
        ("7472AB", "Stationsweg", None),  # shared, and the street is in neither
        ("7491AC", None, None),  # next to a single postcode
        ("1234AB", None, None),  # outside the network
    ],
)
def test_route_finds_the_buurt_of_an_address(
    postcode: str, street: str | None, expected: str | None
) -> None:
    found = NETWORK.route(postcode, street)
    assert (found.id if found else None) == expected


def test_route_refuses_text_that_is_not_a_postcode() -> None:
    with pytest.raises(InvalidPostcode):
        NETWORK.route("7471")


def test_streets_compare_without_case_or_extra_spaces() -> None:
    assert normalise_street("  Grote   Markt ") == normalise_street("grote markt")


@pytest.mark.parametrize(
    "text",
    ["7471AB", " 7471 ab ", "1000aa", "9999ZZ", "0471AB", "747AB", "7471 A", "7471", "7471sa", ""],
)
def test_split_postcode_takes_what_normalise_postcode_takes(text: str) -> None:
    try:
        code = normalise_postcode(text)
    except InvalidPostcode:
        with pytest.raises(InvalidPostcode):
            split_postcode(text)
    else:
        assert split_postcode(text) == (int(code[:4]), code[4:])


def test_route_follows_letter_ranges_across_areas() -> None:
    wide, edges = buurt("wide", "7471KA-7473BZ"), buurt("edges", "7474AA", "7474ZZ")
    network = Network(Gemeente(G, "G"), (Kern(K, G, "K"),), (wide, edges), ())
    for inside in ("7471KA", "7471 zz", "7472AA", "7472MM", "7473BZ"):
        assert network.route(inside) == wide
    for outside in ("7471JZ", "7473CA", "7470ZZ", "7474AB", "7474ZY"):
        assert network.route(outside) is None
    assert network.route("7474 aa") == network.route("7474ZZ") == edges


def test_overlapping_ranges_find_each_buurt_once_and_a_street_only_one_lists() -> None:
    north = buurt("north", "7471AA-7471MZ", "7471LA-7471LZ", streets=("Kerkstraat",))
    south = buurt("south", "7471KA-7471ZZ", streets=("Markt", "Kerkstraat"))
    network = Network(Gemeente(G, "G"), (Kern(K, G, "K"),), (north, south), ())
    assert network.buurten_at("7471JZ") == (north,)
    assert network.buurten_at("7471LB") == (north, south)  # north once, in network order
    assert network.buurten_at("7471NA") == (south,)
    assert network.route("7471JZ", "Markt") == north  # one buurt: the street is a detail
    assert network.route("7471LB", " MARKT ") == south
    assert network.route("7471LB", "kerkstraat") is None  # both list it
    assert network.route("7471LB") is None


def test_adjacency_is_symmetric_even_when_listed_one_way() -> None:
    def ids(of: str) -> set[str]:
        return {b.id for b in NETWORK.adjacent_buurten(BuurtId(of))}

    assert ids("centrum") == {"west"}
    assert ids("west") == {"centrum"}  # only centrum lists it
    assert ids("oost") == {"zuid"}
    assert ids("dorp") == set()


def test_adjacency_never_includes_the_buurt_itself() -> None:
    net = Network(Gemeente(G, "G"), (), (buurt("a", adjacent=("a", "b")), buurt("b")), ())
    assert [b.id for b in net.adjacent_buurten(BuurtId("a"))] == ["b"]


# -- rosters ---------------------------------------------------------------------------------
BUURTGROEP = Group(GroupId("g:a"), G, GroupKind.BUURT, ChatRef(Platform.CONSOLE, "a"), "A")
REGIE = Group(GroupId("g:r"), G, GroupKind.REGIE, ChatRef(Platform.CONSOLE, "r"), "R")
ANNA, BERT, CARLA, DAAN, EVA = (PersonId(n) for n in ("anna", "bert", "carla", "daan", "eva"))


def roster(
    *members: tuple[PersonId, GroupRole], group: Group = BUURTGROEP, max_mede: int = 2
) -> Roster:
    return Roster(
        group, [Membership(group.id, p, r) for p, r in members], max_mede_beheerders=max_mede
    )


def roles(r: Roster) -> dict[PersonId, GroupRole]:
    return {m.person_id: m.role for m in r.memberships}


def test_admit_adds_a_lid_once() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR))
    assert r.admit(BERT, source=RoleSource.NETWORK_FILE) is True
    assert r.admit(BERT) is False
    assert r.role_of(BERT) is GroupRole.LID
    assert [m.source for m in r.memberships if m.person_id == BERT] == [RoleSource.NETWORK_FILE]


def test_set_role_keeps_the_mede_beheerder_limit() -> None:
    r = roster(
        (ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.LID), (CARLA, GroupRole.LID), max_mede=1
    )
    r.set_role(BERT, GroupRole.MEDE_BEHEERDER)
    with pytest.raises(RosterError) as info:
        r.set_role(CARLA, GroupRole.MEDE_BEHEERDER)
    assert info.value.problem is RosterProblem.TOO_MANY_MEDE_BEHEERDERS
    assert r.role_of(CARLA) is GroupRole.LID


def test_set_role_refuses_a_second_eigenaar_and_demoting_the_eigenaar() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.LID))
    with pytest.raises(RosterError) as second:
        r.set_role(BERT, GroupRole.EIGENAAR)
    assert second.value.problem is RosterProblem.ALREADY_EIGENAAR
    with pytest.raises(RosterError) as demote:
        r.set_role(ANNA, GroupRole.LID)
    assert demote.value.problem is RosterProblem.EIGENAAR_MUST_TRANSFER


def test_only_a_buurtgroep_has_beheerders() -> None:
    r = roster((ANNA, GroupRole.LID), group=REGIE)
    with pytest.raises(RosterError) as info:
        r.set_role(ANNA, GroupRole.MEDE_BEHEERDER)
    assert info.value.problem is RosterProblem.NOT_A_BUURTGROEP
    with pytest.raises(RosterError):
        r.transfer_ownership(ANNA)


def test_transfer_keeps_the_old_eigenaar_as_mede_beheerder_when_there_is_room() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.LID))
    r.transfer_ownership(BERT)
    assert roles(r) == {ANNA: GroupRole.MEDE_BEHEERDER, BERT: GroupRole.EIGENAAR}
    r.check()


def test_transfer_makes_the_old_eigenaar_lid_when_the_mede_beheerders_are_full() -> None:
    r = roster(
        (ANNA, GroupRole.EIGENAAR),
        (BERT, GroupRole.MEDE_BEHEERDER),
        (CARLA, GroupRole.MEDE_BEHEERDER),
        (DAAN, GroupRole.LID),
    )
    r.transfer_ownership(DAAN)
    assert r.eigenaar == DAAN
    assert r.role_of(ANNA) is GroupRole.LID
    r.check()


def test_transfer_to_a_mede_beheerder_swaps_their_roles_even_when_full() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.MEDE_BEHEERDER), max_mede=1)
    r.transfer_ownership(BERT)
    assert roles(r) == {ANNA: GroupRole.MEDE_BEHEERDER, BERT: GroupRole.EIGENAAR}
    r.check()


def test_transfer_to_the_eigenaar_changes_nothing() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.MEDE_BEHEERDER))
    r.transfer_ownership(ANNA)
    assert roles(r) == {ANNA: GroupRole.EIGENAAR, BERT: GroupRole.MEDE_BEHEERDER}


def test_step_down_makes_a_mede_beheerder_lid_but_the_eigenaar_must_hand_over() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.MEDE_BEHEERDER))
    r.step_down(BERT)
    assert r.role_of(BERT) is GroupRole.LID
    with pytest.raises(RosterError) as owner:
        r.step_down(ANNA)
    assert owner.value.problem is RosterProblem.EIGENAAR_MUST_TRANSFER
    with pytest.raises(RosterError) as stranger:
        r.step_down(EVA)
    assert stranger.value.problem is RosterProblem.NOT_A_MEMBER


def test_remove_takes_a_member_out_but_never_the_eigenaar() -> None:
    r = roster((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.MEDE_BEHEERDER))
    assert r.remove(BERT) is True
    assert r.remove(BERT) is False
    with pytest.raises(RosterError) as info:
        r.remove(ANNA)
    assert info.value.problem is RosterProblem.EIGENAAR_MUST_TRANSFER
    assert roles(r) == {ANNA: GroupRole.EIGENAAR}


@pytest.mark.parametrize(
    ("members", "group", "problem"),
    [
        (((ANNA, GroupRole.LID),), BUURTGROEP, RosterProblem.NO_EIGENAAR),
        (
            ((ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.EIGENAAR)),
            BUURTGROEP,
            RosterProblem.SEVERAL_EIGENAREN,
        ),
        (
            (
                (ANNA, GroupRole.EIGENAAR),
                (BERT, GroupRole.MEDE_BEHEERDER),
                (CARLA, GroupRole.MEDE_BEHEERDER),
                (DAAN, GroupRole.MEDE_BEHEERDER),
            ),
            BUURTGROEP,
            RosterProblem.TOO_MANY_MEDE_BEHEERDERS,
        ),
        (((ANNA, GroupRole.MEDE_BEHEERDER),), REGIE, RosterProblem.NOT_A_BUURTGROEP),
    ],
)
def test_check_finds_a_broken_roster(
    members: tuple[tuple[PersonId, GroupRole], ...], group: Group, problem: RosterProblem
) -> None:
    with pytest.raises(RosterError) as info:
        roster(*members, group=group).check()
    assert info.value.problem is problem


def test_check_accepts_sound_rosters() -> None:
    roster(
        (ANNA, GroupRole.EIGENAAR), (BERT, GroupRole.MEDE_BEHEERDER), (CARLA, GroupRole.LID)
    ).check()
    roster((ANNA, GroupRole.LID), group=REGIE).check()


def test_a_buurt_with_two_ranges_in_one_area_routes_without_a_street() -> None:
    from buurtbot.core.domain.model import Buurt, Gemeente, Kern
    from buurtbot.core.domain.network import Network
    from buurtbot.core.domain.postcode import PostcodeRange
    from buurtbot.core.ids import BuurtId, GemeenteId, KernId

    g, k = GemeenteId("g"), KernId("k")
    split = Buurt(
        BuurtId("b"), g, k, "B",
        postcodes=(PostcodeRange.parse("7471AA-7471KZ"), PostcodeRange.parse("7471MA-7471ZZ")),
    )  # fmt: skip
    network = Network(Gemeente(g, "G"), (Kern(k, g, "K"),), (split,), ())
    assert network.route("7471 ab") == split
    assert network.route("7471 ZZ") == split
    assert network.route("7471 LA") is None
    assert network.buurten_at("7471AB") == (split,)
