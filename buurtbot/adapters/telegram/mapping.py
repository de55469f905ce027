"""Pure mapping between Telegram updates and neutral events, and rich text and Telegram HTML.

No network here: the functions take python-telegram-bot objects (built by the library from
Bot API JSON) and return core values.

Text length: Telegram's 4096-character limit counts the text *after* entity parsing, i.e. the
visible characters, not the HTML tags or ``&amp;``-style escapes. The core splits the plain
text of a :class:`~buurtbot.core.text.RichText` to ``max_text_length``, so that split is
correct for HTML too and no ``split_html`` is needed.
"""

from __future__ import annotations

import html

from telegram import Chat, ChatMember, ChatMemberUpdated, Message, Update, User

from buurtbot.core.commands import parse_command_text
from buurtbot.core.events import (
    ButtonPressed,
    CommandReceived,
    InboundEvent,
    JoinRequested,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    Sender,
)
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities, RateLimits
from buurtbot.core.text import RichText

#: Longest inbound text we look at; anything beyond is cut off (Telegram itself allows 4096
#: characters per message, so only odd inputs get near this).
MAX_INBOUND_TEXT = 16_384

CAPABILITIES = Capabilities(
    buttons=True,
    invite_links=True,
    join_requests=True,
    add_members=False,
    remove_members=True,
    delete_messages=True,
    edit_messages=True,
    admin_rights=True,
    send_files=True,
    send_images=True,
    max_text_length=4096,
    rate_limits=RateLimits(overall_per_second=30, per_chat_per_second=1, per_group_per_minute=20),
)

_PRESENT = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


def to_event(update: Update, *, bot_username: str | None) -> InboundEvent | None:
    """The neutral event for ``update``; ``None`` for updates the core does not act on
    (edits, channel posts, the bot's own membership, messages without a user sender, ...).

    Commands are read from message text only: a photo's caption stays a message (with
    ``has_photo``) so the photo rule sees it. Membership comes from ``chat_member`` updates
    (polling or the webhook must ask for all update types), not from service messages.
    """
    event_id = f"telegram:{update.update_id}"
    if update.message is not None:
        return _from_message(event_id, update.message, bot_username)
    if update.callback_query is not None:
        query = update.callback_query
        msg = query.message
        if msg is None or query.data is None:
            return None
        ref = _message_ref(msg.chat, msg.message_id)
        # A callback query has no date of its own: ``at`` is the message's (the Unix epoch for
        # a message too old to be accessible); the core keeps time by its own clock.
        return ButtonPressed(
            event_id=event_id,
            chat=ref.chat,
            sender=_sender(query.from_user),
            at=msg.date,
            data=query.data,
            callback_id=query.id,
            message=ref,
        )
    if update.chat_member is not None:
        return _from_member_update(event_id, update.chat_member)
    if update.chat_join_request is not None:
        request = update.chat_join_request
        link = request.invite_link
        return JoinRequested(
            event_id=event_id,
            chat=_chat_ref(request.chat),
            sender=_sender(request.from_user),
            at=request.date,
            invite_name=link.name if link is not None else None,
        )
    return None


def to_html(text: RichText) -> str:
    """``text`` as Telegram HTML (parse mode ``HTML``): every span escaped, styles as tags."""
    parts: list[str] = []
    for span in text.spans:
        # Telegram HTML needs only <, > and & escaped; quotes may stay as they are.
        piece = html.escape(span.text, quote=False)
        if span.code:
            piece = f"<code>{piece}</code>"
        if span.italic:
            piece = f"<i>{piece}</i>"
        if span.bold:
            piece = f"<b>{piece}</b>"
        parts.append(piece)
    return "".join(parts)


def _from_message(event_id: str, message: Message, bot_username: str | None) -> InboundEvent | None:
    user = message.from_user
    if user is None:
        return None
    chat = _chat_ref(message.chat)
    ref = MessageRef(chat, str(message.message_id))
    sender = _sender(user)
    quoted = message.reply_to_message
    reply_to = _message_ref(quoted.chat, quoted.message_id) if quoted is not None else None
    if message.text is not None:
        text = _cut(message.text)
        parsed = parse_command_text(text, bot_username=bot_username)
        if parsed is not None:
            return CommandReceived(
                event_id=event_id,
                chat=chat,
                sender=sender,
                at=message.date,
                message=ref,
                name=parsed.name,
                args=parsed.args,
                reply_to=reply_to,
                reply_to_sender=_identity(quoted.from_user)
                if quoted is not None and quoted.from_user is not None
                else None,
                reply_to_text=_quoted_text(quoted),
            )
        if parse_command_text(text) is not None:
            # ``/cmd@otherbot``: a command meant for another bot in the group, not for us.
            return None
        return MessageReceived(
            event_id=event_id,
            chat=chat,
            sender=sender,
            at=message.date,
            message=ref,
            text=text,
            reply_to=reply_to,
        )
    if message.photo:
        return MessageReceived(
            event_id=event_id,
            chat=chat,
            sender=sender,
            at=message.date,
            message=ref,
            text=_cut(message.caption or ""),
            reply_to=reply_to,
            has_photo=True,
        )
    return None


def _from_member_update(event_id: str, change: ChatMemberUpdated) -> InboundEvent | None:
    was = _is_present(change.old_chat_member)
    now = _is_present(change.new_chat_member)
    if was == now:
        return None
    kind = MemberJoined if now else MemberLeft
    return kind(
        event_id=event_id,
        chat=_chat_ref(change.chat),
        sender=_sender(change.new_chat_member.user),
        at=change.date,
    )


def _is_present(member: ChatMember) -> bool:
    if member.status in _PRESENT:
        return True
    return member.status == ChatMember.RESTRICTED and bool(getattr(member, "is_member", False))


def _quoted_text(quoted: Message | None) -> str | None:
    if quoted is None:
        return None
    text = quoted.text if quoted.text is not None else quoted.caption
    return _cut(text) if text is not None else None


def _cut(text: str) -> str:
    return text[:MAX_INBOUND_TEXT]


def _chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, str(chat.id), private=chat.type == Chat.PRIVATE)


def _message_ref(chat: Chat, message_id: int) -> MessageRef:
    return MessageRef(_chat_ref(chat), str(message_id))


def _identity(user: User) -> PlatformIdentity:
    return PlatformIdentity(Platform.TELEGRAM, str(user.id))


def _sender(user: User) -> Sender:
    return Sender(
        identity=_identity(user), display_name=user.full_name, language=user.language_code
    )
