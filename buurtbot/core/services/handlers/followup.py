"""The police feedback loop: ``/followup <id> [note]`` records what came of an escalation
that went to the police (the reminder that asks for it is a job, :mod:`..jobs`).

Decisions, where the brief left room:

- **Marked for the police** means that the escalation has a recorded delivery to a police
  liaison (:func:`~buurtbot.core.domain.escalation.marked_for_police`): ``/escalate politie``,
  or any scope whose gemeente rule includes the police. The scope typed is not enough: where
  no police liaison was reachable nothing went to the police. A later ``/escalate politie``
  of an escalation marks it then (the reminder counts from that delivery). If the liaison is
  erased ("forget me"), their private copy goes with them and the mark with it.
- **Which escalation**: the short id the reminder and the pattern alerts show (``#a1b2c3``;
  the ``#`` may be typed or not, at least 4 characters, any case). An id matching several
  escalations of the gemeente lists them with their full ids (an exact full id wins);
  an id found only in another gemeente is answered as such.
- **Who**: in a buurtgroep its beheerders, for escalations from that group; privately the
  beheerder who escalated it, the beheerders of the group it came from (who could do it
  there anyway) and the regie roles (hoofdcoordinator, contactpersoon, politie) of the
  gemeente; in the regiegroep its regie members (the policy checks place and role, this
  module the escalation).
- **Once**: the first follow-up stays; a second is answered with who recorded it and when.
  The note is one line, without control characters, cut at :data:`MAX_NOTE`. It is stored
  with the escalation (and goes with it at the end of the retention period), told to the
  regiegroep, and never written to the audit log, which records only who and which.
- **The regiegroep** is told once (outbox key ``police-followup-recorded:<id>``), unless
  the follow-up was recorded there: then the confirmation is that message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.escalation import Escalation, marked_for_police
from buurtbot.core.domain.model import GemeenteRole
from buurtbot.core.events import CommandReceived
from buurtbot.core.policy import Place
from buurtbot.core.services.handlers.registry import Answer, CommandHandler, answering
from buurtbot.core.services.signup import regie_group
from buurtbot.core.services.situation import Situation
from buurtbot.core.texts import followup as texts
from buurtbot.core.texts.patterns import short_id
from buurtbot.core.texts.replies import person_name

#: Longest note kept (like a moderation note); the rest is cut.
MAX_NOTE = 300
#: The shortest id prefix looked up, and how many matches are read at most.
MIN_ID_LENGTH = 4
LOOKUP_LIMIT = 10
_ID = re.compile(rf"[a-z0-9_-]{{{MIN_ID_LENGTH},64}}")
_REGIE = frozenset(
    {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
)


def clean_note(words: Sequence[str]) -> tuple[str, int | None]:
    """The note as one line: control and other invisible characters out (the emoji joiner
    stays), cut at :data:`MAX_NOTE`; the limit when it was cut."""
    kept = []
    for char in " ".join(words):
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")
        elif not category.startswith("C") or char == "\u200d":
            kept.append(char)
    note = " ".join("".join(kept).split())
    if len(note) <= MAX_NOTE:
        return note, None
    return note[: MAX_NOTE - 1].rstrip() + "…", MAX_NOTE


def named(s: Situation, escalation: Escalation) -> texts.Named:
    """The escalation by its buurt (else its group's name), time and short id."""
    assert s.network is not None
    group = s.network.group(escalation.source_group)
    buurt = s.network.buurt(group.buurt_id) if group and group.buurt_id else None
    name = buurt.name if buurt else (group.name if group else "?")
    return texts.Named(name, escalation.escalated_at, short_id(escalation.id))


def find_escalation(s: Situation, typed: str) -> Escalation:
    """The gemeente's escalation a person means by ``typed`` (a short or full id), or an
    :class:`Answer` saying why there is none."""
    assert s.network is not None
    shown = clean_note([typed])[0][:20]  # echoed back: no control characters
    prefix = typed.strip().removeprefix("#").lower()
    if not _ID.fullmatch(prefix):
        raise Answer(texts.unknown_id(s.tr, shown))
    found = s.uow.escalations.with_id_prefix(prefix, LOOKUP_LIMIT)
    here = [e for e in found if e.gemeente_id == s.network.gemeente.id]
    exact = [e for e in here if e.id == prefix]
    if exact:
        return exact[0]
    if len(here) == 1:
        return here[0]
    if here:
        candidates = []
        for escalation in here:
            name = named(s, escalation)
            candidates.append(texts.Named(name.buurt, name.at, escalation.id))  # the full id
        raise Answer(texts.ambiguous_id(s.tr, shown, candidates))
    if found:
        raise Answer(texts.other_gemeente(s.tr, prefix[:12]))
    raise Answer(texts.unknown_id(s.tr, shown))


def _check_may(s: Situation, escalation: Escalation) -> None:
    """The place and role were checked by the policy; here: this escalation."""
    assert s.person is not None
    short = short_id(escalation.id)
    if s.place is Place.BUURTGROEP:
        assert s.group is not None
        if s.group.id != escalation.source_group:
            raise Answer(texts.not_from_this_group(s.tr, short))
        return
    if s.place is not Place.PRIVATE:
        return  # the regiegroep: every escalation of the gemeente
    regie = bool(s.actor.gemeente_roles & _REGIE)
    own = escalation.escalated_by == s.person.id
    source_beheerder = any(
        m.group_id == escalation.source_group and m.role.is_beheerder for m in s.memberships
    )
    if not (regie or own or source_beheerder):
        raise Answer(texts.not_yours(s.tr, short))


@answering
def follow_up(s: Situation, cmd: CommandReceived) -> None:
    assert s.network is not None and s.person is not None
    if not cmd.args:
        raise Answer(texts.usage(s.tr, cmd.name))
    escalation = find_escalation(s, cmd.args[0])
    _check_may(s, escalation)
    short = short_id(escalation.id)
    if not marked_for_police(s.uow.escalations.deliveries(escalation.id)):
        raise Answer(texts.not_for_police(s.tr, short))
    if escalation.followed_up_at is not None:
        by = s.uow.persons.get(escalation.followed_up_by) if escalation.followed_up_by else None
        raise Answer(
            texts.already_followed_up(s.tr, short, escalation.followed_up_at, person_name(s.tr, by))
        )
    note, cut_at = clean_note(cmd.args[1:])
    if not s.uow.escalations.record_follow_up(escalation.id, at=s.now, by=s.person.id, note=note):
        # Read as open a moment ago in this transaction: another one just recorded it.
        raise Answer(texts.already_followed_up(s.tr, short, s.now, "?"))
    s.uow.audit.add(
        AuditEntry(
            gemeente_id=s.network.gemeente.id,
            at=s.now,
            action=AuditAction.FOLLOWED_UP,
            actor=s.person.id,
            group_id=escalation.source_group,
            detail={"escalation": escalation.id},
        )
    )
    which = named(s, escalation)
    s.reply(texts.recorded(s.tr, which, cut_at), to=cmd.message)
    regie = regie_group(s.network)
    if regie is not None and (s.group is None or s.group.id != regie.id):
        tr = s.translator_for(None, regie)
        text = texts.recorded_for_regie(tr, which, person_name(tr, s.person), note)
        s.out.send(regie.chat, text, key=f"police-followup-recorded:{escalation.id}")


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.FOLLOWUP: follow_up,
}
