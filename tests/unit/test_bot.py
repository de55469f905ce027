"""The bot service on the in-memory fakes: commands, languages, refusals, replays, failures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from buurtbot.core.actions import AnswerButton, SendText
from buurtbot.core.ids import ChatRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities
from tests.world import World, texts

RULES_NL = "Spelregels van buurtpreventie Hof van Twente"
RULES_EN = "House rules of buurtpreventie Hof van Twente"


@pytest.fixture
def world() -> World:
    return World()


def test_rules_follow_each_readers_language_in_the_same_group(world: World) -> None:
    [chosen] = texts(world.says("eva", "goor-centrum", "/language en"))
    assert chosen == "From now on I will write to you in English."
    [for_eva] = texts(world.says("eva", "goor-centrum", "/rules"))
    [for_daan] = texts(world.says("daan", "goor-centrum", "/regels"))
    assert for_eva.startswith(RULES_EN)
    assert for_daan.startswith(RULES_NL)


def test_a_language_choice_follows_the_person_to_another_platform(world: World) -> None:
    world.says("anna", "goor-centrum", "/taal en")  # a Telegram group
    signal = world.identity("anna", Platform.SIGNAL)
    [reply] = texts(
        world.deliver(world.event("/regels", sender=signal, chat=ChatRef.private_with(signal)))
    )
    assert reply.startswith(RULES_EN)


def test_replies_answer_the_command_message_in_the_same_chat(world: World) -> None:
    [action] = world.says("daan", "goor-centrum", "/hulp")
    assert isinstance(action, SendText)
    assert action.chat == world.group("goor-centrum").chat
    assert action.reply_to is not None
    assert action.reply_to.chat == action.chat


def test_help_lists_only_what_the_reader_may_use_here(world: World) -> None:
    [help_text] = texts(world.says("daan", "goor-centrum", "/help"))
    assert "/regels" in help_text
    assert "/wiebenik" in help_text
    assert "/escaleer" not in help_text


def test_a_replayed_event_changes_state_once(world: World) -> None:
    event = world.event(
        "/taal en",
        sender=world.identity("eva", Platform.TELEGRAM),
        chat=world.group("goor-centrum").chat,
        event_id="telegram:update:42",
    )
    first = world.deliver(event)
    again = world.deliver(event)
    assert len(first) == 1
    assert again == []
    assert len(world.store.state.outbox) == 1


def test_a_stranger_may_pick_a_language_and_is_remembered_by_account_only(world: World) -> None:
    stranger = PlatformIdentity(Platform.TELEGRAM, "999000111")
    chat = ChatRef.private_with(stranger)
    world.deliver(world.event("/language en", sender=stranger, chat=chat))
    [reply] = texts(world.deliver(world.event("/regels", sender=stranger, chat=chat)))
    assert reply.startswith(RULES_EN)
    [person] = [p for p in world.store.state.persons.values() if stranger in p.identities]
    assert person.display_name == ""
    assert person.identities == frozenset({stranger})


def test_a_strangers_app_language_is_used_until_they_choose(world: World) -> None:
    stranger = PlatformIdentity(Platform.TELEGRAM, "999000222")
    chat = ChatRef.private_with(stranger)
    [english] = texts(
        world.deliver(world.event("/rules", sender=stranger, chat=chat, language="en-GB"))
    )
    [dutch] = texts(world.deliver(world.event("/rules", sender=stranger, chat=chat, language="fr")))
    assert english.startswith("House rules")
    assert dutch.startswith("Spelregels")


def test_unknown_language_is_explained(world: World) -> None:
    [reply] = texts(world.says("daan", "goor-centrum", "/taal klingon"))
    assert reply == "De taal klingon ken ik niet. Kies uit: nl, en."
    assert world.person("daan").locale is None or world.person("daan").locale.value == "nl"


def test_language_choice_by_numbered_reply_where_there_are_no_buttons(world: World) -> None:
    [question] = texts(world.says("eva", "goor-centrum", "/taal"))
    assert "1. Nederlands" in question
    assert "2. English" in question
    [wrong] = texts(world.says("eva", "goor-centrum", "7"))
    assert wrong == "Antwoord met een nummer van 1 tot en met 2."
    [done] = texts(world.says("eva", "goor-centrum", "2"))
    assert done == "From now on I will write to you in English."
    assert world.person("eva").locale is not None
    assert world.person("eva").locale.value == "en"


def test_chatter_in_a_group_does_not_consume_a_pending_choice(world: World) -> None:
    world.says("eva", "goor-centrum", "/taal")
    assert world.says("eva", "goor-centrum", "ik zie een busje") == []
    [done] = texts(world.says("eva", "goor-centrum", "2"))
    assert done.startswith("From now on")


def test_language_choice_by_button_where_the_platform_has_buttons() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(buttons=True)})
    [question] = world.says("eva", "goor-centrum", "/taal")
    assert isinstance(question, SendText)
    assert [b.label for row in question.buttons for b in row] == ["Nederlands", "English"]
    data = question.buttons[1][0].data
    chat = world.group("goor-centrum").chat
    answer, reply = world.press(world.identity("eva", Platform.TELEGRAM), chat, data)
    assert isinstance(answer, AnswerButton)
    assert texts([reply]) == ["From now on I will write to you in English."]


def test_refusals_are_localised_and_nothing_else_is_queued(world: World) -> None:
    assert texts(world.says("daan", "goor-centrum", "/escaleer")) == [
        "Alleen de beheerders van deze groep kunnen /escaleer gebruiken."
    ]
    world.says("daan", "goor-centrum", "/language en")
    assert texts(world.says("daan", "goor-centrum", "/escalate")) == [
        "Only the beheerders of this group can use /escalate."
    ]


def test_a_stranger_in_a_group_is_refused_beheerder_commands(world: World) -> None:
    stranger = PlatformIdentity(Platform.TELEGRAM, "999000333")
    event = world.event("/escalate", sender=stranger, chat=world.group("goor-centrum").chat)
    [reply] = texts(world.deliver(event))
    assert reply.startswith("Ik ken je nog niet")


def test_unknown_commands_get_a_pointer_to_help(world: World) -> None:
    [reply] = texts(world.says("daan", "goor-centrum", "/frobnicate now"))
    assert reply == "Het commando /frobnicate ken ik niet. Met /hulp zie je wat je hier kunt doen."


def test_whoami_lists_groups_and_derived_coordinator_role(world: World) -> None:
    [reply] = texts(world.says("anna", None, "/whoami"))
    assert "Anna Huisman" in reply
    assert "eigenaar" in reply
    assert "coördinator" in reply  # every beheerder is a coordinator


def test_chatid_works_in_a_chat_outside_the_network(world: World) -> None:
    chat = ChatRef(Platform.TELEGRAM, "-100555")
    event = world.event("/chatid", sender=world.identity("anna", Platform.TELEGRAM), chat=chat)
    [reply] = texts(world.deliver(event))
    assert reply.endswith("-100555")


def test_long_texts_are_split_to_the_platform_limit() -> None:
    world = World(capabilities={Platform.TELEGRAM: Capabilities(max_text_length=300)})
    actions = world.says("daan", "goor-centrum", "/regels")
    assert len(actions) > 1
    assert all(isinstance(a, SendText) and len(a.text) <= 300 for a in actions)
    joined = "".join(texts(actions))
    assert joined.startswith(RULES_NL)
    assert "0900-8844" in joined


def test_plain_chatter_in_a_group_is_not_answered_or_stored(world: World) -> None:
    before = world.store.state.copy()
    assert world.says("daan", "goor-centrum", "Goedemorgen allemaal!") == []
    after = world.store.state
    assert after.persons == before.persons
    assert after.outbox == before.outbox


def test_a_failing_flow_rolls_back_and_apologises(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in a flow must not crash the bot or leave half a change behind."""
    from buurtbot.core.commands import Command
    from buurtbot.core.services import bot as bot_module

    def broken(s, cmd):  # type: ignore[no-untyped-def]
        s.uow.persons.save(replace(s.person, display_name="half-done"))
        raise RuntimeError("boom")

    saved = bot_module.HANDLERS.commands[Command.WHOAMI]
    bot_module.HANDLERS.commands[Command.WHOAMI] = broken
    try:
        [reply] = texts(world.says("daan", "goor-centrum", "/wiebenik"))
    finally:
        bot_module.HANDLERS.commands[Command.WHOAMI] = saved
    assert reply.startswith("Sorry, er ging bij mij iets mis.")
    assert world.person("daan").display_name == "Daan Wolters"
    assert "boom" in caplog.text
