"""Every flow on Telegram, through the real python-telegram-bot and the stand-in Bot API."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from buurtbot.core.ids import GroupId, PersonId
from tests.e2e.telegram_rig import TelegramRig
from tests.standins.telegram_api import SentMessage

#: The chats of the example network on Telegram (examples/hof-van-twente.toml).
GOOR_CENTRUM = -1001000000001
GOOR_OOST = -1001000000003
REGIE = -1001000000099
#: "HH:MM" as the bot writes a time.
CLOCK = r"\d{1,2}:\d{2}"


async def test_start_in_a_private_chat_answers_in_the_app_language(tg: TelegramRig) -> None:
    tg.uid("sanne", language="en")
    tg.says("sanne", None, "/start")
    welcome = await tg.until(lambda: tg.said("sanne"))
    assert welcome[0].parse_mode == "HTML"
    assert "buurtpreventie" in welcome[0].visible.lower()
    # An app in English gets English (a person the bot has not met yet).
    assert "Welcome" in welcome[0].visible or "Hello" in welcome[0].visible


# -- helpers ------------------------------------------------------------------------------------
def calls(rig: TelegramRig, method: str, **where: object) -> list[dict[str, Any]]:
    """The parameters of every ``method`` call the bot made whose ``where`` fields match
    (compared as strings: PTB sends form fields)."""
    return [
        params
        for name, params in rig.standin.calls
        if name == method.lower() and all(str(params.get(k)) == str(v) for k, v in where.items())
    ]


def containing(rig: TelegramRig, chat_id: int, text: str) -> list[SentMessage]:
    """What the bot sent (or edited) in ``chat_id`` whose visible text contains ``text``."""
    return [m for m in rig.standin.messages_in(chat_id) if text in m.visible]


def count_of(rig: TelegramRig, chat_id: int, text: str, n: int) -> Callable[[], bool]:
    """For :meth:`TelegramRig.until`: ``chat_id`` has ``n`` messages containing ``text``."""
    return lambda: len(containing(rig, chat_id, text)) == n


def digest(message: SentMessage) -> bool:
    """Part of the weekly digest (its text or its chart), which the scheduler may send to the
    regiegroep at start and so between a test's own messages."""
    return message.visible.startswith("Weekoverzicht") or message.method == "sendphoto"


def posted(rig: TelegramRig, chat_id: int, text: str) -> list[SentMessage]:
    """Like :func:`containing`, new messages only (no edits)."""
    return [m for m in containing(rig, chat_id, text) if m.method != "editmessagetext"]


async def first(rig: TelegramRig, chat_id: int, text: str) -> SentMessage:
    """Wait for the first message to ``chat_id`` that contains ``text``."""
    found = await rig.until(lambda: containing(rig, chat_id, text))
    return found[0]


async def settle(rig: TelegramRig, seconds: float = 0.4) -> None:
    """Give the bot time to do anything more it might (wrongly) do."""
    await asyncio.sleep(seconds)


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check}")
        await asyncio.sleep(0.05)


