"""Every flow on Signal, end to end: the whole application (the relay, the core, the Signal
adapter over HTTP and WebSocket) against the stand-in signal-cli-rest-api, with the rest of
the example gemeente on the Telegram stand-in. Signal has no buttons (numbered replies
instead), no deep links (``START <token>`` typed to the bot) and no replies but quotes."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from buurtbot.adapters.signal.adapter import SignalAdapter
from buurtbot.core.ids import Platform
from tests.e2e.telegram_rig import TelegramRig
from tests.standins.signal_api import SentSignalMessage, SignalStandIn

#: "HH:MM" as the bot writes a time.
CLOCK = r"\d{1,2}:\d{2}"
#: A resident new to the bot (a possible Dutch mobile number, in nobody's file).
NEWCOMER = "+31612340001"
CHOOSE = "Antwoord met het nummer van je keuze."
BAD_INVITE = "Deze uitnodiging werkt niet."
PHOTO_RULE = "herinnering aan de fotoregel"
JPEG = {"contentType": "image/jpeg", "filename": "verdacht.jpg", "size": 48_213}
#: Markup of signal-cli-rest-api's ``styled`` text mode, and the separator the adapter adds.
_STYLE_MARKERS = frozenset("*`~|\u200b")


# -- helpers ------------------------------------------------------------------------------------
def standin(rig: TelegramRig) -> SignalStandIn:
    assert rig.signal is not None
    return rig.signal


def address(rig: TelegramRig, who: str) -> str:
    """A group's REST id (by slug), a person's number (by handle), or a number as given."""
    if who.startswith("+"):
        return who
    if who in rig.signal_chats:
        return rig.signal_chats[who]
    return rig.number(who)


def readable(message: SentSignalMessage) -> str:
    """The text as the recipient's phone shows it: in ``styled`` mode without the markers
    (``**bold**``, ``*italic*``, ```code```) and their escapes."""
    if message.text_mode != "styled":
        return message.message
    out: list[str] = []
    chars = iter(message.message)
    for char in chars:
        if char == "\\":
            out.append(next(chars, ""))
        elif char not in _STYLE_MARKERS:
            out.append(char)
    return "".join(out)


def said(rig: TelegramRig, to: str) -> list[SentSignalMessage]:
    """What the bot sent on Signal to a group (slug) or a person (handle or number)."""
    return standin(rig).messages_to(address(rig, to))


def mark(rig: TelegramRig, to: str) -> int:
    return len(said(rig, to))


def containing(rig: TelegramRig, to: str, text: str) -> list[SentSignalMessage]:
    return [m for m in said(rig, to) if text in readable(m)]


async def reply(
    rig: TelegramRig, to: str, text: str, *, after: int = 0, timeout: float = 15.0
) -> SentSignalMessage:
    """The first message on Signal to ``to`` (after the first ``after``) containing ``text``."""

    def found() -> SentSignalMessage | None:
        return next((m for m in said(rig, to)[after:] if text in readable(m)), None)

    try:
        message = await rig.until(found, timeout)
    except AssertionError:
        seen = "\n---\n".join(readable(m)[:300] for m in said(rig, to)[-5:])
        raise AssertionError(f"nothing with {text!r} to {to} on Signal; lately:\n{seen}") from None
    assert message is not None
    return message


def quoting(rig: TelegramRig, message: SentSignalMessage | dict[str, Any]) -> tuple[str, int, str]:
    """The quote of a message: one the bot sent, or an envelope someone pushed."""
    if isinstance(message, SentSignalMessage):
        return (standin(rig).number, message.timestamp, message.message)
    return (message["source"], message["timestamp"], message["dataMessage"]["message"] or "")


def says(
    rig: TelegramRig,
    who: str,
    where: str | None,
    text: str | None,
    *,
    quote: SentSignalMessage | dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``who`` (handle or number) writes in a Signal group (slug) or, with ``None``, to the
    bot directly; ``quote`` is the message replied to. Returns the envelope."""
    return standin(rig).push_message(
        address(rig, who),
        text,
        group=rig.signal_chats[where] if where is not None else None,
        quote=quoting(rig, quote) if quote is not None else None,
        attachments=attachments,
    )


async def step(rig: TelegramRig, who: str, where: str | None, text: str, expect: str) -> None:
    """``who`` answers ``text`` and the bot comes back with ``expect`` (there, or privately)."""
    chat = where or who
    before = mark(rig, chat)
    says(rig, who, where, text)
    await reply(rig, chat, expect, after=before)


