"""Who gets into a group's chat: join requests, and joins the bot did not arrange.

The platform-neutral rule behind Telegram's join requests (and any platform's "added by
someone"). Decisions this module makes, where the issue left room:

- **A join request is approved only for someone the core has in that group**: a
  buurtgroep's roster (people get there by redeeming their invite), for the
  coordinatorengroep a beheerder or coordinator of the gemeente, for the regiegroep a
  hoofdcoordinator, contactpersoon or the police liaison. Anyone else is declined. The link
  used does not matter: a personal link passed on to someone else gets them nowhere.
- **A decline is reported once** per group and account (outbox keys ``joins:request:…``,
  made with a hash of the account, never the account itself): to a buurtgroep's beheerders
  privately, for other groups to the regiegroep. The report names the person as the platform
  shows them and says what they can do (sign up). The log gets one entry with it. The
  requester hears nothing, unless the bot knows the account (a person with it): then they
  get a kind hint how to sign up, in their language, once.
- **Blocked people** are left to :func:`.moderation.refuse_blocked` (declined or removed,
  reported once per block); nothing here reports them again.
- **A join the core did not arrange** (someone added by a human admin) is not undone: the
  beheerders (other groups: the regiegroep) are asked once per join whether to admit the
  person as lid or to remove them. Whoever may decide at the time of pressing (a beheerder
  of the group, or regie staff) and presses first decides; later presses are told who did.
  Admitting makes the person known (their account and the name the platform showed) and
  refuses someone blocked; removing queues the platform removal where the platform can,
  else asks for it by hand, and is logged as a removal.
- **What is kept about an unknown joiner.** While the question is open, one pending record
  holds the account and the name shown, because admitting needs both. It lives in the
  pending-choice store (which has no link to any person), under a chat that exists on no
  platform (``joins:<group id>``) and a hash of the account. Deciding replaces it with the
  decision, who took it and when; only an admission keeps the name, in the new person.
  The buttons carry only short hashes, so they fit Telegram's 64 bytes of button data.
- Admissions are not written to the audit log: it has no action for them (nor has the
  eigenaar's ``/admit``).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import unicodedata
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from buurtbot.core.actions import ApproveJoin, Button, DeclineJoin, RemoveMember
from buurtbot.core.domain.audit import AuditAction, AuditEntry
from buurtbot.core.domain.model import (
    GemeenteRole,
    Group,
    GroupKind,
    Person,
    effective_gemeente_roles,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.roster import Roster
from buurtbot.core.events import InboundEvent, JoinRequested, MemberJoined, Sender
from buurtbot.core.i18n import Translator, resolve_locale
from buurtbot.core.ids import ChatRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.ports import PendingChoice
from buurtbot.core.services.handlers.moderation import NOT_ADMITTED, UNKNOWN_JOIN, person_of
from buurtbot.core.services.handlers.registry import ButtonHandler, EventHandler
from buurtbot.core.services.situation import Situation, private_chat
from buurtbot.core.texts import joins as texts
from buurtbot.core.texts.replies import person_name

log = logging.getLogger(__name__)

BUTTON = "join"
ADMIT = "a"
REMOVE = "r"
#: Longest name kept or shown of someone the bot does not know.
MAX_NAME = 64
#: Marks a pending record in the pending-choice store (its first "option").
RECORD = "join-decision/1"

#: Who belongs in the coordinatorengroep and the regiegroep besides its roster.
_COORDINATOR_ROLES = frozenset({GemeenteRole.COORDINATOR, GemeenteRole.HOOFDCOORDINATOR})
_REGIE_ROLES = frozenset(
    {GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON, GemeenteRole.POLITIE}
)
#: Who may decide about joins in any group of the gemeente.
_REGIE_STAFF = frozenset({GemeenteRole.HOOFDCOORDINATOR, GemeenteRole.CONTACTPERSOON})


class State(enum.StrEnum):
    PENDING = "pending"
    ADMITTED = "admitted"
    REMOVED = "removed"


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def account_key(identity: PlatformIdentity) -> str:
    """What stands for an account in keys and buttons: a hash, never the number itself."""
    return _digest(str(identity), 16)


def group_key(group: Group) -> str:
    return _digest(group.id, 8)


def button_data(verb: str, group: Group, key: str) -> str:
    """``join:<a|r>:<group key>:<account key>``: 32 characters, whatever the names."""
    return f"{BUTTON}:{verb}:{group_key(group)}:{key}"


def platform_name(sender: Sender) -> str:
    """The name the platform shows: one line, no control characters, cut short ("" if none)."""
    cleaned = "".join(_printable(c) for c in sender.display_name)
    name = " ".join(cleaned.split())
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 1].rstrip() + "…"
    return name


def _printable(char: str) -> str:
    """Control characters become spaces; other invisible ones (text direction overrides)
    go, except the joiner that builds emoji."""
    category = unicodedata.category(char)
    if category == "Cc":
        return " "
    if category.startswith("C") and char != "\u200d":
        return ""
    return char


def shown_name(tr: Translator, person: Person | None, platform: str) -> str:
    """How a joiner is named to ``tr``'s reader: the person's name, else the platform's."""
    if person is not None and person.display_name:
        return person.display_name
    return platform or person_name(tr, person)


def _regie_staff(s: Situation, network: Network, person: Person) -> bool:
    return bool(s.uow.persons.gemeente_roles(network.gemeente.id, person.id) & _REGIE_STAFF)


def _roster(network: Network, s: Situation, group: Group) -> Roster:
    return Roster(
        group,
        s.uow.memberships.of_group(group.id),
        max_mede_beheerders=network.gemeente.settings.max_mede_beheerders,
    )


def belongs(s: Situation, network: Network, group: Group, person: Person) -> bool:
    """Whether the core has ``person`` in ``group``: the roster, or (coordinatorengroep,
    regiegroep) a role that seats them there."""
    if _roster(network, s, group).role_of(person.id) is not None:
        return True
    if group.kind is GroupKind.BUURT:
        return False
    granted = s.uow.persons.gemeente_roles(network.gemeente.id, person.id)
    if group.kind is GroupKind.REGIE:
        return bool(granted & _REGIE_ROLES)
    in_gemeente = [
        m for m in s.uow.memberships.of_person(person.id) if network.group(m.group_id) is not None
    ]
    return bool(effective_gemeente_roles(granted, in_gemeente) & _COORDINATOR_ROLES)


def _blocked(s: Situation, network: Network, person: Person | None) -> bool:
    return person is not None and (
        s.uow.blocks.in_force(network.gemeente.id, person.id) is not None
    )


def _regiegroep(network: Network) -> Group | None:
    found = network.groups_of_kind(GroupKind.REGIE)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class _Recipient:
    """Who hears about a join: a beheerder privately, or the regiegroep (``person`` None)."""

    chat: ChatRef
    tr: Translator
    key: str
    person: Person | None = None


def _recipients(s: Situation, network: Network, group: Group) -> list[_Recipient]:
    """A buurtgroep's beheerders privately; for other groups (or a buurtgroep without
    beheerders) the regiegroep."""
    found: list[_Recipient] = []
    if group.kind is GroupKind.BUURT:
        for person_id in _roster(network, s, group).beheerders:
            person = s.uow.persons.get(person_id)
            chat = private_chat(person, group.chat.platform) if person else None
            if person is not None and chat is not None:
                found.append(_Recipient(chat, s.translator_for(person), person.id, person))
    regie = _regiegroep(network)
    if not found and regie is not None:
        found.append(_Recipient(regie.chat, s.translator_for(None, regie), "regie"))
    return found


def _audit(
    s: Situation,
    network: Network,
    action: AuditAction,
    *,
    group: Group,
    subject: PersonId | None,
    actor: PersonId | None,
    reason: str,
    **detail: str,
) -> None:
    s.uow.audit.add(
        AuditEntry(
            gemeente_id=network.gemeente.id,
            at=s.now,
            action=action,
            actor=actor,
            subject=subject,
            group_id=group.id,
            reason=reason,
            detail=dict(detail),
        )
    )


# ---------------------------------------------------------------------------------------------
# Join requests
# ---------------------------------------------------------------------------------------------
def on_join_request(s: Situation, event: InboundEvent) -> None:
    """Approve whom the core has in the group; decline and report anyone else."""
    if s.network is None or s.group is None or not isinstance(event, JoinRequested):
        return
    network, group, person = s.network, s.group, s.person
    if _blocked(s, network, person):
        return  # moderation declines and reports
    identity = event.sender.identity
    if person is not None and belongs(s, network, group, person):
        s.out.add(ApproveJoin(chat=event.chat, user=identity))
        return
    s.out.add(DeclineJoin(chat=event.chat, user=identity))
    once = f"joins:request:{group.id}:{account_key(identity)}"
    foreign = _foreign_link(s, event.invite_name)
    told = False
    for to in _recipients(s, network, group):
        key = f"{once}:{to.key}"
        if s.uow.outbox.state(key) is not None:
            continue
        report = texts.request_declined(
            to.tr,
            name=shown_name(to.tr, person, platform_name(event.sender)),
            group=group.name,
            kind=group.kind,
            foreign_link=foreign,
        )
        s.out.send(to.chat, report, key=key)
        told = True
    if told:
        _audit(
            s,
            network,
            AuditAction.JOIN_REFUSED,
            group=group,
            subject=person.id if person else None,
            actor=None,
            reason=NOT_ADMITTED,
            how="request",
        )
    if person is not None:
        locale = resolve_locale(
            person=person, group=None, gemeente=network.gemeente, hint=event.sender.language
        )
        tr = s.translators.get(locale, network.gemeente.timezone)
        s.out.send(
            ChatRef.private_with(identity),
            texts.request_hint(tr, group=group.name, kind=group.kind),
            key=f"joins:hint:{group.id}:{account_key(identity)}",
        )


def _foreign_link(s: Situation, invite_name: str | None) -> bool:
    """Whether the request came through a personal link the bot made (for someone who, as
    the request was declined, is not the requester)."""
    if not invite_name:
        return False
    if invite_name.startswith("coordinator:"):
        return True
    return s.uow.aanmeldingen.get(invite_name) is not None


# ---------------------------------------------------------------------------------------------
# Joins the bot did not arrange
# ---------------------------------------------------------------------------------------------
def _record_chat(group: Group) -> ChatRef:
    """The key of a group's pending records: a chat that exists on no platform."""
    return ChatRef(group.chat.platform, f"joins:{group.id}")


@dataclass(frozen=True, slots=True)
class _Record:
    """One join waiting for a decision (``account`` and ``name`` set), or decided
    (``by`` and ``at`` set; ``by`` None when it settled itself)."""

    state: State
    account: PlatformIdentity | None = None
    name: str = ""
    by: PersonId | None = None
    at: str = ""

    def options(self) -> tuple[str, ...]:
        if self.state is State.PENDING:
            assert self.account is not None
            return (RECORD, self.state, str(self.account), self.name)
        return (RECORD, self.state, self.by or "", self.at)

    @classmethod
    def parse(cls, options: tuple[str, ...]) -> _Record | None:
        if len(options) != 4 or options[0] != RECORD or options[1] not in set(State):
            return None
        state, first, second = State(options[1]), options[2], options[3]
        if state is not State.PENDING:
            return cls(state, by=PersonId(first) if first else None, at=second)
        platform, _sep, ref = first.partition(":")
        if platform not in set(Platform) or not ref:
            return None
        return cls(state, account=PlatformIdentity(Platform(platform), ref), name=second)


def _read(s: Situation, group: Group, key: str) -> _Record | None:
    """The record under ``key``, left in place."""
    chat = _record_chat(group)
    found = s.uow.choices.take(chat, PersonId(key))
    if found is None:
        return None
    s.uow.choices.put(found)
    return _Record.parse(found.options)


def _keep(s: Situation, group: Group, key: str, record: _Record) -> None:
    s.uow.choices.put(PendingChoice(_record_chat(group), PersonId(key), record.options(), s.now))


def on_member_joined(s: Situation, event: InboundEvent) -> None:
    """Keep someone the core does not have in the group, and ask who may decide."""
    if s.network is None or s.group is None:
        return
    network, group, person = s.network, s.group, s.person
    if _blocked(s, network, person):
        return  # moderation removes and reports
    if person is not None and belongs(s, network, group, person):
        return
    identity = event.sender.identity
    key = account_key(identity)
    earlier = _read(s, group, key)
    if earlier is not None and earlier.state is State.PENDING:
        return  # asked already
    name = platform_name(event.sender)
    _keep(s, group, key, _Record(State.PENDING, account=identity, name=name))
    for to in _recipients(s, network, group):
        shown = shown_name(to.tr, person, name)
        question = texts.unknown_joined(to.tr, name=shown, group=group.name)
        options = [
            Button(texts.admit_label(to.tr), button_data(ADMIT, group, key)),
            Button(texts.remove_label(to.tr), button_data(REMOVE, group, key)),
        ]
        decider = to.person or _regie_decider(s, network)
        if decider is None:
            s.out.send(to.chat, question)
        else:
            s.out.ask(to.chat, decider.id, to.tr, question, options)


def _regie_decider(s: Situation, network: Network) -> Person | None:
    """Who answers by number in the regiegroep where it has no buttons: a hoofdcoordinator
    there, else another member of the regie staff (with buttons, anyone of them may press)."""
    regie = _regiegroep(network)
    if regie is None:
        return None
    staff: list[tuple[bool, Person]] = []
    for m in s.uow.memberships.of_group(regie.id):
        roles = s.uow.persons.gemeente_roles(network.gemeente.id, m.person_id)
        person = s.uow.persons.get(m.person_id)
        if person is not None and roles & _REGIE_STAFF:
            staff.append((GemeenteRole.HOOFDCOORDINATOR not in roles, person))
    staff.sort(key=lambda found: (found[0], found[1].id))
    return staff[0][1] if staff else None


