"""The application service: one inbound event in, state changes and outbox entries out.

Each event is handled in one unit of work: the event id is claimed, the flow runs, its
actions are queued in the outbox, and all of it commits together. A replayed event finds
its id claimed and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from buurtbot.core.actions import AnswerButton
from buurtbot.core.commands import lookup
from buurtbot.core.events import (
    ButtonPressed,
    CommandReceived,
    InboundEvent,
    MessageReceived,
)
from buurtbot.core.i18n import Translators, resolve_locale
from buurtbot.core.ids import PersonId, Platform
from buurtbot.core.policy import decide
from buurtbot.core.ports import (
    Capabilities,
    Clock,
    PlatformHealth,
    SystemClock,
    UnitOfWorkFactory,
)
from buurtbot.core.services import health as healths
from buurtbot.core.services import situation as situations
from buurtbot.core.services.handlers import ALL_MODULES, status
from buurtbot.core.services.handlers.registry import Registry
from buurtbot.core.services.outgoing import Outgoing
from buurtbot.core.services.situation import Situation
from buurtbot.core.texts import replies

log = logging.getLogger(__name__)

#: Every flow's handlers, merged once at import.
HANDLERS = Registry.of(
    *ALL_MODULES,
    status,
)


class BuurtBot:
    """Handles inbound events. Synchronous and thread-confined: call :meth:`handle` from one
    thread at a time (the application runs it in a single worker thread)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        translators: Translators,
        *,
        capabilities: Mapping[Platform, Capabilities] | None = None,
        clock: Clock | None = None,
        bot_usernames: Mapping[Platform, str] | None = None,
        bot_addresses: Mapping[Platform, str] | None = None,
        web_url: str | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.translators = translators
        self.capabilities = dict(capabilities or {})
        self.clock = clock or SystemClock()
        #: The bot's username per platform, where one is known (Telegram deep links); an
        #: adapter may fill it in after construction (Telegram's ``getMe``).
        self.bot_usernames: dict[Platform, str] = dict(bot_usernames or {})
        #: How people reach the bot per platform (:attr:`ChatPort.bot_address`: the Signal
        #: number for invites); filled in after the adapters' ``initialize``.
        self.bot_addresses: dict[Platform, str] = dict(bot_addresses or {})
        #: The public address of the web server (the dashboard's sign-in links); ``None``
        #: when the bot runs without it.
        self.web_url = web_url

    def handle(self, event: InboundEvent) -> bool:
        """Handle ``event`` once. ``False`` when it had been handled before.

        A failing flow never escapes as an exception: it is logged, its changes are rolled
        back, and the sender gets a short apology (queued under the same event id).
        """
        return self.handle_counted(event) is not None

    def handle_counted(self, event: InboundEvent) -> int | None:
        """:meth:`handle`, telling how many actions it queued (``None``: handled before).

        Most messages queue nothing; the caller need not wake the outbox relay for them."""
        try:
            return self._handle(event)
        except Exception:
            log.exception("handling %s failed", event.event_id)
            self._apologise(event)
            return 1

    def _handle(self, event: InboundEvent) -> int | None:
        now = self.clock.now()
        with self.uow_factory() as uow:
            if not uow.events.claim(event.event_id, now):
                log.info("event %s was handled before; skipped", event.event_id)
                return None
            out = Outgoing(uow, self.capabilities, key=event.event_id, now=now)
            s = situations.resolve(
                uow,
                event,
                now=now,
                out=out,
                translators=self.translators,
                commands=HANDLERS.implemented,
                bot_usernames=self.bot_usernames,
                bot_addresses=self.bot_addresses,
                web_url=self.web_url,
            )
            self._dispatch(s)
            uow.commit()
        return len(out.actions)

    def _dispatch(self, s: Situation) -> None:
        event = s.event
        if isinstance(event, CommandReceived):
            self._command(s, event)
        elif isinstance(event, ButtonPressed):
            if event.callback_id:
                s.out.add(AnswerButton(chat=event.chat, callback_id=event.callback_id))
            self._button(s, event.data)
        elif isinstance(event, MessageReceived):
            self._message(s, event)
        else:
            for handler in HANDLERS.events.get(type(event), []):
                handler(s, event)

    def _command(self, s: Situation, cmd: CommandReceived) -> None:
        command = lookup(cmd.name)
        if command is None:
            s.reply(replies.unknown_command(s.tr, cmd.name[:32]), to=cmd.message)
            return
        decision = decide(command, s.place, s.actor)
        if not decision.allowed:
            assert decision.refusal is not None
            s.reply(
                replies.refusal(s.tr, cmd.name, decision.refusal, decision.places), to=cmd.message
            )
            return
        handler = HANDLERS.commands.get(command)
        if handler is None:
            s.reply(replies.not_available(s.tr, cmd.name), to=cmd.message)
            return
        handler(s, cmd)

    def _button(self, s: Situation, data: str) -> None:
        prefix, _, value = data.partition(":")
        handler = HANDLERS.buttons.get(prefix)
        if handler is None:
            log.info("button with unknown data %r ignored", data[:64])
            return
        handler(s, value)

    def _message(self, s: Situation, msg: MessageReceived) -> None:
        """A message answers a pending choice, then a dialogue; else the nudges look at it."""
        if s.person is not None and self._answer(s, s.person.id, msg):
            return
        for consume in HANDLERS.messages:
            if consume(s, msg):
                return
        if s.event.chat.private:
            s.reply(replies.private_hint(s.tr), to=msg.message)

    def _answer(self, s: Situation, person: PersonId, msg: MessageReceived) -> bool:
        # Numbered replies wait in storage only where the platform has no buttons.
        buttons = s.out.capabilities(msg.chat.platform).buttons
        choice = None if buttons else s.uow.choices.take(msg.chat, person)
        answer = msg.text.strip()
        if choice is not None and answer.isdecimal() and 1 <= int(answer) <= len(choice.options):
            self._button(s, choice.options[int(answer) - 1])
            return True
        if choice is not None:
            s.uow.choices.put(choice)  # still waiting for a valid answer
        dialogue = s.uow.dialogues.get(msg.chat, person)
        if dialogue is not None and dialogue.expires_at > s.now:
            handler = HANDLERS.dialogues.get(dialogue.flow)
            if handler is not None:
                handler(s, dialogue, msg)
                return True
        if choice is not None:
            if answer.isdecimal() or s.event.chat.private:
                s.reply(replies.choice_out_of_range(s.tr, len(choice.options)), to=msg.message)
            return True
        return False

    def record_health(self, health: PlatformHealth) -> None:
        """Keep a platform's health check and tell the regiegroepen what changed, in one
        transaction (see :mod:`buurtbot.core.services.health`).

        Never raises: a failure is logged, and the adapter carries on without it.
        """
        try:
            now = self.clock.now()
            with self.uow_factory() as uow:
                key = f"health:{health.platform}:{now.isoformat()}"
                out = Outgoing(uow, self.capabilities, key=key, now=now)
                healths.record_health(uow, health, out=out, translators=self.translators, now=now)
                uow.commit()
        except Exception:
            log.exception("recording the health of %s failed", health.platform)

    def _apologise(self, event: InboundEvent) -> None:
        try:
            now = self.clock.now()
            with self.uow_factory() as uow:
                if not uow.events.claim(event.event_id, now):
                    return
                person = situations.find_person(uow, event)
                locale = resolve_locale(
                    person=person, group=None, gemeente=None, hint=event.sender.language
                )
                out = Outgoing(uow, self.capabilities, key=f"{event.event_id}:sorry", now=now)
                out.send(event.chat, replies.something_went_wrong(self.translators.get(locale)))
                uow.commit()
        except Exception:
            log.exception("could not even apologise for %s", event.event_id)
