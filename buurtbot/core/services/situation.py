"""Everything a handler needs to know about an event: where, who, in which role, which language."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property

from buurtbot.core.commands import Command
from buurtbot.core.domain.model import (
    Group,
    GroupKind,
    GroupRole,
    Membership,
    Person,
    effective_gemeente_roles,
)
from buurtbot.core.domain.network import Network
from buurtbot.core.events import InboundEvent
from buurtbot.core.i18n import Translator, Translators, resolve_locale
from buurtbot.core.ids import ChatRef, MessageRef, PersonId, Platform, PlatformIdentity
from buurtbot.core.policy import Actor, Place
from buurtbot.core.ports import UnitOfWork
from buurtbot.core.services.outgoing import Outgoing
from buurtbot.core.text import RichText

_PLACE_OF_KIND = {
    GroupKind.BUURT: Place.BUURTGROEP,
    GroupKind.COORDINATOREN: Place.COORDINATORENGROEP,
    GroupKind.REGIE: Place.REGIEGROEP,
}


class Situation:
    """The event with everything resolved that flows commonly need.

    Roles are looked up only when a flow asks (``actor``, ``memberships``): most traffic is
    chatter in a group, which needs neither.
    """

    def __init__(
        self,
        *,
        event: InboundEvent,
        now: datetime,
        uow: UnitOfWork,
        out: Outgoing,
        network: Network | None,
        group: Group | None,
        person: Person | None,
        place: Place,
        tr: Translator,
        translators: Translators,
        commands: tuple[Command, ...] = (),
        bot_usernames: Mapping[Platform, str] | None = None,
        bot_addresses: Mapping[Platform, str] | None = None,
        web_url: str | None = None,
    ) -> None:
        self.event = event
        self.now = now
        self.uow = uow
        self.out = out
        self.network = network
        self.group = group
        self.person = person
        self.place = place
        self.tr = tr
        self.translators = translators
        #: The commands this bot has handlers for (what ``/help`` may list).
        self.commands = commands
        #: The bot's username per platform, where known (for Telegram deep links).
        self.bot_usernames: Mapping[Platform, str] = bot_usernames or {}
        #: How people reach the bot per platform, where known (the Signal number).
        self.bot_addresses: Mapping[Platform, str] = bot_addresses or {}
        #: The web server's public address (sign-in links), when it runs.
        self.web_url = web_url

    @cached_property
    def memberships(self) -> list[Membership]:
        return self.uow.memberships.of_person(self.person.id) if self.person else []

    @cached_property
    def actor(self) -> Actor:
        return _actor(self.uow, self.person, self.memberships, self.network, self.group)

    def ensure_person(self) -> Person:
        """The sender as a person; someone new is kept with only their account.

        Keeping the platform identity is what lets a language choice, a dialogue or a
        numbered reply follow them; nothing else about them is stored.
        """
        if self.person is not None:
            return self.person
        person = Person(
            id=PersonId(uuid.uuid4().hex),
            gemeente_id=self.network.gemeente.id if self.network else None,
            display_name="",
            identities=frozenset({self.event.sender.identity}),
        )
        self.uow.persons.save(person)
        self.person = person
        return person

    def reply(self, text: RichText, *, to: MessageRef | None = None) -> None:
        """Answer in the chat the event came from, in the sender's language."""
        self.out.send(self.event.chat, text, reply_to=to)

    def translator_for(self, person: Person | None, group: Group | None = None) -> Translator:
        gemeente = self.network.gemeente if self.network else None
        locale = resolve_locale(person=person, group=group, gemeente=gemeente)
        return self.translators.get(locale, gemeente.timezone if gemeente else "Europe/Amsterdam")


def find_person(uow: UnitOfWork, event: InboundEvent) -> Person | None:
    """The sender as a person of the network. On the console, the identity is the person id
    (or, for someone the network does not know, a stored console identity)."""
    identity = event.sender.identity
    if identity.platform is Platform.CONSOLE:
        person = uow.persons.get(PersonId(identity.user_ref))
        if person is not None:
            return person
    return uow.persons.by_identity(identity)


def resolve(
    uow: UnitOfWork,
    event: InboundEvent,
    *,
    now: datetime,
    out: Outgoing,
    translators: Translators,
    commands: tuple[Command, ...] = (),
    bot_usernames: Mapping[Platform, str] | None = None,
    bot_addresses: Mapping[Platform, str] | None = None,
    web_url: str | None = None,
) -> Situation:
    person = find_person(uow, event)
    network: Network | None = None
    group: Group | None = None
    if event.chat.private:
        place = Place.PRIVATE
        if person is not None and person.gemeente_id is not None:
            network = uow.networks.get(person.gemeente_id)
        if network is None:
            networks = uow.networks.all()
            network = networks[0] if len(networks) == 1 else None
    else:
        found = uow.networks.find_group(event.chat)
        if found is None:
            place = Place.UNKNOWN_CHAT
        else:
            network, group_id = found
            group = network.group(group_id)
            place = _PLACE_OF_KIND[group.kind] if group else Place.UNKNOWN_CHAT
    gemeente = network.gemeente if network else None
    locale = resolve_locale(
        person=person, group=group, gemeente=gemeente, hint=event.sender.language
    )
    timezone = gemeente.timezone if gemeente else "Europe/Amsterdam"
    return Situation(
        event=event,
        now=now,
        uow=uow,
        out=out,
        network=network,
        group=group,
        person=person,
        place=place,
        tr=translators.get(locale, timezone),
        translators=translators,
        commands=commands,
        bot_usernames=bot_usernames,
        bot_addresses=bot_addresses,
        web_url=web_url,
    )


def _actor(
    uow: UnitOfWork,
    person: Person | None,
    memberships: list[Membership],
    network: Network | None,
    group: Group | None,
) -> Actor:
    if person is None:
        return Actor()
    if network is None:
        return Actor(known=True)
    in_gemeente = [m for m in memberships if network.group(m.group_id) is not None]
    granted = uow.persons.gemeente_roles(network.gemeente.id, person.id)
    group_role = next((m.role for m in in_gemeente if group and m.group_id == group.id), None)
    return Actor(
        known=True,
        group_role=group_role,
        gemeente_roles=effective_gemeente_roles(granted, in_gemeente),
        owns_buurtgroep=any(m.role is GroupRole.EIGENAAR for m in in_gemeente),
    )


def identity_on(person: Person, platform: Platform) -> PlatformIdentity | None:
    """The person's account on ``platform``; on the console everybody is their person id."""
    found = person.identity_on(platform)
    if found is None and platform is Platform.CONSOLE:
        return PlatformIdentity(Platform.CONSOLE, person.id)
    return found


def private_chat(person: Person, prefer: Platform | None = None) -> ChatRef | None:
    """Where to reach ``person`` privately: on ``prefer`` when they have an account there,
    else on Telegram, then Signal, then any account; ``None`` when they have none."""
    for platform in (prefer, Platform.TELEGRAM, Platform.SIGNAL):
        if platform is not None and (identity := identity_on(person, platform)) is not None:
            return ChatRef.private_with(identity)
    others = sorted(person.identities, key=lambda i: (i.platform.value, i.user_ref))
    return ChatRef.private_with(others[0]) if others else None