# ---------------------------------------------------------------------------------------------
# The decision
# ---------------------------------------------------------------------------------------------
def _find_group(s: Situation, wanted: str) -> tuple[Network, Group] | None:
    networks = [s.network] if s.network is not None else []
    networks += [n for n in s.uow.networks.all() if n not in networks]
    for network in networks:
        found = [g for g in network.groups if group_key(g) == wanted]
        if len(found) == 1:
            return network, found[0]
    return None


def on_button(s: Situation, value: str) -> None:
    """``a|r:<group key>:<account key>``: admit or remove someone who joined unasked."""
    verb, _sep, rest = value.partition(":")
    wanted, _sep, key = rest.partition(":")
    found = _find_group(s, wanted) if verb in (ADMIT, REMOVE) and key else None
    if found is None:
        s.reply(texts.no_longer_open(s.tr))
        return
    network, group = found
    presser = s.person
    may = presser is not None and (
        _regie_staff(s, network, presser)
        or (
            group.kind is GroupKind.BUURT
            and (role := _roster(network, s, group).role_of(presser.id)) is not None
            and role.is_beheerder
        )
    )
    if presser is None or not may:
        s.reply(texts.not_yours_to_decide(s.tr, group=group.name, kind=group.kind))
        return
    record = _read(s, group, key)
    if record is None:
        s.reply(texts.no_longer_open(s.tr))
        return
    if record.state is not State.PENDING:
        decider = s.uow.persons.get(record.by) if record.by else None
        if decider is None:
            s.reply(texts.no_longer_open(s.tr))
            return
        s.reply(
            texts.already_decided(
                s.tr, by=person_name(s.tr, decider), admitted=record.state is State.ADMITTED
            )
        )
        return
    assert record.account is not None
    joiner = person_of(s.uow, record.account)
    name = shown_name(s.tr, joiner, record.name)
    if joiner is not None and belongs(s, network, group, joiner):
        _keep(s, group, key, _Record(State.ADMITTED, at=_iso(s.now)))
        s.reply(texts.meanwhile_member(s.tr, name=name, group=group.name))
        return
    if verb == ADMIT:
        if _blocked(s, network, joiner):
            s.reply(texts.blocked_not_admitted(s.tr, name=name))
            return
        _admit(s, network, group, record, joiner, presser)
        s.reply(texts.admitted(s.tr, name=name, group=group.name))
    else:
        by_hand = not _remove(s, network, group, record.account, joiner, presser)
        wording = texts.remove_by_hand if by_hand else texts.removed
        s.reply(wording(s.tr, name=name, group=group.name))
    decided = State.ADMITTED if verb == ADMIT else State.REMOVED
    _keep(s, group, key, _Record(decided, by=presser.id, at=_iso(s.now)))


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _admit(
    s: Situation,
    network: Network,
    group: Group,
    record: _Record,
    joiner: Person | None,
    presser: Person,
) -> None:
    """Put the joiner on the roster as lid; someone unknown becomes a person of the gemeente
    with the account and the name the platform showed."""
    assert record.account is not None
    if joiner is None:
        joiner = Person(
            id=PersonId(uuid.uuid4().hex),
            gemeente_id=network.gemeente.id,
            display_name=record.name,
            identities=frozenset({record.account}),
        )
    else:
        joiner = replace(
            joiner,
            gemeente_id=joiner.gemeente_id or network.gemeente.id,
            display_name=joiner.display_name or record.name,
        )
    s.uow.persons.save(joiner)
    roster = _roster(network, s, group)
    if roster.admit(joiner.id):
        s.uow.memberships.replace_group(group.id, roster.memberships)
    log.info("%s admitted %s to %s after an unarranged join", presser.id, joiner.id, group.id)


def _remove(
    s: Situation,
    network: Network,
    group: Group,
    account: PlatformIdentity,
    joiner: Person | None,
    presser: Person,
) -> bool:
    """Queue the platform removal; ``False`` when a human has to do it."""
    _audit(
        s,
        network,
        AuditAction.REMOVED,
        group=group,
        subject=joiner.id if joiner else None,
        actor=presser.id,
        reason=UNKNOWN_JOIN,
    )
    if account.platform is not group.chat.platform:
        return False
    if not s.out.capabilities(group.chat.platform).remove_members:
        return False
    s.out.add(RemoveMember(chat=group.chat, user=account))
    return True


EVENT_HANDLERS: dict[type[InboundEvent], EventHandler] = {
    JoinRequested: on_join_request,
    MemberJoined: on_member_joined,
}

BUTTON_HANDLERS: dict[str, ButtonHandler] = {BUTTON: on_button}
