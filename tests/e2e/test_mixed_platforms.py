"""A gemeente on two platforms: the example network's buurtgroepen on Telegram and on Signal,
its regiegroep on Telegram, each platform played by its stand-in, the whole application in
between (real python-telegram-bot, the Signal adapter over HTTP and WebSocket)."""

from __future__ import annotations

from tests.e2e.telegram_rig import TelegramRig
from tests.standins.signal_api import SentSignalMessage, SignalStandIn

REPORT = "Bestelbus <b>zonder</b> kenteken & lichten uit bij de Weverstraat"


def signal_of(rig: TelegramRig) -> SignalStandIn:
    assert rig.signal is not None
    return rig.signal


async def to_signal_group(
    rig: TelegramRig, slug: str, containing: str, after: int = 0
) -> SentSignalMessage:
    signal = signal_of(rig)
    chat = rig.signal_chats[slug]

    def found() -> SentSignalMessage | None:
        return next((m for m in signal.messages_to(chat)[after:] if containing in m.message), None)

    message = await rig.until(found)
    assert message is not None
    return message


async def test_an_escalation_from_signal_reaches_telegram_once_each(mixed: TelegramRig) -> None:
    signal = signal_of(mixed)
    west = mixed.signal_chats["goor-west"]
    henk, frank = mixed.number("henk"), mixed.number("frank")
    report = signal.push_message(henk, REPORT, group=west)
    # Frank, the eigenaar, quotes Henk's message with /escalate: a quote is Signal's reply.
    signal.push_message(frank, "/escalate", group=west, quote=(henk, report["timestamp"], REPORT))

    regie = await mixed.reply_to("regie", "Weverstraat")
    centrum = await mixed.reply_to("goor-centrum", "Weverstraat")
    for copy in (regie, centrum):
        assert "Goor West" in copy.visible  # where it came from
        assert REPORT in copy.visible  # the resident's text, literally
        assert "&lt;b&gt;zonder&lt;/b&gt;" in copy.text  # escaped in Telegram's HTML
        assert "&amp;" in copy.text
    # Frank hears where it went, in the Signal group, as plain text.
    told = await to_signal_group(mixed, "goor-west", "Regiegroep")
    assert "<" not in told.message
    # Each target once.
    assert len([m for m in mixed.said("regie") if "Weverstraat" in m.visible]) == 1
    assert len([m for m in mixed.said("goor-centrum") if "Weverstraat" in m.visible]) == 1


async def test_an_escalation_from_telegram_reaches_the_signal_neighbours(
    mixed: TelegramRig,
) -> None:
    report = mixed.says("daan", "goor-centrum", REPORT)
    mixed.says("anna", "goor-centrum", "/escalate", reply_to=report)

    west = await to_signal_group(mixed, "goor-west", "Weverstraat")
    south = await to_signal_group(mixed, "goor-zuid", "Weverstraat")
    for copy in (west, south):
        assert "Goor Centrum" in copy.message
        assert REPORT in copy.message  # plain text on Signal: the tags stay as typed
    await mixed.reply_to("regie", "Weverstraat")
    assert len([m for m in signal_of(mixed).messages_to(mixed.signal_chats["goor-west"])
                if "Weverstraat" in m.message]) == 1  # fmt: skip


async def test_one_person_on_two_platforms_has_one_language(mixed: TelegramRig) -> None:
    """Frank is on Telegram and on Signal: a language chosen on one holds on the other."""
    frank_tg = mixed.uid("frank")
    mixed.standin.add_chat(frank_tg, type="private")
    mixed.says("frank", None, "/language en")
    await mixed.reply_to("frank", "English")
    signal = signal_of(mixed)
    frank = mixed.number("frank")
    before = len(signal.messages_to(frank))
    signal.push_message(frank, "/help")

    def answered() -> list[SentSignalMessage]:
        return signal.messages_to(frank)[before:]

    [help_text, *_] = await mixed.until(answered)
    assert "What you can do with me" in help_text.message
    assert "/rules" in help_text.message
    assert "/regels" not in help_text.message


async def test_a_kern_escalation_from_signal_reaches_both_platforms(mixed: TelegramRig) -> None:
    """``/escalate kern`` in Goor West (Signal): the other buurtgroepen of Goor are on Signal
    (Goor Zuid) and on Telegram (Goor Centrum, Goor Oost), the regiegroep on Telegram."""
    signal = signal_of(mixed)
    west = mixed.signal_chats["goor-west"]
    henk, frank = mixed.number("henk"), mixed.number("frank")
    report = signal.push_message(henk, REPORT, group=west)
    signal.push_message(
        frank, "/escalate kern", group=west, quote=(henk, report["timestamp"], REPORT)
    )
    south = await to_signal_group(mixed, "goor-zuid", "Weverstraat")
    assert REPORT in south.message
    assert "&lt;" not in south.message  # no HTML on Signal
    for slug in ("regie", "goor-centrum", "goor-oost"):
        copy = await mixed.reply_to(slug, "Weverstraat")
        assert "&lt;b&gt;zonder&lt;/b&gt;" in copy.text
    copies = [
        m for m in signal.messages_to(mixed.signal_chats["goor-zuid"]) if "Weverstraat" in m.message
    ]
    assert len(copies) == 1
