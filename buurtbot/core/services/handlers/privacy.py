"""A person's own data: ``/mydata`` shows it, ``/forgetme`` erases it.

Decisions this module makes, where the issue left room:

- **/mydata shows everything, unmasked.** It is the person's own data, sent only to their
  private chat: accounts (phone numbers in full), groups and roles, warnings (active,
  expired and withdrawn), blocks, meldingen they reported, escalations they made, their
  sign-ups and the log entries by or about them. A downloadable file (JSON) is a later
  adapter capability; the text is the complete answer until then.
- **/forgetme asks first** (buttons, or numbered replies) and does nothing for an eigenaar:
  a buurtgroep must never be left without one, so they hand it over first.
- **Erasure** takes the person out of every group roster (with platform removals where the
  platform allows; elsewhere the confirmation asks them to leave those chats themselves, so
  no message naming them goes to anyone else), erases their sign-ups and then the person
  (:meth:`PersonRepository.delete`: what they did stays without their name, what is about
  them goes). Only the confirmation and the removals are queued after that: they must still
  reach the person, so they carry the account until delivered.
- A buurtgroep that loses a beheerder this way is reported to the regiegroep (continuity),
  without the person's name.
"""

from __future__ import annotations

from buurtbot.core.actions import Action, AnswerButton, Button, RemoveMember
from buurtbot.core.commands import Command
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState
from buurtbot.core.domain.model import (
    Group,
    GroupKind,
    GroupRole,
    Membership,
    Person,
    effective_gemeente_roles,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.roster import Roster
from buurtbot.core.events import ButtonPressed, CommandReceived
from buurtbot.core.ids import GroupId
from buurtbot.core.services.handlers.registry import ButtonHandler, CommandHandler
from buurtbot.core.services.handlers.roles import Roles
from buurtbot.core.services.situation import Situation, identity_on
from buurtbot.core.texts import moderation as moderation_texts
from buurtbot.core.texts import privacy as texts

FORGET_BUTTON = "forget"
#: How far back /mydata looks in the gemeente's escalations and log.
HISTORY_LIMIT = 5000


def _networks_of(s: Situation, person: Person, memberships: list[Membership]) -> list[Network]:
    """The gemeenten the person belongs to or has a group in."""
    groups = {m.group_id for m in memberships}
    return [
        n
        for n in s.uow.networks.all()
        if n.gemeente.id == person.gemeente_id or any(g.id in groups for g in n.groups)
    ]


def _group_of(networks: list[Network], group_id: GroupId) -> tuple[Network, Group] | None:
    for network in networks:
        group = network.group(group_id)
        if group is not None:
            return network, group
    return None


def _aanmeldingen(s: Situation, person: Person, networks: list[Network]) -> list[Aanmelding]:
    """The person's sign-ups, where this storage keeps sign-ups."""
    repo = getattr(s.uow, "aanmeldingen", None)
    if repo is None:
        return []
    found: list[Aanmelding] = []
    for network in networks:
        for a in repo.in_state(network.gemeente.id, frozenset(AanmeldingState)):
            if a.person_id == person.id or (
                a.identity is not None and a.identity in person.identities
            ):
                found.append(a)
    return found


# ---------------------------------------------------------------------------------------------
# /mydata
# ---------------------------------------------------------------------------------------------
def mydata(s: Situation, cmd: CommandReceived) -> None:
    """Send the person everything stored about them, in their private chat."""
    assert s.person is not None, "the policy admits only known people"
    person, tr, uow = s.person, s.tr, s.uow
    memberships = uow.memberships.of_person(person.id)
    networks = _networks_of(s, person, memberships)
    when = tr.datetime

    def group_name(group_id: GroupId | None) -> str:
        found = _group_of(networks, group_id) if group_id else None
        return found[1].name if found else (group_id or "-")

    home = next((n for n in networks if n.gemeente.id == person.gemeente_id), None)
    groups: list[str] = []
    for m in memberships:
        groups.append(f"{group_name(m.group_id)}: {texts.role_name(tr, m.role.value)}")
    warnings: list[str] = []
    blocks: list[str] = []
    meldingen: list[str] = []
    escalations: list[str] = []
    log: list[str] = []
    for network in networks:
        gemeente = network.gemeente.id
        in_here = [m for m in memberships if network.group(m.group_id) is not None]
        granted = uow.persons.gemeente_roles(gemeente, person.id)
        roles = effective_gemeente_roles(granted, in_here)
        if roles:
            groups.append(texts.gemeente_roles_line(tr, sorted(r.value for r in roles)))
        for w in sorted(uow.warnings.of_person(gemeente, person.id), key=lambda w: w.at):
            state = "withdrawn" if w.revoked_at else ("active" if w.active(s.now) else "expired")
            warnings.append(
                texts.warning_line(
                    tr,
                    at=when(w.at),
                    group=group_name(w.group_id),
                    reason=moderation_texts.reason_label(tr, w.reason),
                    state=state,
                )
            )
        block = uow.blocks.in_force(gemeente, person.id)
        if block is not None:
            blocks.append(texts.block_line(tr, when(block.at)))
        for e in reversed(uow.escalations.recent(gemeente, HISTORY_LIMIT)):
            if e.escalated_by == person.id:
                escalations.append(
                    texts.escalation_line(
                        tr, at=when(e.escalated_at), group=group_name(e.source_group), scope=e.scope
                    )
                )
        for entry in reversed(uow.audit.recent(gemeente, HISTORY_LIMIT)):
            if person.id in (entry.actor, entry.subject):
                log.append(
                    texts.log_line(
                        tr,
                        at=when(entry.at),
                        action=entry.action.value,
                        you_acted=entry.actor == person.id,
                    )
                )
    for melding in uow.meldingen.reported_by(person.id):
        meldingen.append(
            texts.melding_line(
                tr,
                at=when(melding.created_at),
                group=group_name(melding.group_id),
                where=melding.where,
                called_112=melding.called_112 is not None,
            )
        )
    aanmeldingen = [
        texts.aanmelding_line(
            tr,
            at=when(a.created_at),
            state=a.state.value,
            details=[
                v
                for v in (a.name, a.street, a.house_number, a.postcode, a.phone)
                if v  # the address and phone as they were given
            ],
        )
        for a in _aanmeldingen(s, person, networks)
    ]
    accounts = [
        f"{i.platform.value}: {i.user_ref}"
        for i in sorted(person.identities, key=lambda i: (i.platform.value, i.user_ref))
    ]
    about = texts.person_lines(
        tr,
        name=person.display_name,
        handle=person.handle,
        gemeente=home.gemeente.name if home else None,
        language=person.locale.value if person.locale else None,
    )
    sections = [
        (texts.heading(tr, "person"), about),
        (texts.heading(tr, "accounts"), accounts),
        (texts.heading(tr, "groups"), groups),
        (texts.heading(tr, "warnings"), warnings),
        (texts.heading(tr, "blocks"), blocks),
        (texts.heading(tr, "meldingen"), meldingen),
        (texts.heading(tr, "escalations"), escalations),
        (texts.heading(tr, "aanmeldingen"), aanmeldingen),
        (texts.heading(tr, "log"), log),
    ]
    s.reply(texts.mydata(tr, sections), to=cmd.message)


# ---------------------------------------------------------------------------------------------
# /forgetme
# ---------------------------------------------------------------------------------------------
def _owned(s: Situation, person: Person) -> list[str]:
    """Names of the buurtgroepen the person is eigenaar of (they must hand these over)."""
    memberships = s.uow.memberships.of_person(person.id)
    networks = _networks_of(s, person, memberships)
    names = []
    for m in memberships:
        found = _group_of(networks, m.group_id)
        if m.role is GroupRole.EIGENAAR:
            names.append(found[1].name if found else m.group_id)
    return sorted(names)


def forgetme(s: Situation, cmd: CommandReceived) -> None:
    """Ask for confirmation; an eigenaar is told to hand over first."""
    assert s.person is not None, "the policy admits only known people"
    owned = _owned(s, s.person)
    if owned:
        s.reply(texts.forget_refused_eigenaar(s.tr, owned), to=cmd.message)
        return
    s.out.ask(
        s.event.chat,
        s.person.id,
        s.tr,
        texts.forget_question(s.tr),
        [
            Button(texts.forget_yes(s.tr), f"{FORGET_BUTTON}:yes"),
            Button(texts.forget_no(s.tr), f"{FORGET_BUTTON}:no"),
        ],
        reply_to=cmd.message,
    )


def forget_button(s: Situation, value: str) -> None:
    """The answer to the question; only in a private chat, only for a known person."""
    person = s.person
    if person is None or not s.event.chat.private:
        return
    if value != "yes":
        s.reply(texts.forget_cancelled(s.tr))
        return
    owned = _owned(s, person)
    if owned:  # they became eigenaar after the question
        s.reply(texts.forget_refused_eigenaar(s.tr, owned))
        return
    tr = s.tr
    memberships = s.uow.memberships.of_person(person.id)
    networks = _networks_of(s, person, memberships)
    removals: list[Action] = []
    leave_yourself: list[str] = []
    continuity: dict[GroupId, tuple[Network, Group]] = {}
    for m in memberships:
        found = _group_of(networks, m.group_id)
        if found is None:
            continue
        network, group = found
        roster = Roster(
            group,
            s.uow.memberships.of_group(group.id),
            max_mede_beheerders=network.gemeente.settings.max_mede_beheerders,
        )
        roster.remove(person.id)
        s.uow.memberships.replace_group(group.id, roster.memberships)
        if m.role.is_beheerder and group.kind is GroupKind.BUURT:
            continuity[group.id] = (network, group)
        platform = group.chat.platform
        identity = identity_on(person, platform)
        if identity is None:
            continue
        if s.out.capabilities(platform).remove_members:
            removals.append(RemoveMember(chat=group.chat, user=identity))
        else:
            leave_yourself.append(group.name)
    repo = getattr(s.uow, "aanmeldingen", None)
    if repo is not None:
        for a in _aanmeldingen(s, person, networks):
            repo.delete(a.id)
    s.uow.persons.delete(person.id)
    s.person = None
    # The erasure dropped everything queued for them, this button's answer too.
    if isinstance(s.event, ButtonPressed) and s.event.callback_id:
        s.out.add(AnswerButton(chat=s.event.chat, callback_id=s.event.callback_id))
    for action in removals:
        s.out.add(action)
    s.reply(texts.forgotten(tr, sorted(leave_yourself)))
    for network, group in continuity.values():
        Roles(s, network).check_continuity([group])


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.MYDATA: mydata,
    Command.FORGETME: forgetme,
}

BUTTON_HANDLERS: dict[str, ButtonHandler] = {FORGET_BUTTON: forget_button}
