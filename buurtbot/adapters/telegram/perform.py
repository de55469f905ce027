"""Neutral actions as Bot API calls, and Telegram's errors as the outbox's two kinds of failure.

One action is one call (a removal is two: ban, then unban, so the person may come back
later through the core). Nothing here retries: the outbox relay decides when to try again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from buurtbot.adapters.telegram.mapping import to_html
from buurtbot.core.actions import (
    Action,
    AddMember,
    AnswerButton,
    ApproveJoin,
    Button,
    CopyMessage,
    CreateInvite,
    DeclineJoin,
    DeliveryResult,
    EditText,
    RemoveMember,
    SendFile,
    SendImage,
    SendText,
    SetAdmin,
)
from buurtbot.core.ids import MessageRef, PlatformIdentity
from buurtbot.core.ports import PermanentDeliveryError, TransientDeliveryError

log = logging.getLogger(__name__)

#: Telegram's longest invite link name.
MAX_INVITE_NAME = 32

#: Bad requests that mean "already so": the action's purpose is met, nothing to retry.
_ALREADY_DONE = (
    "message is not modified",
    "user_already_participant",
    "hide_requester_missing",
    "query is too old",
    "query id is invalid",
)


async def perform(bot: Bot, action: Action) -> DeliveryResult:
    """Carry out ``action`` with ``bot``; Telegram's failures become delivery errors."""
    try:
        return await _call(bot, action)
    except TelegramError as exc:
        if isinstance(exc, BadRequest) and _already_done(exc):
            log.info("%s: %s (already so; counted as done)", type(action).__name__, exc.message)
            return DeliveryResult()
        raise delivery_error(exc) from exc


def delivery_error(exc: TelegramError) -> TransientDeliveryError | PermanentDeliveryError:
    """Whether a later try may help: flood control, timeouts, network and server trouble
    may pass; a kicked bot, a missing chat or a malformed request will not."""
    if isinstance(exc, RetryAfter):
        return TransientDeliveryError(f"Telegram flood control: {exc}", _seconds(exc))
    if isinstance(exc, ChatMigrated):
        return PermanentDeliveryError(
            f"the group became a supergroup with chat id {exc.new_chat_id}; "
            "put that id in the network file"
        )
    if isinstance(exc, Forbidden):
        return PermanentDeliveryError(f"Telegram refused: {exc.message}")
    if isinstance(exc, InvalidToken):
        # The token was revoked while running: nothing can be sent until it is replaced,
        # but what waits in the outbox should survive that.
        return TransientDeliveryError(f"Telegram rejected the bot token: {exc.message}")
    if isinstance(exc, BadRequest):
        return PermanentDeliveryError(f"Telegram: {exc.message}")
    if isinstance(exc, NetworkError):  # also timeouts and 5xx answers
        return TransientDeliveryError(f"Telegram unreachable: {exc.message}")
    return TransientDeliveryError(f"Telegram error: {exc}")


def _already_done(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return any(marker in text for marker in _ALREADY_DONE)


def _seconds(exc: RetryAfter) -> float:
    value: int | timedelta = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _call(bot: Bot, action: Action) -> DeliveryResult:
    chat_id = action.chat.chat_id
    match action:
        case SendText():
            sent = await bot.send_message(
                chat_id,
                to_html(action.text),
                parse_mode=ParseMode.HTML,
                reply_parameters=_reply(action.reply_to),
                reply_markup=_keyboard(action.buttons),
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return DeliveryResult(message=MessageRef(action.chat, str(sent.message_id)))
        case EditText():
            if action.message is None:
                raise PermanentDeliveryError("an edit without the message it edits")
            await bot.edit_message_text(
                to_html(action.text),
                chat_id=chat_id,
                message_id=int(action.message.message_id),
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
            return DeliveryResult(message=action.message)
        case CopyMessage():
            copied = await bot.copy_message(
                chat_id, action.source.chat.chat_id, int(action.source.message_id)
            )
            return DeliveryResult(message=MessageRef(action.chat, str(copied.message_id)))
        case AnswerButton():
            await bot.answer_callback_query(action.callback_id, text=action.text or None)
            return DeliveryResult()
        case ApproveJoin():
            await bot.approve_chat_join_request(chat_id, _user_id(action.user))
            return DeliveryResult()
        case DeclineJoin():
            await bot.decline_chat_join_request(chat_id, _user_id(action.user))
            return DeliveryResult()
        case RemoveMember():
            user = _user_id(action.user)
            await bot.ban_chat_member(chat_id, user)
            await bot.unban_chat_member(chat_id, user, only_if_banned=True)
            return DeliveryResult()
        case CreateInvite():
            link = await bot.create_chat_invite_link(
                chat_id,
                name=action.name[:MAX_INVITE_NAME],
                creates_join_request=True,
                expire_date=action.expires_at,
            )
            return DeliveryResult(invite_link=link.invite_link)
        case SetAdmin():
            # A beheerder gets enough to keep the group in order by hand, nothing more: no
            # promoting others, no changing the group, no anonymous posting. ``False``
            # everywhere demotes.
            on = action.admin
            await bot.promote_chat_member(
                chat_id,
                _user_id(action.user),
                can_manage_chat=on,
                can_delete_messages=on,
                can_restrict_members=on,
                can_invite_users=on,
                can_pin_messages=on,
                can_promote_members=False,
                can_change_info=False,
                can_manage_video_chats=False,
                is_anonymous=False,
            )
            return DeliveryResult()
        case SendFile():
            document = InputFile(action.content, filename=action.filename)
            sent = await bot.send_document(
                chat_id,
                document,
                caption=to_html(action.caption) if action.caption is not None else None,
                parse_mode=ParseMode.HTML,
            )
            return DeliveryResult(message=MessageRef(action.chat, str(sent.message_id)))
        case SendImage():
            sent = await bot.send_photo(
                chat_id,
                InputFile(action.content, filename=action.filename),
                caption=to_html(action.caption) if action.caption is not None else None,
                parse_mode=ParseMode.HTML,
            )
            return DeliveryResult(message=MessageRef(action.chat, str(sent.message_id)))
        case AddMember():
            raise PermanentDeliveryError("Telegram bots cannot add people; they use invite links")
    raise PermanentDeliveryError(f"Telegram cannot perform {type(action).__name__}")


def _user_id(user: PlatformIdentity) -> int:
    try:
        return int(user.user_ref)
    except ValueError:
        raise PermanentDeliveryError(f"not a Telegram user id: {user.user_ref!r}") from None


def _reply(to: MessageRef | None) -> ReplyParameters | None:
    if to is None or not to.message_id.lstrip("-").isdecimal():
        return None
    # The quoted message may have been deleted meanwhile: send anyway, without the quote.
    return ReplyParameters(int(to.message_id), allow_sending_without_reply=True)


def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )
