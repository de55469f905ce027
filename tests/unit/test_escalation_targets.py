"""Who an escalation reaches (``/escalate``) and where a contactpersoon forwards (``/forward``).

The network, by hand:

    kern goor:    centrum -- west        zuid lists centrum (adjacency is read both ways)
                  centrum -- oost        oost has two buurtgroepen (Telegram and Signal)
                  centrum -- noordveld   noordveld has no buurtgroep yet
                  noord                  in the kern, not adjacent to centrum
    kern delden:  stad (lists centrum: adjacent across the kern border), buiten

plus a coordinatorengroep and a regiegroep.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from buurtbot.core.domain.escalation import (
    DEFAULT_RULES,
    TARGET_ORDER,
    EscalationRule,
    Scope,
    Target,
    TargetKind,
    forward_targets,
    resolve_targets,
    rule_for,
)
from buurtbot.core.domain.model import Buurt, Gemeente, Group, GroupKind, Kern
from buurtbot.core.domain.network import Network
from buurtbot.core.ids import BuurtId, ChatRef, GemeenteId, GroupId, KernId, PersonId, Platform

G = GemeenteId("hof")
GOOR = KernId("goor")
DELDEN = KernId("delden")


def _buurt(bid: str, kern: KernId, *adjacent: str) -> Buurt:
    return Buurt(BuurtId(bid), G, kern, bid, adjacent=frozenset(BuurtId(a) for a in adjacent))


def _group(gid: str, kind: GroupKind, buurt: str | None, platform: Platform) -> Group:
    return Group(
        GroupId(gid),
        G,
        kind,
        ChatRef(platform, f"chat-{gid}"),
        gid,
        buurt_id=BuurtId(buurt) if buurt else None,
    )


T, S = Platform.TELEGRAM, Platform.SIGNAL
NETWORK = Network(
    Gemeente(G, "Hof van Twente"),
    (Kern(GOOR, G, "Goor"), Kern(DELDEN, G, "Delden")),
    (
        _buurt("centrum", GOOR, "west", "oost", "noordveld"),
        _buurt("west", GOOR),
        _buurt("oost", GOOR),
        _buurt("zuid", GOOR, "centrum"),
        _buurt("noordveld", GOOR),
        _buurt("noord", GOOR),
        _buurt("stad", DELDEN, "centrum"),
        _buurt("buiten", DELDEN),
    ),
    (
        _group("bg-centrum", GroupKind.BUURT, "centrum", T),
        _group("bg-west", GroupKind.BUURT, "west", S),
        _group("bg-oost", GroupKind.BUURT, "oost", T),
        _group("bg-oost-signal", GroupKind.BUURT, "oost", S),
        _group("bg-zuid", GroupKind.BUURT, "zuid", S),
        _group("bg-noord", GroupKind.BUURT, "noord", T),
        _group("bg-stad", GroupKind.BUURT, "stad", T),
        _group("bg-buiten", GroupKind.BUURT, "buiten", S),
        _group("coordinatoren", GroupKind.COORDINATOREN, None, S),
        _group("regie", GroupKind.REGIE, None, T),
    ),
)
SOURCE = GroupId("bg-centrum")
POLITIE = (PersonId("wijkagent-b"), PersonId("wijkagent-a"))

# What each kind means for an escalation from bg-centrum, written out by hand.
EXPECTED_GROUPS: dict[TargetKind, list[str]] = {
    TargetKind.REGIE: ["regie"],
    TargetKind.ADJACENT: ["bg-oost", "bg-oost-signal", "bg-stad", "bg-west", "bg-zuid"],
    TargetKind.KERN: ["bg-noord", "bg-oost", "bg-oost-signal", "bg-west", "bg-zuid"],
    TargetKind.GEMEENTE: [
        "bg-buiten",
        "bg-noord",
        "bg-oost",
        "bg-oost-signal",
        "bg-stad",
        "bg-west",
        "bg-zuid",
    ],
}
EXPECTED_POLITIE = ["wijkagent-a", "wijkagent-b"]


def _resolve(
    scope: Scope = Scope.DEFAULT,
    *,
    rules: tuple[EscalationRule, ...] = (),
    category: str | None = None,
    source: str = SOURCE,
    network: Network = NETWORK,
    politie: tuple[PersonId, ...] = POLITIE,
) -> list[tuple[TargetKind, str]]:
    targets = resolve_targets(
        network, GroupId(source), scope=scope, category=category, rules=rules, politie=politie
    )
    return [(t.kind, str(t.group_id or t.person_id)) for t in targets]


def _expected(kinds: frozenset[TargetKind]) -> list[tuple[TargetKind, str]]:
    """The regiegroep, then each kind's groups not listed yet, then the police."""
    out: list[tuple[TargetKind, str]] = []
    listed: set[str] = set()
    for kind in TARGET_ORDER:
        if kind is not TargetKind.REGIE and kind not in kinds:
            continue
        if kind is TargetKind.POLITIE:
            out += [(kind, p) for p in EXPECTED_POLITIE]
            continue
        fresh = [g for g in EXPECTED_GROUPS[kind] if g not in listed]
        listed.update(fresh)
        out += [(kind, g) for g in fresh]
    return out


# -- the seed's defaults, written out ----------------------------------------------------------
def test_by_default_the_regiegroep_and_the_adjacent_buurtgroepen_are_reached() -> None:
    assert _resolve() == [
        (TargetKind.REGIE, "regie"),
        (TargetKind.ADJACENT, "bg-oost"),
        (TargetKind.ADJACENT, "bg-oost-signal"),
        (TargetKind.ADJACENT, "bg-stad"),  # across the kern border
        (TargetKind.ADJACENT, "bg-west"),
        (TargetKind.ADJACENT, "bg-zuid"),  # listed adjacency the other way round
    ]


def test_kern_scope_reaches_every_other_buurtgroep_of_the_kern() -> None:
    assert _resolve(Scope.KERN) == [
        (TargetKind.REGIE, "regie"),
        (TargetKind.KERN, "bg-noord"),
        (TargetKind.KERN, "bg-oost"),
        (TargetKind.KERN, "bg-oost-signal"),
        (TargetKind.KERN, "bg-west"),
        (TargetKind.KERN, "bg-zuid"),
    ]


def test_politie_scope_reaches_each_police_liaison_privately() -> None:
    targets = resolve_targets(
        NETWORK, SOURCE, scope=Scope.POLITIE, category=None, rules=(), politie=POLITIE
    )
    assert targets == (
        Target(TargetKind.REGIE, group_id=GroupId("regie")),
        Target(TargetKind.POLITIE, person_id=PersonId("wijkagent-a")),
        Target(TargetKind.POLITIE, person_id=PersonId("wijkagent-b")),
    )


def test_regie_scope_reaches_only_the_regiegroep() -> None:
    assert _resolve(Scope.REGIE) == [(TargetKind.REGIE, "regie")]


def test_adjacent_scope_is_the_default_in_the_seeds_rules() -> None:
    assert _resolve(Scope.ADJACENT) == _resolve(Scope.DEFAULT)


# -- every scope against every rule shape -------------------------------------------------------
ALL_SHAPES = [
    frozenset(combo)
    for size in range(len(TargetKind) + 1)
    for combo in itertools.combinations(TARGET_ORDER, size)
]


@pytest.mark.parametrize("scope", list(Scope))
@pytest.mark.parametrize("kinds", ALL_SHAPES, ids=lambda k: "+".join(sorted(k)) or "none")
def test_every_rule_shape_in_every_scope(scope: Scope, kinds: frozenset[TargetKind]) -> None:
    rules = (EscalationRule(scope, kinds),)
    got = _resolve(scope, rules=rules)
    assert got == _expected(kinds)
    assert got[0] == (TargetKind.REGIE, "regie")  # always, even when the rule leaves it out
    keys = [name for _, name in got]
    assert len(keys) == len(set(keys))  # each target once
    assert not any(name == SOURCE for name in keys)


@pytest.mark.parametrize("scope", list(Scope))
def test_without_a_rule_for_the_scope_the_seeds_default_applies(scope: Scope) -> None:
    other = next(s for s in Scope if s is not scope)
    rules = (EscalationRule(other, frozenset(TargetKind)),)
    (default,) = [r for r in DEFAULT_RULES if r.scope is scope]
    assert _resolve(scope, rules=rules) == _expected(default.targets)
    assert _resolve(scope, rules=rules) == _resolve(scope)


# -- which rule applies ---------------------------------------------------------------------------
GENERAL = EscalationRule(Scope.DEFAULT, frozenset({TargetKind.ADJACENT}))
INBRAAK = EscalationRule(Scope.DEFAULT, frozenset({TargetKind.KERN}), category="inbraak")
RULES = (INBRAAK, GENERAL)


