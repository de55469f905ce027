"""Escalation (``/escalate``) from a buurtgroep, and forwarding (``/forward``) from the
regiegroep down to buurtgroepen.

Every target receives an escalated message once: a delivery row per (escalation, target)
is written with the outbox entry in the same transaction, and a second escalation of the
same message only adds the targets it did not reach yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.escalation import (
    Escalation,
    EscalationDelivery,
    Scope,
    Target,
    TargetKind,
    forward_targets,
    resolve_targets,
)
from buurtbot.core.domain.melding import Melding
from buurtbot.core.domain.model import Buurt, GemeenteRole, Group, GroupKind
from buurtbot.core.domain.patterns import Sighting, find_patterns, pattern_key
from buurtbot.core.events import CommandReceived
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import ChatRef, GroupId, PersonId
from buurtbot.core.services.handlers.meldingen import called_window, melding_for_message
from buurtbot.core.services.handlers.registry import CommandHandler
from buurtbot.core.services.signup import regie_group
from buurtbot.core.services.situation import Situation, private_chat
from buurtbot.core.text import RichText
from buurtbot.core.texts import escalation as texts
from buurtbot.core.texts import patterns as pattern_texts

#: Longest message text an escalation carries: as much as any adapter passes in (Telegram's
#: own limit is 4,096 characters). A copy longer than the target's limit is split.
MAX_TEXT = 16_384

#: How many of the gemeente's latest escalations a new one is compared with (those within
#: the gemeente's ``pattern_window_hours``).
PATTERN_LOOKBACK = 500


def copy_key(escalation_id: str, target: Target) -> str:
    """Outbox key of an escalated copy: a reply to the copy finds the escalation again."""
    return f"esc:{escalation_id}:{target.key}"


def render_copy(
    s: Situation,
    tr: Translator,
    escalation: Escalation,
    melding: Melding | None,
    *,
    forwarded_by: str | None = None,
) -> RichText:
    """The copy of an escalation as one target reads it, in that target's language."""
    assert s.network is not None
    group = s.network.group(escalation.source_group)
    buurt = s.network.buurt(group.buurt_id) if group and group.buurt_id else None
    kern = s.network.kern(buurt.kern_id) if buurt else None
    author = s.uow.persons.get(escalation.escalated_by)
    return texts.escalated_copy(
        tr,
        buurt=buurt.name if buurt else (group.name if group else "?"),
        kern=kern.name if kern else "?",
        at=escalation.escalated_at,
        by=(author.display_name if author else "") or "?",
        category=escalation.category,
        called=melding.called_within(s.now, called_window(s)) if melding else None,
        text=escalation.text,
        forwarded_by=forwarded_by,
    )


def escalate(s: Situation, cmd: CommandReceived) -> None:
    assert s.network is not None and s.group is not None and s.person is not None
    if cmd.reply_to is None:
        s.reply(texts.needs_reply(s.tr, cmd.name), to=cmd.message)
        return
    scope = Scope.parse(cmd.args[0] if cmd.args else None)
    if scope is None:
        s.reply(texts.unknown_scope(s.tr, cmd.args[0][:40]), to=cmd.message)
        return
    melding = melding_for_message(s, cmd.reply_to)
    escalation = s.uow.escalations.by_source(cmd.reply_to)
    created = escalation is None
    if escalation is None:
        if melding is None:
            # The free-text message becomes a melding by reference (its text stays out of the
            # melding), so that a later /112 on it reaches the escalated copies too.
            melding = Melding(
                id=uuid.uuid4().hex[:12],
                gemeente_id=s.network.gemeente.id,
                group_id=s.group.id,
                created_at=s.now,
                message=cmd.reply_to,
            )
            s.uow.meldingen.save(melding)
        escalation = Escalation(
            id=uuid.uuid4().hex[:12],
            gemeente_id=s.network.gemeente.id,
            source_group=s.group.id,
            source_message=cmd.reply_to,
            text=(cmd.reply_to_text or "").strip()[:MAX_TEXT],
            escalated_by=s.person.id,
            escalated_at=s.now,
            scope=scope,
            category=melding.category,
            melding_id=melding.id,
        )
        s.uow.escalations.add(escalation)
    settings = s.network.gemeente.settings
    targets = resolve_targets(
        s.network,
        s.group.id,
        scope=scope,
        category=escalation.category,
        rules=settings.escalation_rules,
        politie=_politie(s),
    )
    reached = _deliver(s, escalation, melding, targets)
    _report(s, cmd, escalation, reached, AuditAction.ESCALATED, reason=str(scope))
    if created:  # checked once per escalation: each pair of escalations is alerted once
        _alert_patterns(s, escalation, melding)


def _buurt_of(s: Situation, group_id: GroupId) -> Buurt | None:
    assert s.network is not None
    group = s.network.group(group_id)
    return s.network.buurt(group.buurt_id) if group and group.buurt_id else None


