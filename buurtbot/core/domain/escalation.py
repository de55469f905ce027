"""Escalation: passing a buurtgroep's message on to the regiegroep and beyond.

The gemeente's rules decide, per category and scope, which targets an escalation reaches.
The regiegroep is always among them: it sees everything that is escalated in the gemeente.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, KernId, MessageRef, PersonId

if TYPE_CHECKING:  # model imports this module (for DEFAULT_RULES): no import cycle at runtime
    from buurtbot.core.domain.model import Group
    from buurtbot.core.domain.network import Network

EscalationId = str


class Scope(enum.StrEnum):
    """What the beheerder types after ``/escalate`` (Dutch and English words both work)."""

    DEFAULT = "default"
    ADJACENT = "adjacent"
    KERN = "kern"
    POLITIE = "politie"
    REGIE = "regie"

    @classmethod
    def parse(cls, word: str | None) -> Scope | None:
        if word is None or not word.strip():
            return cls.DEFAULT
        return _SCOPE_WORDS.get(word.strip().lower())


_SCOPE_WORDS = {
    "buren": Scope.ADJACENT,
    "adjacent": Scope.ADJACENT,
    "neighbours": Scope.ADJACENT,
    "neighbors": Scope.ADJACENT,
    "kern": Scope.KERN,
    "dorp": Scope.KERN,
    "village": Scope.KERN,
    "politie": Scope.POLITIE,
    "police": Scope.POLITIE,
    "regie": Scope.REGIE,
    "regiegroep": Scope.REGIE,
}


class TargetKind(enum.StrEnum):
    REGIE = "regie"  # the regiegroep
    ADJACENT = "adjacent"  # the buurt's other groups and those of the adjacent buurten
    KERN = "kern"  # every other buurtgroep of the same kern
    POLITIE = "politie"  # the police liaison(s), privately
    GEMEENTE = "gemeente"  # every buurtgroep of the gemeente


@dataclass(frozen=True, slots=True)
class EscalationRule:
    """For ``category`` (``None``: any) and ``scope``, send to ``targets`` (plus the regiegroep)."""

    scope: Scope
    targets: frozenset[TargetKind]
    category: str | None = None


#: The seed's behaviour: what matters to neighbours goes to the regiegroep and the adjacent
#: buurten; the other scopes widen or narrow that on the beheerder's word.
DEFAULT_RULES: tuple[EscalationRule, ...] = (
    EscalationRule(Scope.DEFAULT, frozenset({TargetKind.REGIE, TargetKind.ADJACENT})),
    EscalationRule(Scope.ADJACENT, frozenset({TargetKind.REGIE, TargetKind.ADJACENT})),
    EscalationRule(Scope.KERN, frozenset({TargetKind.REGIE, TargetKind.KERN})),
    EscalationRule(Scope.POLITIE, frozenset({TargetKind.REGIE, TargetKind.POLITIE})),
    EscalationRule(Scope.REGIE, frozenset({TargetKind.REGIE})),
)


@dataclass(frozen=True, slots=True)
class Target:
    """One recipient of an escalation: a group, or a police liaison in a private chat."""

    kind: TargetKind
    group_id: GroupId | None = None
    person_id: PersonId | None = None

    @property
    def key(self) -> str:
        return f"group:{self.group_id}" if self.group_id else f"person:{self.person_id}"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Escalation:
    """One escalated message. ``text`` is the message as it was escalated; it is kept only
    for the gemeente's retention period, for the log and the regiegroep's overview."""

    id: EscalationId
    gemeente_id: GemeenteId
    source_group: GroupId
    source_message: MessageRef
    text: str
    escalated_by: PersonId
    escalated_at: datetime
    scope: Scope
    category: str | None = None
    melding_id: str | None = None
    forwarded_from: EscalationId | None = None
    #: The police follow-up (``/followup``): when, by whom (``None`` once erased), a note.
    followed_up_at: datetime | None = None
    followed_up_by: PersonId | None = None
    follow_up_note: str = ""
    #: When the escalating beheerder was reminded that the follow-up is missing.
    police_reminded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EscalationDelivery:
    """An escalation on its way to one target chat; ``outbox_key`` finds the sent copy."""

    escalation_id: EscalationId
    target: Target
    chat: ChatRef
    outbox_key: str
    queued_at: datetime
    state: DeliveryState = DeliveryState.QUEUED


def marked_for_police(deliveries: Iterable[EscalationDelivery]) -> bool:
    """Whether an escalation is *marked for the police*: one of its deliveries went to a
    police liaison (``/escalate politie``, or a gemeente rule that includes the police).

    What counts is the recorded delivery, not the scope typed: a police scope in a gemeente
    without a reachable liaison reached no police, and there is nothing to follow up."""
    return any(d.target.kind is TargetKind.POLITIE for d in deliveries)


# -- policy: who receives an escalation --------------------------------------------------------

#: The order targets are listed in, and which kind a group reached twice is listed under.
TARGET_ORDER: tuple[TargetKind, ...] = (
    TargetKind.REGIE,
    TargetKind.ADJACENT,
    TargetKind.KERN,
    TargetKind.GEMEENTE,
    TargetKind.POLITIE,
)


def rule_for(
    rules: Sequence[EscalationRule], *, scope: Scope, category: str | None
) -> EscalationRule:
    """The rule that applies: the gemeente's rule for this scope and category, else its
    rule for this scope and any category, else the seed's default for the scope.

    The first matching rule wins, so a network file's order decides between duplicates.
    """
    if category is not None:
        for rule in rules:
            if rule.scope is scope and rule.category == category:
                return rule
    for rule in rules:
        if rule.scope is scope and rule.category is None:
            return rule
    return next(rule for rule in DEFAULT_RULES if rule.scope is scope)


def _buurtgroepen(network: Network) -> tuple[Group, ...]:
    from buurtbot.core.domain.model import GroupKind  # runtime import: see TYPE_CHECKING

    return network.groups_of_kind(GroupKind.BUURT)


def _regiegroepen(network: Network) -> tuple[Group, ...]:
    from buurtbot.core.domain.model import GroupKind

    return network.groups_of_kind(GroupKind.REGIE)


def resolve_targets(
    network: Network,
    source_group_id: GroupId,
    *,
    scope: Scope,
    category: str | None,
    rules: Sequence[EscalationRule],
    politie: Sequence[PersonId],
) -> tuple[Target, ...]:
    """Everyone an escalation from ``source_group_id`` reaches, each once, in a fixed order.

    The regiegroep is always a target, whatever the rule says: the seed has it see every
    escalation. A group reached under two kinds is listed under the first in
    :data:`TARGET_ORDER`; within a kind, groups sort by id and police liaisons by person id,
    so the same escalation always produces the same deliveries. The source group itself is
    never a target.

    Raises ``ValueError`` when the source is not a buurtgroep of this network with a buurt
    the network knows: an escalation only starts in a buurtgroep.
    """
    source = network.group(source_group_id)
    buurtgroepen = _buurtgroepen(network)
    if source is None or source not in buurtgroepen or source.buurt_id is None:
        raise ValueError(f"{source_group_id!r} is not a buurtgroep of this network")
    buurt = network.buurt(source.buurt_id)
    if buurt is None:
        raise ValueError(f"buurtgroep {source_group_id!r} has unknown buurt {source.buurt_id!r}")

    kinds = rule_for(rules, scope=scope, category=category).targets | {TargetKind.REGIE}
    # The buurt's own other groups (its Signal group beside its Telegram one) are the
    # nearest neighbours of all: the same street, another platform.
    adjacent = {b.id for b in network.adjacent_buurten(buurt.id)} | {buurt.id}
    in_kern = {b.id for b in network.buurten_in(buurt.kern_id)}
    groups_of: dict[TargetKind, list[Group]] = {
        TargetKind.REGIE: list(_regiegroepen(network)),
        TargetKind.ADJACENT: [g for g in buurtgroepen if g.buurt_id in adjacent],
        TargetKind.KERN: [g for g in buurtgroepen if g.buurt_id in in_kern],
        TargetKind.GEMEENTE: list(buurtgroepen),
    }

    targets: list[Target] = []
    seen: set[GroupId] = {source.id}
    for kind in TARGET_ORDER:
        if kind not in kinds:
            continue
        if kind is TargetKind.POLITIE:
            targets += [Target(kind, person_id=p) for p in sorted(set(politie))]
            continue
        for group in sorted(groups_of[kind], key=lambda g: g.id):
            if group.id not in seen:
                seen.add(group.id)
                targets.append(Target(kind, group_id=group.id))
    return tuple(targets)


#: What a contactpersoon may type after ``/forward``, and what it means.
FORWARD_AREAS: dict[str, str] = {
    "group": "group",
    "groep": "group",
    "kern": "kern",
    "all": "all",
    "alles": "all",
    "gemeente": "all",
}


def forward_targets(
    network: Network,
    *,
    area: str,
    own_groups: Sequence[GroupId],
    kern_id: KernId | None,
) -> tuple[GroupId, ...]:
    """The buurtgroepen a regiegroep member's ``/forward`` reaches, sorted and unique.

    ``group`` (the default, also for an empty ``area``): the buurtgroepen among
    ``own_groups``, the groups the contactpersoon looks after; ``kern``: every buurtgroep of
    ``kern_id`` (the kern the escalation came from); ``all``: every buurtgroep of the
    gemeente. Only buurtgroepen of this network are ever returned: forwarding goes down to
    the residents, never sideways into the regie- or coordinatorengroep.

    Raises ``ValueError`` for an unknown area, or for ``kern`` without a ``kern_id``.
    """
    word = area.strip().lower() or "group"
    meaning = FORWARD_AREAS.get(word)
    if meaning is None:
        raise ValueError(f"unknown forward area {area!r}")
    buurtgroepen = _buurtgroepen(network)
    if meaning == "group":
        wanted = set(own_groups)
        chosen = [g.id for g in buurtgroepen if g.id in wanted]
    elif meaning == "kern":
        if kern_id is None:
            raise ValueError("forwarding to a kern needs the kern")
        in_kern = {b.id for b in network.buurten_in(kern_id)}
        chosen = [g.id for g in buurtgroepen if g.buurt_id in in_kern]
    else:
        chosen = [g.id for g in buurtgroepen]
    return tuple(sorted(set(chosen)))
