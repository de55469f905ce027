"""Every neutral action as a Bot API call, through the real python-telegram-bot ``Bot``
against the stand-in server; Telegram's failures as the outbox's two kinds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot

from buurtbot.adapters.telegram.perform import perform
from buurtbot.core.actions import (
    AddMember,
    AnswerButton,
    ApproveJoin,
    Button,
    CopyMessage,
    CreateInvite,
    DeclineJoin,
    EditText,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
    SetAdmin,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import PermanentDeliveryError, TransientDeliveryError
from buurtbot.core.text import RichText, bold
from tests.images import PNG_SIGNATURE, chart_png
from tests.standins.telegram_api import TelegramStandIn

GROUP = -1001
OTHER = -1002
USER = 4242
CHAT = ChatRef(Platform.TELEGRAM, str(GROUP))
OTHER_CHAT = ChatRef(Platform.TELEGRAM, str(OTHER))
PERSON = PlatformIdentity(Platform.TELEGRAM, str(USER))


@pytest.fixture
async def standin(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TelegramStandIn]:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    server = TelegramStandIn()
    await server.start()
    for chat in (GROUP, OTHER):
        server.add_chat(chat)
        server.set_bot_rights(
            chat, can_manage_chat=True, can_invite_users=True, can_restrict_members=True,
            can_promote_members=True, can_delete_messages=True, can_pin_messages=True,
        )  # fmt: skip
    server.add_user(USER, first_name="Daan")
    server.set_member(GROUP, USER, "member")
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def bot(standin: TelegramStandIn) -> AsyncIterator[Bot]:
    async with Bot(standin.token, base_url=standin.base_url) as client:
        yield client


async def test_text_goes_as_escaped_html_with_buttons_and_a_reply(
    bot: Bot, standin: TelegramStandIn
) -> None:
    first = await perform(bot, SendText(chat=CHAT, text=RichText.of("eerst")))
    assert first.message is not None
    text = RichText.of(bold("Let op"), ": <script>alert(1)</script> & co")
    buttons = ((Button("Ja", "lang:nl"), Button("Nee", "x:no")),)
    result = await perform(
        bot, SendText(chat=CHAT, text=text, buttons=buttons, reply_to=first.message)
    )
    sent = standin.messages_in(GROUP)[-1]
    assert sent.text == "<b>Let op</b>: &lt;script&gt;alert(1)&lt;/script&gt; &amp; co"
    assert sent.visible == "Let op: <script>alert(1)</script> & co"
    assert sent.reply_to_message_id == int(first.message.message_id)
    assert sent.reply_markup == {
        "inline_keyboard": [
            [{"text": "Ja", "callback_data": "lang:nl"}, {"text": "Nee", "callback_data": "x:no"}]
        ]
    }
    assert result.message == MessageRef(CHAT, str(sent.message_id))


async def test_a_reply_to_a_deleted_message_is_still_sent(
    bot: Bot, standin: TelegramStandIn
) -> None:
    gone = MessageRef(CHAT, "999")
    await perform(bot, SendText(chat=CHAT, text=RichText.of("toch"), reply_to=gone))
    assert standin.messages_in(GROUP)[-1].visible == "toch"


async def test_edit_copy_and_file(bot: Bot, standin: TelegramStandIn) -> None:
    sent = await perform(bot, SendText(chat=CHAT, text=RichText.of("112: nee")))
    assert sent.message is not None
    edit = EditText(chat=CHAT, outbox_key="k", text=RichText.of("112: ja"), message=sent.message)
    assert (await perform(bot, edit)).message == sent.message
    # The same text again: Telegram says "not modified", which means it is already so.
    assert (await perform(bot, edit)).message is None
    copied = await perform(bot, CopyMessage(chat=OTHER_CHAT, source=sent.message))
    assert copied.message is not None
    assert copied.message.chat == OTHER_CHAT
    await perform(
        bot, SendFile(chat=CHAT, filename="gegevens.json", content=b'{"a": 1}', caption=None)
    )
    document = standin.messages_in(GROUP)[-1]
    assert (document.document_name, document.document_bytes) == ("gegevens.json", b'{"a": 1}')


async def test_an_image_goes_as_a_photo_with_its_caption(
    bot: Bot, standin: TelegramStandIn
) -> None:
    png = chart_png()
    result = await perform(
        bot,
        SendImage(
            chat=CHAT, filename="g-2026-W49.png", content=png, caption=RichText.of(bold("Grafiek"))
        ),
    )
    photo = standin.messages_in(GROUP)[-1]
    assert photo.method == "sendphoto"
    assert photo.photo_bytes == png
    assert photo.photo_bytes is not None
    assert photo.photo_bytes.startswith(PNG_SIGNATURE)
    assert (photo.text, photo.visible, photo.parse_mode) == ("<b>Grafiek</b>", "Grafiek", "HTML")
    assert result.message == MessageRef(CHAT, str(photo.message_id))


async def test_an_image_telegram_cannot_read_is_a_permanent_failure(bot: Bot) -> None:
    with pytest.raises(PermanentDeliveryError, match=r"(?i)image_process_failed"):
        await perform(bot, SendImage(chat=CHAT, filename="x.png", content=b"not a picture"))


async def test_invites_join_requests_removal_and_admin_rights(
    bot: Bot, standin: TelegramStandIn
) -> None:
    expires = datetime.now(UTC) + timedelta(days=7)
    made = await perform(
        bot, CreateInvite(chat=CHAT, name="aanmelding-" + "x" * 40, expires_at=expires)
    )
    assert made.invite_link is not None
    link = standin.invite_links[made.invite_link]
    assert link.creates_join_request
    assert link.name is not None
    assert len(link.name) == 32

    newcomer = 5151
    standin.push_join_request(GROUP, newcomer, made.invite_link)
    await perform(bot, ApproveJoin(chat=CHAT, user=PlatformIdentity(Platform.TELEGRAM, "5151")))
    assert standin.join_requests[(GROUP, newcomer)] == "approved"
    # Approving again (a repeated outbox item): already so, not an error.
    await perform(bot, ApproveJoin(chat=CHAT, user=PlatformIdentity(Platform.TELEGRAM, "5151")))
    standin.push_join_request(GROUP, 6161, made.invite_link)
    await perform(bot, DeclineJoin(chat=CHAT, user=PlatformIdentity(Platform.TELEGRAM, "6161")))
    assert standin.join_requests[(GROUP, 6161)] == "declined"

    await perform(bot, SetAdmin(chat=CHAT, user=PERSON, admin=True))
    assert standin.members[(GROUP, USER)] == "administrator"
    promoted = standin.promotions[-1]
    assert promoted["can_restrict_members"]
    assert not promoted["can_promote_members"]
    await perform(bot, SetAdmin(chat=CHAT, user=PERSON, admin=False))
    assert standin.members[(GROUP, USER)] == "member"

    await perform(bot, RemoveMember(chat=CHAT, user=PERSON))
    calls = [name for name, _ in standin.calls]
    assert calls[-2:] == ["banchatmember", "unbanchatmember"]
    assert standin.calls[-1][1]["only_if_banned"] is True
    assert standin.members[(GROUP, USER)] == "left"  # out, and free to come back


async def test_a_button_press_is_answered_once_and_late_answers_are_no_error(
    bot: Bot, standin: TelegramStandIn
) -> None:
    sent = await perform(bot, SendText(chat=CHAT, text=RichText.of("?")))
    assert sent.message is not None
    update = standin.push_callback(GROUP, USER, int(sent.message.message_id), "lang:en")
    query_id = update["callback_query"]["id"]
    await perform(bot, AnswerButton(chat=CHAT, callback_id=query_id))
    await perform(bot, AnswerButton(chat=CHAT, callback_id=query_id))  # a repeat: already so
    assert len(standin.callback_answers) == 1


@pytest.mark.parametrize(
    ("status", "description", "kind"),
    [
        (429, None, TransientDeliveryError),
        (502, None, TransientDeliveryError),
        (403, "Forbidden: bot was kicked from the supergroup chat", PermanentDeliveryError),
        (400, "Bad Request: chat not found", PermanentDeliveryError),
    ],
)
async def test_failures_are_transient_or_permanent(
    bot: Bot, standin: TelegramStandIn, status: int, description: str | None, kind: type
) -> None:
    retry_after = 7 if status == 429 else None
    standin.fail_next(
        "sendMessage", status=status, retry_after=retry_after, description=description
    )
    with pytest.raises(kind) as caught:
        await perform(bot, SendText(chat=CHAT, text=RichText.of("x")))
    if status == 429:
        assert isinstance(caught.value, TransientDeliveryError)
        assert caught.value.retry_after == 7
    # The next try works again.
    await perform(bot, SendText(chat=CHAT, text=RichText.of("y")))


async def test_a_timeout_is_transient(standin: TelegramStandIn) -> None:
    from telegram.request import HTTPXRequest

    quick = HTTPXRequest(read_timeout=0.3, connect_timeout=1, write_timeout=1, pool_timeout=1)
    async with Bot(standin.token, base_url=standin.base_url, request=quick) as slow_bot:
        standin.delay_next("sendMessage", 2.0)
        with pytest.raises(TransientDeliveryError):
            await perform(slow_bot, SendText(chat=CHAT, text=RichText.of("x")))


async def test_adding_members_is_not_something_telegram_bots_can_do(bot: Bot) -> None:
    with pytest.raises(PermanentDeliveryError, match="invite links"):
        await perform(bot, AddMember(chat=CHAT, user=PERSON))
