"""Moderation: warnings, removal, blocks and the audit log (flow 4 of the design).

Decisions this module makes, where the issue left room:

- **Naming the person.** In a buurtgroep a beheerder always replies to a message of the
  member. In the regiegroep staff name the person by handle (``/warn eva taal``) or reply
  to a message about them: every notice the bot posts about a person carries the person in
  its outbox key (``…:about:<person id>``, see :func:`about_key`), so ``/unblock`` answered
  to a removal notice finds whom it is about.
- **Beheerders are the regiegroep's business.** A beheerder of *any* buurtgroep of the
  gemeente (a coordinator) cannot be warned or removed from a buurtgroep; the regiegroep
  staff can, except an eigenaar who must hand the group over first (refused up front, so
  nothing half-happens).
- **Where answers go.** Refusals and usage hints answer the command where it was typed.
  Confirmations to a beheerder and everything about one person (``/warns``) go to the
  beheerder's private chat: a warning count is nobody else's business. In the regiegroep
  the answer stays in the regiegroep.
- **Warnings count across the gemeente.** At ``warning_threshold`` active warnings the
  person leaves every buurtgroep of the gemeente (and the coordinatorengroep when they were
  a beheerder and no longer are) and is blocked: the block would keep them out anyway.
- **/remove removes without blocking**, from the beheerder's own group (in the regiegroep:
  from every buurtgroep of the gemeente); the regiegroep is told. Only the threshold blocks.
- **Platforms that cannot remove members** get no :class:`RemoveMember`; the beheerders are
  asked to remove the person by hand instead.
- **Blocked joins**: a join request is declined, a join undone; the beheerders (for a group
  without beheerders: the regiegroep) are told once per block and group. Everyone else's
  joins and join requests are :mod:`.joins`' business.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from buurtbot.core.actions import DeclineJoin, RemoveMember
from buurtbot.core.commands import Command
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.errors import RosterError
from buurtbot.core.domain.escalation import DeliveryState, Scope
from buurtbot.core.domain.model import GemeenteRole, Group, GroupKind, Person
from buurtbot.core.domain.moderation import (
    Block,
    Warning,
    WarningReason,
    active_warnings,
    expiry_for,
    latest_active,
    threshold_reached,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.roster import Roster
from buurtbot.core.events import CommandReceived, InboundEvent, JoinRequested, MemberJoined
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import ChatRef, GroupId, PersonId, Platform, PlatformIdentity
from buurtbot.core.policy import Place
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.services.handlers.registry import (
    Answer,
    CommandHandler,
    EventHandler,
    answering,
)
from buurtbot.core.services.situation import Situation, identity_on, private_chat
from buurtbot.core.text import RichText
from buurtbot.core.texts import escalation as escalation_texts
from buurtbot.core.texts import joins as joins_texts
from buurtbot.core.texts import moderation as texts
from buurtbot.core.texts.replies import person_name

log = logging.getLogger(__name__)

#: Longest note or removal reason kept; the rest is cut (it is told to people, not filed).
MAX_NOTE = 300
#: How many entries ``/log`` shows.
LOG_LIMIT = 15
#: What an outbox key about one person contains before the person's id.
ABOUT = ":about:"
#: The reason stored with a removal or block that the warning threshold caused.
THRESHOLD = "warning-threshold"
#: The reason stored with a declined join request of someone not in the group (not blocked).
NOT_ADMITTED = "not-admitted"
#: The reason stored with the removal of someone who joined without being admitted.
UNKNOWN_JOIN = "unknown-join"

_REGIE = frozenset(
    {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
)


def about_key(prefix: str, person: PersonId) -> str:
    """An outbox key for a message about ``person``; a reply to it names them again."""
    return f"{prefix}{ABOUT}{person}"


def person_in_key(key: str | None) -> PersonId | None:
    """The person an outbox key made by :func:`about_key` is about (pieces ``#n`` included)."""
    if not key:
        return None
    _head, sep, tail = key.rpartition(ABOUT)
    tail = tail.split("#", 1)[0]
    return PersonId(tail) if sep and tail else None


# ---------------------------------------------------------------------------------------------
# Looking people up
# ---------------------------------------------------------------------------------------------
def person_of(uow: UnitOfWork, identity: PlatformIdentity) -> Person | None:
    """The person behind an account; a console identity is the person id itself."""
    if identity.platform is Platform.CONSOLE:
        found = uow.persons.get(PersonId(identity.user_ref))
        if found is not None:
            return found
    return uow.persons.by_identity(identity)


@dataclass(frozen=True, slots=True)
class _Here:
    """The resolved context of a moderation command: always a gemeente and a known actor."""

    s: Situation
    network: Network
    actor: Person

    @property
    def in_regie(self) -> bool:
        return self.s.place is Place.REGIEGROEP

    def person(self, person_id: PersonId) -> Person | None:
        return self.s.uow.persons.get(person_id)

    def roster(self, group: Group) -> Roster:
        return Roster(
            group,
            self.s.uow.memberships.of_group(group.id),
            max_mede_beheerders=self.network.gemeente.settings.max_mede_beheerders,
        )

    def groups_of(self, person: Person, kind: GroupKind | None = None) -> list[Group]:
        found = [
            g
            for m in self.s.uow.memberships.of_person(person.id)
            if (g := self.network.group(m.group_id)) is not None
            and (kind is None or g.kind is kind)
        ]
        return sorted(found, key=lambda g: g.id)

    def beheerder_in(self, person: Person) -> list[Group]:
        """The buurtgroepen of the gemeente where ``person`` is eigenaar or mede-beheerder."""
        return [
            g
            for m in self.s.uow.memberships.of_person(person.id)
            if m.role.is_beheerder and (g := self.network.group(m.group_id)) is not None
        ]

    def takes_part(self, person: Person) -> bool:
        return person.gemeente_id == self.network.gemeente.id or bool(self.groups_of(person))

    def regiegroep(self) -> Group | None:
        found = self.network.groups_of_kind(GroupKind.REGIE)
        return found[0] if found else None

    def tell(self, person: Person, text: RichText, *, key: str | None = None) -> None:
        """Send ``text`` to ``person`` privately (on this chat's platform where possible)."""
        chat = private_chat(person, self.s.event.chat.platform)
        if chat is None:
            log.warning("cannot reach %s privately", person.id)
            return
        self.s.out.send(chat, text, key=key)

    def tr_for(self, person: Person | None = None, group: Group | None = None) -> Translator:
        return self.s.translator_for(person, group)

    def audit(
        self,
        action: AuditAction,
        *,
        subject: PersonId | None,
        group: Group | None,
        reason: str = "",
        by_bot: bool = False,
        **detail: str,
    ) -> None:
        """Record what happened (never message bodies); ``by_bot``: nobody acted."""
        self.s.uow.audit.add(
            AuditEntry(
                gemeente_id=self.network.gemeente.id,
                at=self.s.now,
                action=action,
                actor=None if by_bot else self.actor.id,
                subject=subject,
                group_id=group.id if group else None,
                reason=reason,
                detail=dict(detail),
            )
        )


def _here(s: Situation) -> _Here:
    assert s.network is not None, "the policy admits moderation only inside a gemeente"
    assert s.person is not None, "the policy admits only known people"
    return _Here(s, s.network, s.person)


def _target(h: _Here, cmd: CommandReceived, usage: RichText) -> tuple[Person, tuple[str, ...]]:
    """The person a command is about, and the arguments left after naming them.

    Buurtgroep: the author of the message replied to. Regiegroep (and private chat): a
    handle as first argument, else a reply to a notice about a person or to their message.
    """
    s, args = h.s, cmd.args
    by_handle = s.place is not Place.BUURTGROEP
    if by_handle and args:
        found = h.s.uow.persons.by_handle(h.network.gemeente.id, args[0].lstrip("@").lower())
        if found is not None:
            return found, args[1:]
        if cmd.reply_to is None:
            raise Answer(texts.unknown_handle(s.tr, args[0][:40]) + "\n" + usage)
    if cmd.reply_to is None:
        raise Answer(usage)
    key = s.uow.outbox.key_of_message(cmd.reply_to)
    if key is not None:
        about = person_in_key(key) if by_handle else None
        person = h.person(about) if about else None
        if person is None:
            raise Answer(texts.not_at_the_bot(s.tr))
        return person, args
    person = person_of(s.uow, cmd.reply_to_sender) if cmd.reply_to_sender else None
    if person is None:
        raise Answer(texts.unknown_author(s.tr) + "\n" + usage)
    return person, args


def _checked_target(
    h: _Here, cmd: CommandReceived, usage: RichText, *, in_group: bool = True
) -> tuple[Person, tuple[str, ...]]:
    """:func:`_target`, refusing oneself, outsiders and (in a buurtgroep) non-members."""
    person, rest = _target(h, cmd, usage)
    tr = h.s.tr
    if person.id == h.actor.id:
        raise Answer(texts.not_yourself(tr))
    if not h.takes_part(person):
        raise Answer(texts.not_in_gemeente(tr, person_name(tr, person)))
    group = h.s.group
    if in_group and not h.in_regie and group and h.roster(group).role_of(person.id) is None:
        raise Answer(texts.not_in_group(tr, person_name(tr, person)))
    return person, rest


def _refuse_beheerder(h: _Here, person: Person) -> None:
    """Peers do not moderate each other: beheerders are for the regiegroep."""
    if not h.in_regie and h.beheerder_in(person):
        raise Answer(texts.beheerder_by_regie_only(h.s.tr, person_name(h.s.tr, person)))


def _refuse_eigenaar(h: _Here, person: Person) -> None:
    """An eigenaar must hand the group over before they can be removed (checked up front,
    so a warning that would remove them is not recorded either)."""
    for group in h.beheerder_in(person):
        try:
            h.roster(group).remove(person.id)
        except RosterError:
            raise Answer(
                texts.eigenaar_must_transfer(h.s.tr, person_name(h.s.tr, person), group.name)
            ) from None


def _note(words: Sequence[str]) -> tuple[str, int | None]:
    """The note as one line, cut at :data:`MAX_NOTE`; the limit when it was cut."""
    note = " ".join(words)
    if len(note) <= MAX_NOTE:
        return note, None
    return note[: MAX_NOTE - 1].rstrip() + "…", MAX_NOTE


# ---------------------------------------------------------------------------------------------
# Warnings (the rules of counting live in the domain; these wrap them)
# ---------------------------------------------------------------------------------------------
def _active(h: _Here, person: Person) -> list[Warning]:
    """Active warnings in the gemeente, newest first."""
    return active_warnings(h.s.uow.warnings.of_person(h.network.gemeente.id, person.id), h.s.now)


def _threshold(h: _Here) -> int:
    return h.network.gemeente.settings.warning_threshold


def _group_name(h: _Here, group_id: GroupId) -> str:
    group = h.network.group(group_id)
    return group.name if group else group_id


@answering
def warn(s: Situation, cmd: CommandReceived) -> None:
    """``/warn <reason> [note]`` replying to a member; ``/warn <handle> <reason>`` in regie."""
    h = _here(s)
    usage = texts.warn_usage(s.tr, by_handle=h.in_regie)
    person, rest = _checked_target(h, cmd, usage)
    _refuse_beheerder(h, person)
    if not rest:
        raise Answer(usage)
    reason = WarningReason.parse(rest[0])
    if reason is None:
        raise Answer(texts.unknown_reason(s.tr, rest[0][:40]))
    note, cut = _note(rest[1:])
    settings = h.network.gemeente.settings
    group = s.group
    assert group is not None
    warning = Warning(
        id=uuid.uuid4().hex,
        gemeente_id=h.network.gemeente.id,
        person_id=person.id,
        group_id=group.id,
        reason=reason,
        note=note,
        by=h.actor.id,
        at=s.now,
        expires_at=expiry_for(s.now, settings.warning_expiry_days),
    )
    earlier = s.uow.warnings.of_person(h.network.gemeente.id, person.id)
    count = len(active_warnings([warning, *earlier], s.now))
    reached = threshold_reached([warning, *earlier], s.now, settings.warning_threshold)
    if reached:
        _refuse_eigenaar(h, person)
    s.uow.warnings.add(warning)
    h.audit(
        AuditAction.WARNED,
        subject=person.id,
        group=group,
        reason=reason.value,
        count=str(count),
        threshold=str(settings.warning_threshold),
    )

    member_tr = h.tr_for(person)
    told = texts.warned_member(
        member_tr,
        group=h.network.gemeente.name if h.in_regie else group.name,
        from_regie=h.in_regie,
        reason=reason,
        note=note,
        count=count,
        threshold=settings.warning_threshold,
        expires_at=warning.expires_at,
    )
    if not h.in_regie and settings.group_warning_notice:
        group_tr = h.tr_for(None, group)
        s.out.send(
            group.chat,
            texts.warned_group_notice(group_tr, name=person_name(group_tr, person), reason=reason),
        )
    confirmation = texts.warned_confirmation(
        s.tr,
        name=person_name(s.tr, person),
        reason=reason,
        count=count,
        threshold=settings.warning_threshold,
        shortened_to=cut,
    )
    if not reached:
        h.tell(person, told)
        _confirm(h, cmd, confirmation, person)
        return
    _remove(
        h,
        person,
        groups=h.groups_of(person, GroupKind.BUURT),
        reason=None,
        count=count,
        block=True,
        prelude=told,
        actor_prelude=confirmation,
    )


def _confirm(h: _Here, cmd: CommandReceived, text: RichText, person: Person) -> None:
    """Confirm to the actor: in the regiegroep there, elsewhere privately."""
    if h.in_regie:
        h.s.out.send(
            h.s.event.chat,
            text,
            reply_to=cmd.message,
            key=about_key(f"{h.s.event.event_id}:confirm", person.id),
        )
    else:
        h.tell(h.actor, text)


@answering
def warns(s: Situation, cmd: CommandReceived) -> None:
    """Active warnings: of the member replied to (beheerders, regie staff), else one's own.

    The answer goes to the asker's private chat, except in the regiegroep.
    """
    if s.person is None:
        return
    if s.network is None:
        s.out.send(
            ChatRef.private_with(s.event.sender.identity),
            texts.warnings_list(s.tr, name=None, warnings=[], threshold=0),
        )
        return
    h = _here(s)
    person = h.actor
    if _asks_about_someone(s, cmd):
        usage = texts.target_usage(s.tr, Command.WARNS, by_handle=s.place is not Place.BUURTGROEP)
        person, _rest = _target(h, cmd, usage)
        if not h.takes_part(person):
            raise Answer(texts.not_in_gemeente(s.tr, person_name(s.tr, person)))
    listing = texts.warnings_list(
        s.tr,
        name=None if person.id == h.actor.id else person_name(s.tr, person),
        warnings=[
            (w.at, w.reason, _group_name(h, w.group_id), w.expires_at) for w in _active(h, person)
        ],
        threshold=_threshold(h),
    )
    if s.place is Place.REGIEGROEP and person.id != h.actor.id:
        s.out.send(
            s.event.chat,
            listing,
            reply_to=cmd.message,
            key=about_key(f"{s.event.event_id}:warns", person.id),
        )
    elif s.event.chat.private:
        s.reply(listing, to=cmd.message)
    else:
        s.out.send(ChatRef.private_with(s.event.sender.identity), listing)


def _asks_about_someone(s: Situation, cmd: CommandReceived) -> bool:
    """Whether ``/warns`` names another person, and the asker may see theirs: a beheerder
    replying in their buurtgroep, or the regie (in the regiegroep or privately)."""
    named = bool(cmd.args) or cmd.reply_to is not None
    match s.place:
        case Place.BUURTGROEP:
            role = s.actor.group_role
            return cmd.reply_to is not None and role is not None and role.is_beheerder
        case Place.REGIEGROEP:
            return named
        case Place.PRIVATE:
            return bool(cmd.args) and bool(s.actor.gemeente_roles & _REGIE)
    return False


@answering
def unwarn(s: Situation, cmd: CommandReceived) -> None:
    """Withdraw the latest active warning: from this group (beheerders) or any (regie)."""
    h = _here(s)
    usage = texts.target_usage(s.tr, Command.UNWARN, by_handle=h.in_regie)
    person, _rest = _checked_target(h, cmd, usage, in_group=False)
    latest = latest_active(
        (w for w in _active(h, person) if h.in_regie or (s.group and w.group_id == s.group.id)),
        s.now,
    )
    if latest is None:
        raise Answer(
            texts.nothing_to_withdraw(s.tr, person_name(s.tr, person), here=not h.in_regie)
        )
    s.uow.warnings.revoke(latest.id, s.now)
    h.audit(
        AuditAction.UNWARNED,
        subject=person.id,
        group=s.group,
        reason=latest.reason.value,
        warning=latest.id,
    )
    h.tell(person, texts.unwarned_member(h.tr_for(person), reason=latest.reason))
    _confirm(
        h,
        cmd,
        texts.unwarned_confirmation(
            s.tr,
            name=person_name(s.tr, person),
            reason=latest.reason,
            count=len(_active(h, person)),
            threshold=_threshold(h),
        ),
        person,
    )


# ---------------------------------------------------------------------------------------------
# Removal and blocks
# ---------------------------------------------------------------------------------------------
@answering
def remove(s: Situation, cmd: CommandReceived) -> None:
    """``/remove <reason>`` replying to a member (their group only), or
    ``/remove <handle> <reason>`` in the regiegroep (every buurtgroep). No block."""
    h = _here(s)
    usage = texts.target_usage(s.tr, Command.REMOVE, by_handle=h.in_regie)
    person, rest = _checked_target(h, cmd, usage)
    _refuse_beheerder(h, person)
    if not rest:
        raise Answer(texts.remove_needs_reason(s.tr))
    reason, _cut = _note(rest)
    if h.in_regie:
        groups = h.groups_of(person, GroupKind.BUURT)
        if not groups:
            raise Answer(texts.not_in_any_buurtgroep(s.tr, person_name(s.tr, person)))
        _refuse_eigenaar(h, person)
    else:
        assert s.group is not None
        groups = [s.group]
    _remove(h, person, groups=groups, reason=reason, count=0, block=False)


def _remove(
    h: _Here,
    person: Person,
    *,
    groups: Sequence[Group],
    reason: str | None,
    count: int,
    block: bool,
    prelude: RichText | None = None,
    actor_prelude: RichText | None = None,
) -> None:
    """Take ``person`` out of ``groups`` (and block them), telling everyone concerned.

    ``reason`` ``None`` means the warning threshold (``count`` warnings) caused it.
    ``prelude`` and ``actor_prelude`` open the person's and the actor's message (the
    warning and its confirmation), so nobody gets two messages about one event.
    """
    s = h.s
    was_beheerder = bool(h.beheerder_in(person))
    removed: list[Group] = []
    by_hand: list[Group] = []
    told: dict[PersonId, list[Group]] = {}
    for group in groups:
        roster = h.roster(group)
        beheerders = [b for b in roster.beheerders if b not in (person.id, h.actor.id)]
        if not roster.remove(person.id):
            continue
        s.uow.memberships.replace_group(group.id, roster.memberships)
        removed.append(group)
        if not _remove_on_platform(h, group, person):
            by_hand.append(group)
        for b in beheerders:
            told.setdefault(b, []).append(group)
    if was_beheerder and not h.beheerder_in(person):
        for group in h.groups_of(person, GroupKind.COORDINATOREN):
            roster = h.roster(group)
            if roster.remove(person.id):
                s.uow.memberships.replace_group(group.id, roster.memberships)
                removed.append(group)
                if not _remove_on_platform(h, group, person):
                    by_hand.append(group)
    gemeente = h.network.gemeente
    blocked = block
    newly_blocked = block and s.uow.blocks.in_force(gemeente.id, person.id) is None
    if newly_blocked:
        s.uow.blocks.add(
            Block(
                gemeente_id=gemeente.id,
                person_id=person.id,
                at=s.now,
                reason=THRESHOLD,
                by=h.actor.id,
            )
        )
    stored_reason = reason if reason is not None else THRESHOLD
    for group in removed:
        h.audit(
            AuditAction.REMOVED,
            subject=person.id,
            group=group,
            reason=stored_reason,
            count=str(count),
        )
    if newly_blocked:
        h.audit(
            AuditAction.BLOCKED, subject=person.id, group=None, reason=THRESHOLD, count=str(count)
        )

    def why(tr: Translator) -> str:
        return reason if reason is not None else texts.threshold_reason(tr, count)

    names = [g.name for g in removed]
    member_tr = h.tr_for(person)
    message = texts.removed_member(
        member_tr, groups=names, reason=why(member_tr), blocked=blocked, gemeente=gemeente.name
    )
    h.tell(person, _after(prelude, message))

    by = person_name(s.tr, h.actor)
    for beheerder_id, where in sorted(told.items()):
        beheerder = h.person(beheerder_id)
        if beheerder is None:
            continue
        tr = h.tr_for(beheerder)
        h.tell(
            beheerder,
            texts.removed_report(
                tr,
                name=person_name(tr, person),
                groups=[g.name for g in where],
                reason=why(tr),
                by=person_name(tr, h.actor),
                blocked=blocked,
                by_hand=[g.name for g in by_hand if g in where],
            ),
        )
    if not h.in_regie:
        h.tell(
            h.actor,
            _after(
                actor_prelude,
                texts.removed_report(
                    s.tr,
                    name=person_name(s.tr, person),
                    groups=names,
                    reason=why(s.tr),
                    by=by,
                    blocked=blocked,
                    by_hand=[g.name for g in by_hand],
                ),
            ),
        )
    regie = h.regiegroep()
    if regie is not None:
        tr = h.tr_for(None, regie)
        command = s.event.message if isinstance(s.event, CommandReceived) else None
        notice = texts.removed_regie_notice(
            tr,
            name=person_name(tr, person),
            handle=person.handle,
            groups=names,
            reason=why(tr),
            by=person_name(tr, h.actor),
            blocked=blocked,
            by_hand=[g.name for g in by_hand],
        )
        s.out.send(
            regie.chat,
            _after(actor_prelude, notice) if h.in_regie else notice,
            reply_to=command if h.in_regie else None,
            key=about_key(f"{s.event.event_id}:removed", person.id),
        )


def _after(first: RichText | None, then: RichText) -> RichText:
    return first + RichText.of("\n\n") + then if first is not None else then


def _remove_on_platform(h: _Here, group: Group, person: Person) -> bool:
    """Queue the platform removal; ``False`` when a human has to do it."""
    platform = group.chat.platform
    identity = identity_on(person, platform)
    if identity is None or not h.s.out.capabilities(platform).remove_members:
        return False
    h.s.out.add(RemoveMember(chat=group.chat, user=identity))
    return True


@answering
def unblock(s: Situation, cmd: CommandReceived) -> None:
    """``/unblock <handle>``, or replying ``/unblock`` to a notice about the person."""
    h = _here(s)
    usage = texts.target_usage(s.tr, Command.UNBLOCK, by_handle=True)
    person, _rest = _target(h, cmd, usage)
    name = person_name(s.tr, person)
    if not s.uow.blocks.lift(h.network.gemeente.id, person.id, s.now, h.actor.id):
        raise Answer(texts.not_blocked(s.tr, name))
    h.audit(AuditAction.UNBLOCKED, subject=person.id, group=None)
    s.out.send(
        s.event.chat,
        texts.unblocked(s.tr, name),
        reply_to=cmd.message,
        key=about_key(f"{s.event.event_id}:unblocked", person.id),
    )
    h.tell(person, texts.unblocked_member(h.tr_for(person), h.network.gemeente.name))


def refuse_blocked(s: Situation, event: InboundEvent) -> None:
    """Keep a blocked person out of every group of the gemeente, on every platform."""
    if s.network is None or s.group is None or s.person is None:
        return
    person, group, network = s.person, s.group, s.network
    block = s.uow.blocks.in_force(network.gemeente.id, person.id)
    if block is None:
        return
    h = _Here(s, network, person)
    joined = isinstance(event, MemberJoined)
    by_hand = False
    if joined:
        roster = h.roster(group)
        try:
            if roster.remove(person.id):
                s.uow.memberships.replace_group(group.id, roster.memberships)
        except RosterError:
            log.warning("blocked %s is eigenaar of %s; roster left alone", person.id, group.id)
        if s.out.capabilities(group.chat.platform).remove_members:
            s.out.add(RemoveMember(chat=event.chat, user=event.sender.identity))
        else:
            by_hand = True
    else:
        s.out.add(DeclineJoin(chat=event.chat, user=event.sender.identity))
    h.audit(
        AuditAction.JOIN_REFUSED,
        by_bot=True,
        subject=person.id,
        group=group,
        how="joined" if joined else "request",
    )
    once = f"blocked-{'joined' if joined else 'request'}:{group.id}:{block.at.isoformat()}"

    def report(tr: Translator) -> RichText:
        name = person_name(tr, person)
        if by_hand:
            return texts.blocked_join_by_hand(tr, name=name, group=group.name)
        return texts.blocked_join_report(tr, name=name, group=group.name, joined=joined)

    recipients: list[Person] = []
    if group.kind is GroupKind.BUURT:
        recipients = [p for b in h.roster(group).beheerders if (p := h.person(b)) is not None]
    for beheerder in recipients:
        h.tell(
            beheerder,
            report(h.tr_for(beheerder)),
            key=about_key(f"{once}:{beheerder.id}", person.id),
        )
    regie = h.regiegroep()
    if not recipients and regie is not None:
        s.out.send(
            regie.chat,
            report(h.tr_for(None, regie)),
            key=about_key(f"{once}:regie", person.id),
        )


# ---------------------------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------------------------
def show_log(s: Situation, cmd: CommandReceived) -> None:
    """The latest audit entries of the gemeente, with names and local times."""
    h = _here(s)
    entries = s.uow.audit.recent(h.network.gemeente.id, LOG_LIMIT)
    s.reply(texts.log_text(s.tr, audit_lines(s.uow, h.network, s.tr, entries)), to=cmd.message)


def audit_lines(
    uow: UnitOfWork, network: Network, tr: Translator, entries: Sequence[AuditEntry]
) -> list[str]:
    """Each entry in words, with names and local times (``/log`` and the dashboard)."""
    names: dict[PersonId, str] = {}

    def name(person_id: PersonId | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in names:
            names[person_id] = person_name(tr, uow.persons.get(person_id))
        return names[person_id]

    lines = []
    for entry in entries:
        group = network.group(entry.group_id) if entry.group_id else None
        lines.append(
            texts.log_line(
                tr,
                at=entry.at,
                action=entry.action,
                actor=name(entry.actor),
                subject=name(entry.subject),
                group=group.name if group else entry.group_id,
                reason=_reason_in_words(tr, entry),
                blocked=entry.reason != NOT_ADMITTED,
            )
            + _delivery_in_words(uow, tr, entry)
        )
    return lines


def _delivery_in_words(uow: UnitOfWork, tr: Translator, entry: AuditEntry) -> str:
    """Where an escalation went and how far it got, e.g. ``: 3 of 4 delivered``."""
    escalation = entry.detail.get("escalation")
    if entry.action not in (AuditAction.ESCALATED, AuditAction.FORWARDED) or not escalation:
        return ""
    deliveries = uow.escalations.deliveries(escalation)
    if not deliveries:
        return ""
    delivered = sum(1 for d in deliveries if d.state is DeliveryState.DELIVERED)
    failed = sum(1 for d in deliveries if d.state is DeliveryState.FAILED)
    return escalation_texts.delivery_summary(tr, len(deliveries), delivered, failed)


def _reason_in_words(tr: Translator, entry: AuditEntry) -> str:
    if entry.reason == NOT_ADMITTED:
        return joins_texts.not_admitted_reason(tr)
    if entry.reason == UNKNOWN_JOIN:
        return joins_texts.unknown_join_reason(tr)
    if entry.action is AuditAction.JOIN_REFUSED:
        return texts.join_kind(tr, entry.detail.get("how") == "joined")
    if entry.reason == THRESHOLD:
        count = entry.detail.get("count", "")
        return texts.threshold_reason(tr, int(count)) if count.isdecimal() else ""
    if entry.action in (AuditAction.WARNED, AuditAction.UNWARNED):
        reason = WarningReason.parse(entry.reason)
        if reason is not None:
            return texts.reason_label(tr, reason)
    if entry.action is AuditAction.ESCALATED and entry.reason in Scope.__members__.values():
        return escalation_texts.scope_label(tr, Scope(entry.reason))
    if entry.action is AuditAction.FORWARDED:
        return escalation_texts.area_label(tr, entry.reason)
    return entry.reason


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.WARN: warn,
    Command.WARNS: warns,
    Command.UNWARN: unwarn,
    Command.REMOVE: remove,
    Command.UNBLOCK: unblock,
    Command.LOG: show_log,
}

EVENT_HANDLERS: dict[type[InboundEvent], EventHandler] = {
    JoinRequested: refuse_blocked,
    MemberJoined: refuse_blocked,
}
