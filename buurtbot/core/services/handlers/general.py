"""The commands every person can use anywhere: start, help, rules, language, whoami, chatid."""

from __future__ import annotations

from dataclasses import replace

from buurtbot.core.actions import Button
from buurtbot.core.commands import Command
from buurtbot.core.domain.model import Locale
from buurtbot.core.events import CommandReceived
from buurtbot.core.policy import decide
from buurtbot.core.services.handlers import signup
from buurtbot.core.services.handlers.registry import ButtonHandler, CommandHandler
from buurtbot.core.services.situation import Situation
from buurtbot.core.texts import replies
from buurtbot.core.texts.commands import help_text
from buurtbot.core.texts.rules import house_rules

LANGUAGE_BUTTON = "lang"


def _gemeente_name(s: Situation) -> str | None:
    return s.network.gemeente.name if s.network else None


def start(s: Situation, cmd: CommandReceived) -> None:
    if cmd.args and s.event.chat.private:
        signup.start_with_token(s, cmd.args[0])  # an invite: /start <token> (a Telegram deep link)
        return
    s.reply(replies.welcome(s.tr, _gemeente_name(s), known=s.person is not None), to=cmd.message)


def help_(s: Situation, cmd: CommandReceived) -> None:
    usable = [c for c in s.commands if decide(c, s.place, s.actor).allowed]
    s.reply(help_text(s.tr, usable, private=s.event.chat.private), to=cmd.message)


def rules(s: Situation, cmd: CommandReceived) -> None:
    s.reply(house_rules(s.tr, _gemeente_name(s)), to=cmd.message)


def whoami(s: Situation, cmd: CommandReceived) -> None:
    if s.person is None:
        s.reply(replies.whoami_unknown(s.tr), to=cmd.message)
        return
    groups = [
        (g.name, g.kind, m.role)
        for m in s.memberships
        if s.network is not None and (g := s.network.group(m.group_id)) is not None
    ]
    s.reply(
        replies.whoami(
            s.tr,
            name=s.person.display_name,
            gemeente_name=_gemeente_name(s),
            groups=sorted(groups),
            gemeente_roles=s.actor.gemeente_roles,
        ),
        to=cmd.message,
    )


def chatid(s: Situation, cmd: CommandReceived) -> None:
    chat = s.event.chat
    s.reply(replies.chat_id(s.tr, str(chat.platform), chat.chat_id, chat.private), to=cmd.message)


def language(s: Situation, cmd: CommandReceived) -> None:
    if not cmd.args:
        options = [Button(replies.language_name(loc), f"{LANGUAGE_BUTTON}:{loc}") for loc in Locale]
        s.out.ask(
            s.event.chat,
            s.ensure_person().id,
            s.tr,
            replies.language_prompt(s.tr),
            options,
            reply_to=cmd.message,
        )
        return
    chosen = Locale.parse(cmd.args[0])
    if chosen is None:
        s.reply(replies.language_unknown(s.tr, cmd.args[0][:40]), to=cmd.message)
        return
    _set_language(s, chosen)


def language_button(s: Situation, value: str) -> None:
    chosen = Locale.parse(value)
    if chosen is not None:
        _set_language(s, chosen)


def _set_language(s: Situation, chosen: Locale) -> None:
    person = replace(s.ensure_person(), locale=chosen)
    s.uow.persons.save(person)
    s.person = person
    s.tr = s.translator_for(person)
    s.reply(replies.language_set(s.tr), to=getattr(s.event, "message", None))


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.START: start,
    Command.HELP: help_,
    Command.RULES: rules,
    Command.LANGUAGE: language,
    Command.WHOAMI: whoami,
    Command.CHATID: chatid,
}

BUTTON_HANDLERS: dict[str, ButtonHandler] = {LANGUAGE_BUTTON: language_button}
