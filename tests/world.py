"""A small world for service tests: the example network in the in-memory fakes.

It builds neutral events the way an adapter would and reads back what the core queued, so
tests speak in the domain's terms ("Eva says /rules in Goor-Centrum").
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from buurtbot.config.network_file import load_network_file
from buurtbot.core.actions import Action, SendText
from buurtbot.core.commands import parse_command_text
from buurtbot.core.domain.model import Group, GroupKind, Locale, Person
from buurtbot.core.domain.networkspec import NetworkSpec
from buurtbot.core.events import (
    ButtonPressed,
    CommandReceived,
    InboundEvent,
    MessageReceived,
    Sender,
)
from buurtbot.core.i18n import Translators
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities, Clock
from buurtbot.core.services.bot import BuurtBot
from buurtbot.core.services.network_sync import apply_network
from buurtbot.locales import load_all
from tests.fakes import FakeStore, fake_uow_factory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hof-van-twente.toml"
TRANSLATORS = Translators(load_all())


class FixedClock(Clock):
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 11, 29, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class World:
    def __init__(self, capabilities: dict[Platform, Capabilities] | None = None) -> None:
        self.spec: NetworkSpec = load_network_file(EXAMPLE)
        self.store = FakeStore()
        self.uow_factory = fake_uow_factory(self.store)
        with self.uow_factory() as uow:
            apply_network(uow, self.spec)
            uow.commit()
        self.clock = FixedClock()
        self.bot = BuurtBot(
            self.uow_factory, TRANSLATORS, capabilities=capabilities or {}, clock=self.clock
        )
        self._ids = itertools.count(1)
        self._seen_outbox = 0

    # -- the network ------------------------------------------------------------------------
    def person(self, handle: str) -> Person:
        person = self.store.state.persons.get(self.spec.person_id(handle))
        assert person is not None, handle
        return person

    def group(self, slug: str) -> Group:
        for group in self.spec.network.groups:
            if group.id.rsplit(":", 1)[-1] == slug:
                return group
        raise AssertionError(slug)

    def set_language(self, handle: str, locale: Locale) -> None:
        """``handle`` has chosen ``locale`` (as ``/taal`` would store it)."""
        self._change_person(handle, lambda p: replace(p, locale=locale))

    def give_signal(self, handle: str, number: str) -> PlatformIdentity:
        """Link a Signal account to ``handle``; returns it."""
        identity = PlatformIdentity(Platform.SIGNAL, number)
        self._change_person(handle, lambda p: replace(p, identities=p.identities | {identity}))
        return identity

    def regie_in(self, locale: Locale) -> None:
        """The regiegroep reads ``locale`` (a group's own language setting)."""
        with self.uow_factory() as uow:
            [network] = uow.networks.all()
            groups = tuple(
                replace(g, locale=locale) if g.kind is GroupKind.REGIE else g
                for g in network.groups
            )
            uow.networks.save(replace(network, groups=groups))
            uow.commit()

    def _change_person(self, handle: str, change: Callable[[Person], Person]) -> None:
        with self.uow_factory() as uow:
            person = uow.persons.get(self.spec.person_id(handle))
            assert person is not None, handle
            uow.persons.save(change(person))
            uow.commit()

    def identity(self, handle: str, platform: Platform) -> PlatformIdentity:
        found = self.person(handle).identity_on(platform)
        assert found is not None, (handle, platform)
        return found

    # -- events -----------------------------------------------------------------------------
    def event(
        self,
        text: str,
        *,
        sender: PlatformIdentity,
        chat: ChatRef,
        language: str | None = None,
        reply_to: MessageRef | None = None,
        reply_text: str | None = None,
        reply_sender: PlatformIdentity | None = None,
        event_id: str | None = None,
        has_photo: bool = False,
    ) -> InboundEvent:
        number = next(self._ids)
        common = {
            "event_id": event_id or f"test:{number}",
            "chat": chat,
            "sender": Sender(identity=sender, display_name="", language=language),
            "at": self.clock.now(),
            "message": MessageRef(chat, str(number)),
            "reply_to": reply_to,
        }
        parsed = parse_command_text(text)
        if parsed is None:
            return MessageReceived(**common, text=text, has_photo=has_photo)  # type: ignore[arg-type]
        return CommandReceived(
            **common,  # type: ignore[arg-type]
            name=parsed.name,
            args=parsed.args,
            reply_to_text=reply_text,
            reply_to_sender=reply_sender,
        )

    def says(self, handle: str, where: str | None, text: str, **kw: object) -> list[Action]:
        """``handle`` types ``text`` in group ``where`` (``None``: privately), on the group's
        platform (Telegram privately); returns what the core queued for it."""
        platform = self.group(where).chat.platform if where else Platform.TELEGRAM
        sender = self.identity(handle, platform)
        chat = self.group(where).chat if where else ChatRef.private_with(sender)
        return self.deliver(self.event(text, sender=sender, chat=chat, **kw))  # type: ignore[arg-type]

    def press(self, sender: PlatformIdentity, chat: ChatRef, data: str) -> list[Action]:
        event = ButtonPressed(
            event_id=f"test:{next(self._ids)}",
            chat=chat,
            sender=Sender(identity=sender),
            at=self.clock.now(),
            data=data,
            callback_id="cb-1",
        )
        return self.deliver(event)

    def post(self, handle: str, where: str, text: str) -> MessageRef:
        """``handle`` posts ``text`` in group ``where``; the reference to reply to later."""
        event = self.event(text, sender=self.identity(handle, self.group(where).chat.platform),
                           chat=self.group(where).chat)  # fmt: skip
        self.deliver(event)
        assert isinstance(event, MessageReceived)
        return event.message

    def reply(self, handle: str, where: str, text: str, to: MessageRef, quoted: str = "",
              author: str | None = None, **kw: object) -> list[Action]:  # fmt: skip
        """``handle`` answers message ``to`` (whose text was ``quoted``) with ``text``."""
        platform = self.group(where).chat.platform
        return self.says(
            handle, where, text, reply_to=to, reply_text=quoted,
            reply_sender=self.identity(author, platform) if author else None, **kw,
        )  # fmt: skip

    def flush(self) -> dict[str, MessageRef]:
        """Pretend every queued action was sent: what each outbox key became on the platform."""
        sent: dict[str, MessageRef] = {}
        later = self.clock.now() + timedelta(days=365)
        while True:
            with self.uow_factory() as uow:
                items = uow.outbox.due(later, 10_000)  # at most one per chat at a time
                for item in items:
                    ref = MessageRef(item.action.chat, f"bot-{item.id}")
                    uow.outbox.delivered(item.id, self.clock.now(), message=ref)
                    sent[item.key] = ref
                uow.commit()
            if not items:
                return sent

    def deliver(self, event: InboundEvent) -> list[Action]:
        self.bot.handle(event)
        return self.new_actions()

    def new_actions(self) -> list[Action]:
        records = sorted(self.store.state.outbox.values(), key=lambda r: r.id)
        fresh = records[self._seen_outbox :]
        self._seen_outbox = len(records)
        return [r.action for r in fresh]


def texts(actions: list[Action]) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText)]