@pytest.mark.parametrize("rules", [RULES, RULES[::-1]], ids=["specific-first", "general-first"])
def test_a_rule_for_the_category_wins_over_the_general_rule_in_any_order(
    rules: tuple[EscalationRule, ...],
) -> None:
    assert rule_for(rules, scope=Scope.DEFAULT, category="inbraak") is INBRAAK
    assert rule_for(rules, scope=Scope.DEFAULT, category="vandalisme") is GENERAL
    assert rule_for(rules, scope=Scope.DEFAULT, category=None) is GENERAL
    assert _resolve(rules=rules, category="inbraak") == _expected(INBRAAK.targets)
    assert _resolve(rules=rules, category="overig") == _expected(GENERAL.targets)


def test_a_category_rule_for_another_scope_does_not_apply() -> None:
    rules = (EscalationRule(Scope.KERN, frozenset({TargetKind.GEMEENTE}), category="inbraak"),)
    assert rule_for(rules, scope=Scope.DEFAULT, category="inbraak") in DEFAULT_RULES
    assert _resolve(Scope.DEFAULT, rules=rules, category="inbraak") == _resolve(Scope.DEFAULT)


def test_only_a_rule_for_another_category_falls_back_to_the_seeds_default() -> None:
    rules = (EscalationRule(Scope.DEFAULT, frozenset({TargetKind.GEMEENTE}), category="inbraak"),)
    assert rule_for(rules, scope=Scope.DEFAULT, category="vandalisme") == DEFAULT_RULES[0]
    assert rule_for(rules, scope=Scope.DEFAULT, category=None) == DEFAULT_RULES[0]


def test_of_two_rules_for_the_same_scope_and_category_the_first_wins() -> None:
    first = EscalationRule(Scope.KERN, frozenset({TargetKind.POLITIE}))
    second = EscalationRule(Scope.KERN, frozenset({TargetKind.GEMEENTE}))
    assert rule_for((first, second), scope=Scope.KERN, category=None) is first


# -- de-duplication, the source, the police ----------------------------------------------------
def test_a_group_reached_twice_is_listed_once_under_the_first_kind() -> None:
    rules = (EscalationRule(Scope.DEFAULT, frozenset(TargetKind)),)
    got = _resolve(rules=rules)
    kind_of = {name: kind for kind, name in got}
    assert kind_of["bg-west"] is TargetKind.ADJACENT  # adjacent and in the kern
    assert kind_of["bg-noord"] is TargetKind.KERN  # in the kern and the gemeente
    assert kind_of["bg-stad"] is TargetKind.ADJACENT  # adjacent and in the gemeente
    assert kind_of["bg-buiten"] is TargetKind.GEMEENTE
    assert [k for k, _ in got] == sorted((k for k, _ in got), key=TARGET_ORDER.index)


@pytest.mark.parametrize("source", ["bg-oost", "bg-oost-signal", "bg-noord", "bg-buiten"])
def test_the_source_group_is_never_a_target(source: str) -> None:
    rules = (EscalationRule(Scope.DEFAULT, frozenset(TargetKind)),)
    got = _resolve(rules=rules, source=source)
    assert source not in [name for _, name in got]
    # Every other buurtgroep is reached, the coordinatorengroep never.
    others = {g.id for g in NETWORK.groups if g.kind is GroupKind.BUURT} - {source}
    assert {name for _, name in got} == others | {"regie", *EXPECTED_POLITIE}


def test_a_sibling_group_of_the_same_buurt_counts_as_adjacent_and_in_the_kern() -> None:
    """The buurt's group on the other platform is the same street: it hears it first."""
    adjacent = _resolve(source="bg-oost")
    assert (TargetKind.ADJACENT, "bg-oost-signal") in adjacent
    assert (TargetKind.ADJACENT, "bg-centrum") in adjacent
    assert (TargetKind.KERN, "bg-oost-signal") in _resolve(Scope.KERN, source="bg-oost")


def test_a_buurt_without_neighbours_reaches_only_the_regiegroep_by_default() -> None:
    assert _resolve(source="bg-noord") == [(TargetKind.REGIE, "regie")]


def test_police_liaisons_are_listed_once_each_and_only_when_the_rule_says_so() -> None:
    twice = (PersonId("b"), PersonId("a"), PersonId("b"))
    assert _resolve(Scope.POLITIE, politie=twice) == [
        (TargetKind.REGIE, "regie"),
        (TargetKind.POLITIE, "a"),
        (TargetKind.POLITIE, "b"),
    ]
    assert _resolve(Scope.POLITIE, politie=()) == [(TargetKind.REGIE, "regie")]
    assert all(kind is not TargetKind.POLITIE for kind, _ in _resolve(Scope.KERN))