async def settle(seconds: float = 0.4) -> None:
    """Give the bot time to do anything more it might (wrongly) do."""
    await asyncio.sleep(seconds)


def member_calls(rig: TelegramRig, method: str, slug: str) -> list[Any]:
    """The bodies of the bot's ``method`` calls to the members endpoint of a group."""
    path = f"/v1/groups/{standin(rig).number}/{rig.signal_chats[slug]}/members"
    return [body for m, p, body in standin(rig).calls if m == method and p == path]


def no_html(message: SentSignalMessage, *typed: str) -> None:
    """The bot's text has no HTML of its own: no tags, no entities (what people ``typed``
    may contain anything, and stays as typed)."""
    text = message.message
    for literal in typed:
        text = text.replace(literal, "")
    for tag in ("<b>", "</b>", "<i>", "</i>", "<code>", "<a ", "&lt;", "&amp;", "&gt;"):
        assert tag not in text, message.message


async def sign_up(
    rig: TelegramRig, who: str, name: str, postcode: str, *, street: str | None = None
) -> str:
    """``who`` signs up through a direct Signal chat with the bot; the sign-up's number."""
    await step(rig, who, None, "/aanmelden", "Wat is je naam?")
    await step(rig, who, None, name, "Je postcode en huisnummer?")
    if street is not None:
        await step(rig, who, None, postcode, "In welke straat woon je?")
        await step(rig, who, None, street, "Ben je 18 jaar of ouder?")
    else:
        await step(rig, who, None, postcode, "Ben je 18 jaar of ouder?")
    question = await reply(rig, who, "Ben je 18 jaar of ouder?")
    assert CHOOSE in readable(question)  # no buttons on Signal: numbered replies
    assert "1. Ja" in readable(question)
    await step(rig, who, None, "1", "Woon of werk je in deze buurt?")
    await step(rig, who, None, "1", "Ga je akkoord met deze spelregels?")
    before = mark(rig, who)
    says(rig, who, None, "1")
    thanks = await reply(rig, who, "Je aanmelding heeft nummer", after=before)
    match = re.search(r"nummer ([A-Z0-9]+)\.", readable(thanks))
    assert match is not None, readable(thanks)
    return match.group(1)


async def admit(rig: TelegramRig, eigenaar: str, who: str, number: str, group: str) -> str:
    """The eigenaar admits sign-up ``number`` in a direct Signal chat; the invite token."""
    notice = await reply(rig, eigenaar, f"Nieuwe aanmelding {number} voor {group}")
    assert f"/toelaten {number}" in readable(notice)
    before = mark(rig, who)
    says(rig, eigenaar, None, f"/toelaten {number}")
    invite = await reply(rig, who, "START ", after=before)
    text = readable(invite)
    assert f"Je bent toegelaten tot {group}" in text
    assert "Signal" in text  # what to send to the bot, and where
    assert "t.me" not in text  # no deep links on Signal
    match = re.search(r"^START ([A-Za-z0-9_-]+)$", text, re.MULTILINE)
    assert match is not None, text
    await reply(rig, eigenaar, f"({number}) is toegelaten")
    return match.group(1)


# -- 1. sign-up and invite -----------------------------------------------------------------------
async def test_a_signup_on_signal_ends_with_the_bot_adding_the_number(mixed: TelegramRig) -> None:
    signal = standin(mixed)
    west = mixed.signal_chats["goor-west"]
    number = await sign_up(mixed, NEWCOMER, "Tom Brink", "7471 LB 12")
    # The regiegroep (on Telegram) hears of it without address or phone number.
    notice = await mixed.reply_to("regie", number)
    assert "Goor West" in notice.visible
    assert "7471" not in notice.visible
    assert NEWCOMER not in notice.visible

    token = await admit(mixed, "frank", NEWCOMER, number, "Buurtpreventie Goor West")
    assert NEWCOMER not in signal.members[west]

    await step(mixed, NEWCOMER, None, f"START {token}", "Nog één stap voordat je lid wordt.")
    rules = await reply(mixed, NEWCOMER, "Ga je akkoord met deze spelregels?")
    assert CHOOSE in readable(rules)
    await step(mixed, NEWCOMER, None, "1", "Ben je 18 jaar of ouder?")
    before = mark(mixed, NEWCOMER)
    says(mixed, NEWCOMER, None, "1")
    welcome = await reply(
        mixed, NEWCOMER, "Je bent nu lid van Buurtpreventie Goor West", after=before
    )
    assert "Ik voeg je nu toe aan de groep." in readable(welcome)

    # The bot added the number itself, through the members endpoint, once.
    await mixed.until(lambda: NEWCOMER in signal.members[west])
    assert member_calls(mixed, "POST", "goor-west") == [{"members": [NEWCOMER]}]
    told = await reply(
        mixed, "frank", "Tom Brink heeft de uitnodiging voor Buurtpreventie Goor West"
    )
    assert "met de hand" not in readable(told)  # no "add them by hand" on Signal

    # Signal's next update of the group does not make the bot ask about an "unknown" joiner.
    frank_before = mark(mixed, "frank")
    signal.push_group_update(west, mixed.number("frank"))
    before = mark(mixed, NEWCOMER)
    says(mixed, NEWCOMER, None, "/wiebenik")
    whoami = await reply(mixed, NEWCOMER, "Buurtpreventie Goor West", after=before)
    assert "Tom Brink" in readable(whoami)
    await settle()
    assert said(mixed, "frank")[frank_before:] == []
    assert member_calls(mixed, "DELETE", "goor-west") == []

    # The token is spent: the one answer for every bad token.
    await step(mixed, NEWCOMER, None, f"START {token}", BAD_INVITE)


