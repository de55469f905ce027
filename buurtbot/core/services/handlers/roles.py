"""Roles: mede-beheerders, handing a buurtgroep over, the coordinatorengroep (flow 5).

Decisions this module makes, where the issue left room:

- **Only members become beheerder.** ``/coadmin add`` refuses someone who is not yet a
  member of the group: membership goes through a sign-up and the eigenaar's admission, and
  a role command must not become a side door into a group.
- **Naming the person and the group.** In a buurtgroep the eigenaar names the person by
  handle or replies to their message; the group is the one the command was typed in. In
  the regiegroep the hoofdcoordinator names the person by handle (or replies to a notice
  about them) and, when the person is in several buurtgroepen, adds the group
  (``/coadmin add eva goor-centrum``: slug, buurt id or name).
- **The roster decides.** Every change goes through :class:`Roster`; its refusals (the
  maximum of mede-beheerders, an eigenaar stepping down) are answered in words and nothing
  is written.
- **The coordinatorengroep follows the roles.** Becoming a beheerder anywhere in the
  gemeente puts the person on the coordinatorengroep's roster and adds them on the platform
  (added directly, else an invite link, else the hoofdcoordinator is asked to do it by
  hand). Losing the last beheerder role takes them off again, unless the regiegroep gave
  them a coordinator role of their own.
- **Admin rights follow the beheerder role.** On a platform with admin rights, becoming a
  beheerder of a buurtgroep (``/coadmin add``, a transfer to a member) makes the person an
  admin of its chat, and losing the role (``/coadmin remove``, a transfer that makes the old
  eigenaar a member, leaving) takes the rights away. A change between eigenaar and
  mede-beheerder leaves the rights as they are. Without an account on the group's
  platform nothing is queued.
- **Continuity.** After any change, a buurtgroep left with fewer than two beheerders is
  reported to the regiegroep, once per change (keyed by the event).
- **Leaving the chat.** A member who leaves a group's chat leaves its roster. An eigenaar's
  membership is kept (a group needs its eigenaar on record until someone takes over), and
  the regiegroep is told the group has no active eigenaar.
- Role changes are not written to the audit log: the log has no action for them yet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from buurtbot.core.actions import AddMember, CreateInvite, RemoveMember, SetAdmin
from buurtbot.core.commands import Command
from buurtbot.core.domain.errors import RosterError
from buurtbot.core.domain.model import GemeenteRole, Group, GroupKind, GroupRole, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.roster import Roster
from buurtbot.core.events import CommandReceived, InboundEvent, MemberLeft
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import ChatRef, PersonId
from buurtbot.core.policy import Place
from buurtbot.core.services.handlers.moderation import person_in_key, person_of
from buurtbot.core.services.handlers.registry import (
    Answer,
    CommandHandler,
    EventHandler,
    answering,
)
from buurtbot.core.services.situation import Situation, identity_on, private_chat
from buurtbot.core.text import RichText
from buurtbot.core.texts import moderation as moderation_texts
from buurtbot.core.texts import roles as texts
from buurtbot.core.texts import signup as signup_texts
from buurtbot.core.texts.replies import person_name

log = logging.getLogger(__name__)

Wording = Callable[[Translator], RichText]

ADD_WORDS = frozenset({"add", "toevoegen", "+"})
REMOVE_WORDS = frozenset({"remove", "verwijderen", "-"})
#: Fewer beheerders than this and the regiegroep hears about the group.
MIN_BEHEERDERS = 2
#: Gemeente roles that keep a person in the coordinatorengroep without a beheerder role.
_OWN_SEAT = frozenset({GemeenteRole.COORDINATOR, GemeenteRole.HOOFDCOORDINATOR})


@dataclass(frozen=True, slots=True)
class Roles:
    """Role changes in one gemeente, within one handled event."""

    s: Situation
    network: Network

    @property
    def max_mede(self) -> int:
        return self.network.gemeente.settings.max_mede_beheerders

    def roster(self, group: Group) -> Roster:
        members = self.s.uow.memberships.of_group(group.id)
        return Roster(group, members, max_mede_beheerders=self.max_mede)

    def save(self, roster: Roster) -> None:
        self.s.uow.memberships.replace_group(roster.group.id, roster.memberships)

    def tr_for(self, person: Person | None = None, group: Group | None = None) -> Translator:
        return self.s.translator_for(person, group)

    def tell(self, person: Person, text: RichText) -> None:
        chat = private_chat(person, self.s.event.chat.platform)
        if chat is None:
            log.warning("cannot reach %s privately", person.id)
            return
        self.s.out.send(chat, text)

    def regiegroep(self) -> Group | None:
        found = self.network.groups_of_kind(GroupKind.REGIE)
        return found[0] if found else None

    def is_beheerder(self, person_id: PersonId) -> bool:
        """Eigenaar or mede-beheerder of some buurtgroep of this gemeente."""
        for m in self.s.uow.memberships.of_person(person_id):
            group = self.network.group(m.group_id)
            if group is not None and group.kind is GroupKind.BUURT and m.role.is_beheerder:
                return True
        return False

    def hoofdcoordinators(self) -> list[Person]:
        """The hoofdcoordinators, looked for among the regiegroep's members."""
        regie = self.regiegroep()
        if regie is None:
            return []
        gemeente = self.network.gemeente.id
        found = []
        for m in self.s.uow.memberships.of_group(regie.id):
            roles = self.s.uow.persons.gemeente_roles(gemeente, m.person_id)
            if GemeenteRole.HOOFDCOORDINATOR in roles and (
                p := self.s.uow.persons.get(m.person_id)
            ):
                found.append(p)
        return found

    def ask_hoofdcoordinator(self, say: Wording) -> None:
        """Ask the hoofdcoordinators privately; the regiegroep when there is none."""
        people = self.hoofdcoordinators()
        for person in people:
            self.tell(person, say(self.tr_for(person)))
        regie = self.regiegroep()
        if not people and regie is not None:
            self.s.out.send(regie.chat, say(self.tr_for(None, regie)))

    # -- the coordinatorengroep ---------------------------------------------------------------
    def sync_coordinators(self, person: Person) -> None:
        """Put ``person`` in the coordinatorengroep when they are a beheerder, take them out
        when they no longer are (and the regiegroep gave them no seat of their own)."""
        granted = self.s.uow.persons.gemeente_roles(self.network.gemeente.id, person.id)
        belongs = self.is_beheerder(person.id) or bool(granted & _OWN_SEAT)
        for group in self.network.groups_of_kind(GroupKind.COORDINATOREN):
            roster = self.roster(group)
            inside = roster.role_of(person.id) is not None
            if belongs and not inside:
                roster.admit(person.id)
                self.save(roster)
                how = self._add_on_platform(group, person)
                self.tell(
                    person, texts.coordinators_joined(self.tr_for(person), group.name, how=how)
                )
                if how == "by-hand":
                    self.ask_hoofdcoordinator(_by_hand(person, group, adding=True))
            elif not belongs and inside:
                roster.remove(person.id)
                self.save(roster)
                removed = self.remove_on_platform(group, person)
                self.tell(
                    person,
                    texts.coordinators_left(self.tr_for(person), group.name, by_hand=not removed),
                )
                if not removed:
                    self.ask_hoofdcoordinator(_by_hand(person, group, adding=False))

    def _add_on_platform(self, group: Group, person: Person) -> str:
        """``added``, ``invite`` or ``by-hand``: what the platform lets the bot do."""
        platform = group.chat.platform
        caps = self.s.out.capabilities(platform)
        identity = identity_on(person, platform)
        if caps.add_members and identity is not None:
            self.s.out.add(AddMember(chat=group.chat, user=identity))
            return "added"
        if caps.invite_links and identity is not None:
            days = self.network.gemeente.settings.invite_valid_days
            self.s.out.add(
                CreateInvite(
                    chat=group.chat,
                    name=f"coordinator:{person.id}",
                    expires_at=self.s.now + timedelta(days=days),
                    send_to=ChatRef.private_with(identity),
                    message=signup_texts.join_link(self.tr_for(person), group.name),
                )
            )
            return "invite"
        return "by-hand"

    def remove_on_platform(self, group: Group, person: Person) -> bool:
        """Queue the platform removal; ``False`` when a human has to do it."""
        platform = group.chat.platform
        identity = identity_on(person, platform)
        if identity is None or not self.s.out.capabilities(platform).remove_members:
            return False
        self.s.out.add(RemoveMember(chat=group.chat, user=identity))
        return True

    # -- admin rights on the platform ---------------------------------------------------------
    def mirror_admin(self, group: Group, person: Person, *, admin: bool) -> None:
        """Give or take the platform's admin rights in a buurtgroep's chat, where it has them."""
        if group.kind is not GroupKind.BUURT:
            return
        platform = group.chat.platform
        identity = identity_on(person, platform)
        if identity is None or not self.s.out.capabilities(platform).admin_rights:
            return
        self.s.out.add(SetAdmin(chat=group.chat, user=identity, admin=admin))

    # -- continuity ---------------------------------------------------------------------------
    def check_continuity(self, groups: Iterable[Group]) -> None:
        """Tell the regiegroep about each buurtgroep left with too few beheerders."""
        regie = self.regiegroep()
        if regie is None:
            return
        tr = self.tr_for(None, regie)
        for group in {g.id: g for g in groups if g.kind is GroupKind.BUURT}.values():
            count = len(self.roster(group).beheerders)
            if count < MIN_BEHEERDERS:
                self.s.out.send(
                    regie.chat,
                    texts.too_few_beheerders(tr, group=group.name, count=count),
                    key=f"{self.s.event.event_id}:continuity:{group.id}",
                )