def skipped_events(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The events the core recognised as handled before (and so did nothing with)."""
    found = []
    for record in caplog.records:
        match = re.fullmatch(r"event (\S+) was handled before; skipped", record.getMessage())
        if match:
            found.append(match.group(1))
    return found


async def started_quietly(rig: TelegramRig) -> None:
    """Wait until what the bot does by itself at start is done and sent: the scheduler's
    catch-up (on a fresh database in the second half of a week: the weekly digest to the
    regiegroep). Faults injected afterwards hit the test's own messages."""
    app = rig.app
    assert app is not None
    scheduler = app.scheduler
    assert scheduler is not None
    await rig.until(lambda: any(r.job == "retention" for r in scheduler.reports))  # the last

    async def nothing_pending() -> bool:
        def count() -> int:
            with app.uow_factory() as uow:
                return uow.outbox.counts()["pending"]

        return await app.run_blocking(count) == 0

    await eventually(nothing_pending)


async def roster(rig: TelegramRig, slug: str) -> set[PersonId]:
    """The people the core has in a group, read on the application's database thread."""
    app = rig.app
    assert app is not None
    group_id = GroupId(f"{rig.spec.gemeente_id}:{slug}")

    def read() -> set[PersonId]:
        with app.uow_factory() as uow:
            return {m.person_id for m in uow.memberships.of_group(group_id)}

    return await app.run_blocking(read)


async def guided_melding(
    rig: TelegramRig, who: str, where_slug: str, *, category: str, where: str
) -> SentMessage:
    """``who`` reports a melding with ``/melding``, tapping the options and typing the rest;
    returns the posted melding. ``category`` is a button label that needs no details."""
    chat = rig.chats[where_slug]
    before = len(rig.standin.messages_in(chat))

    async def question(label: str) -> None:
        """Wait for a question with a button ``label`` and tap it."""
        await rig.until(
            lambda: any(
                label.lower() in button["text"].lower()
                for m in rig.standin.messages_in(chat)[before:]
                for row in (m.reply_markup or {}).get("inline_keyboard", [])
                for button in row
            )
        )
        rig.press(who, where_slug, label)

    rig.says(who, where_slug, "/melding")
    await question(category)
    await rig.reply_to(where_slug, "Waar?")
    rig.says(who, where_slug, where)
    await question("Nu")  # when: right now
    await question("Geen van beide")  # neither a person nor a vehicle
    await question("Nee")  # 112 not called yet
    return await rig.reply_to(where_slug, "🚨 Melding")


async def next_message(rig: TelegramRig, chat: int, act: Callable[[], object]) -> SentMessage:
    """Do ``act`` and return the next message the bot sends to ``chat``."""
    before = len(rig.standin.messages_in(chat))
    act()
    await rig.until(lambda: len(rig.standin.messages_in(chat)) > before)
    return rig.standin.messages_in(chat)[before]


# -- meldingen, 112 and escalation ----------------------------------------------------------------
async def test_guided_melding_112_once_and_escalated_once_per_target(tg: TelegramRig) -> None:
    where = "goor-centrum"

    def say(text: str) -> Callable[[], object]:
        return lambda: tg.says("daan", where, text)

    def tap(label: str) -> Callable[[], object]:
        return lambda: tg.press("daan", where, label)

    question = await next_message(tg, GOOR_CENTRUM, say("/melding"))
    assert "Nieuwe melding" in question.visible
    assert question.reply_markup is not None
    question = await next_message(tg, GOOR_CENTRUM, tap("Verdacht voertuig"))
    assert question.visible.startswith("Waar?")
    for answer in (
        say("Kerkstraat, bij de basisschool"),
        tap("Nu"),
        say("grijs"),
        say("Volkswagen"),
        say("Golf"),
        say("12 gzb 8"),
    ):
        question = await next_message(tg, GOOR_CENTRUM, answer)
    assert question.visible == "Is 112 gebeld?"
    post = await next_message(tg, GOOR_CENTRUM, tap("Nee"))
    assert post.parse_mode == "HTML"
    for shown in (
        "🚨 Melding: Verdacht voertuig",
        "Waar: Kerkstraat, bij de basisschool",
        "grijs; Volkswagen; Golf; 12-GZB-8",
        "Gemeld door: Daan Wolters",
        "112: nog niet gebeld",
    ):
        assert shown in post.visible, post.visible
    assert "<b>" in post.text  # the labels are bold
    [[button]] = (post.reply_markup or {})["inline_keyboard"]
    assert button["text"] == "☎ 112 gebeld"
    # Every button press was answered (the spinner on the button stops).
    assert len(tg.standin.callback_answers) == 3

    # Daan called 112 and says so; Eva, a minute later, is told not to call again.
    called = tg.says("daan", where, "/112", reply_to=post.message_id)
    announcement = await tg.reply_to(where, "112 is gebeld")
    assert announcement.reply_to_message_id == called
    again = tg.says("eva", where, "/112", reply_to=post.message_id)
    already = await tg.reply_to(where, "112 is al gebeld")
    assert re.fullmatch(rf"112 is al gebeld om {CLOCK} door Daan Wolters\.", already.visible)
    assert already.reply_to_message_id == again
    # The button under the melding tells the same; a /112 meant for another bot is not ours.
    answered = len(tg.standin.callback_answers)
    tg.says("joost", where, "/112@ander_bot", reply_to=post.message_id)
    tg.press("carla", where, "112 gebeld")
    await tg.until(count_of(tg, GOOR_CENTRUM, "112 is al gebeld", 2))
    assert len(tg.standin.callback_answers) == answered + 1
    await settle(tg)
    assert len(containing(tg, GOOR_CENTRUM, "112 is al gebeld")) == 2
    assert len(containing(tg, GOOR_CENTRUM, "112 is gebeld")) == 1

    # The eigenaar escalates the melding: the regiegroep and the adjacent Goor Oost (both on
    # Telegram; the Signal neighbours wait for their adapter) get it once, with the 112 status.
    tg.says("anna", where, "/escalate", reply_to=post.message_id)
    await tg.reply_to(where, "Doorgezet naar")
    for chat in (REGIE, GOOR_OOST):
        copy = await first(tg, chat, "Doorgezet vanuit Goor Centrum")
        assert copy.visible.startswith("⬆ Doorgezet vanuit Goor Centrum (Goor)"), copy.visible
        assert "door Anna Huisman" in copy.visible
        assert re.search(rf"112: gebeld door Daan Wolters om {CLOCK}", copy.visible), copy.visible
        assert "Volkswagen; Golf; 12-GZB-8" in copy.visible  # the melding itself
        assert "Kenteken: 12-GZB-8" in copy.visible, copy.visible
    # Escalating the same message again (addressed to this bot by name) reaches nobody twice.
    tg.says("bert", where, "/escaleer@buurt_test_bot", reply_to=post.message_id)
    await tg.reply_to(where, "heeft al deze ontvangers al bereikt")
    await settle(tg)
    for chat in (REGIE, GOOR_OOST):
        assert len(containing(tg, chat, "Doorgezet vanuit")) == 1, chat
    for slug in ("delden-stad", "diepenheim-stad"):  # not adjacent: nothing there
        assert tg.said(slug) == []


async def test_112_after_an_escalation_edits_the_escalated_copies(tg: TelegramRig) -> None:
    where = "goor-centrum"
    text = "Twee mannen lopen met een koevoet langs de achterdeuren van de Molenstraat"
    message = tg.says("eva", where, text)
    tg.says("anna", where, "/escaleer", reply_to=message)
    await tg.reply_to(where, "Doorgezet naar")
    copy = (await tg.until(lambda: containing(tg, REGIE, text)))[0]
    assert "112: nog niet gebeld" in copy.visible
    neighbour = (await tg.until(lambda: containing(tg, GOOR_OOST, text)))[0]

    tg.says("eva", where, "/112", reply_to=message)
    await tg.reply_to(where, "112 is gebeld")
    edits = await tg.until(
        lambda: calls(tg, "editmessagetext", chat_id=REGIE, message_id=copy.message_id)
    )
    assert len(edits) == 1
    edited = [m for m in tg.standin.messages_in(REGIE) if m.method == "editmessagetext"]
    assert len(edited) == 1
    assert edited[0].message_id == copy.message_id
    assert re.search(rf"112: gebeld door Eva Nijhuis om {CLOCK}", edited[0].visible)
    assert text in edited[0].visible
    assert "nog niet gebeld" not in edited[0].visible
    # The adjacent group's copy is brought up to date as well; nothing new is posted.
    await tg.until(
        lambda: calls(tg, "editmessagetext", chat_id=GOOR_OOST, message_id=neighbour.message_id)
    )
    await settle(tg)
    # (The regiegroep may also get the weekly digest, caught up at start: not about this.)
    assert [m.method for m in containing(tg, REGIE, text)] == ["sendmessage", "editmessagetext"]
    assert [m.method for m in containing(tg, GOOR_OOST, text)] == [
        "sendmessage",
        "editmessagetext",
    ]


# -- moderation ----------------------------------------------------------------------------------
async def test_three_warnings_remove_the_member_and_block_rejoining(tg: TelegramRig) -> None:
    where = "goor-centrum"
    joost = tg.users["joost"]
    warned = "Je hebt een waarschuwing gekregen in Buurtpreventie Goor Centrum"
    lines = [
        ("Wat een stelletje idioten zijn het", "taal"),
        ("Die pak ik zelf wel aan", "eigen-rechter"),
        ("Wie gaat er vanavond mee naar de kroeg?", "chat"),
    ]
    for n, (line, reason) in enumerate(lines, start=1):
        message = tg.says("joost", where, line)
        tg.says("anna", where, f"/waarschuw {reason}", reply_to=message)
        await tg.until(count_of(tg, joost, warned, n))
        if n < len(lines):
            assert calls(tg, "banchatmember") == []

    # The third warning: removed from the group (ban, then unban: they may come back later
    # through the regiegroep), and told so privately.
    await tg.reply_to("joost", "Je bent verwijderd uit Buurtpreventie Goor Centrum")
    await tg.until(lambda: calls(tg, "unbanchatmember"))
    removal = [
        (name, params)
        for name, params in tg.standin.calls
        if name in ("banchatmember", "unbanchatmember")
    ]
    assert [name for name, _ in removal] == ["banchatmember", "unbanchatmember"]
    for _, params in removal:
        assert int(params["chat_id"]) == GOOR_CENTRUM
        assert int(params["user_id"]) == joost
    assert removal[1][1].get("only_if_banned") in (True, "true", "True")
    assert tg.standin.members[(GOOR_CENTRUM, joost)] == "left"
    assert PersonId(tg.spec.person_id("joost")) not in await roster(tg, where)

    # Asking to join another group of the gemeente (without a link) is declined.
    tg.standin.push_join_request(GOOR_OOST, joost)
    await tg.until(lambda: tg.standin.join_requests[(GOOR_OOST, joost)] == "declined")
    assert calls(tg, "approvechatjoinrequest") == []


# -- language ------------------------------------------------------------------------------------
async def test_language_choice_in_a_private_chat_changes_the_help(tg: TelegramRig) -> None:
    # By button: /taal offers the languages, each in its own words.
    tg.says("daan", None, "/help")
    dutch = await tg.reply_to("daan", "Wat je met mij kunt doen:")
    assert "/regels" in dutch.visible
    prompt = await next_message(tg, tg.users["daan"], lambda: tg.says("daan", None, "/taal"))
    assert prompt.visible == "In welke taal wil je dat ik schrijf?"
    labels = [b["text"] for row in (prompt.reply_markup or {})["inline_keyboard"] for b in row]
    assert sorted(labels) == ["English", "Nederlands"]
    tg.press("daan", None, "English")
    await tg.reply_to("daan", "From now on I will write to you in English.")
    tg.says("daan", None, "/hulp")
    english = await tg.reply_to("daan", "What you can do with me:")
    assert "/rules" in english.visible
    assert "/regels" not in english.visible
    assert "SAAR: Signal what you see" in english.visible

    # By argument, and the choice follows the person into the group.
    tg.says("eva", None, "/language en")
    await tg.reply_to("eva", "From now on I will write to you in English.")
    tg.says("eva", None, "/help")
    await tg.reply_to("eva", "What you can do with me:")
    tg.says("eva", "goor-centrum", "/rules")
    await tg.reply_to("goor-centrum", "House rules of buurtpreventie Hof van Twente")


# -- what people type is never markup ------------------------------------------------------------
async def test_names_and_texts_are_escaped_in_html(tg: TelegramRig) -> None:
    bad_name = "<b>Bad</b> & <script>x</script>"
    escaped_name = "&lt;b&gt;Bad&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"
    uid = tg.uid("mallory")
    tg.standin.add_user(uid, first_name=bad_name, language_code="nl")
    # Mallory is added to the group by hand; the eigenaar admits them as lid.
    tg.standin.push_chat_member(GOOR_CENTRUM, uid, "left", "member")
    question = await tg.until(
        lambda: next((m for m in tg.said("anna") if m.reply_markup is not None), None)
    )
    assert question is not None
    assert bad_name in question.visible
    assert escaped_name in question.text
    tg.press("anna", None, "Toelaten als lid")
    await tg.reply_to("anna", "is nu lid van Buurtpreventie Goor Centrum")

    where = "Kerkstraat <b>achter</b> de AH & <script>alert(1)</script>"
    post = await guided_melding(tg, "mallory", "goor-centrum", category="Iets anders", where=where)
    assert f"Gemeld door: {bad_name}" in post.visible
    assert where in post.visible
    assert escaped_name in post.text
    text = "Man met <i>bivakmuts</i> & koevoet, zegt <script>stop</script>"
    message = tg.says("mallory", "goor-centrum", text)
    for n, source in enumerate((post.message_id, message), start=1):
        tg.says("anna", "goor-centrum", "/escalate", reply_to=source)
        await tg.until(count_of(tg, GOOR_CENTRUM, "Doorgezet naar", n))

    melding_copy = (await tg.until(lambda: containing(tg, REGIE, "Iets anders")))[0]
    assert f"Gemeld door: {bad_name}" in melding_copy.visible
    assert where in melding_copy.visible
    assert escaped_name in melding_copy.text
    escaped_where = "Kerkstraat &lt;b&gt;achter&lt;/b&gt; de AH &amp; &lt;script&gt;alert(1)"
    assert escaped_where in melding_copy.text
    text_copy = (await tg.until(lambda: containing(tg, REGIE, text)))[0]
    assert text_copy.parse_mode == "HTML"
    assert "Man met &lt;i&gt;bivakmuts&lt;/i&gt; &amp; koevoet, zegt &lt;script&gt;stop" in (
        text_copy.text
    )
    for tag in ("<script>", "<i>", "<b>Bad"):
        assert tag not in text_copy.text
        assert tag not in melding_copy.text


# -- long messages ---------------------------------------------------------------------------------
async def test_a_long_escalated_message_arrives_whole_in_pieces(tg: TelegramRig) -> None:
    lines = [f"Regel {n:03d}: " + ("abcdefghij" * 4)[:38] for n in range(1, 101)]
    lines[-1] += "!"
    text = "\n".join(lines)
    assert len(text) == 5000
    message = tg.says("daan", "goor-centrum", text)
    tg.says("anna", "goor-centrum", "/escalate", reply_to=message)
    await tg.reply_to("goor-centrum", "Doorgezet naar")
    head = await first(tg, REGIE, "Doorgezet vanuit Goor Centrum")
    # The rest follows in the same chat (the weekly digest may come in between: not ours).
    await settle(tg, 1.0)
    pieces = [
        m
        for m in tg.standin.messages_in(REGIE)
        if m.message_id >= head.message_id and not digest(m)
    ]
    joined = "".join(m.visible for m in pieces)
    missing = [line for line in lines if line not in joined]
    assert not missing, (
        f"{len(joined)} characters in {len(pieces)} message(s) arrived; "
        f"{len(missing)} of {len(lines)} lines are missing, from {missing[0]!r}"
    )
    assert text in joined
    assert len(pieces) >= 2
    assert all(len(m.visible) <= 4096 for m in pieces)
    assert pieces[0].visible.startswith("⬆ Doorgezet vanuit Goor Centrum (Goor)")
    assert joined.index("door Anna Huisman") < joined.index(lines[0])


# -- webhook mode --------------------------------------------------------------------------------
WEBHOOK_URL = "https://bot.example.org/telegram/hook"


async def test_webhook_mode_checks_the_generated_secret_and_keeps_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="buurtbot.core.services.bot")
    rig = TelegramRig(
        tmp_path,
        settings={
            "telegram_mode": "webhook",
            "telegram_webhook_url": WEBHOOK_URL,
            "telegram_webhook_listen": "127.0.0.1:0",
        },
    )
    await rig.start(wait_for_polling=False)
    try:
        hook = await rig.until(lambda: rig.standin.webhook)
        assert hook is not None
        assert hook["url"] == WEBHOOK_URL
        secret = hook["secret_token"]
        assert isinstance(secret, str)
        assert len(secret) >= 32
        assert "chat_member" in (hook["allowed_updates"] or [])
        port = rig.adapter.webhook_port
        assert port
        local = f"http://127.0.0.1:{port}/telegram/hook"
        daan = rig.users["daan"]
        rig.standin.add_chat(daan, type="private")
        update = rig.standin.push_message(daan, daan, "/start")

        assert await rig.standin.deliver_webhook(update, url=local, secret="not-the-secret") == 403
        assert await rig.standin.deliver_webhook(update, url=local, secret=None) == 403
        await settle(rig)
        assert rig.said("daan") == []
        assert await rig.standin.deliver_webhook(update, url=local, secret=secret) == 200
        welcome = await rig.reply_to("daan", "Hallo")
        assert welcome.reply_to_message_id == update["message"]["message_id"]
        # Telegram posts an update again when it is unsure it arrived: handled once.
        assert await rig.standin.deliver_webhook(update, url=local, secret=secret) == 200
        await settle(rig)
        assert len(rig.said("daan")) == 1
        assert skipped_events(caplog) == [f"telegram:{update['update_id']}"]
        assert calls(rig, "getupdates") == []  # no polling beside the webhook

        # A restart registers the same secret again; the webhook takes it.
        await rig.halt()
        await rig.boot(wait_for_polling=False)
        registered = await rig.until(lambda: calls(rig, "setwebhook")[1:])
        assert [c["secret_token"] for c in calls(rig, "setwebhook")] == [secret, secret]
        assert registered[0]["url"] == WEBHOOK_URL
        local = f"http://127.0.0.1:{rig.adapter.webhook_port}/telegram/hook"
        update = rig.standin.push_message(daan, daan, "/regels")
        assert await rig.standin.deliver_webhook(update, url=local, secret="old") == 403
        assert await rig.standin.deliver_webhook(update, url=local) == 200  # the registered one
        await rig.reply_to("daan", "Spelregels van buurtpreventie Hof van Twente")
    finally:
        await rig.stop()


# -- each update once ------------------------------------------------------------------------------
async def test_an_update_delivered_twice_is_handled_once(
    tg: TelegramRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="buurtbot.core.services.bot")
    where = "goor-centrum"
    message = tg.says("eva", where, "Er staat een busje met draaiende motor bij de school")
    anna, daan = tg.users["anna"], tg.users["daan"]
    escalate = tg.standin.push_message(GOOR_CENTRUM, anna, "/escalate", reply_to=message)
    tg.standin.push_raw(escalate)  # Telegram sends it again
    called = tg.standin.push_message(GOOR_CENTRUM, daan, "/112", reply_to=message)
    tg.standin.push_raw(called)
    await tg.reply_to(where, "112 is gebeld")
    await tg.reply_to(where, "Doorgezet naar")
    await tg.until(lambda: containing(tg, REGIE, "Doorgezet vanuit"))
    await tg.until(lambda: containing(tg, GOOR_OOST, "Doorgezet vanuit"))
    await settle(tg)
    # Both repeats reached the core, which knew them.
    ids = [f"telegram:{u['update_id']}" for u in (escalate, called)]
    assert sorted(skipped_events(caplog)) == sorted(ids)
    assert len(containing(tg, GOOR_CENTRUM, "Doorgezet naar")) == 1
    assert containing(tg, GOOR_CENTRUM, "al deze ontvangers al bereikt") == []
    assert len(containing(tg, GOOR_CENTRUM, "112 is gebeld")) == 1
    assert containing(tg, GOOR_CENTRUM, "112 is al gebeld") == []
    for chat in (REGIE, GOOR_OOST):
        assert len(posted(tg, chat, "Doorgezet vanuit")) == 1
        # Told of the 112 call once: one edit (not one per copy of the update).
        assert len(calls(tg, "editmessagetext", chat_id=chat)) == 1

    # A clean stop confirms every handled update, so a restart sees none of them again.
    last = max(int(u["update_id"]) for u in (escalate, called))
    await tg.halt()
    assert tg.standin.confirmed_offset == last + 1
    assert tg.standin.pending_updates == []
    ours = [m for m in tg.standin.sent if not digest(m)]
    # Even an update Telegram delivers again after the restart (its confirmation lost) is
    # not handled a second time.
    tg.standin.push_raw(called)
    await tg.boot()
    await tg.until(lambda: tg.standin.pending_updates == [])  # fetched, handled, confirmed
    await settle(tg)
    assert skipped_events(caplog).count(f"telegram:{called['update_id']}") == 2
    assert [m for m in tg.standin.sent if not digest(m)] == ours


