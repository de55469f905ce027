"""Actions as JSON-ready dicts, so they can wait in the outbox and survive a restart.

Each action class has a stable ``kind`` name independent of its Python name, so renaming a
class never strands queued rows. ``action_from_json(action_to_json(a)) == a`` for every action.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from buurtbot.core.actions import (
    Action,
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
from buurtbot.core.text import RichText

Json = dict[str, Any]

#: The stored name of each action class.
ACTION_KINDS: Mapping[type[Action], str] = {
    SendText: "send_text",
    EditText: "edit_text",
    CopyMessage: "copy_message",
    AnswerButton: "answer_button",
    ApproveJoin: "approve_join",
    DeclineJoin: "decline_join",
    AddMember: "add_member",
    RemoveMember: "remove_member",
    CreateInvite: "create_invite",
    SetAdmin: "set_admin",
    SendFile: "send_file",
    SendImage: "send_image",
}


class UnknownActionKind(ValueError):
    """A stored action of a kind this version does not know (written by a newer one)."""


def action_kind(action: Action) -> str:
    try:
        return ACTION_KINDS[type(action)]
    except KeyError:
        raise TypeError(f"no serialization for {type(action).__name__}") from None


def action_to_json(action: Action) -> Json:
    """``action`` as a dict of JSON types, with its ``kind``."""
    data: Json = {"kind": action_kind(action), "chat": _chat_out(action.chat)}
    match action:
        case SendText():
            data["text"] = action.text.to_json()
            data["buttons"] = [
                [{"label": b.label, "data": b.data} for b in row] for row in action.buttons
            ]
            data["reply_to"] = _message_out(action.reply_to) if action.reply_to else None
        case EditText():
            data["outbox_key"] = action.outbox_key
            data["text"] = action.text.to_json()
        case CopyMessage():
            data["source"] = _message_out(action.source)
        case AnswerButton():
            data["callback_id"] = action.callback_id
            data["text"] = action.text
        case ApproveJoin() | DeclineJoin() | AddMember() | RemoveMember():
            data["user"] = _identity_out(action.user)
        case CreateInvite():
            data["name"] = action.name
            data["expires_at"] = _time_out(action.expires_at) if action.expires_at else None
            data["send_to"] = _chat_out(action.send_to) if action.send_to else None
            data["message"] = action.message.to_json() if action.message is not None else None
        case SetAdmin():
            data["user"] = _identity_out(action.user)
            data["admin"] = action.admin
        case SendFile() | SendImage():
            data["filename"] = action.filename
            data["content"] = base64.b64encode(action.content).decode("ascii")
            data["caption"] = action.caption.to_json() if action.caption is not None else None
    return data


def action_from_json(data: Mapping[str, Any]) -> Action:
    """The action :func:`action_to_json` made ``data`` from."""
    kind = data["kind"]
    try:
        decode = _DECODERS[kind]
    except KeyError:
        raise UnknownActionKind(kind) from None
    return decode(_chat_in(data["chat"]), data)


def _send_text(chat: ChatRef, d: Mapping[str, Any]) -> Action:
    reply_to = d.get("reply_to")
    return SendText(
        chat=chat,
        text=RichText.from_json(d["text"]),
        buttons=tuple(
            tuple(Button(str(b["label"]), str(b["data"])) for b in row) for row in d["buttons"]
        ),
        reply_to=_message_in(reply_to) if reply_to else None,
    )


def _create_invite(chat: ChatRef, d: Mapping[str, Any]) -> Action:
    expires = d.get("expires_at")
    send_to = d.get("send_to")
    message = d.get("message")
    return CreateInvite(
        chat=chat,
        name=d["name"],
        expires_at=_time_in(expires) if expires else None,
        send_to=_chat_in(send_to) if send_to else None,
        message=RichText.from_json(message) if message is not None else None,
    )


def _send_file(chat: ChatRef, d: Mapping[str, Any]) -> Action:
    caption = d.get("caption")
    return SendFile(
        chat=chat,
        filename=d["filename"],
        content=base64.b64decode(d["content"], validate=True),
        caption=RichText.from_json(caption) if caption is not None else None,
    )


def _send_image(chat: ChatRef, d: Mapping[str, Any]) -> Action:
    caption = d.get("caption")
    return SendImage(
        chat=chat,
        filename=d["filename"],
        content=base64.b64decode(d["content"], validate=True),
        caption=RichText.from_json(caption) if caption is not None else None,
    )


_DECODERS: dict[str, Callable[[ChatRef, Mapping[str, Any]], Action]] = {
    "send_text": _send_text,
    "edit_text": lambda chat, d: EditText(
        chat=chat, outbox_key=d["outbox_key"], text=RichText.from_json(d["text"])
    ),
    "copy_message": lambda chat, d: CopyMessage(chat=chat, source=_message_in(d["source"])),
    "answer_button": lambda chat, d: AnswerButton(
        chat=chat, callback_id=d["callback_id"], text=d["text"]
    ),
    "approve_join": lambda chat, d: ApproveJoin(chat=chat, user=_identity_in(d["user"])),
    "decline_join": lambda chat, d: DeclineJoin(chat=chat, user=_identity_in(d["user"])),
    "add_member": lambda chat, d: AddMember(chat=chat, user=_identity_in(d["user"])),
    "remove_member": lambda chat, d: RemoveMember(chat=chat, user=_identity_in(d["user"])),
    "create_invite": _create_invite,
    "set_admin": lambda chat, d: SetAdmin(
        chat=chat, user=_identity_in(d["user"]), admin=bool(d["admin"])
    ),
    "send_file": _send_file,
    "send_image": _send_image,
}


def _chat_out(chat: ChatRef) -> Json:
    return {"platform": chat.platform.value, "chat_id": chat.chat_id, "private": chat.private}


def _chat_in(d: Mapping[str, Any]) -> ChatRef:
    return ChatRef(Platform(d["platform"]), str(d["chat_id"]), bool(d["private"]))


def _message_out(message: MessageRef) -> Json:
    return {"chat": _chat_out(message.chat), "message_id": message.message_id}


def _message_in(d: Mapping[str, Any]) -> MessageRef:
    return MessageRef(_chat_in(d["chat"]), str(d["message_id"]))


def _identity_out(identity: PlatformIdentity) -> Json:
    return {"platform": identity.platform.value, "user_ref": identity.user_ref}


def _identity_in(d: Mapping[str, Any]) -> PlatformIdentity:
    return PlatformIdentity(Platform(d["platform"]), str(d["user_ref"]))


def _time_out(value: datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r} in an action: pass an aware one")
    return value.isoformat()


def _time_in(text: str) -> datetime:
    return datetime.fromisoformat(text)