def _by_hand(person: Person, group: Group, *, adding: bool) -> Wording:
    """The request to add or remove ``person`` in ``group`` by hand, in any language."""

    def say(tr: Translator) -> RichText:
        wording = (
            texts.add_to_coordinators_by_hand if adding else texts.remove_from_coordinators_by_hand
        )
        return wording(tr, name=person_name(tr, person), group=group.name)

    return say


# ---------------------------------------------------------------------------------------------
# Naming the person and the group
# ---------------------------------------------------------------------------------------------
def _roles(s: Situation) -> Roles:
    assert s.network is not None, "the policy admits role commands only inside a gemeente"
    assert s.person is not None, "the policy admits only known people"
    return Roles(s, s.network)


def _target(r: Roles, cmd: CommandReceived, args: Sequence[str],
            usage: RichText) -> tuple[Person, tuple[str, ...]]:  # fmt: skip
    """The person named by handle (first argument) or by the message replied to."""
    s = r.s
    if args:
        found = s.uow.persons.by_handle(r.network.gemeente.id, args[0].lstrip("@").lower())
        if found is not None:
            return found, tuple(args[1:])
        if cmd.reply_to is None:
            raise Answer(moderation_texts.unknown_handle(s.tr, args[0][:40]) + "\n" + usage)
    if cmd.reply_to is None:
        raise Answer(usage)
    key = s.uow.outbox.key_of_message(cmd.reply_to)
    if key is not None:
        about = person_in_key(key)
        person = s.uow.persons.get(about) if about else None
        if person is None:
            raise Answer(moderation_texts.not_at_the_bot(s.tr))
        return person, tuple(args)
    person = person_of(s.uow, cmd.reply_to_sender) if cmd.reply_to_sender else None
    if person is None:
        raise Answer(moderation_texts.unknown_author(s.tr) + "\n" + usage)
    return person, tuple(args)