# -- 2. melding, 112 and escalation --------------------------------------------------------------
WHERE = "Stationsstraat, bij de <b>bakker</b> & slager"


async def test_a_guided_melding_112_once_and_escalated_to_telegram_once(mixed: TelegramRig) -> None:
    where = "goor-west"
    before = mark(mixed, where)
    says(mixed, "henk", where, "/melding")
    question = await reply(mixed, where, "Nieuwe melding", after=before)
    assert "3. Verdacht voertuig" in readable(question)
    assert CHOOSE in readable(question)
    await step(mixed, "henk", where, "3", "Waar?")
    await step(mixed, "henk", where, WHERE, "Wanneer?")
    await step(mixed, "henk", where, "1", "welke kleur")
    await step(mixed, "henk", where, "grijs", "Welk merk")
    await step(mixed, "henk", where, "Volkswagen", "Welk type")
    await step(mixed, "henk", where, "Golf", "kenteken")
    await step(mixed, "henk", where, "12 gzb 8", "Is 112 gebeld?")
    before = mark(mixed, where)
    says(mixed, "henk", where, "2")
    post = await reply(mixed, where, "Melding: Verdacht voertuig", after=before)
    shown = readable(post)
    for line in (
        f"Waar: {WHERE}",  # as typed, not markup
        "grijs; Volkswagen; Golf; 12-GZB-8",
        "Gemeld door: Henk Scholten",
        "112: nog niet gebeld",
    ):
        assert line in shown, shown
    no_html(post, WHERE)

    # Henk called 112 and says so, quoting the melding; Ilse is told not to call again.
    called = says(mixed, "henk", where, "/112", quote=post)
    announcement = await reply(mixed, where, "112 is gebeld")
    assert re.search(rf"door Henk Scholten om {CLOCK}", readable(announcement))
    assert announcement.quote_timestamp == called["timestamp"]
    assert announcement.quote_author == mixed.number("henk")
    again = says(mixed, "ilse", where, "/112", quote=post)
    already = await reply(mixed, where, "112 is al gebeld")
    assert re.fullmatch(rf"112 is al gebeld om {CLOCK} door Henk Scholten\.", readable(already))
    assert already.quote_timestamp == again["timestamp"]
    assert already.quote_author == mixed.number("ilse")

    # Frank, the eigenaar, escalates the melding: the regiegroep and the adjacent Goor
    # Centrum, both on Telegram, get it once, with the 112 status.
    before = mark(mixed, where)
    says(mixed, "frank", where, "/escalate", quote=post)
    passed = await reply(mixed, where, "Doorgezet naar 2 ontvangers", after=before)
    assert "Regiegroep Hof van Twente" in readable(passed)
    assert "Buurtpreventie Goor Centrum" in readable(passed)
    for slug in ("regie", "goor-centrum"):
        copy = await mixed.reply_to(slug, "Doorgezet vanuit Goor West")
        assert copy.visible.startswith("⬆ Doorgezet vanuit Goor West (Goor)"), copy.visible
        assert "door Frank Lammers" in copy.visible
        assert re.search(rf"112: gebeld door Henk Scholten om {CLOCK}", copy.visible)
        assert "Volkswagen; Golf; 12-GZB-8" in copy.visible
        assert "&lt;b&gt;bakker&lt;/b&gt; &amp; slager" in copy.text  # escaped in HTML
    # Escalating it again reaches nobody twice.
    says(mixed, "gerda", where, "/escaleer", quote=post)
    await reply(mixed, where, "al deze ontvangers al bereikt")
    await settle()
    for slug in ("regie", "goor-centrum"):
        assert len([m for m in mixed.said(slug) if "Doorgezet vanuit" in m.visible]) == 1, slug
    assert mixed.said("goor-oost") == []  # not adjacent to Goor West
    # Everything the bot said in the Signal group is Signal text, never HTML.
    for message in said(mixed, where):
        no_html(message, WHERE)
        assert message.text_mode in ("normal", "styled")