# -- delivery failures -----------------------------------------------------------------------------
async def escalate_new_message(rig: TelegramRig, text: str) -> float:
    """Eva reports ``text`` in Goor Centrum and Anna escalates it; returns when (monotonic)."""
    message = rig.says("eva", "goor-centrum", text)
    started = time.monotonic()
    rig.says("anna", "goor-centrum", "/escalate", reply_to=message)
    return started


async def test_flood_control_delays_only_the_chat_it_was_given_for(tg: TelegramRig) -> None:
    await started_quietly(tg)
    tg.standin.fail_next("sendMessage", status=429, retry_after=2, chat_id=REGIE)
    text = "Verdachte auto rijdt stapvoets door de Grotestraat"
    started = await escalate_new_message(tg, text)
    neighbour = (await tg.until(lambda: posted(tg, GOOR_OOST, text)))[0]
    copy = (await tg.until(lambda: posted(tg, REGIE, text), timeout=10))[0]
    assert neighbour.at - started < 1.5  # the adjacent group did not wait
    assert 2.0 <= copy.at - started < 5.0  # the regiegroep waited as Telegram asked
    attempts = calls(tg, "sendmessage", chat_id=REGIE)
    assert sum(text in str(c.get("text")) for c in attempts) == 2  # refused once, then sent
    await settle(tg)
    assert len(posted(tg, REGIE, text)) == 1


