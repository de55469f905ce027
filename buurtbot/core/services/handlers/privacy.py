"""A person's own data: ``/mydata`` shows it, ``/forgetme`` erases it.

Decisions this module makes, where the issue left room:

- **/mydata shows everything, unmasked.** It is the person's own data, sent only to their
  private chat: accounts (phone numbers in full), groups and roles, warnings (active,
  expired and withdrawn), blocks, meldingen they reported, escalations they made, their
  sign-ups, the log entries by or about them, and their unexpired dashboard links and
  sessions (when and until when; never a token). Where the platform can send files, the
  same data follows as ``mijn-gegevens.json`` (made from the same dict as the text).
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

import json
from datetime import datetime
from typing import Any

from buurtbot.core.actions import Action, AnswerButton, Button, RemoveMember, SendFile
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
from buurtbot.core.domain.moderation import WarningReason
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.roster import Roster
from buurtbot.core.events import ButtonPressed, CommandReceived
from buurtbot.core.i18n import Translator
from buurtbot.core.ids import GroupId
from buurtbot.core.services.handlers.registry import ButtonHandler, CommandHandler
from buurtbot.core.services.handlers.roles import Roles
from buurtbot.core.services.situation import Situation, identity_on
from buurtbot.core.texts import moderation as moderation_texts
from buurtbot.core.texts import privacy as texts

FORGET_BUTTON = "forget"
#: How far back /mydata looks in the gemeente's escalations and log.
HISTORY_LIMIT = 5000
#: The name of the file /mydata sends where the platform can send files.
MYDATA_FILENAME = "mijn-gegevens.json"


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
def my_data(s: Situation, person: Person) -> dict[str, Any]:
    """Everything stored about ``person``, as plain data (times as aware datetimes).

    Both the readable answer and the file are made from this, so they never disagree."""
    uow = s.uow
    memberships = uow.memberships.of_person(person.id)
    networks = _networks_of(s, person, memberships)

    def group_name(group_id: GroupId | None) -> str:
        found = _group_of(networks, group_id) if group_id else None
        return found[1].name if found else (group_id or "-")

    home = next((n for n in networks if n.gemeente.id == person.gemeente_id), None)
    gemeente_roles: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    blocks: list[dict[str, Any]] = []
    escalations: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    for network in networks:
        gemeente = network.gemeente.id
        in_here = [m for m in memberships if network.group(m.group_id) is not None]
        granted = uow.persons.gemeente_roles(gemeente, person.id)
        roles = effective_gemeente_roles(granted, in_here)
        if roles:
            gemeente_roles.append(
                {"gemeente_id": gemeente, "roles": sorted(r.value for r in roles)}
            )
        for w in sorted(uow.warnings.of_person(gemeente, person.id), key=lambda w: w.at):
            state = "withdrawn" if w.revoked_at else ("active" if w.active(s.now) else "expired")
            warnings.append(
                {
                    "gemeente_id": gemeente,
                    "group_id": w.group_id,
                    "group": group_name(w.group_id),
                    "reason": w.reason.value,
                    "at": w.at,
                    "expires_at": w.expires_at,
                    "revoked_at": w.revoked_at,
                    "state": state,
                }
            )
        block = uow.blocks.in_force(gemeente, person.id)
        if block is not None:
            blocks.append({"gemeente_id": gemeente, "at": block.at})
        for e in reversed(uow.escalations.recent(gemeente, HISTORY_LIMIT)):
            if e.escalated_by == person.id:
                escalations.append(
                    {
                        "id": e.id,
                        "group_id": e.source_group,
                        "group": group_name(e.source_group),
                        "at": e.escalated_at,
                        "scope": e.scope.value,
                    }
                )
        for entry in reversed(uow.audit.recent(gemeente, HISTORY_LIMIT)):
            if person.id in (entry.actor, entry.subject):
                audit.append(
                    {
                        "gemeente_id": gemeente,
                        "at": entry.at,
                        "action": entry.action.value,
                        "by_you": entry.actor == person.id,
                    }
                )
    return {
        "person": {
            "id": person.id,
            "name": person.display_name,
            "handle": person.handle,
            "gemeente_id": person.gemeente_id,
            "gemeente": home.gemeente.name if home else None,
        },
        "identities": [
            {"platform": i.platform.value, "user_ref": i.user_ref}
            for i in sorted(person.identities, key=lambda i: (i.platform.value, i.user_ref))
        ],
        "locale": person.locale.value if person.locale else None,
        "memberships": [
            {"group_id": m.group_id, "group": group_name(m.group_id), "role": m.role.value}
            for m in memberships
        ],
        "gemeente_roles": gemeente_roles,
        "warnings": warnings,
        "blocks": blocks,
        "meldingen": [
            {
                "id": melding.id,
                "group_id": melding.group_id,
                "group": group_name(melding.group_id),
                "at": melding.created_at,
                "where": melding.where,
                "called_112": melding.called_112 is not None,
            }
            for melding in uow.meldingen.reported_by(person.id)
        ],
        "escalations": escalations,
        "aanmeldingen": [
            {
                "id": a.id,
                "at": a.created_at,
                "state": a.state.value,
                # the address and phone as they were given
                "name": a.name,
                "street": a.street,
                "house_number": a.house_number,
                "postcode": a.postcode,
                "phone": a.phone,
            }
            for a in _aanmeldingen(s, person, networks)
        ],
        "audit": audit,
        # Links and sessions of the regie dashboard: when, and until when (never the token).
        "dashboard": [
            {"kind": a.kind.value, "at": a.created_at, "until": a.expires_at}
            for a in uow.dashboard.of_person(person.id, s.now)
        ],
    }


def _sections(tr: Translator, data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The readable answer's sections (heading, lines), made from :func:`my_data`."""
    when = tr.datetime
    me = data["person"]
    groups = [f"{m['group']}: {texts.role_name(tr, m['role'])}" for m in data["memberships"]]
    groups += [texts.gemeente_roles_line(tr, g["roles"]) for g in data["gemeente_roles"]]
    about = texts.person_lines(
        tr, name=me["name"], handle=me["handle"], gemeente=me["gemeente"], language=data["locale"]
    )
    details = ("name", "street", "house_number", "postcode", "phone")
    return [
        (texts.heading(tr, "person"), about),
        (
            texts.heading(tr, "accounts"),
            [f"{i['platform']}: {i['user_ref']}" for i in data["identities"]],
        ),
        (texts.heading(tr, "groups"), groups),
        (
            texts.heading(tr, "warnings"),
            [
                texts.warning_line(
                    tr,
                    at=when(w["at"]),
                    group=w["group"],
                    reason=moderation_texts.reason_label(tr, WarningReason(w["reason"])),
                    state=w["state"],
                )
                for w in data["warnings"]
            ],
        ),
        (
            texts.heading(tr, "blocks"),
            [texts.block_line(tr, when(b["at"])) for b in data["blocks"]],
        ),
        (
            texts.heading(tr, "meldingen"),
            [
                texts.melding_line(
                    tr,
                    at=when(m["at"]),
                    group=m["group"],
                    where=m["where"],
                    called_112=m["called_112"],
                )
                for m in data["meldingen"]
            ],
        ),
        (
            texts.heading(tr, "escalations"),
            [
                texts.escalation_line(tr, at=when(e["at"]), group=e["group"], scope=e["scope"])
                for e in data["escalations"]
            ],
        ),
        (
            texts.heading(tr, "aanmeldingen"),
            [
                texts.aanmelding_line(
                    tr, at=when(a["at"]), state=a["state"], details=[a[k] for k in details if a[k]]
                )
                for a in data["aanmeldingen"]
            ],
        ),
        (
            texts.heading(tr, "dashboard"),
            [
                texts.dashboard_line(tr, kind=a["kind"], at=when(a["at"]), until=when(a["until"]))
                for a in data["dashboard"]
            ],
        ),
        (
            texts.heading(tr, "log"),
            [
                texts.log_line(tr, at=when(e["at"]), action=e["action"], you_acted=e["by_you"])
                for e in data["audit"]
            ],
        ),
    ]


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in /mydata's data")  # pragma: no cover


def my_data_file(data: dict[str, Any]) -> bytes:
    """:func:`my_data` as the downloadable file: UTF-8 JSON, indented, keys sorted."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=_jsonable)
    return (text + "\n").encode("utf-8")


def mydata(s: Situation, cmd: CommandReceived) -> None:
    """Send the person everything stored about them, in their private chat; as a file too
    where the platform can send files."""
    assert s.person is not None, "the policy admits only known people"
    data = my_data(s, s.person)
    s.reply(texts.mydata(s.tr, _sections(s.tr, data)), to=cmd.message)
    chat = s.event.chat
    if s.out.capabilities(chat.platform).send_files:
        s.out.add(
            SendFile(
                chat=chat,
                filename=MYDATA_FILENAME,
                content=my_data_file(data),
                caption=texts.mydata_file_caption(s.tr),
            )
        )


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
