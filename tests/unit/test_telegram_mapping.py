"""The pure Telegram mapping, fed with real python-telegram-bot objects built from Bot API JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from telegram import Update

from buurtbot.adapters.telegram.mapping import (
    CAPABILITIES,
    MAX_INBOUND_TEXT,
    to_event,
    to_html,
)
from buurtbot.core.events import (
    ButtonPressed,
    CommandReceived,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MessageReceived,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import RateLimits
from buurtbot.core.text import RichText, Span, bold, code, italic

BOT = "buurt_bot"
DATE = 1_700_000_000
GROUP = {"id": -1001234, "type": "supergroup", "title": "Buurt Noord"}
ANNA = {"id": 111, "is_bot": False, "first_name": "Anna", "last_name": "de Vries",
        "language_code": "nl"}  # fmt: skip
BERT = {"id": 222, "is_bot": False, "first_name": "Bert", "language_code": "en"}
GROUP_CHAT = ChatRef(Platform.TELEGRAM, "-1001234")


def update(update_id: int, **payload: Any) -> Update:
    return Update.de_json({"update_id": update_id, **payload}, bot=None)


def message(text: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_id": 7,
        "date": DATE,
        "chat": GROUP,
        "from": ANNA,
        **extra,
    }
    if text is not None:
        data["text"] = text
    return data


def member(user: dict[str, Any], status: str) -> dict[str, Any]:
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "kicked":
        data["until_date"] = 0  # banned for ever
    if status.startswith("restricted"):  # "restricted-in" / "restricted-out": is_member
        rights = ("change_info", "invite_users", "pin_messages", "send_messages", "send_polls",
                  "send_other_messages", "add_web_page_previews", "manage_topics", "send_audios",
                  "send_documents", "send_photos", "send_videos", "send_video_notes",
                  "send_voice_notes", "edit_tag", "react_to_messages")  # fmt: skip
        data.update({f"can_{right}": False for right in rights}, until_date=0)
        data.update(status="restricted", is_member=status == "restricted-in")
    return data


def test_group_text_message() -> None:
    event = to_event(update(1, message=message("Verdachte auto")), bot_username=BOT)

    assert isinstance(event, MessageReceived)
    assert event.event_id == "telegram:1"
    assert event.chat == GROUP_CHAT
    assert not event.chat.private
    assert event.message == MessageRef(GROUP_CHAT, "7")
    assert event.text == "Verdachte auto"
    assert event.sender.identity == PlatformIdentity(Platform.TELEGRAM, "111")
    assert event.sender.display_name == "Anna de Vries"
    assert event.sender.language == "nl"
    assert event.at == datetime.fromtimestamp(DATE, UTC)
    assert event.reply_to is None
    assert not event.has_photo


def test_command_with_bot_suffix_and_args() -> None:
    event = to_event(
        update(2, message=message("/Escalate@Buurt_Bot buren  west")), bot_username=BOT
    )

    assert isinstance(event, CommandReceived)
    assert event.event_id == "telegram:2"
    assert event.name == "escalate"
    assert event.args == ("buren", "west")
    assert event.chat == GROUP_CHAT
    assert event.reply_to is None
    assert event.reply_to_sender is None
    assert event.reply_to_text is None


def test_command_for_another_bot_is_ignored() -> None:
    assert to_event(update(3, message=message("/help@other_bot")), bot_username=BOT) is None


def test_reply_carries_the_quoted_message() -> None:
    quoted = message("Inbraak <Dorpsstraat>", message_id=5, **{"from": BERT})
    data = message("/warn spam", reply_to_message=quoted)

    event = to_event(update(4, message=data), bot_username=BOT)

    assert isinstance(event, CommandReceived)
    assert event.name == "warn"
    assert event.args == ("spam",)
    assert event.reply_to == MessageRef(GROUP_CHAT, "5")
    assert event.reply_to_sender == PlatformIdentity(Platform.TELEGRAM, "222")
    assert event.reply_to_text == "Inbraak <Dorpsstraat>"


def test_reply_to_a_photo_quotes_its_caption() -> None:
    quoted = message(
        None,
        message_id=6,
        caption="Busje",
        photo=[{"file_id": "f", "file_unique_id": "u", "width": 90, "height": 90}],
        **{"from": BERT},
    )
    event = to_event(
        update(5, message=message("/escalate", reply_to_message=quoted)), bot_username=BOT
    )

    assert isinstance(event, CommandReceived)
    assert event.reply_to == MessageRef(GROUP_CHAT, "6")
    assert event.reply_to_text == "Busje"


def test_plain_reply_is_a_message_with_reply_to() -> None:
    quoted = message("eerder", message_id=3, **{"from": BERT})
    event = to_event(
        update(6, message=message("ik zag het ook", reply_to_message=quoted)), bot_username=BOT
    )

    assert isinstance(event, MessageReceived)
    assert event.text == "ik zag het ook"
    assert event.reply_to == MessageRef(GROUP_CHAT, "3")


def test_photo_with_caption() -> None:
    photo = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "big", "file_unique_id": "b", "width": 800, "height": 800},
    ]
    event = to_event(
        update(7, message=message(None, photo=photo, caption="Kenteken")), bot_username=BOT
    )

    assert isinstance(event, MessageReceived)
    assert event.has_photo
    assert event.text == "Kenteken"
    assert event.message == MessageRef(GROUP_CHAT, "7")


def test_callback_query() -> None:
    query = {
        "id": "cb-42",
        "from": BERT,
        "chat_instance": "ci",
        "data": "lang:en",
        "message": message("Kies je taal", message_id=9, **{"from": {"id": 999, "is_bot": True,
                                                                     "first_name": "Buurt"}}),
    }  # fmt: skip
    event = to_event(update(8, callback_query=query), bot_username=BOT)

    assert isinstance(event, ButtonPressed)
    assert event.event_id == "telegram:8"
    assert event.data == "lang:en"
    assert event.callback_id == "cb-42"
    assert event.message == MessageRef(GROUP_CHAT, "9")
    assert event.chat == GROUP_CHAT
    assert event.sender.identity == PlatformIdentity(Platform.TELEGRAM, "222")
    assert event.sender.display_name == "Bert"
    assert event.sender.language == "en"


def test_chat_member_join_and_leave() -> None:
    def change(update_id: int, old: str, new: str) -> Update:
        return update(
            update_id,
            chat_member={
                "chat": GROUP,
                "from": ANNA,
                "date": DATE,
                "old_chat_member": member(BERT, old),
                "new_chat_member": member(BERT, new),
            },
        )

    joined = to_event(change(10, "left", "member"), bot_username=BOT)
    left = to_event(change(11, "member", "left"), bot_username=BOT)
    kicked = to_event(change(12, "member", "kicked"), bot_username=BOT)
    unbanned = to_event(change(13, "kicked", "left"), bot_username=BOT)
    muted = to_event(change(14, "member", "restricted-in"), bot_username=BOT)
    muted_left = to_event(change(15, "restricted-in", "restricted-out"), bot_username=BOT)

    assert isinstance(joined, MemberJoined)
    assert joined.event_id == "telegram:10"
    assert joined.chat == GROUP_CHAT
    assert joined.sender.identity == PlatformIdentity(Platform.TELEGRAM, "222")
    assert isinstance(left, MemberLeft)
    assert left.event_id == "telegram:11"
    assert left.sender.identity == PlatformIdentity(Platform.TELEGRAM, "222")
    assert isinstance(kicked, MemberLeft)
    assert kicked.event_id == "telegram:12"
    assert unbanned is None
    assert muted is None  # restricted but still a member: no change
    assert isinstance(muted_left, MemberLeft)


def test_chat_join_request_with_named_invite_link() -> None:
    request = {
        "chat": GROUP,
        "from": BERT,
        "user_chat_id": 222,
        "date": DATE,
        "invite_link": {
            "invite_link": "https://t.me/+abc",
            "creator": {"id": 999, "is_bot": True, "first_name": "Buurt"},
            "creates_join_request": True,
            "is_primary": False,
            "is_revoked": False,
            "name": "signup-xyz",
        },
    }
    event = to_event(update(18, chat_join_request=request), bot_username=BOT)

    assert isinstance(event, JoinRequested)
    assert event.event_id == "telegram:18"
    assert event.chat == GROUP_CHAT
    assert event.sender.identity == PlatformIdentity(Platform.TELEGRAM, "222")
    assert event.invite_name == "signup-xyz"


def test_private_start_with_token() -> None:
    private = {"id": 111, "type": "private", "first_name": "Anna"}
    event = to_event(
        update(14, message=message("/start Tok_en-123", chat=private)), bot_username=BOT
    )

    assert isinstance(event, CommandReceived)
    assert event.name == "start"
    assert event.args == ("Tok_en-123",)
    assert event.chat == ChatRef(Platform.TELEGRAM, "111", private=True)
    assert event.message == MessageRef(ChatRef(Platform.TELEGRAM, "111", private=True), "7")


def test_irrelevant_updates_are_none() -> None:
    edited = update(15, edited_message=message("bewerkt", edit_date=DATE + 5))
    sticker = update(
        16,
        message=message(
            None,
            sticker={"file_id": "s", "file_unique_id": "u", "width": 1, "height": 1,
                     "is_animated": False, "is_video": False, "type": "regular"},
        ),
    )  # fmt: skip

    assert to_event(edited, bot_username=BOT) is None
    assert to_event(sticker, bot_username=BOT) is None


def test_overlong_text_is_cut() -> None:
    event = to_event(update(17, message=message("x" * 20_000)), bot_username=BOT)

    assert isinstance(event, MessageReceived)
    assert len(event.text) == MAX_INBOUND_TEXT == 16_384


def test_html_escapes_every_span() -> None:
    text = RichText.of("<b>&</b> ", bold("<script>"), " ", italic("a&b"), " ", code("x<y"))

    assert to_html(text) == (
        "&lt;b&gt;&amp;&lt;/b&gt; <b>&lt;script&gt;</b> <i>a&amp;b</i> <code>x&lt;y</code>"
    )


def test_html_nests_styles() -> None:
    text = RichText((Span("<x>", bold=True, italic=True, code=True),))

    assert to_html(text) == "<b><i><code>&lt;x&gt;</code></i></b>"
    assert to_html(RichText()) == ""


def test_capabilities() -> None:
    assert CAPABILITIES.buttons
    assert CAPABILITIES.join_requests
    assert not CAPABILITIES.add_members
    assert CAPABILITIES.max_text_length == 4096
    assert CAPABILITIES.rate_limits == RateLimits(30, 1, 20)