async def test_a_server_error_is_retried_and_delivered_once(tg: TelegramRig) -> None:
    await started_quietly(tg)
    tg.standin.fail_next("sendMessage", status=502, chat_id=REGIE)
    text = "Inbraakpoging bij de bakker aan de Markt"
    await escalate_new_message(tg, text)
    await tg.until(lambda: posted(tg, GOOR_OOST, text))
    await tg.until(lambda: posted(tg, REGIE, text), timeout=10)
    attempts = calls(tg, "sendmessage", chat_id=REGIE)
    assert sum(text in str(c.get("text")) for c in attempts) == 2
    await settle(tg)
    assert len(posted(tg, REGIE, text)) == 1
    assert containing(tg, REGIE, "Ik kon geen berichten afleveren") == []


async def test_a_group_that_kicked_the_bot_is_reported_and_the_rest_goes_on(
    tg: TelegramRig,
) -> None:
    tg.standin.kick_bot(GOOR_OOST)
    text = "Jongeren gooien stenen naar de bushalte aan de Deldensestraat"
    await escalate_new_message(tg, text)
    notice = await tg.reply_to("regie", "Ik kon geen berichten afleveren in Buurtpreventie Goor")
    assert notice.visible.startswith(
        "Ik kon geen berichten afleveren in Buurtpreventie Goor Oost: "
    )
    assert "Controleer of de bot daar nog lid is" in notice.visible
    assert "kicked" in notice.visible  # Telegram's reason, shortened
    await tg.until(lambda: posted(tg, REGIE, text))
    assert tg.standin.messages_in(GOOR_OOST) == []
    # One notice per unreachable chat: a second escalation does not repeat it, and the
    # relay keeps serving the other chats.
    second = "Dezelfde jongeren staan nu bij de sporthal"
    await escalate_new_message(tg, second)
    await tg.until(lambda: posted(tg, REGIE, second))
    await tg.until(lambda: len(containing(tg, GOOR_CENTRUM, "Doorgezet naar")) == 2)
    await settle(tg)
    assert len(containing(tg, REGIE, "Ik kon geen berichten afleveren")) == 1


