"""The Telegram Bot API stand-in, driven through the real python-telegram-bot library.

PTB must work against the stand-in unchanged; these tests pin down the behaviour other tests
rely on (what the Bot API document says, plus the stand-in's fault and rate-limit checks).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChatAdministrators,
    BotCommandScopeDefault,
    ChatMemberAdministrator,
    ChatMemberBanned,
    ChatMemberLeft,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from tests.images import tiny_png
from tests.standins.telegram_api import TelegramStandIn

ROOT = Path(__file__).resolve().parents[2]
GROUP = -1001
OTHER_GROUP = -1002
ANNA = 501
BOB = 502


def _request(read_timeout: float = 3.0) -> HTTPXRequest:
    return HTTPXRequest(
        connect_timeout=2.0, read_timeout=read_timeout, write_timeout=2.0, pool_timeout=2.0
    )


def make_bot(standin: TelegramStandIn, *, token: str | None = None, read: float = 3.0) -> Bot:
    return Bot(
        token or standin.token,
        base_url=standin.base_url,
        request=_request(read),
        get_updates_request=_request(read),
    )


@pytest.fixture
def opt_in_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns on int ``retry_after`` (even when it builds RetryAfter); opt in to timedelta."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def world(standin: TelegramStandIn) -> None:
    standin.add_chat(GROUP, title="Buurtpreventie Goor")
    standin.add_chat(OTHER_GROUP, title="Regiegroep")
    standin.add_user(ANNA, first_name="Anna", username="anna_g", language_code="nl")
    standin.add_user(BOB, first_name="Bob")
    standin.set_member(GROUP, ANNA, "member")
    standin.set_member(GROUP, BOB, "member")


@pytest.fixture
async def standin() -> AsyncIterator[TelegramStandIn]:
    server = TelegramStandIn(per_chat_per_second=100, per_group_per_minute=1000)
    world(server)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    async with make_bot(standin) as the_bot:
        yield the_bot


# -- basics -----------------------------------------------------------------------------------
async def test_get_me(standin: TelegramStandIn, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "buurt_test_bot", True)
    assert standin.calls[0][0] == "getme"  # initialize() asked first
    assert standin.base_url.startswith("http://127.0.0.1:")


async def test_wrong_token_unknown_method_and_other_encodings(standin: TelegramStandIn) -> None:
    with pytest.raises(InvalidToken):
        async with make_bot(standin, token="123456:WRONG"):
            pass
    root = standin.base_url.removesuffix("/bot")
    async with ClientSession() as session:
        async with session.post(f"{standin.base_url}{standin.token}/noSuchMethod") as resp:
            assert resp.status == 404
            assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with session.post(f"{root}/bot1:x/getMe") as resp:
            assert (resp.status, (await resp.json())["description"]) == (401, "Unauthorized")
        # method names are case-insensitive; JSON bodies work as well as forms
        url = f"{standin.base_url}{standin.token}/SENDMESSAGE"
        body = {"chat_id": GROUP, "text": "123", "reply_markup": {"inline_keyboard": []}}
        async with session.post(url, json=body) as resp:
            answer = await resp.json()
        assert answer["ok"] is True
        assert answer["result"]["text"] == "123"
        async with session.get(url, params={"chat_id": str(GROUP), "text": "via query"}) as resp:
            assert (await resp.json())["result"]["text"] == "via query"
    assert [m.text for m in standin.messages_in(GROUP)] == ["123", "via query"]
    assert standin.calls[-1] == ("sendmessage", {"chat_id": GROUP, "text": "via query"})


async def test_send_html_records_the_visible_text(standin: TelegramStandIn, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="vote:yes")]])
    html = '<b>Let op</b> &lt;3 &amp; <a href="https://example.org/?a=1&amp;b=2">meer</a>'
    message = await bot.send_message(GROUP, html, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    assert message.text == "Let op <3 & meer"
    assert message.chat.title == "Buurtpreventie Goor"
    assert message.from_user is not None
    assert message.from_user.id == standin.bot_id
    (sent,) = standin.sent
    assert (sent.text, sent.visible, sent.parse_mode, sent.method) == (
        html,
        "Let op <3 & meer",
        "HTML",
        "sendmessage",
    )
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "Ja", "callback_data": "vote:yes"}]]}
    # the 4096 limit counts visible characters
    await bot.send_message(GROUP, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(GROUP, "y" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(GROUP, "<b> </b>", parse_mode=ParseMode.HTML)
    for bad in ("<b>open", "a < b", "<i>x</b>", "<br/>", "x</b>", '<span class="x">s</span>'):
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await bot.send_message(GROUP, bad, parse_mode=ParseMode.HTML)
    assert len(standin.sent) == 2


async def test_replies_copies_forwards_edits_and_documents(
    standin: TelegramStandIn, bot: Bot
) -> None:
    original = standin.push_message(GROUP, ANNA, "Verdachte auto in de Markt")["message"]
    reply = await bot.send_message(
        GROUP, "Dank je", reply_parameters=ReplyParameters(original["message_id"])
    )
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.text == "Verdachte auto in de Markt"
    assert reply.message_id == original["message_id"] + 1  # ids count per chat
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(GROUP, "x", reply_parameters=ReplyParameters(999))

    copied = await bot.copy_message(OTHER_GROUP, GROUP, original["message_id"])
    assert copied.message_id == 1
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(OTHER_GROUP, GROUP, 999)
    forwarded = await bot.forward_message(OTHER_GROUP, GROUP, reply.message_id)
    assert forwarded.text == "Dank je"
    assert forwarded.forward_origin is not None

    edited = await bot.edit_message_text("Dank je wel", chat_id=GROUP, message_id=reply.message_id)
    assert isinstance(edited, Message)
    assert edited.text == "Dank je wel"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Dank je wel", chat_id=GROUP, message_id=reply.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be edited"):
        await bot.edit_message_text("nee", chat_id=GROUP, message_id=original["message_id"])

    doc = await bot.send_document(ANNA, b"a;b\n1;2\n", filename="export.csv", caption="Je data")
    assert doc.document is not None
    assert doc.document.file_name == "export.csv"
    assert doc.chat.type == "private"
    assert doc.chat.first_name == "Anna"

    assert [(m.method, m.chat_id, m.visible) for m in standin.sent] == [
        ("sendmessage", GROUP, "Dank je"),
        ("copymessage", OTHER_GROUP, "Verdachte auto in de Markt"),
        ("forwardmessage", OTHER_GROUP, "Dank je"),
        ("editmessagetext", GROUP, "Dank je wel"),
        ("senddocument", ANNA, "Je data"),
    ]
    assert standin.sent[0].reply_to_message_id == original["message_id"]
    assert (standin.sent[-1].document_name, standin.sent[-1].document_bytes) == (
        "export.csv",
        b"a;b\n1;2\n",
    )
    # a copy of a message the bot sent works too
    await bot.copy_message(GROUP, OTHER_GROUP, copied.message_id)


async def test_photos_come_back_in_sizes_and_can_be_sent_again(
    standin: TelegramStandIn, bot: Bot
) -> None:
    png = tiny_png(640, 360)
    sent = await bot.send_photo(GROUP, png, caption="<b>Grafiek</b>", parse_mode=ParseMode.HTML)
    assert [(p.width, p.height) for p in sent.photo] == [(90, 51), (320, 180), (640, 360)]
    assert sent.photo[-1].file_size == len(png)
    assert sent.caption == "Grafiek"
    assert (standin.sent[-1].method, standin.sent[-1].photo_bytes) == ("sendphoto", png)

    again = await bot.send_photo(OTHER_GROUP, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    assert standin.sent[-1].photo_bytes is None  # nothing was uploaded

    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(GROUP, b"%PDF-1.4 not a photo")
    with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
        await bot.send_photo(GROUP, tiny_png(2100, 100))
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(GROUP, "no-such-file")
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(GROUP, png, caption="x" * 1025)
    assert [m.method for m in standin.sent] == ["sendphoto", "sendphoto"]


# -- updates ----------------------------------------------------------------------------------
async def test_get_updates_offset_and_long_poll(standin: TelegramStandIn, bot: Bot) -> None:
    first = standin.push_message(GROUP, ANNA, "/melding@buurt_test_bot fiets weg")
    second = standin.push_message(GROUP, BOB, "hallo")
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    message = updates[0].message
    assert message is not None
    assert message.from_user is not None
    assert message.from_user.username == "anna_g"
    assert message.parse_entities() == {message.entities[0]: "/melding@buurt_test_bot"}

    updates = await bot.get_updates(offset=second["update_id"], timeout=0)
    assert [u.update_id for u in updates] == [second["update_id"]]
    assert standin.confirmed_offset == second["update_id"]

    # nothing new: the long poll waits for its timeout
    started = time.monotonic()
    assert await bot.get_updates(offset=second["update_id"] + 1, timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 2.5

    # a new update ends the long poll at once
    poll = asyncio.create_task(bot.get_updates(offset=second["update_id"] + 1, timeout=10))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    third = standin.push_message(GROUP, ANNA, "nog iets")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1.0
    assert [u.update_id for u in updates] == [third["update_id"]]


async def test_a_newer_long_poll_terminates_the_older(standin: TelegramStandIn, bot: Bot) -> None:
    older = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert await bot.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getupdates request"):
        await asyncio.wait_for(older, 2)


async def test_stop_answers_a_waiting_long_poll(standin: TelegramStandIn, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await standin.stop()
    assert await asyncio.wait_for(poll, 2) == ()
    assert time.monotonic() - started < 1.5


async def test_allowed_updates_and_member_updates(standin: TelegramStandIn, bot: Bot) -> None:
    joined = standin.push_chat_member(GROUP, 503, "left", "member")
    kicked = standin.push_chat_member(GROUP, standin.bot_id, "member", "kicked")
    assert standin.members[(GROUP, 503)] == "member"
    # by default chat_member updates are not sent
    updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [kicked["update_id"]]
    assert updates[0].my_chat_member is not None
    updates = await bot.get_updates(timeout=0, allowed_updates=Update.ALL_TYPES)
    assert [u.update_id for u in updates] == [joined["update_id"], kicked["update_id"]]
    assert updates[0].chat_member is not None
    assert isinstance(updates[0].chat_member.new_chat_member, ChatMemberMember)
    assert standin.allowed_updates == list(Update.ALL_TYPES)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "hallo?")


async def test_callback_queries(standin: TelegramStandIn, bot: Bot) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Bevestig", callback_data="ok:7")]])
    sent = await bot.send_message(GROUP, "Klopt dit?", reply_markup=keyboard)
    pushed = standin.push_callback(GROUP, ANNA, sent.message_id, "ok:7")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None
    assert query.data == "ok:7"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await query.answer("Bedankt")
    assert standin.callback_answers == [
        {"callback_query_id": pushed["callback_query"]["id"], "text": "Bedankt"}
    ]
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer("nog eens")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(GROUP, "x", reply_markup=too_long)


# -- faults -----------------------------------------------------------------------------------
@pytest.mark.usefixtures("opt_in_timedelta")
async def test_injected_faults(standin: TelegramStandIn) -> None:
    standin.fail_next("sendMessage", retry_after=7, chat_id=GROUP)
    async with make_bot(standin, read=0.5) as bot:
        await bot.send_message(OTHER_GROUP, "andere groep")  # the fault is for GROUP only
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(GROUP, "eerste")
        assert caught.value.retry_after == dtm.timedelta(seconds=7)
        await bot.send_message(GROUP, "tweede")

        standin.fail_next("sendmessage", status=502, count=2)
        for _ in range(2):
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await bot.send_message(GROUP, "kapot")
        await bot.send_message(GROUP, "derde")

        standin.delay_next("getChat", 1.5)
        with pytest.raises(TimedOut):
            await bot.get_chat(GROUP)
        assert (await bot.get_chat(GROUP)).title == "Buurtpreventie Goor"

        standin.kick_bot(GROUP)
        with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
            await bot.send_message(GROUP, "hallo?")
        standin.block_by_user(ANNA)
        with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
            await bot.send_message(ANNA, "hallo?")
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(-99999, "hallo?")
    assert [m.text for m in standin.sent] == ["andere groep", "tweede", "derde"]


async def test_fault_answer_looks_like_telegram(standin: TelegramStandIn) -> None:
    standin.fail_next("getMe", retry_after=3)
    async with (
        ClientSession() as session,
        session.post(f"{standin.base_url}{standin.token}/getMe") as resp,
    ):
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "3"
        assert await resp.json() == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }


# -- rate limits ------------------------------------------------------------------------------
async def _flood(bot: Bot, chats: list[int]) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = []
    for chat in chats:
        try:
            await bot.send_message(chat, "flood")
            outcomes.append(None)
        except RetryAfter as exc:
            outcomes.append(exc)
    return outcomes


async def test_rate_limit_violations_are_counted() -> None:
    standin = TelegramStandIn(overall_per_second=3, per_group_per_minute=3)
    world(standin)
    standin.add_user(601, first_name="Carla")
    standin.add_user(602, first_name="Dirk")
    await standin.start()
    try:
        async with make_bot(standin) as bot:
            await _flood(bot, [GROUP, GROUP, GROUP])  # 1 a second per chat
            assert standin.violations == 2
            await _flood(bot, [601, 602])  # the 3-a-second overall limit
            assert standin.violations == 4
            assert len(standin.sent) == 5  # counted, still delivered
            await asyncio.sleep(1.0)
            await _flood(bot, [GROUP])  # the fourth in a minute in one group
            assert standin.violations == 5
            await _flood(bot, [ANNA])  # private chats have no per-minute limit
            assert standin.violations == 5
    finally:
        await standin.stop()


@pytest.mark.usefixtures("opt_in_timedelta")
async def test_enforced_rate_limits_answer_429() -> None:
    standin = TelegramStandIn(enforce_limits=True)
    world(standin)
    await standin.start()
    try:
        async with make_bot(standin) as bot:
            outcomes = await _flood(bot, [GROUP, GROUP, OTHER_GROUP])
            assert outcomes[0] is None
            assert outcomes[2] is None
            assert isinstance(outcomes[1], RetryAfter)
            assert outcomes[1].retry_after == dtm.timedelta(seconds=1)
    finally:
        await standin.stop()
    assert standin.violations == 1
    assert [m.chat_id for m in standin.sent] == [GROUP, OTHER_GROUP]


# -- chat administration ----------------------------------------------------------------------
async def test_invite_links_and_join_requests(standin: TelegramStandIn, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage chat invite link"):
        await bot.create_chat_invite_link(GROUP, name="Aanmelding 42")
    standin.set_bot_rights(GROUP, can_invite_users=True)
    expires = dtm.datetime.now(dtm.UTC) + dtm.timedelta(days=2)
    link = await bot.create_chat_invite_link(
        GROUP, name="Aanmelding 42", creates_join_request=True, expire_date=expires
    )
    assert link.creates_join_request
    assert link.name == "Aanmelding 42"
    stored = standin.invite_links[link.invite_link]
    assert (stored.chat_id, stored.name, stored.expire_date) == (
        GROUP,
        "Aanmelding 42",
        int(expires.timestamp()),
    )
    with pytest.raises(BadRequest, match=r"(?i)member limit"):
        await bot.create_chat_invite_link(GROUP, creates_join_request=True, member_limit=1)
    with pytest.raises(BadRequest):
        await bot.create_chat_invite_link(GROUP, name="x" * 33)

    standin.push_join_request(GROUP, 601, link.invite_link)
    standin.push_join_request(GROUP, 602, link.invite_link)
    updates = await bot.get_updates(timeout=0)
    requests = [u.chat_join_request for u in updates if u.chat_join_request]
    assert [r.from_user.id for r in requests] == [601, 602]
    assert requests[0].invite_link is not None
    assert requests[0].invite_link.name == "Aanmelding 42"
    assert await requests[0].approve()
    assert await requests[1].decline()
    assert standin.join_requests == {(GROUP, 601): "approved", (GROUP, 602): "declined"}
    assert standin.members[(GROUP, 601)] == "member"
    assert (GROUP, 602) not in standin.members
    with pytest.raises(BadRequest, match=r"(?i)hide_requester_missing"):
        await bot.approve_chat_join_request(GROUP, 602)

    revoked = await bot.revoke_chat_invite_link(GROUP, link.invite_link)
    assert revoked.is_revoked
    assert standin.invite_links[link.invite_link].revoked


async def test_ban_unban_and_promote(standin: TelegramStandIn, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to restrict/unrestrict"):
        await bot.ban_chat_member(GROUP, BOB)
    standin.set_bot_rights(GROUP, can_restrict_members=True)
    assert await bot.ban_chat_member(GROUP, BOB)
    assert isinstance(await bot.get_chat_member(GROUP, BOB), ChatMemberBanned)
    assert await bot.unban_chat_member(GROUP, BOB, only_if_banned=True)
    assert standin.members[(GROUP, BOB)] == "left"
    assert await bot.unban_chat_member(GROUP, ANNA, only_if_banned=True)  # not banned: no-op
    assert standin.members[(GROUP, ANNA)] == "member"
    assert isinstance(await bot.get_chat_member(GROUP, BOB), ChatMemberLeft)

    with pytest.raises(BadRequest, match=r"(?i)not enough rights"):
        await bot.promote_chat_member(GROUP, ANNA, can_invite_users=True)
    standin.set_bot_rights(GROUP, can_restrict_members=True, can_promote_members=True)
    assert await bot.promote_chat_member(GROUP, ANNA, can_invite_users=True, can_manage_chat=True)
    member = await bot.get_chat_member(GROUP, ANNA)
    assert isinstance(member, ChatMemberAdministrator)
    assert member.can_invite_users
    assert member.can_manage_chat
    assert not member.can_promote_members
    assert member.can_be_edited
    admins = await bot.get_chat_administrators(GROUP)
    assert {a.user.id for a in admins} == {standin.bot_id, ANNA}
    bot_member = await bot.get_chat_member(GROUP, standin.bot_id)
    assert isinstance(bot_member, ChatMemberAdministrator)
    assert bot_member.can_promote_members
    assert not bot_member.can_invite_users

    assert await bot.promote_chat_member(GROUP, ANNA, can_invite_users=False)  # all False
    assert isinstance(await bot.get_chat_member(GROUP, ANNA), ChatMemberMember)
    assert standin.promotions[0]["user_id"] == ANNA
    assert standin.promotions[0]["can_invite_users"] is True
    assert len(standin.promotions) == 2

    standin.set_member(GROUP, BOB, "creator")
    with pytest.raises(BadRequest, match=r"(?i)can't remove chat owner"):
        await bot.ban_chat_member(GROUP, BOB)
    with pytest.raises(BadRequest, match=r"(?i)user not found"):
        await bot.get_chat_member(GROUP, 777777)


async def test_commands_per_scope_and_language(standin: TelegramStandIn, bot: Bot) -> None:
    admin_scope = BotCommandScopeChatAdministrators(GROUP)
    commands = [BotCommand("escalate", "Naar de regiegroep"), BotCommand("help", "Hulp")]
    assert await bot.set_my_commands(commands, scope=admin_scope, language_code="nl")
    assert await bot.set_my_commands([BotCommand("start", "Begin")])
    assert standin.commands == {
        (f"chat_administrators:{GROUP}", "nl"): [
            {"command": "escalate", "description": "Naar de regiegroep"},
            {"command": "help", "description": "Hulp"},
        ],
        ("default", ""): [{"command": "start", "description": "Begin"}],
    }
    assert await bot.get_my_commands(scope=admin_scope, language_code="nl") == tuple(commands)
    assert await bot.get_my_commands(scope=admin_scope) == ()
    assert await bot.get_my_commands(scope=BotCommandScopeDefault()) == (
        BotCommand("start", "Begin"),
    )
    assert await bot.delete_my_commands(scope=admin_scope, language_code="nl")
    assert list(standin.commands) == [("default", "")]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Escalate!", "x")])
    assert await bot.send_chat_action(GROUP, "typing")


# -- webhooks ---------------------------------------------------------------------------------
async def test_webhook_delivery_with_secret(standin: TelegramStandIn, bot: Bot) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != "s3cret_-":
            return web.Response(status=403)
        received.append(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret_-", allowed_updates=["message"])
        assert standin.webhook is not None
        assert standin.webhook["url"] == url
        assert standin.webhook["secret_token"] == "s3cret_-"
        assert standin.webhook["allowed_updates"] == ["message"]
        assert (await bot.get_webhook_info()).url == url
        with pytest.raises(Conflict):
            await bot.get_updates(timeout=0)

        update = {"message": {"message_id": 1, "date": 0, "chat": {"id": GROUP, "type": "group"}}}
        assert await standin.deliver_webhook(update) == 200
        assert await standin.deliver_webhook(update, secret="wrong") == 403
        assert await standin.deliver_webhook(update, secret=None) == 403
        assert len(received) == 1
        assert "update_id" in received[0]

        assert await bot.delete_webhook()
        assert standin.webhook is None
        assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


# -- the application, polling -----------------------------------------------------------------
async def test_application_polling_sees_messages(standin: TelegramStandIn) -> None:
    seen: asyncio.Queue[str] = asyncio.Queue()

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await seen.put(update.effective_message.text or "")
        await update.effective_message.reply_text("Ontvangen")

    app = (
        ApplicationBuilder()
        .token(standin.token)
        .base_url(standin.base_url)
        .connect_timeout(2)
        .read_timeout(2)
        .write_timeout(2)
        .pool_timeout(2)
        .get_updates_connect_timeout(2)
        .get_updates_read_timeout(2)
        .get_updates_write_timeout(2)
        .get_updates_pool_timeout(2)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        pushed = standin.push_message(GROUP, ANNA, "Inbraak Grotestraat 3")
        assert await asyncio.wait_for(seen.get(), 5) == "Inbraak Grotestraat 3"
        for _ in range(50):
            if standin.sent:
                break
            await asyncio.sleep(0.05)
        await app.updater.stop()
        await app.stop()
    assert standin.confirmed_offset > pushed["update_id"]
    assert [(m.text, m.reply_to_message_id) for m in standin.sent] == [
        ("Ontvangen", pushed["message"]["message_id"])
    ]
    methods = [method for method, _ in standin.calls]
    assert methods[:2] == ["getme", "deletewebhook"]
    assert "getupdates" in methods


# -- as a process of its own ------------------------------------------------------------------
async def test_subprocess_mode(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.standins.telegram_api",
            "--port-file",
            str(port_file),
            "--chats",
            "3",
        ],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if port_file.exists() or process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert port_file.exists(), process.stderr.read() if process.stderr else ""
        port = int(port_file.read_text())
        base = f"http://127.0.0.1:{port}"
        async with Bot("123456:TEST", base_url=f"{base}/bot", request=_request()) as bot:
            await bot.send_message(-1003, "naar groep 3")
            link = await bot.create_chat_invite_link(-1002, creates_join_request=True)
            assert link.creates_join_request
            async with ClientSession() as session:
                async with session.post(
                    f"{base}/_control/push",
                    json={
                        "message": {
                            "message_id": 9,
                            "date": 0,
                            "chat": {"id": -1001, "type": "supergroup"},
                        }
                    },
                ) as resp:
                    pushed = (await resp.json())["result"]
                async with session.get(f"{base}/_control/state") as resp:
                    state = await resp.json()
            (update,) = await bot.get_updates(timeout=0)
            assert update.update_id == pushed["update_id"]
        assert state["sent"] == [
            {"chat_id": -1003, "message_id": 1, "text": "naar groep 3", "method": "sendmessage"}
        ]
        assert state["violations"] == 0
        assert state["calls_count"] == 3  # getMe, sendMessage, createChatInviteLink
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        if process.stderr:
            process.stderr.close()