def test_every_regiegroep_is_reached_when_a_network_has_two() -> None:
    second = _group("regie-2", GroupKind.REGIE, None, S)
    network = replace(NETWORK, groups=(second, *NETWORK.groups))
    got = _resolve(Scope.REGIE, network=network)
    assert got == [(TargetKind.REGIE, "regie"), (TargetKind.REGIE, "regie-2")]


def test_a_network_without_a_regiegroep_still_reaches_the_rest() -> None:
    groups = tuple(g for g in NETWORK.groups if g.kind is not GroupKind.REGIE)
    network = replace(NETWORK, groups=groups)
    assert _resolve(Scope.REGIE, network=network) == []
    assert _resolve(network=network) == _resolve()[1:]


def test_targets_cross_platforms() -> None:
    platforms = {
        group.chat.platform
        for _, name in _resolve()
        if (group := NETWORK.group(GroupId(name))) is not None
    }
    assert platforms == {Platform.TELEGRAM, Platform.SIGNAL}


def test_the_answer_is_the_same_every_time() -> None:
    rules = (EscalationRule(Scope.DEFAULT, frozenset(TargetKind)),)
    assert len({tuple(_resolve(rules=rules)) for _ in range(5)}) == 1


# -- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("source", ["regie", "coordinatoren", "nowhere", ""])
def test_an_escalation_only_starts_in_a_buurtgroep_of_the_network(source: str) -> None:
    with pytest.raises(ValueError, match="not a buurtgroep"):
        _resolve(source=source)


def test_a_buurtgroep_without_a_known_buurt_is_refused() -> None:
    stray = _group("bg-stray", GroupKind.BUURT, "elders", T)
    no_buurt = _group("bg-none", GroupKind.BUURT, None, T)
    network = replace(NETWORK, groups=(*NETWORK.groups, stray, no_buurt))
    with pytest.raises(ValueError, match="unknown buurt"):
        _resolve(source="bg-stray", network=network)
    with pytest.raises(ValueError, match="not a buurtgroep"):
        _resolve(source="bg-none", network=network)


# -- forward_targets ----------------------------------------------------------------------------
OWN = [GroupId("bg-west"), GroupId("bg-centrum")]


def _forward(area: str, own: list[GroupId] = OWN, kern: KernId | None = GOOR) -> list[str]:
    return [str(g) for g in forward_targets(NETWORK, area=area, own_groups=own, kern_id=kern)]


@pytest.mark.parametrize("area", ["group", "groep", "Groep", " GROUP ", ""])
def test_forwarding_to_the_own_groups_is_the_default(area: str) -> None:
    assert _forward(area) == ["bg-centrum", "bg-west"]


def test_own_groups_are_buurtgroepen_of_the_network_only_and_each_once() -> None:
    own = [GroupId(g) for g in ("regie", "coordinatoren", "elders", "bg-zuid", "bg-zuid")]
    assert _forward("groep", own) == ["bg-zuid"]
    assert _forward("groep", []) == []


def test_forwarding_to_the_kern_reaches_its_buurtgroepen() -> None:
    assert _forward("kern") == [
        "bg-centrum",
        "bg-noord",
        "bg-oost",
        "bg-oost-signal",
        "bg-west",
        "bg-zuid",
    ]
    assert _forward("kern", kern=DELDEN) == ["bg-buiten", "bg-stad"]
    assert _forward("kern", kern=KernId("nergens")) == []


@pytest.mark.parametrize("area", ["all", "alles", "gemeente", "Gemeente"])
def test_forwarding_to_all_reaches_every_buurtgroep(area: str) -> None:
    every = sorted(g.id for g in NETWORK.groups if g.kind is GroupKind.BUURT)
    assert _forward(area) == every
    assert "regie" not in every
    assert "coordinatoren" not in every


def test_forwarding_to_a_kern_needs_the_kern() -> None:
    with pytest.raises(ValueError, match="needs the kern"):
        _forward("kern", kern=None)


@pytest.mark.parametrize("area", ["buren", "regie", "iedereen", "kern-goor"])
def test_an_unknown_forward_area_is_refused(area: str) -> None:
    with pytest.raises(ValueError, match="unknown forward area"):
        _forward(area)