# -- start-up health -----------------------------------------------------------------------------
async def test_missing_rights_are_reported_once_and_shown_by_status(tmp_path: Path) -> None:
    rig = TelegramRig(tmp_path, rights={"goor-oost": {"can_invite_users": False}})
    await rig.start()
    try:
        notice = await rig.reply_to("regie", "De bot mist rechten in 1 groep op Telegram")
        assert "@buurt_test_bot" in notice.visible
        assert "Buurtpreventie Goor Oost" in notice.visible
        assert "Hij kan geen nieuwe leden toelaten" in notice.visible
        for other in ("Goor Centrum", "Delden", "Diepenheim", "Regiegroep"):
            assert other not in notice.visible

        # A restart finds the same problem and says nothing new.
        checks = len(calls(rig, "getchatmember"))
        await rig.halt()
        await rig.boot()
        await rig.until(lambda: len(calls(rig, "getchatmember")) >= 2 * checks)
        await settle(rig, 0.6)
        assert len(containing(rig, REGIE, "De bot mist rechten")) == 1

        rig.says("hanneke", None, "/status")
        status = await rig.reply_to("hanneke", "Status van de bot")
        assert "Rechten ontbreken in 1 groep:" in status.visible
        assert "• Buurtpreventie Goor Oost: kan geen nieuwe leden toelaten" in status.visible
    finally:
        await rig.stop()