# -- 3. warnings, removal and the block ------------------------------------------------------------
async def test_three_warnings_remove_the_member_and_keep_them_out(mixed: TelegramRig) -> None:
    signal = standin(mixed)
    west, south = mixed.signal_chats["goor-west"], mixed.signal_chats["goor-zuid"]
    ilse = mixed.number("ilse")

    # Before any of it, Ilse signed up for Goor Zuid too (a postcode Goor shares: the street
    # decides) and Niels admitted her; she has not used the invite yet.
    number = await sign_up(mixed, "ilse", "Ilse Meijerink", "7472 AB 3", street="Weverstraat")
    token = await admit(mixed, "niels", "ilse", number, "Buurtpreventie Goor Zuid")

    lines = [
        ("Wat een stelletje idioten zijn het", "taal"),
        ("Die pak ik zelf wel aan", "eigen-rechter"),
        ("Wie gaat er vanavond mee naar de kroeg?", "chat"),
    ]
    warned = "Je hebt een waarschuwing gekregen in Buurtpreventie Goor West"
    for n, (line, reason) in enumerate(lines, start=1):
        before = mark(mixed, "ilse")
        message = says(mixed, "ilse", "goor-west", line)
        says(mixed, "frank", "goor-west", f"/waarschuw {reason}", quote=message)
        await reply(mixed, "ilse", f"Je hebt nu {n} actieve waarschuwing", after=before)
        assert len(containing(mixed, "ilse", warned)) == n
        await reply(mixed, "frank", f"Actieve waarschuwingen: {n} van 3")
        if n < len(lines):
            assert member_calls(mixed, "DELETE", "goor-west") == []
    notice = await reply(mixed, "goor-west", "Ilse Meijerink heeft een waarschuwing gekregen")
    no_html(notice)

    # The third: removed from the Signal group through the REST API, and told privately.
    await mixed.until(lambda: ilse not in signal.members[west])
    assert member_calls(mixed, "DELETE", "goor-west") == [{"members": [ilse]}]
    removed = await reply(mixed, "ilse", "Je bent verwijderd uit Buurtpreventie Goor West")
    assert "regiegroep deze blokkade opheft" in readable(removed)
    await reply(
        mixed, "gerda", "Ilse Meijerink is door Frank Lammers verwijderd uit Buurtpreventie"
    )
    await mixed.reply_to("regie", "Ilse Meijerink")

    # The invite she got before is worth nothing now: the one answer for a bad token.
    await step(mixed, "ilse", None, f"START {token}", BAD_INVITE)
    await settle()
    assert member_calls(mixed, "POST", "goor-zuid") == []
    assert ilse not in signal.members[south]

    # Someone adds her to Goor Zuid by hand: the bot takes her out again and tells its
    # beheerders, once each.
    signal.set_members(south, [*signal.members[south], ilse])
    signal.push_group_update(south, mixed.number("olga"))
    await mixed.until(lambda: ilse not in signal.members[south])
    assert member_calls(mixed, "DELETE", "goor-zuid") == [{"members": [ilse]}]
    for beheerder in ("niels", "olga", "piet"):
        report = await reply(mixed, beheerder, "Ilse Meijerink is geblokkeerd in deze gemeente")
        assert "Buurtpreventie Goor Zuid" in readable(report)
    await settle()
    for beheerder in ("niels", "olga", "piet"):
        assert len(containing(mixed, beheerder, "is geblokkeerd in deze gemeente")) == 1


# -- 4. the receive socket -------------------------------------------------------------------------
HEARTBEAT = 0.5


@pytest.fixture
async def quick(tmp_path: Path) -> AsyncIterator[TelegramRig]:
    """As :func:`mixed`, with a short heartbeat and reconnect backoff on the receive socket."""
    rig = TelegramRig(
        tmp_path, signal=True, signal_config={"heartbeat": HEARTBEAT, "backoff_base": 0.1}
    )
    await rig.start()
    try:
        yield rig
    finally:
        await rig.stop()


