"""Escalation: passing a buurtgroep's message on to the regiegroep and beyond.

The gemeente's rules decide, per category and scope, which targets an escalation reaches.
The regiegroep is always among them: it sees everything that is escalated in the gemeente.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.ids import ChatRef, GemeenteId, GroupId, MessageRef, PersonId

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
    ADJACENT = "adjacent"  # the buurtgroepen of the adjacent buurten
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


@dataclass(frozen=True, slots=True)
class EscalationDelivery:
    """An escalation on its way to one target chat; ``outbox_key`` finds the sent copy."""

    escalation_id: EscalationId
    target: Target
    chat: ChatRef
    outbox_key: str
    queued_at: datetime
    state: DeliveryState = DeliveryState.QUEUED
