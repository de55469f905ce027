"""Sign-up in chat: the ``/signup`` dialogue, the eigenaar's ``/pending``, ``/admit``,
``/decline``, the hoofdcoordinator's ``/route``, and redeeming an invite.

The state changes live in :mod:`buurtbot.core.services.signup` (shared with the web form);
this module asks the questions and answers the commands.

- The dialogue runs privately, one question at a time; yes/no questions use buttons where
  the platform has them and numbered replies elsewhere. A "no" to a membership condition
  ends it at once: nothing is stored.
- Redeeming (``/start <token>``, or ``START <token>`` as a plain private message for
  Signal) shows the house rules and asks acceptance and 18+ before the invite is used.
  Every bad token gets one and the same answer.
- Invites on Telegram are a deep link when the bot's username is known
  (``Situation.bot_usernames``); otherwise they say "send /start <token> to the bot",
  which works on every platform.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from buurtbot.core.actions import Button
from buurtbot.core.commands import Command
from buurtbot.core.domain.aanmelding import Aanmelding, AanmeldingState, Channel, Invite
from buurtbot.core.domain.dialogue import Dialogue
from buurtbot.core.domain.model import GemeenteRole, GroupRole
from buurtbot.core.events import CommandReceived, MessageReceived
from buurtbot.core.services import signup as service
from buurtbot.core.services.handlers.registry import (
    ButtonHandler,
    CommandHandler,
    DialogueHandler,
    MessageHandler,
)
from buurtbot.core.services.situation import Situation
from buurtbot.core.text import RichText
from buurtbot.core.texts import signup as texts
from buurtbot.core.texts.rules import house_rules

SIGNUP_FLOW = "signup"
REDEEM_FLOW = "redeem"
BUTTON = "signup"
#: A sign-up or redemption left half-way is forgotten after this long.
DIALOGUE_TIMEOUT = timedelta(minutes=30)
MAX_REASON = 300
_START_MESSAGE = re.compile(r"^\s*start\s+(\S+)\s*$", re.IGNORECASE)

#: The yes/no questions of each flow, in order, and the problem a "no" stands for.
SIGNUP_QUESTIONS = {"adult": "not-adult", "local": "not-local", "rules": "rules-not-accepted"}
REDEEM_QUESTIONS = {"rules": "rules-not-accepted", "adult": "not-adult"}


# ---------------------------------------------------------------------------------------------
# The /signup dialogue
# ---------------------------------------------------------------------------------------------
def start_signup(s: Situation, cmd: CommandReceived) -> None:
    if s.network is None:
        s.reply(texts.no_gemeente(s.tr), to=cmd.message)
        return
    person = s.ensure_person()
    dialogue = Dialogue(
        chat=cmd.chat,
        person=person.id,
        flow=SIGNUP_FLOW,
        step="name",
        started_at=s.now,
        expires_at=s.now + DIALOGUE_TIMEOUT,
    )
    s.uow.dialogues.put(dialogue)
    s.uow.choices.take(cmd.chat, person.id)
    s.reply(texts.ask_name(s.tr, s.network.gemeente.name), to=cmd.message)


def _ask_yes_no(s: Situation, dialogue: Dialogue, question: RichText) -> None:
    options = [
        Button(texts.yes_no(s.tr, True), f"{BUTTON}:{dialogue.flow}:{dialogue.step}:yes"),
        Button(texts.yes_no(s.tr, False), f"{BUTTON}:{dialogue.flow}:{dialogue.step}:no"),
    ]
    s.out.ask(dialogue.chat, dialogue.person, s.tr, question, options)


def _gemeente_name(s: Situation) -> str | None:
    return s.network.gemeente.name if s.network else None


def _ask(s: Situation, dialogue: Dialogue) -> None:
    step = dialogue.step
    if step == "name":
        s.reply(texts.ask_name(s.tr, _gemeente_name(s) or ""))
    elif step == "address":
        s.reply(texts.ask_address(s.tr))
    elif step == "street":
        s.reply(texts.ask_street(s.tr))
    elif dialogue.flow == SIGNUP_FLOW and step == "adult":
        _ask_yes_no(s, dialogue, texts.ask_adult(s.tr))
    elif step == "local":
        _ask_yes_no(s, dialogue, texts.ask_local(s.tr))
    elif dialogue.flow == SIGNUP_FLOW and step == "rules":
        rules = house_rules(s.tr, _gemeente_name(s))
        _ask_yes_no(s, dialogue, texts.ask_rules(s.tr, rules))
    elif step == "rules":
        rules = house_rules(s.tr, _gemeente_name(s))
        _ask_yes_no(s, dialogue, texts.redeem_ask_rules(s.tr, rules))
    elif step == "adult":
        _ask_yes_no(s, dialogue, texts.ask_adult(s.tr))


def _move(s: Situation, dialogue: Dialogue, step: str, **data: str) -> None:
    moved = replace(
        dialogue, step=step, data=dialogue.data | data, expires_at=s.now + DIALOGUE_TIMEOUT
    )
    s.uow.dialogues.put(moved)
    _ask(s, moved)


def on_signup_message(s: Situation, dialogue: Dialogue, msg: MessageReceived) -> None:
    """A typed answer; yes/no questions accept only an option (or its number)."""
    assert s.network is not None
    text = " ".join(msg.text.split())
    if dialogue.step == "name":
        if not text:
            _ask(s, dialogue)
            return
        _move(s, dialogue, "address", name=text[: service.MAX_NAME])
    elif dialogue.step == "address":
        parsed = service.parse_address(text)
        if parsed is None:
            s.reply(texts.address_not_understood(s.tr), to=msg.message)
            return
        postcode, number = parsed
        shared = len(service.buurten_of_postcode(s.network, postcode)) > 1
        _move(s, dialogue, "street" if shared else "adult", postcode=postcode, number=number)
    elif dialogue.step == "street":
        if not text:
            _ask(s, dialogue)
            return
        _move(s, dialogue, "adult", street=text[: service.MAX_STREET])
    else:
        s.reply(texts.signup_answer_with_option(s.tr), to=msg.message)
        _ask(s, dialogue)


def on_button(s: Situation, value: str) -> None:
    """``<flow>:<step>:<yes|no>`` of a sign-up or redemption question."""
    if s.person is None:
        return
    flow, _, rest = value.partition(":")
    step, _, answer = rest.partition(":")
    dialogue = s.uow.dialogues.get(s.event.chat, s.person.id)
    if (
        dialogue is None
        or dialogue.flow != flow
        or dialogue.step != step
        or dialogue.expires_at <= s.now
    ):
        return  # a stale button of an earlier question
    questions = SIGNUP_QUESTIONS if flow == SIGNUP_FLOW else REDEEM_QUESTIONS
    if step not in questions:
        return
    if answer != "yes":
        s.uow.dialogues.drop(dialogue.chat, dialogue.person)
        if flow == SIGNUP_FLOW:
            s.reply(texts.signup_stopped(s.tr, questions[step]))
        else:
            s.reply(texts.redeem_refused(s.tr))
        return
    order = list(questions)
    if step != order[-1]:
        _move(s, dialogue, order[order.index(step) + 1], **{step: "yes"})
        return
    s.uow.dialogues.drop(dialogue.chat, dialogue.person)
    if flow == SIGNUP_FLOW:
        _submit(s, dialogue.data)
    else:
        _redeem(s, dialogue.data.get("invite", ""))


def _submit(s: Situation, data: dict[str, str]) -> None:
    assert s.network is not None
    form = service.SignupForm(
        name=data.get("name", ""),
        postcode=data.get("postcode", ""),
        house_number=data.get("number", ""),
        street=data.get("street"),
        phone=None,
        contact_platform=s.event.chat.platform,
        identity=s.event.sender.identity,
        locale=s.tr.locale,
        adult=True,
        lives_here=True,
        rules_accepted=True,
        channel=Channel.BOT,
    )
    result = service.submit_aanmelding(
        s.uow, s.network, form, now=s.now, translators=s.translators, out=s.out
    )
    if result.aanmelding is None:
        s.reply(texts.problems(s.tr, result.problems))
        return
    buurt = s.network.buurt(result.aanmelding.buurt_id) if result.aanmelding.buurt_id else None
    s.reply(texts.submitted(s.tr, result.aanmelding, buurt.name if buurt else None))


# ---------------------------------------------------------------------------------------------
# /pending, /admit, /decline, /route
# ---------------------------------------------------------------------------------------------
def _is_hoofd(s: Situation) -> bool:
    return GemeenteRole.HOOFDCOORDINATOR in s.actor.gemeente_roles


def pending(s: Situation, cmd: CommandReceived) -> None:
    assert s.network is not None and s.person is not None
    network = s.network
    own = [
        m.group_id
        for m in s.memberships
        if m.role is GroupRole.EIGENAAR and network.group(m.group_id) is not None
    ]
    routed = []
    for group_id in own:
        group = network.group(group_id)
        assert group is not None
        for a in s.uow.aanmeldingen.for_group(group_id, frozenset({AanmeldingState.ROUTED})):
            routed.append((a, group.name))
    unrouted: list[tuple[Aanmelding, str]] = []
    waiting: list[tuple[str, int]] = []
    if _is_hoofd(s):
        states = frozenset({AanmeldingState.RECEIVED, AanmeldingState.UNROUTABLE})
        for a in s.uow.aanmeldingen.in_state(network.gemeente.id, states):
            buurt = network.buurt(a.buurt_id) if a.buurt_id else None
            where = buurt.name if buurt else texts.state_name(s.tr, a.state)
            unrouted.append((a, where))
        counts = s.uow.aanmeldingen.waiting_per_buurt(network.gemeente.id)
        for buurt_id, n in sorted(counts.items()):
            found = network.buurt(buurt_id)
            waiting.append((found.name if found else str(buurt_id), n))
    s.reply(texts.pending(s.tr, routed, unrouted, waiting), to=cmd.message)


def _target(s: Situation, cmd: CommandReceived, command: Command) -> Aanmelding | None:
    """The sign-up named in the first argument, if the caller may decide on it."""
    assert s.network is not None and s.person is not None
    if not cmd.args:
        s.reply(texts.usage(s.tr, command), to=cmd.message)
        return None
    given = cmd.args[0].upper()[:16]
    aanmelding = s.uow.aanmeldingen.get(given)
    if aanmelding is None or aanmelding.gemeente_id != s.network.gemeente.id:
        s.reply(texts.unknown_aanmelding(s.tr, given), to=cmd.message)
        return None
    if not service.may_decide(s.uow, s.network, s.person, aanmelding):
        s.reply(texts.not_yours(s.tr, aanmelding.id), to=cmd.message)
        return None
    return aanmelding


def admit(s: Situation, cmd: CommandReceived) -> None:
    aanmelding = _target(s, cmd, Command.ADMIT)
    if aanmelding is None:
        return
    assert s.network is not None and s.person is not None
    outcome = service.admit(
        s.uow,
        s.network,
        aanmelding,
        by=s.person.id,
        now=s.now,
        out=s.out,
        translators=s.translators,
        bot_usernames=s.bot_usernames,
        bot_addresses=s.bot_addresses,
    )
    if outcome is service.AdmitRefusal.BLOCKED:
        block = service.blocking(s.uow, aanmelding)
        reason = block.reason if block else ""
        s.reply(texts.admit_blocked(s.tr, aanmelding.id, reason), to=cmd.message)
        return
    if isinstance(outcome, service.AdmitRefusal):
        s.reply(texts.wrong_state(s.tr, aanmelding.id, aanmelding.state), to=cmd.message)
        return
    instructions = None
    if outcome.resident_chat is None:
        group = s.network.group(aanmelding.group_id) if aanmelding.group_id else None
        platform = aanmelding.contact_platform or (group.chat.platform if group else None)
        assert platform is not None
        username = s.bot_usernames.get(platform)
        address = s.bot_addresses.get(platform)
        instructions = texts.invite_instructions(s.tr, platform, outcome.token, username, address)
    s.reply(
        texts.admit_confirmed(s.tr, aanmelding.name, aanmelding.id, instructions),
        to=cmd.message,
    )


def decline(s: Situation, cmd: CommandReceived) -> None:
    if len(cmd.args) < 2:
        s.reply(texts.usage(s.tr, Command.DECLINE), to=cmd.message)
        return
    aanmelding = _target(s, cmd, Command.DECLINE)
    if aanmelding is None:
        return
    assert s.network is not None and s.person is not None
    reason = " ".join(cmd.args[1:])[:MAX_REASON]
    done = service.decline(
        s.uow,
        s.network,
        aanmelding,
        reason,
        by=s.person.id,
        now=s.now,
        out=s.out,
        translators=s.translators,
    )
    if done is None:
        s.reply(texts.wrong_state(s.tr, aanmelding.id, aanmelding.state), to=cmd.message)
        return
    told = done.identity is not None
    s.reply(texts.decline_confirmed(s.tr, done.name, done.id, told), to=cmd.message)


def route(s: Situation, cmd: CommandReceived) -> None:
    if len(cmd.args) < 2:
        s.reply(texts.usage(s.tr, Command.ROUTE), to=cmd.message)
        return
    aanmelding = _target(s, cmd, Command.ROUTE)
    if aanmelding is None:
        return
    assert s.network is not None and s.person is not None
    given = " ".join(cmd.args[1:])[:80]
    buurt = service.find_buurt(s.network, given)
    if buurt is None:
        s.reply(texts.unknown_buurt(s.tr, given), to=cmd.message)
        return
    done = service.reroute(
        s.uow,
        s.network,
        aanmelding,
        buurt,
        by=s.person.id,
        now=s.now,
        out=s.out,
        translators=s.translators,
    )
    if done is None:
        s.reply(texts.wrong_state(s.tr, aanmelding.id, aanmelding.state), to=cmd.message)
        return
    waiting = done.state is AanmeldingState.WAITING
    s.reply(texts.route_confirmed(s.tr, done.id, buurt.name, waiting), to=cmd.message)


# ---------------------------------------------------------------------------------------------
# Redemption: /start <token>, or START <token> as a private message
# ---------------------------------------------------------------------------------------------
def start_with_token(s: Situation, token: str) -> None:
    """Check the token; a good one starts the questions, a bad one gets the one answer."""
    identity = s.event.sender.identity
    found = service.check_token(s.uow, identity, token, now=s.now)
    if found is service.TokenRefusal.TOO_MANY:
        s.reply(texts.too_many_attempts(s.tr))
        return
    if not isinstance(found, Invite):
        s.reply(texts.bad_token(s.tr))
        return
    network = s.uow.networks.get(found.gemeente_id)
    if network is None:
        s.reply(texts.bad_token(s.tr))
        return
    s.network = network
    aanmelding = s.uow.aanmeldingen.get(found.aanmelding_id)
    person = s.ensure_person()
    if person.locale is None and aanmelding is not None:
        s.tr = s.translators.get(aanmelding.locale, network.gemeente.timezone)
    dialogue = Dialogue(
        chat=s.event.chat,
        person=person.id,
        flow=REDEEM_FLOW,
        step="rules",
        started_at=s.now,
        expires_at=s.now + DIALOGUE_TIMEOUT,
        data={"invite": found.token_hash},
    )
    s.uow.dialogues.put(dialogue)
    _ask(s, dialogue)


def _redeem(s: Situation, token_hash: str) -> None:
    invite = s.uow.invites.by_hash(token_hash) if token_hash else None
    identity = s.event.sender.identity
    if invite is None or not invite.usable(s.now):
        s.reply(texts.bad_token(s.tr))
        return
    network = s.uow.networks.get(invite.gemeente_id)
    if network is None:
        s.reply(texts.bad_token(s.tr))
        return
    outcome = service.redeem(
        s.uow, network, invite, identity, now=s.now, out=s.out, translators=s.translators
    )
    if isinstance(outcome, service.TokenRefusal):
        s.reply(texts.bad_token(s.tr))


def on_redeem_message(s: Situation, dialogue: Dialogue, msg: MessageReceived) -> None:
    s.reply(texts.signup_answer_with_option(s.tr), to=msg.message)
    _ask(s, dialogue)


def start_message(s: Situation, msg: MessageReceived) -> bool:
    """``START <token>`` typed privately (Signal has no deep links) redeems like /start."""
    if not msg.chat.private:
        return False
    match = _START_MESSAGE.match(msg.text[:200])
    if match is None:
        return False
    start_with_token(s, match.group(1))
    return True


COMMAND_HANDLERS: dict[Command, CommandHandler] = {
    Command.SIGNUP: start_signup,
    Command.PENDING: pending,
    Command.ADMIT: admit,
    Command.DECLINE: decline,
    Command.ROUTE: route,
}
BUTTON_HANDLERS: dict[str, ButtonHandler] = {BUTTON: on_button}
DIALOGUE_HANDLERS: dict[str, DialogueHandler] = {
    SIGNUP_FLOW: on_signup_message,
    REDEEM_FLOW: on_redeem_message,
}
MESSAGE_HANDLERS: list[MessageHandler] = [start_message]