def _group(r: Roles, person: Person, rest: Sequence[str]) -> Group:
    """The buurtgroep the command is about: this chat's, or named, or the person's only one."""
    s = r.s
    if s.place is Place.BUURTGROEP:
        assert s.group is not None
        return s.group
    buurtgroepen = r.network.groups_of_kind(GroupKind.BUURT)
    if rest:
        wanted = " ".join(rest).casefold()
        for candidate in buurtgroepen:
            names = (_slug(candidate), candidate.buurt_id or "", candidate.name)
            if wanted in (n.casefold() for n in names):
                return candidate
        raise Answer(texts.unknown_group(s.tr, rest[0][:40], [_slug(g) for g in buurtgroepen]))
    theirs = [
        g
        for m in s.uow.memberships.of_person(person.id)
        if (g := r.network.group(m.group_id)) is not None and g.kind is GroupKind.BUURT
    ]
    if not theirs:
        raise Answer(moderation_texts.not_in_any_buurtgroep(s.tr, person_name(s.tr, person)))
    if len(theirs) > 1:
        slugs = sorted(_slug(g) for g in theirs)
        raise Answer(texts.name_the_group(s.tr, person_name(s.tr, person), slugs))
    return theirs[0]


def _slug(group: Group) -> str:
    """The short name a network file gave the group (``goor-centrum``)."""
    return group.id.rsplit(":", 1)[-1]