def signal_adapter(rig: TelegramRig) -> SignalAdapter:
    assert rig.app is not None
    adapter = rig.app.ports[Platform.SIGNAL]
    assert isinstance(adapter, SignalAdapter)
    return adapter


async def test_a_clean_close_of_the_receive_socket_is_followed_by_a_reconnect(
    quick: TelegramRig,
) -> None:
    signal = standin(quick)
    assert signal_adapter(quick).config.heartbeat == HEARTBEAT
    connects = signal.connects
    # A restart of signal-cli-rest-api closes the socket cleanly (1000), where signalbot's
    # own loop would stop listening for good.
    await signal.close_websockets(1000)
    await quick.until(lambda: signal.connects > connects and signal.connections == 1)
    await step(quick, "henk", None, "/regels", "Spelregels van buurtpreventie Hof van Twente")
    # Twice in a row is no different.
    await signal.close_websockets(1001)
    await quick.until(lambda: signal.connects > connects + 1 and signal.connections == 1)
    await step(quick, "ilse", None, "/regels", "Spelregels van buurtpreventie Hof van Twente")
    assert signal_adapter(quick).receive_status().connected


async def test_a_half_open_receive_socket_is_found_by_the_heartbeat(quick: TelegramRig) -> None:
    signal = standin(quick)
    connects = signal.connects
    dropped = len(signal.dropped)
    signal.go_silent()
    silent_at = time.monotonic()
    # Meanwhile Henk asks for the rules: lost (signal-cli-rest-api keeps no queue). And
    # Gerda adds a neighbour to the group by hand: Signal's update about it is lost too.
    says(quick, "henk", None, "/regels")
    west = quick.signal_chats["goor-west"]
    signal.set_members(west, [*signal.members[west], NEWCOMER])
    signal.push_group_update(west, quick.number("gerda"))
    assert len(signal.dropped) == dropped + 2
    await quick.until(lambda: signal.connects > connects, timeout=10)
    found_after = time.monotonic() - silent_at
    # No pong within half a heartbeat after a ping: well within a few heartbeats (the
    # server's own ping comes every 54 s, the default heartbeat is 20 s).
    assert found_after < 4 * HEARTBEAT + 1.0, found_after
    await quick.until(lambda: signal.connections == 1)  # the silent one is gone
    status = signal_adapter(quick).receive_status()
    assert status.connected
    assert len(status.gaps) == 1

    await step(quick, "ilse", None, "/regels", "Spelregels van buurtpreventie Hof van Twente")
    # After the gap the bot compared the members itself: the beheerders are asked about
    # the neighbour nobody admitted.
    for beheerder in ("frank", "gerda"):
        question = await reply(quick, beheerder, "staat niet op de ledenlijst")
        assert "Buurtpreventie Goor West" in readable(question)
        assert CHOOSE in readable(question)
    await settle()
    assert said(quick, "henk") == []  # the lost one was never answered
    for beheerder in ("frank", "gerda"):
        assert len(containing(quick, beheerder, "staat niet op de ledenlijst")) == 1
    assert signal.dropped[dropped]["source"] == quick.number("henk")


# -- 5. the photo rule -----------------------------------------------------------------------------
async def test_a_photo_in_a_signal_group_gets_the_photo_rule_once(mixed: TelegramRig) -> None:
    where = "goor-west"
    photo = says(mixed, "henk", where, None, attachments=[JPEG])
    nudge = await reply(mixed, where, PHOTO_RULE)
    # In the group, as a reply (a quote) to the photo.
    assert nudge.quote_timestamp == photo["timestamp"]
    assert nudge.quote_author == mixed.number("henk")
    assert nudge.recipients == [mixed.signal_chats[where]]
    no_html(nudge)
    # Once a day per person: Henk's next photo (with a caption) gets nothing; a document is
    # no photo; Ilse's first photo gets her own reminder.
    says(mixed, "henk", where, "Nog een, van achteren", attachments=[JPEG])
    says(mixed, "gerda", where, None, attachments=[{"contentType": "application/pdf"}])
    second = says(mixed, "ilse", where, None, attachments=[{**JPEG, "isVoiceNote": False}])
    ilse_nudge = await reply(mixed, where, PHOTO_RULE, after=said(mixed, where).index(nudge) + 1)
    assert ilse_nudge.quote_timestamp == second["timestamp"]
    await settle()
    nudges = containing(mixed, where, PHOTO_RULE)
    assert [m.quote_author for m in nudges] == [mixed.number("henk"), mixed.number("ilse")]
    assert containing(mixed, "henk", PHOTO_RULE) == []  # not privately as well