# -- command menus -------------------------------------------------------------------------------
async def test_command_menus_per_audience_and_language(tg: TelegramRig) -> None:
    menus = {key: [c["command"] for c in commands] for key, commands in tg.standin.commands.items()}
    scopes = ("all_private_chats", "all_group_chats", "all_chat_administrators")
    # nl, en, and the menu for everyone whose app language has none of its own (Dutch).
    assert set(menus) >= {(scope, language) for scope in scopes for language in ("nl", "en", "")}
    for scope in scopes:
        assert menus[(scope, "")] == menus[(scope, "nl")]
    private_nl, private_en = menus[("all_private_chats", "nl")], menus[("all_private_chats", "en")]
    groups_nl, groups_en = menus[("all_group_chats", "nl")], menus[("all_group_chats", "en")]
    admins_nl = menus[("all_chat_administrators", "nl")]
    admins_en = menus[("all_chat_administrators", "en")]
    assert {"waarschuw", "escaleer"} <= set(admins_nl)
    assert {"warn", "escalate"} <= set(admins_en)
    for menu in (private_nl, private_en, groups_nl, groups_en):
        assert not {"waarschuw", "warn", "escaleer", "escalate"} & set(menu)
    assert {"melding", "112", "regels"} <= set(groups_nl)
    assert {"report", "112", "rules"} <= set(groups_en)
    assert {"aanmelden", "taal", "hulp"} <= set(private_nl)
    assert {"signup", "language", "help"} <= set(private_en)
    assert not {"status", "aanmeldingen"} & set(private_nl)  # regie commands stay out
    # Every description is translated: the Dutch and English menus differ in wording.
    described = {key: [c["description"] for c in cmds] for key, cmds in tg.standin.commands.items()}
    assert described[("all_group_chats", "nl")] != described[("all_group_chats", "en")]


