"""Neutral outbound actions: what the core asks an adapter to do.

Actions are plain data so they can wait in the outbox, survive a restart and be sent later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from buurtbot.core.ids import ChatRef, MessageRef, PlatformIdentity
from buurtbot.core.text import RichText


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """Base of outbound actions. ``chat`` decides which adapter performs it."""

    chat: ChatRef


@dataclass(frozen=True, slots=True, kw_only=True)
class SendText(Action):
    text: RichText
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class EditText(Action):
    """Replace the text of a message the bot sent earlier (found by its outbox key), e.g. to
    show a new 112 status on an escalated copy. Only where the platform can edit.

    The relay fills in ``message`` from the outbox before performing it, once the original
    has been delivered."""

    outbox_key: str
    text: RichText
    message: MessageRef | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyMessage(Action):
    """Copy an existing message into ``chat`` (a forward without the 'forwarded from' line)."""

    source: MessageRef


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerButton(Action):
    callback_id: str
    text: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ApproveJoin(Action):
    user: PlatformIdentity


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclineJoin(Action):
    user: PlatformIdentity


@dataclass(frozen=True, slots=True, kw_only=True)
class AddMember(Action):
    """Add ``user`` directly (Signal adds numbers; Telegram cannot and uses invites)."""

    user: PlatformIdentity


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveMember(Action):
    user: PlatformIdentity


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateInvite(Action):
    """Ask the platform for a join link that needs approval; ``name`` labels it for matching.

    With ``send_to``, the relay queues ``message`` followed by the new link to that chat in
    the same transaction that records the link as made: the link itself exists only once the
    platform has answered, so the core cannot write that message beforehand."""

    name: str
    expires_at: datetime | None = None
    send_to: ChatRef | None = None
    message: RichText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetAdmin(Action):
    """Give ``user`` the platform's admin rights in ``chat`` (``admin``), or take them away:
    a beheerder role mirrored onto the platform. Only where the platform has admin rights."""

    user: PlatformIdentity
    admin: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SendFile(Action):
    """Send a document named ``filename`` holding ``content``, with an optional caption.
    Only where the platform can send files."""

    filename: str
    content: bytes
    caption: RichText | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendImage(Action):
    """Send a picture (``content`` is a PNG image, ``filename`` ends in ``.png``) shown in
    the chat, with an optional caption. Only where the platform can send images."""

    filename: str
    content: bytes
    caption: RichText | None = None


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What performing an action gave back; ``message`` is set for sent messages."""

    message: MessageRef | None = None
    invite_link: str | None = None
