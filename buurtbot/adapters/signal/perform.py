"""Neutral actions as signal-cli-rest-api calls, and its errors as the outbox's two kinds.

One action is one call. Nothing here retries: the outbox relay decides when to try again.
What Signal cannot do (buttons, edits, invite links, join requests, forwarding) the
capabilities leave out, so the core never asks; should it ask anyway, the answer is a
permanent failure that says why.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from typing import Any

from signalbot import SendMessage, TextMode

from buurtbot.adapters.signal.mapping import (
    chat_recipient,
    message_ref,
    quote_target,
    recipient,
    to_signal_text,
)
from buurtbot.adapters.signal.rest import RestError, SignalRest, redact
from buurtbot.core.actions import (
    Action,
    AddMember,
    AnswerButton,
    ApproveJoin,
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
from buurtbot.core.ids import ChatRef, MessageRef, Platform, PlatformIdentity
from buurtbot.core.ports import PermanentDeliveryError, TransientDeliveryError
from buurtbot.core.text import RichText

log = logging.getLogger(__name__)

#: When Signal rate-limits without saying for how long (it never does for a captcha).
DEFAULT_RETRY_AFTER = 60.0

#: Words in an error answer that mean "try again later" even with status 400 (signal-cli
#: reports its own trouble reaching Signal's servers as a 400 too).
_TRANSIENT_WORDS = ("timeout", "timed out", "network", "unavailable", "try again", "connection")
_UNTRUSTED = "untrusted"
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


async def perform(rest: SignalRest, action: Action) -> DeliveryResult:
    """Carry out ``action`` through ``rest``; its failures become delivery errors."""
    try:
        return await _call(rest, action)
    except RestError as exc:
        raise delivery_error(exc) from exc


def delivery_error(exc: RestError) -> TransientDeliveryError | PermanentDeliveryError:
    """Whether a later try may help: a rate limit, a timeout, server trouble may pass; an
    unknown group or number, or a right the bot lacks, will not."""
    if exc.rate_limited:
        return TransientDeliveryError(
            f"Signal rate limit: {exc.message}", exc.retry_after or DEFAULT_RETRY_AFTER
        )
    status = exc.status
    if status is None or status >= 500 or status in (408, 425):
        return TransientDeliveryError(f"signal-cli-rest-api: {exc}", exc.retry_after)
    if status == 401:
        # Wrong credentials for signal-cli-rest-api: nothing goes out until the settings are
        # fixed, but what waits in the outbox should survive that.
        return TransientDeliveryError(
            "signal-cli-rest-api refused the credentials (BUURTBOT_SIGNAL_USERNAME/PASSWORD "
            "or BUURTBOT_SIGNAL_TOKEN)"
        )
    text = exc.message.lower()
    if _UNTRUSTED in text:
        return PermanentDeliveryError(
            f"Signal: {exc.message} (a safety number changed; trust it with "
            "PUT /v1/identities/<bot number>/trust/<their number>)"
        )
    if status == 400 and any(word in text for word in _TRANSIENT_WORDS):
        return TransientDeliveryError(f"signal-cli-rest-api: {exc}", exc.retry_after)
    return PermanentDeliveryError(f"Signal: {exc}")


async def _call(rest: SignalRest, action: Action) -> DeliveryResult:
    match action:
        case SendText():
            if action.buttons:
                log.warning("Signal has no buttons; %d rows left out", len(action.buttons))
            return await _send(rest, action.chat, action.text, reply_to=action.reply_to)
        case SendFile():
            return await _send(
                rest,
                action.chat,
                action.caption or RichText(),
                file=(action.filename, action.content),
            )
        case SendImage():
            # An image/png attachment: Signal shows it as a picture, not as a file.
            return await _send(
                rest,
                action.chat,
                action.caption or RichText(),
                file=(action.filename, action.content),
                mime="image/png",
            )
        case AddMember() | RemoveMember():
            group = _group(action.chat)
            user = _address(action.user)
            await rest.change_members(group, [user], add=isinstance(action, AddMember))
            return DeliveryResult()
        case SetAdmin():
            group = _group(action.chat)
            await rest.change_admins(group, [_address(action.user)], add=action.admin)
            return DeliveryResult()
        case CopyMessage():
            raise PermanentDeliveryError(
                "Signal cannot forward or copy a message; send its text instead"
            )
        case EditText():
            raise PermanentDeliveryError("Signal bots here do not edit sent messages")
        case AnswerButton():
            raise PermanentDeliveryError("Signal has no buttons to answer")
        case CreateInvite():
            raise PermanentDeliveryError("the bot makes no invite links on Signal; it adds people")
        case ApproveJoin() | DeclineJoin():
            raise PermanentDeliveryError("the bot handles no join requests on Signal")
    raise PermanentDeliveryError(f"Signal cannot perform {type(action).__name__}")


async def _send(
    rest: SignalRest,
    chat: ChatRef,
    text: RichText,
    *,
    reply_to: MessageRef | None = None,
    file: tuple[str, bytes] | None = None,
    mime: str | None = None,
) -> DeliveryResult:
    to = chat_recipient(chat)
    if to is None:
        raise PermanentDeliveryError(f"not a Signal chat: {chat}")
    body = to_signal_text(text)
    if not body.text and file is None:
        raise PermanentDeliveryError("Signal refuses an empty message")
    quote = quote_target(reply_to) if reply_to is not None and reply_to.chat == chat else None
    message = SendMessage(
        text=body.text,
        text_mode=TextMode.STYLED if body.styled else TextMode.NORMAL,
        quote_timestamp=quote[0] if quote else None,
        quote_author=quote[1] if quote else None,
        base64_attachments=[_data_uri(*file, mime=mime)] if file is not None else None,
    )
    payload: dict[str, Any] = (await message.to_generated(rest.number, [to])).model_dump(
        mode="json", exclude_none=True, by_alias=True
    )
    receipt = await rest.send(payload)
    if receipt.failed:
        if chat.private:
            raise delivery_error(RestError(redact("; ".join(receipt.failed)), status=400))
        log.warning(
            "Signal: message in %s not delivered to %d member(s): %s",
            chat.chat_id,
            len(receipt.failed),
            redact("; ".join(sorted(set(receipt.failed)))),
        )
    bot = PlatformIdentity(Platform.SIGNAL, rest.number)
    return DeliveryResult(message=message_ref(chat, receipt.timestamp, bot))


def _data_uri(filename: str, content: bytes, *, mime: str | None = None) -> str:
    """An attachment as signal-cli-rest-api takes it. The name ends up as a file name on the
    server (and the recipient's phone): only safe characters. ``mime``: the content's type,
    guessed from the name when not given."""
    name = _FILENAME_UNSAFE.sub("_", filename).strip("._")[:100] or "file"
    mime = mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    data = base64.b64encode(content).decode("ascii")
    return f"data:{mime};filename={name};base64,{data}"


def _group(chat: ChatRef) -> str:
    to = chat_recipient(chat)
    if chat.private or to is None:
        raise PermanentDeliveryError(f"not a Signal group: {chat}")
    return to


def _address(user: PlatformIdentity) -> str:
    address = recipient(user) if user.platform is Platform.SIGNAL else None
    if address is None:
        raise PermanentDeliveryError(
            f"not a Signal account: {user.platform}:<{len(user.user_ref)} chars>"
        )
    return address