def _alert_patterns(s: Situation, escalation: Escalation, melding: Melding | None) -> None:
    """Tell the regiegroep, once, when ``escalation`` shares a plate or a very similar
    signalement with escalations of other buurten in the gemeente's pattern window."""
    assert s.network is not None
    regie = regie_group(s.network)
    buurt = _buurt_of(s, escalation.source_group)
    if regie is None or buurt is None:
        return
    window = timedelta(hours=s.network.gemeente.settings.pattern_window_hours)
    since = escalation.escalated_at - window
    earlier: list[Sighting] = []
    for other in s.uow.escalations.recent(s.network.gemeente.id, PATTERN_LOOKBACK):
        if other.escalated_at < since:
            break  # newest first: the rest is older still
        if other.id == escalation.id or other.forwarded_from:
            continue
        other_buurt = _buurt_of(s, other.source_group)
        if other_buurt is None or other_buurt.id == buurt.id:
            continue
        other_melding = s.uow.meldingen.get(other.melding_id) if other.melding_id else None
        earlier.append(Sighting(other, other_buurt.id, other_melding))
    new = Sighting(escalation, buurt.id, melding)
    matches = find_patterns(new, earlier, window=window)
    if not matches:
        return
    tr = s.translator_for(None, regie)
    buurten = {b.id: b.name for b in s.network.buurten}

    def seen(sighting: Sighting) -> pattern_texts.Seen:
        e = sighting.escalation
        name = buurten.get(sighting.buurt_id, "?") if sighting.buurt_id else "?"
        return pattern_texts.Seen(name, e.escalated_at, pattern_texts.short_id(e.id))

    text = pattern_texts.pattern_alert(tr, seen(new), [(seen(m.earlier), m) for m in matches])
    s.out.send(regie.chat, text, key=pattern_key(escalation, matches))


def _report(
    s: Situation,
    cmd: CommandReceived,
    escalation: Escalation,
    reached: list[str],
    action: AuditAction,
    *,
    reason: str,
) -> None:
    """Tell the sender where it went, and log it (the source group, never the text)."""
    assert s.network is not None and s.person is not None
    s.reply(
        texts.escalated_to(s.tr, reached) if reached else texts.nothing_new(s.tr),
        to=cmd.message,
    )
    s.uow.audit.add(
        AuditEntry(
            gemeente_id=s.network.gemeente.id,
            at=s.now,
            action=action,
            actor=s.person.id,
            group_id=escalation.source_group,
            reason=reason,
            detail={"escalation": escalation.id, "targets": str(len(reached))},
        )
    )


def _politie(s: Situation) -> list[PersonId]:
    assert s.network is not None
    return s.uow.persons.with_gemeente_role(s.network.gemeente.id, GemeenteRole.POLITIE)


def _deliver(
    s: Situation,
    escalation: Escalation,
    melding: Melding | None,
    targets: Sequence[Target],
    *,
    forwarded_by: str | None = None,
) -> list[str]:
    """Queue a copy for every target not reached before; the names of those reached now.

    Written in two batches (the deliveries, then the copies): an escalation may reach
    hundreds of groups, and it is one transaction that the relay waits for."""
    assert s.network is not None
    found = []
    for target in targets:
        chat, name, group = _where(s, target)
        if chat is not None:
            found.append((target, chat, name, group))
    deliveries = [
        EscalationDelivery(escalation.id, target, chat, copy_key(escalation.id, target), s.now)
        for target, chat, _, _ in found
    ]
    added = s.uow.escalations.add_deliveries(deliveries)
    copies: dict[tuple[str, str], RichText] = {}  # one rendering per language and timezone
    messages: list[tuple[ChatRef, RichText, str]] = []
    reached: list[str] = []
    for (target, chat, name, group), delivery, new in zip(found, deliveries, added, strict=True):
        if not new:
            continue
        person = s.uow.persons.get(target.person_id) if target.person_id else None
        tr = s.translator_for(person, group)
        look = (str(tr.locale), str(tr.tz))
        if look not in copies:
            copies[look] = render_copy(s, tr, escalation, melding, forwarded_by=forwarded_by)
        messages.append((chat, copies[look], delivery.outbox_key))
        reached.append(name)
    s.out.send_all(messages)
    return reached


def _where(s: Situation, target: Target) -> tuple[ChatRef | None, str, Group | None]:
    assert s.network is not None
    if target.group_id is not None:
        group = s.network.group(target.group_id)
        return (group.chat, group.name, group) if group else (None, "", None)
    person = s.uow.persons.get(target.person_id) if target.person_id else None
    if person is None:
        return None, "", None
    return private_chat(person), person.display_name or person.id, None  # None: unreachable


def forward(s: Situation, cmd: CommandReceived) -> None:
    assert s.network is not None and s.person is not None
    key = s.uow.outbox.key_of_message(cmd.reply_to) if cmd.reply_to else None
    escalation = s.uow.escalations.by_outbox_key(key) if key else None
    if escalation is None:
        s.reply(texts.forward_needs_escalation(s.tr), to=cmd.message)
        return
    area = (cmd.args[0] if cmd.args else "groep").lower()[:40]
    own = [
        m.group_id
        for m in s.memberships
        if (g := s.network.group(m.group_id)) is not None and g.kind is GroupKind.BUURT
    ]
    if area in ("group", "groep", "eigen", "own") and not own:
        s.reply(texts.no_own_groups(s.tr), to=cmd.message)
        return
    wide = area not in ("group", "groep", "eigen", "own")
    if wide and GemeenteRole.HOOFDCOORDINATOR not in s.actor.gemeente_roles:
        s.reply(texts.area_not_allowed(s.tr), to=cmd.message)
        return
    source = s.network.group(escalation.source_group)
    buurt = s.network.buurt(source.buurt_id) if source and source.buurt_id else None
    try:
        group_ids = forward_targets(
            s.network,
            area={"eigen": "group", "own": "group"}.get(area, area),
            own_groups=own,
            kern_id=buurt.kern_id if buurt else None,
        )
    except ValueError:
        s.reply(texts.unknown_area(s.tr, area), to=cmd.message)
        return
    targets = [
        Target(TargetKind.GEMEENTE, group_id=g) for g in group_ids if g != escalation.source_group
    ]
    melding = s.uow.meldingen.get(escalation.melding_id) if escalation.melding_id else None
    name = s.person.display_name or "?"
    reached = _deliver(s, escalation, melding, targets, forwarded_by=name)
    _report(s, cmd, escalation, reached, AuditAction.FORWARDED, reason=area)


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.ESCALATE: escalate,
    Command.FORWARD: forward,
}