# -- membership ------------------------------------------------------------------------------------
async def test_a_member_who_leaves_the_chat_leaves_the_roster(tg: TelegramRig) -> None:
    daan = PersonId(tg.spec.person_id("daan"))
    assert daan in await roster(tg, "goor-centrum")
    tg.standin.push_chat_member(GOOR_CENTRUM, tg.users["daan"], "member", "left")

    async def gone() -> bool:
        return daan not in await roster(tg, "goor-centrum")

    await eventually(gone)
    # A change that keeps someone in the group (made an admin by hand) leaves the roster be.
    tg.standin.push_chat_member(GOOR_CENTRUM, tg.users["eva"], "member", "administrator")
    tg.says("daan", None, "/wiebenik")
    await tg.until(lambda: tg.said("daan"))
    assert PersonId(tg.spec.person_id("eva")) in await roster(tg, "goor-centrum")
    whoami = tg.said("daan")[0].visible
    assert "Buurtpreventie Goor Centrum" not in whoami


# -- robustness ------------------------------------------------------------------------------------
async def test_an_update_the_library_cannot_read_does_not_stop_polling(tg: TelegramRig) -> None:
    # A member restricted in the group, without the permission fields python-telegram-bot
    # insists on: the library cannot build this Update (as when Telegram and the library
    # disagree about a new field). One such update must not make the bot deaf.
    eva = {"id": tg.users["eva"], "is_bot": False, "first_name": "Eva Nijhuis"}
    chat = {"id": GOOR_CENTRUM, "type": "supergroup", "title": "Buurtpreventie Goor Centrum"}
    unreadable = tg.standin.push_raw(
        {
            "chat_member": {
                "chat": chat,
                "from": eva,
                "date": int(time.time()),
                "old_chat_member": {"status": "member", "user": eva},
                "new_chat_member": {"status": "restricted", "user": eva, "is_member": True},
            }
        }
    )
    tg.says("daan", None, "/start")
    await tg.reply_to("daan", "Hallo", timeout=5)
    # ... and it is confirmed (skipped), not fetched again and again.
    await tg.until(lambda: tg.standin.confirmed_offset > int(unreadable["update_id"]), timeout=5)