def _refuse(r: Roles, error: RosterError, person: Person, group: Group) -> Answer:
    tr = r.s.tr
    return Answer(
        texts.roster_problem(
            tr, error.problem, name=person_name(tr, person), group=group.name, maximum=r.max_mede
        )
    )


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------
@answering
def coadmin(s: Situation, cmd: CommandReceived) -> None:
    """``/coadmin add|remove <handle or reply> [group]``."""
    r = _roles(s)
    usage = texts.coadmin_usage(s.tr, in_regie=s.place is Place.REGIEGROEP)
    if not cmd.args or cmd.args[0].lower() not in ADD_WORDS | REMOVE_WORDS:
        raise Answer(usage)
    adding = cmd.args[0].lower() in ADD_WORDS
    person, rest = _target(r, cmd, cmd.args[1:], usage)
    group = _group(r, person, rest)
    roster = r.roster(group)
    name = person_name(s.tr, person)
    role = roster.role_of(person.id)
    if role is None:
        raise Answer(texts.not_a_member(s.tr, name, group.name))
    try:
        if adding:
            if role is GroupRole.MEDE_BEHEERDER:
                raise Answer(texts.already_mede_beheerder(s.tr, name, group.name))
            roster.set_role(person.id, GroupRole.MEDE_BEHEERDER)
        else:
            if role is GroupRole.LID:
                raise Answer(texts.not_mede_beheerder(s.tr, name, group.name))
            roster.step_down(person.id)
        roster.check()
    except RosterError as error:
        raise _refuse(r, error, person, group) from None
    r.save(roster)
    r.mirror_admin(group, person, admin=adding)
    done = texts.coadmin_added if adding else texts.coadmin_removed
    s.reply(done(s.tr, name, group.name), to=cmd.message)
    tr = r.tr_for(person)
    if adding:
        r.tell(person, texts.you_are_mede_beheerder(tr, group.name))
    else:
        r.tell(person, texts.you_are_no_longer_mede_beheerder(tr, group.name))
    r.sync_coordinators(person)
    r.check_continuity([group])


@answering
def transfer(s: Situation, cmd: CommandReceived) -> None:
    """``/transfer <handle or reply> [group]``: a member becomes the eigenaar."""
    r = _roles(s)
    usage = texts.transfer_usage(s.tr, in_regie=s.place is Place.REGIEGROEP)
    person, rest = _target(r, cmd, cmd.args, usage)
    group = _group(r, person, rest)
    roster = r.roster(group)
    name = person_name(s.tr, person)
    role = roster.role_of(person.id)
    if role is None:
        raise Answer(texts.not_a_member(s.tr, name, group.name))
    if role is GroupRole.EIGENAAR:
        raise Answer(texts.already_eigenaar(s.tr, name, group.name))
    old_id = roster.eigenaar
    try:
        roster.transfer_ownership(person.id)
        roster.check()
    except RosterError as error:
        raise _refuse(r, error, person, group) from None
    r.save(roster)
    old = s.uow.persons.get(old_id) if old_id else None
    old_stays = old_id is not None and roster.role_of(old_id) is GroupRole.MEDE_BEHEERDER
    if not role.is_beheerder:
        r.mirror_admin(group, person, admin=True)
    if old is not None and not old_stays:
        r.mirror_admin(group, old, admin=False)
    s.reply(
        texts.transferred(
            s.tr,
            name=name,
            group=group.name,
            old=person_name(s.tr, old) if old_id else None,
            old_stays=old_stays,
        ),
        to=cmd.message,
    )
    r.tell(person, texts.you_are_eigenaar(r.tr_for(person), group.name))
    if old is not None and old.id != (s.person.id if s.person else None):
        tr = r.tr_for(old)
        r.tell(
            old,
            texts.transferred(
                tr, name=person_name(tr, person), group=group.name, old=person_name(tr, old),
                old_stays=old_stays,
            ),
        )  # fmt: skip
    r.sync_coordinators(person)
    if old is not None:
        r.sync_coordinators(old)
    r.check_continuity([group])


# ---------------------------------------------------------------------------------------------
# Leaving a chat
# ---------------------------------------------------------------------------------------------
def member_left(s: Situation, event: InboundEvent) -> None:
    """Keep the roster in step with the chat; unknown people and chats are ignored."""
    if s.network is None or s.group is None or s.person is None:
        return
    r = Roles(s, s.network)
    person, group = s.person, s.group
    roster = r.roster(group)
    role = roster.role_of(person.id)
    if role is None:
        return
    if role is GroupRole.EIGENAAR:
        regie = r.regiegroep()
        if regie is not None:
            tr = r.tr_for(None, regie)
            s.out.send(
                regie.chat,
                texts.eigenaar_left(tr, name=person_name(tr, person), group=group.name),
                key=f"{event.event_id}:eigenaar-left:{group.id}",
            )
        return
    roster.remove(person.id)
    r.save(roster)
    if role.is_beheerder:
        r.mirror_admin(group, person, admin=False)
        r.sync_coordinators(person)
        r.check_continuity([group])


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.COADMIN: coadmin,
    Command.TRANSFER: transfer,
}

EVENT_HANDLERS: dict[type[InboundEvent], EventHandler] = {MemberLeft: member_left}
