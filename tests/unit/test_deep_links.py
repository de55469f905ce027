"""Telegram deep links in invites: ``https://t.me/<bot>?start=<token>`` once the core knows
the bot's username, and the typed ``/start <token>`` wording without it."""

from __future__ import annotations

import re

import pytest

from buurtbot.core.actions import Action, SendText
from buurtbot.core.domain.aanmelding import AanmeldingState
from buurtbot.core.ids import ChatRef, Platform, PlatformIdentity
from buurtbot.core.services.bot import BuurtBot
from tests.unit.test_signup_flows import (
    RESIDENT,
    form,
    only_aanmelding,
    redeem,
    sign_up,
    submit,
)
from tests.world import TRANSLATORS, World

BOT = "HofVanTwenteBot"
LINK = re.compile(r"https://t\.me/(?P<bot>[A-Za-z0-9_]+)\?start=(?P<token>\S*)")
#: What Telegram accepts as the ``start`` parameter of a deep link.
START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def world_with(
    usernames: dict[Platform, str] | None, addresses: dict[Platform, str] | None = None
) -> World:
    world = World()
    if usernames is not None or addresses is not None:
        world.bot = BuurtBot(
            world.uow_factory,
            TRANSLATORS,
            clock=world.clock,
            bot_usernames=usernames,
            bot_addresses=addresses,
        )
    return world


def to_chat(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def admit_resident(world: World, resident: PlatformIdentity = RESIDENT) -> str:
    """Sign ``resident`` up by the bot dialogue, admit as anna; the resident's invite text."""
    sign_up(world, resident)
    aanmelding = only_aanmelding(world)
    actions = world.says("anna", None, f"/admit {aanmelding.id}")
    [invite] = to_chat(actions, ChatRef.private_with(resident))
    return invite


def test_a_telegram_resident_gets_a_deep_link_that_redeems() -> None:
    world = world_with({Platform.TELEGRAM: BOT})
    invite = admit_resident(world)
    found = LINK.search(invite)
    assert found is not None, invite
    assert found.group("bot") == BOT
    token = found.group("token")
    assert START_PARAMETER.match(token), token
    assert f"/start {token}" not in invite
    # Opening the link makes Telegram send "/start <token>": that joins the group.
    redeem(world, RESIDENT, token)
    assert only_aanmelding(world).state is AanmeldingState.JOINED


def test_without_a_username_the_invite_says_what_to_send() -> None:
    world = world_with(None)
    invite = admit_resident(world)
    assert "t.me/" not in invite
    found = re.search(r"/start (\S+)", invite)
    assert found is not None, invite
    assert START_PARAMETER.match(found.group(1))


def test_a_username_for_another_platform_gives_no_link() -> None:
    world = world_with({Platform.SIGNAL: "+31600000000"})
    invite = admit_resident(world)
    assert "t.me/" not in invite
    assert re.search(r"/start \S+", invite), invite


@pytest.mark.parametrize("username", [BOT, None])
def test_a_web_sign_up_for_telegram_gives_the_eigenaar_the_link(username: str | None) -> None:
    world = world_with({Platform.TELEGRAM: username} if username else None)
    result, _ = submit(world, form(phone=None, contact_platform=Platform.TELEGRAM))
    assert result.aanmelding is not None
    actions = world.says("anna", None, f"/admit {result.aanmelding.id}")
    [confirmation] = to_chat(
        actions, ChatRef.private_with(world.identity("anna", Platform.TELEGRAM))
    )
    found = LINK.search(confirmation)
    if username is None:
        assert found is None, confirmation
        assert "/start " in confirmation
    else:
        assert found is not None, confirmation
        assert found.group("bot") == BOT
        assert START_PARAMETER.match(found.group("token"))


# -- Signal: the invite names the bot's number ---------------------------------------------------
BOT_NUMBER = "+31850000000"
SIGNAL_RESIDENT = PlatformIdentity(Platform.SIGNAL, "+31611111111")


def test_a_signal_resident_is_told_the_bots_number_and_the_start_message() -> None:
    world = world_with(
        {Platform.TELEGRAM: BOT},
        {Platform.TELEGRAM: f"@{BOT}", Platform.SIGNAL: BOT_NUMBER},
    )
    invite = admit_resident(world, SIGNAL_RESIDENT)
    assert f"het nummer van de bot, {BOT_NUMBER}:" in invite
    assert "t.me/" not in invite
    found = re.search(r"START (\S+)", invite)
    assert found is not None, invite
    redeem(world, SIGNAL_RESIDENT, found.group(1), start="START")
    assert only_aanmelding(world).state is AanmeldingState.JOINED


def test_a_web_sign_up_for_signal_gives_the_eigenaar_the_number() -> None:
    world = world_with(None, {Platform.SIGNAL: BOT_NUMBER})
    result, _ = submit(world, form(contact_platform=Platform.SIGNAL))
    assert result.aanmelding is not None
    actions = world.says("anna", None, f"/admit {result.aanmelding.id}")
    [confirmation] = to_chat(
        actions, ChatRef.private_with(world.identity("anna", Platform.TELEGRAM))
    )
    assert BOT_NUMBER in confirmation
    assert re.search(r"START \S+", confirmation), confirmation


def test_without_the_number_the_signal_invite_still_says_what_to_send() -> None:
    world = world_with(None)
    invite = admit_resident(world, SIGNAL_RESIDENT)
    assert "+3185" not in invite
    assert re.search(r"START \S+", invite), invite
